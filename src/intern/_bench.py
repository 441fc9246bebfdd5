"""``python -m intern bench``: how fast ``intern.make`` is beside the usual alternatives.

Each case times loops of the form ``for value in data: f(value)`` over the same
data for every contender. Machines are shared and noisy, and noise only ever adds
time, so the contenders take turns over several rounds (each round starting with
the next one) and each keeps its best time; ratios are taken within the run.
Turns are short and many, because a short turn is more likely to run
undisturbed. Memory per live entry is what ``tracemalloc`` traces while a fresh
table takes ``TRACED`` values, less the list that holds the results; the values
themselves exist before tracing starts.

The implementations of ``intern.make`` are found at run time: the pure-Python one
always, the C accelerator when it is built.
"""

from __future__ import annotations

import gc
import importlib
import platform
import sys
import tracemalloc
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from time import perf_counter_ns
from typing import Any, cast

import intern
from intern._deep import Pool
from intern._text import Progress, render_table

IMPLEMENTATIONS = (("python", "intern._pure"), ("c", "intern._speedups"))
"""Label and module of each implementation that may be available."""

ENTRIES = 1_000
"""Values in the timed data of the hit and churn cases."""
TRACED = 10_000
"""Entries in the memory measure: enough that a table's growth steps average out."""
COPIES = 1_000
"""Equal long values compared in the identity case."""
LONG_TEXT = 1_000
LONG_TUPLE = 100
SCALES = (1_000, 10_000, 100_000, 1_000_000)
"""Live entries in the scaling cases (the quick run stops at 10,000)."""
HOSTILE = 1_000
"""Values in each hostile-hash case (a tenth for the one where all hashes are equal)."""
RECORDS = 50_000
"""Records in the deduplication case."""
QUICK_RECORDS = 2_000
"""Records in the deduplication case of the quick run."""

Intern = Callable[[Any], object]
"""An interning function: the value in, its canonical object or handle out."""


@dataclass(frozen=True)
class Settings:
    """How long to measure."""

    rounds: int
    """Turns each contender takes; its best one counts."""
    turn_ns: int
    """About how long the slowest contender's turn takes: passes over the data are
    added until it does."""


QUICK = Settings(rounds=5, turn_ns=1_000_000)
FULL = Settings(rounds=100, turn_ns=2_000_000)


@dataclass(frozen=True)
class _Table:
    """A contender for the hit and churn cases: something that interns."""

    label: str
    new: Callable[[], Intern]
    """Return the interning function of a fresh, empty table."""
    own_table: bool = True
    """False for sys.intern, whose table is the interpreter's: its memory is not measured."""


@dataclass(frozen=True)
class _Contender:
    name: str
    timer: Callable[[int], int]
    """Loops over the data so many times and returns the time it took, in nanoseconds."""
    operations: int
    """Operations in one pass over the data."""
    bytes_per_entry: float | None = None
    keep_alive: object = None
    """What the contender's table must keep to find hits (handles, for weak tables)."""


@dataclass(frozen=True)
class _Case:
    name: str
    title: str
    baseline: str
    contenders: list[_Contender]


@dataclass(frozen=True)
class Result:
    """One contender's figures in one case."""

    contender: str
    ns_per_op: float
    ratio: float
    """ns_per_op divided by the baseline's, in the same run."""
    bytes_per_entry: float | None


@dataclass(frozen=True)
class CaseReport:
    """The results of one case, in the order the contenders took turns."""

    name: str
    title: str
    baseline: str
    results: tuple[Result, ...]


@dataclass(frozen=True)
class BenchReport:
    """Every case's results, and where they were measured."""

    python: str
    machine: str
    cpu: str
    implementations: tuple[str, ...]
    quick: bool
    rounds: int
    cases: tuple[CaseReport, ...] = field(default=())

    def as_json(self) -> dict[str, object]:
        """Return the report as one JSON-ready object."""
        return {
            "python": self.python,
            "machine": self.machine,
            "cpu": self.cpu,
            "implementations": list(self.implementations),
            "quick": self.quick,
            "rounds": self.rounds,
            "cases": [
                {
                    "name": case.name,
                    "title": case.title,
                    "baseline": case.baseline,
                    "results": [
                        {
                            "contender": result.contender,
                            "ns_per_op": result.ns_per_op,
                            "ratio": result.ratio,
                            "bytes_per_entry": result.bytes_per_entry,
                        }
                        for result in case.results
                    ],
                }
                for case in self.cases
            ],
        }

    def as_text(self) -> str:
        """Return the report for people: one table per case."""
        lines = [
            f"{self.python} on {self.machine} ({self.cpu});"
            f" implementations of intern.make: {', '.join(self.implementations)}",
            f"best of {self.rounds} interleaved rounds{' (--quick)' if self.quick else ''}",
        ]
        for case in self.cases:
            with_bytes = any(result.bytes_per_entry is not None for result in case.results)
            header = ["contender", "ns/op", f"vs {case.baseline}"]
            header += ["bytes/entry"] if with_bytes else []
            rows: list[list[str]] = []
            for result in case.results:
                row = [result.contender, f"{result.ns_per_op:,.1f}", f"{result.ratio:.2f}x"]
                if with_bytes:
                    entry = result.bytes_per_entry
                    row.append("-" if entry is None else f"{entry:,.0f}")
                rows.append(row)
            lines += ["", f"{case.title}:", *("  " + line for line in render_table(header, rows))]
        return "\n".join(lines)


def implementations() -> list[tuple[str, type[intern.Interner[Any]]]]:
    """Return the ``Interner`` class of each implementation that imports here, by label."""
    found: list[tuple[str, type[intern.Interner[Any]]]] = []
    for label, module_name in IMPLEMENTATIONS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.append((label, cast("type[intern.Interner[Any]]", module.Interner)))
    return found


class _StrongPool(dict[Hashable, Hashable]):
    """A strong pool: keeps every value for ever; a hit is one dict lookup."""

    def __missing__(self, value: Hashable) -> Hashable:
        self[value] = value
        return value


class _Box:
    """What a WeakValueDictionary interner hands out: str and tuple take no weak references."""

    __slots__ = ("__weakref__", "value")

    def __init__(self, value: Hashable) -> None:
        self.value = value


def _weak_pool() -> Intern:
    """Return a straightforward weak interner: a WeakValueDictionary from value to box."""
    table: weakref.WeakValueDictionary[Hashable, _Box] = weakref.WeakValueDictionary()

    def make(value: Hashable) -> _Box:
        box = table.get(value)
        if box is None:
            box = table[value] = _Box(value)
        return box

    return make


def _time_calls(function: Intern, data: list[Any], passes: int) -> int:
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            function(value)
    return perf_counter_ns() - start


def _time_identity(target: object, data: list[Any], passes: int) -> int:
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            _ = value is target
    return perf_counter_ns() - start


def _time_equality(target: object, data: list[Any], passes: int) -> int:
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            _ = value == target
    return perf_counter_ns() - start


def _copy(value: Hashable) -> Hashable:
    """Return an equal value made of new objects, as a parser would."""
    if isinstance(value, str):
        return value[:1] + value[1:]
    if isinstance(value, tuple):
        return tuple(_copy(item) for item in cast("tuple[Hashable, ...]", value))
    return value


def _bytes_per_entry(new_table: Callable[[], Intern], values: list[Any]) -> float:
    """Measure the bytes traced while a fresh table takes ``values``, less the results list."""
    function = new_table()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        results = [function(value) for value in values]
        traced = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    return (traced - sys.getsizeof(results)) / len(values)


def _weak_tables() -> list[_Table]:
    """List each implementation of make, then the WeakValueDictionary interner."""
    makes = [
        _Table(f"intern.make [{label}]", partial(_bound_make, interner_type))
        for label, interner_type in implementations()
    ]
    return [*makes, _Table("WeakValueDictionary interner", _weak_pool)]


def _bound_make(interner_type: type[intern.Interner[Any]]) -> Intern:
    return interner_type().make


def _hit_case(
    name: str, title: str, values: list[Any], strong: list[_Table], *, copies: bool = True
) -> Callable[[], _Case]:
    """Build a case that looks up values every table already holds.

    The first ``ENTRIES`` values are timed, given as equal copies (as a parser
    makes them) or, with ``copies=False``, as the very objects the tables hold;
    memory is measured on all of them. The first of the ``strong`` tables is the
    baseline.
    """

    def build() -> _Case:
        timed = values[:ENTRIES]
        probes = [_copy(value) for value in timed] if copies else timed
        contenders: list[_Contender] = []
        for table in [*strong, *_weak_tables()]:
            function = table.new()
            held = [function(value) for value in timed]
            per_entry = _bytes_per_entry(table.new, values) if table.own_table else None
            timer = partial(_time_calls, function, probes)
            contenders.append(_Contender(table.label, timer, len(probes), per_entry, held))
        return _Case(name, title, strong[0].label, contenders)

    return build


def _scaling_case(size: int) -> Callable[[], _Case]:
    """Build a case that looks up equal copies of random entries among ``size`` live ones.

    Set beside the same case at other sizes, it shows whether make's cost grows
    faster than a dict lookup's as tables outgrow the CPU's caches.
    """

    def build() -> _Case:
        values = [f"key-{index:07d}" for index in range(size)]
        step = max(1, size // ENTRIES)
        probes = [_copy(values[(index * 7919) % size]) for index in range(0, size, step)][:ENTRIES]
        contenders: list[_Contender] = []
        for table in [_STRONG_POOL, *_weak_tables()[:-1]]:
            function = table.new()
            held = [function(value) for value in values]
            timer = partial(_time_calls, function, probes)
            contenders.append(_Contender(table.label, timer, len(probes), None, held))
        return _Case(
            f"scale-{size}",
            f"hit path among {size:,} live entries: {len(probes):,} equal copies, spread out",
            _STRONG_POOL.label,
            contenders,
        )

    return build


def _hostile_values() -> Iterator[tuple[str, str, list[Any]]]:
    """Integers whose hashes are shaped to defeat a naive table, and what they are."""
    yield (
        "low-zeros",
        f"hit path, hostile hashes: {HOSTILE:,} multiples of 2**32",
        [index << 32 for index in range(HOSTILE)],
    )
    yield (
        "high-bits",
        f"hit path, hostile hashes: {HOSTILE:,} ints differing only above bit 50",
        [(index << 50) + 12345 for index in range(HOSTILE)],
    )
    modulus = 2**61 - 1  # CPython hashes ints modulo this prime, on 64-bit builds
    yield (
        "one-hash",
        f"hit path, hostile hashes: {HOSTILE // 10:,} ints with one equal hash",
        [index * modulus for index in range(HOSTILE // 10)],
    )


def _churn_case() -> _Case:
    """Make a new value's handle and drop it at once: a miss, then a reclaim."""
    values = [f"session-{index:05d}" for index in range(ENTRIES)]
    contenders = [
        _Contender(table.label, partial(_time_calls, table.new(), values), len(values))
        for table in _weak_tables()
    ]
    return _Case(
        "churn",
        f"miss and reclaim: {ENTRIES:,} new strings, each handle dropped at once",
        "WeakValueDictionary interner",
        contenders,
    )


def _identity_case() -> _Case:
    """Compare handles with ``is`` against ``==`` on long equal values."""
    text = "".join(chr(ord("a") + index * 7 % 26) for index in range(LONG_TEXT))
    record = tuple(f"field-{index}" for index in range(LONG_TUPLE))
    texts = [_copy(text) for _ in range(COPIES)]
    records = [_copy(record) for _ in range(COPIES)]
    interner = intern.Interner[Hashable]()
    handles = [interner.make(value) for value in texts]  # one handle, COPIES references
    handle = interner.make(_copy(text))
    timers = [
        ("a is b (handles)", partial(_time_identity, handle, handles)),
        ("a == b (handles)", partial(_time_equality, handle, handles)),
        (f"a == b (str of {LONG_TEXT:,} chars)", partial(_time_equality, _copy(text), texts)),
        (
            f"a == b (tuple of {LONG_TUPLE} str)",
            partial(_time_equality, _copy(record), records),
        ),
    ]
    return _Case(
        "identity",
        "compare: two handles with is, or two equal long values (distinct objects) with ==",
        "a is b (handles)",
        [_Contender(label, timer, COPIES) for label, timer in timers],
    )


def _strings() -> list[Any]:
    return [f"token-{index:05d}" for index in range(TRACED)]


def _records() -> list[Any]:
    methods, statuses = ("GET", "POST", "PUT", "DELETE"), (200, 201, 404)
    return [
        (methods[index % 4], f"/api/items/{index}", statuses[index % 3]) for index in range(TRACED)
    ]


_STRONG_POOL = _Table("dict pool (strong)", lambda: _StrongPool().__getitem__)


def _token_records(count: int) -> list[str]:
    """Read ``count`` record lines, ``module<TAB>token type<TAB>token``, from the stdlib.

    Real data that every machine has, shaped like a log: three fields, the first
    two with few distinct values, the third with many.
    """
    import sysconfig  # here: only this case needs them
    import tokenize

    lines: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            with tokenize.open(path) as source:
                for token in tokenize.generate_tokens(source.readline):
                    if token.type in (tokenize.NAME, tokenize.OP, tokenize.STRING):
                        name = tokenize.tok_name[token.type]
                        lines.append(f"{path.stem}\t{name}\t{token.string.replace(chr(9), ' ')}")
                        if len(lines) == count:
                            return lines
        except (SyntaxError, UnicodeDecodeError, tokenize.TokenError):
            continue  # a module this Python cannot read is skipped
    return lines


def _parse_plain(lines: list[str]) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in lines]


def _parse_pooled(interner_type: type[intern.Interner[Any]], lines: list[str]) -> object:
    pool = Pool(interner_type())
    value = pool.value
    return pool, [tuple([value(field) for field in line.split("\t")]) for line in lines]


def _parse_deep(interner_type: type[intern.Interner[Any]], lines: list[str]) -> object:
    pool = Pool(interner_type())
    value_deep = pool.value_deep
    return pool, [value_deep(tuple(line.split("\t"))) for line in lines]


def _time_parse(parse: Callable[[list[str]], object], lines: list[str], passes: int) -> int:
    start = perf_counter_ns()
    for _ in range(passes):
        parse(lines)
    return perf_counter_ns() - start


def _bytes_per_record(parse: Callable[[list[str]], object], lines: list[str]) -> float:
    """Measure what parsing keeps: the records, and the pool that made them canonical."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        kept = parse(lines)
        traced = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    del kept
    return traced / len(lines)


def _records_case(count: int) -> Callable[[], _Case]:
    """Parse records plainly, with Pool.value per field, and with make_deep per record."""

    def build() -> _Case:
        lines = _token_records(count)
        parsers: list[tuple[str, Callable[[list[str]], object]]] = [("plain parse", _parse_plain)]
        for label, interner_type in implementations():
            parsers.append(
                (f"Pool.value per field [{label}]", partial(_parse_pooled, interner_type))
            )
            parsers.append(
                (f"Pool.value_deep per record [{label}]", partial(_parse_deep, interner_type))
            )
        contenders = [
            _Contender(
                name,
                partial(_time_parse, parse, lines),
                len(lines),
                _bytes_per_record(parse, lines),
            )
            for name, parse in parsers
        ]
        return _Case(
            "records",
            f"deduplication: {len(lines):,} token records of the standard library,"
            " ns and bytes kept per record",
            "plain parse",
            contenders,
        )

    return build


def _cases(quick: bool) -> Iterator[tuple[str, Callable[[], _Case]]]:
    strong_pool = _STRONG_POOL
    yield (
        "hit path on strings",
        _hit_case(
            "hit-strings",
            f"hit path: {ENTRIES:,} interned strings, given as equal copies",
            _strings(),
            [_Table("sys.intern", lambda: sys.intern, own_table=False), strong_pool],
        ),
    )
    yield (
        "hit path on the interned strings themselves",
        _hit_case(
            "hit-strings-same",
            f"hit path: {ENTRIES:,} interned strings, given as the very objects interned",
            _strings(),
            [_Table("sys.intern", lambda: sys.intern, own_table=False), strong_pool],
            copies=False,
        ),
    )
    yield (
        "hit path on tuple records",
        _hit_case(
            "hit-records",
            f"hit path: {ENTRIES:,} interned (str, str, int) records, given as equal copies",
            _records(),
            [strong_pool],
        ),
    )
    yield "miss-and-reclaim churn", _churn_case
    yield "identity against equality", _identity_case
    for size in SCALES[:2] if quick else SCALES:
        yield f"hit path among {size:,} entries", _scaling_case(size)
    for name, title, values in _hostile_values():
        yield f"hostile hashes: {name}", _hit_case(f"hostile-{name}", title, values, [strong_pool])
    yield "deduplicating records", _records_case(QUICK_RECORDS if quick else RECORDS)


def _measure(case: _Case, settings: Settings) -> CaseReport:
    contenders = case.contenders
    # A first pass each warms caches (and str hashes), and says how many passes
    # make the slowest contender's turn last about settings.turn_ns.
    slowest = max(_timed(contender, 1) for contender in contenders)
    passes = max(1, round(settings.turn_ns / max(slowest, 1)))
    best = dict.fromkeys((contender.name for contender in contenders), sys.maxsize)
    for round_number in range(settings.rounds):
        shift = round_number % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            best[contender.name] = min(best[contender.name], _timed(contender, passes))
    per_op = {
        contender.name: best[contender.name] / (contender.operations * passes)
        for contender in contenders
    }
    results = [
        Result(
            contender.name,
            per_op[contender.name],
            per_op[contender.name] / per_op[case.baseline],
            contender.bytes_per_entry,
        )
        for contender in contenders
    ]
    return CaseReport(case.name, case.title, case.baseline, tuple(results))


def _timed(contender: _Contender, passes: int) -> int:
    """Run a contender's timer with the garbage collector off, as timeit does."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return contender.timer(passes)
    finally:
        if collecting:
            gc.enable()


def run(quick: bool = False, progress: Progress | None = None) -> BenchReport:
    """Run every case and report the results."""
    settings = QUICK if quick else FULL
    reports: list[CaseReport] = []
    for label, build in _cases(quick):
        if progress:
            progress.show(f"measuring {label}")
        reports.append(_measure(build(), settings))
        gc.collect()
    if progress:
        progress.clear()
    return BenchReport(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        machine=platform.machine(),
        cpu=_cpu_model(),
        implementations=tuple(label for label, _ in implementations()),
        quick=quick,
        rounds=settings.rounds,
        cases=tuple(reports),
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
