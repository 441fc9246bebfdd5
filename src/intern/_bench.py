"""``python -m intern bench``: how fast ``intern.make`` is beside the usual alternatives.

This module holds the contenders, the data and the cases, and runs them; the
harness that times them is ``_measure.py``, the results and their tables are
``_report.py``, their picture ``_chart.py``.

The implementations of ``intern.make`` are found at run time: the pure-Python one
always, the C accelerator when it is built.
"""

from __future__ import annotations

import csv
import functools
import gc
import importlib
import io
import json
import platform
import sys
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TextIO, cast

import intern
from intern._cache import implementations as cache_implementations
from intern._chart import render_svg
from intern._cleanup import implementations as cleanup_implementations
from intern._interned import make_interned
from intern._measure import (
    Case,
    Contender,
    Intern,
    Settings,
    bytes_per_entry,
    bytes_per_record,
    measure,
    time_calls,
    time_collections,
    time_constructions,
    time_equality,
    time_identity,
    time_parse,
    time_registrations,
    time_subscripts,
)
from intern._report import BenchReport
from intern._text import Progress

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

QUICK = Settings(rounds=5, turn_ns=1_000_000)
FULL = Settings(rounds=100, turn_ns=2_000_000)
QUICK_SECONDS = 2
"""About how long a quick run takes on the project's machine (two shared cores)."""
FULL_SECONDS = 60
"""About how long a full run takes on the project's machine."""


class OutputError(Exception):
    """The picture cannot be written where it was asked for."""


def implementations() -> list[tuple[str, type[intern.Interner[Any]]]]:
    """Return the ``Interner`` class of each implementation that imports here, by label."""
    return [
        (label, cast("type[intern.Interner[Any]]", module.Interner)) for label, module in _modules()
    ]


NewPool = Callable[[], intern.Pool]


def pools() -> list[tuple[str, NewPool]]:
    """Return a maker of fresh pools, each on a fresh interner, per implementation, by label."""
    return [
        (label, partial(_new_pool, module.Pool, module.Interner)) for label, module in _modules()
    ]


def _new_pool(
    pool_type: type[intern.Pool], interner_type: type[intern.Interner[Any]]
) -> intern.Pool:
    return pool_type(interner_type())


def _modules() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for label, module_name in IMPLEMENTATIONS:
        try:
            found.append((label, importlib.import_module(module_name)))
        except ImportError:
            continue
    return found


@dataclass(frozen=True)
class _Table:
    """A contender for the hit and churn cases: something that interns."""

    label: str
    new: Callable[[], Intern]
    """Return the interning function of a fresh, empty table."""
    own_table: bool = True
    """False for sys.intern, whose table is the interpreter's: its memory is not measured."""


class _StrongPool(dict[Hashable, Hashable]):
    """A strong pool: keeps every value for ever; a hit is one dict lookup."""

    def __missing__(self, value: Hashable) -> Hashable:
        self[value] = value
        return value


_STRONG_POOL = _Table("dict pool (strong)", lambda: _StrongPool().__getitem__)


def _pool_tables() -> list[_Table]:
    """Pool.value of each implementation: a hit the pool answers from its own memo."""
    return [_Table(f"Pool.value [{label}]", partial(_pool_value, new)) for label, new in pools()]


def _pool_value(new_pool: NewPool) -> Intern:
    return new_pool().value  # the bound method keeps its pool


_SYS_INTERN = _Table("sys.intern", lambda: sys.intern, own_table=False)


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


def _weak_tables() -> list[_Table]:
    """List each implementation of make, then the WeakValueDictionary interner."""
    makes = [
        _Table(f"intern.make [{label}]", partial(_bound_make, interner_type))
        for label, interner_type in implementations()
    ]
    return [*makes, _Table("WeakValueDictionary interner", _weak_pool)]


def _bound_make(interner_type: type[intern.Interner[Any]]) -> Intern:
    return interner_type().make


def _copy(value: Hashable) -> Hashable:
    """Return an equal value made of new objects, as a parser would."""
    if isinstance(value, str):
        return value[:1] + value[1:]
    if isinstance(value, tuple):
        return tuple(_copy(item) for item in cast("tuple[Hashable, ...]", value))
    return value


def _hit_case(
    name: str,
    title: str,
    new_values: Callable[[], list[Any]],
    strong: list[_Table],
    *,
    copies: bool = True,
) -> Callable[[], Case]:
    """Build a case that looks up values every table already holds.

    The first ``ENTRIES`` values are timed, given as equal copies (as a parser
    makes them) or, with ``copies=False``, as the very objects the tables hold;
    memory is measured on all of them. The first of the ``strong`` tables is the
    baseline.
    """

    def build() -> Case:
        # Made here, once the previous case is gone: sys.intern keeps the first
        # of equal strings that it sees while that one lives, and the very
        # objects must be the ones it keeps.
        values = new_values()
        timed = values[:ENTRIES]
        probes = [_copy(value) for value in timed] if copies else timed
        contenders: list[Contender] = []
        for table in [*strong, *_weak_tables()]:
            function = table.new()
            held = [function(value) for value in timed]
            per_entry = bytes_per_entry(table.new, values) if table.own_table else None
            timer = partial(time_calls, function, probes)
            contenders.append(Contender(table.label, timer, len(probes), per_entry, held))
        return Case(name, title, strong[0].label, contenders)

    return build


def _scaling_case(size: int) -> Callable[[], Case]:
    """Build a case that looks up equal copies of random entries among ``size`` live ones.

    Set beside the same case at other sizes, it shows whether make's cost grows
    faster than a dict lookup's as tables outgrow the CPU's caches.
    """

    def build() -> Case:
        values = [f"key-{index:07d}" for index in range(size)]
        step = max(1, size // ENTRIES)
        probes = [_copy(values[(index * 7919) % size]) for index in range(0, size, step)][:ENTRIES]
        contenders: list[Contender] = []
        for table in [_STRONG_POOL, *_weak_tables()[:-1]]:
            function = table.new()
            held = [function(value) for value in values]
            timer = partial(time_calls, function, probes)
            contenders.append(Contender(table.label, timer, len(probes), None, held))
        return Case(
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


def _churn_case() -> Case:
    """Make a new value's handle and drop it at once: a miss, then a reclaim."""
    values = [f"session-{index:05d}" for index in range(ENTRIES)]
    contenders = [
        Contender(table.label, partial(time_calls, table.new(), values), len(values))
        for table in _weak_tables()
    ]
    return Case(
        "churn",
        f"miss and reclaim: {ENTRIES:,} new strings, each handle dropped at once",
        "WeakValueDictionary interner",
        contenders,
    )


def _identity_case() -> Case:
    """Compare handles with ``is`` against ``==`` on long equal values."""
    text = "".join(chr(ord("a") + index * 7 % 26) for index in range(LONG_TEXT))
    record = tuple(f"field-{index}" for index in range(LONG_TUPLE))
    texts = [_copy(text) for _ in range(COPIES)]
    records = [_copy(record) for _ in range(COPIES)]
    interner = intern.Interner[Hashable]()
    handles = [interner.make(value) for value in texts]  # one handle, COPIES references
    handle = interner.make(_copy(text))
    timers = [
        ("a is b (handles)", partial(time_identity, handle, handles)),
        ("a == b (handles)", partial(time_equality, handle, handles)),
        (f"a == b (str of {LONG_TEXT:,} chars)", partial(time_equality, _copy(text), texts)),
        (
            f"a == b (tuple of {LONG_TUPLE} str)",
            partial(time_equality, _copy(record), records),
        ),
    ]
    return Case(
        "identity",
        "compare: two handles with is, or two equal long values (distinct objects) with ==",
        "a is b (handles)",
        [Contender(label, timer, COPIES) for label, timer in timers],
    )


def _point_class() -> type[Any]:
    """Return a new frozen dataclass of two fields, as a typed codebase declares records."""

    @dataclass(frozen=True)
    class Point:
        x: int
        y: int

    return Point


def _interned_case() -> Case:
    """Construct instances equal to live ones: a plain frozen dataclass, then @interned."""
    pairs = [(index % 100, index // 100) for index in range(ENTRIES)]
    baseline = "frozen dataclass"
    contenders = [
        Contender(baseline, partial(time_constructions, _point_class(), pairs), len(pairs))
    ]
    for label, _ in _modules():
        accelerate: Any = None
        if label == "c":
            try:
                accelerate = importlib.import_module("intern._interned_speedups").Constructor
            except ImportError:
                continue
        point = make_interned(_point_class(), accelerate)
        held = [point(x, y) for x, y in pairs]
        timer = partial(time_constructions, point, pairs)
        contenders.append(Contender(f"@interned [{label}]", timer, len(pairs), None, held))
    return Case(
        "interned",
        f"construct: {ENTRIES:,} frozen dataclass points (x, y), each equal to a live one",
        baseline,
        contenders,
    )


def _strings() -> list[Any]:
    return [f"token-{index:05d}" for index in range(TRACED)]


def _records() -> list[Any]:
    methods, statuses = ("GET", "POST", "PUT", "DELETE"), (200, 201, 404)
    return [
        (methods[index % 4], f"/api/items/{index}", statuses[index % 3]) for index in range(TRACED)
    ]


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


def _parse_pooled(new_pool: NewPool, lines: list[str]) -> object:
    pool = new_pool()
    value = pool.value
    return pool, [tuple([value(field) for field in line.split("\t")]) for line in lines]


def _parse_rows(new_pool: NewPool, lines: list[str]) -> object:
    pool = new_pool()
    row = pool.row
    return pool, [row(line.split("\t")) for line in lines]


def _parse_deep(new_pool: NewPool, lines: list[str]) -> object:
    pool = new_pool()
    value_deep = pool.value_deep
    return pool, [value_deep(tuple(line.split("\t"))) for line in lines]


def _records_case(count: int) -> Callable[[], Case]:
    """Parse records plainly, with Pool.value per field, and with make_deep per record."""

    def build() -> Case:
        lines = _token_records(count)
        parsers: list[tuple[str, Callable[[list[str]], object]]] = [("plain parse", _parse_plain)]
        for label, pool_type in pools():
            parsers.append((f"Pool.value per field [{label}]", partial(_parse_pooled, pool_type)))
            parsers.append((f"Pool.row per record [{label}]", partial(_parse_rows, pool_type)))
            parsers.append(
                (f"Pool.value_deep per record [{label}]", partial(_parse_deep, pool_type))
            )
        contenders = [
            Contender(
                name,
                partial(time_parse, parse, lines),
                len(lines),
                bytes_per_record(parse, lines),
            )
            for name, parse in parsers
        ]
        return Case(
            "records",
            f"deduplication: {len(lines):,} token records of the standard library,"
            " ns and bytes kept per record",
            "plain parse",
            contenders,
        )

    return build


def _ingest_records(count: int) -> list[dict[str, Any]]:
    """Build ``count`` records of ten fields from the standard library's tokens.

    Shaped like parsed log or event data: a few strings with few distinct
    values, one with many, numbers, a flag and a ratio.
    """
    import keyword

    records: list[dict[str, Any]] = []
    for line in _token_records(count):
        module, kind, token = line.split("\t")
        token = token.replace("\n", " ")  # one record a line, as CSV and JSON Lines have it
        number = len(records)
        records.append(
            {
                "module": module,
                "kind": kind,
                "token": token,
                "line": number % 997 + 1,
                "column": number % 79,
                "length": len(token),
                "keyword": keyword.iskeyword(token),
                "share": round((number % 79) / 79, 2),
                "source": f"Lib/{module}.py",
                "status": ("ok", "warning", "error")[number % 3],
            }
        )
    return records


def _read_csv(lines: list[str]) -> object:
    return [tuple(map(sys.intern, row)) for row in csv.reader(lines)]


def _read_csv_pooled(new_pool: NewPool, lines: list[str]) -> object:
    pool = new_pool()
    row = pool.row
    return pool, [row(fields) for fields in csv.reader(lines)]


def _read_json(lines: list[str]) -> object:
    loads = json.loads
    return [loads(line) for line in lines]


def _read_json_pooled(new_pool: NewPool, lines: list[str]) -> object:
    pool = new_pool()
    loads, dedup = json.loads, pool.dedup
    return pool, [dedup(loads(line)) for line in lines]


def _ingest_case(count: int, form: str) -> Callable[[], Case]:
    """Read records as CSV rows or JSON Lines, plainly and through a pool."""

    def build() -> Case:
        records = _ingest_records(count)
        if form == "csv":
            text = io.StringIO()
            csv.writer(text).writerows(record.values() for record in records)
            lines = text.getvalue().splitlines(keepends=True)
            baseline = "csv.reader, sys.intern per field"
            parsers: list[tuple[str, Callable[[list[str]], object]]] = [(baseline, _read_csv)]
            parsers += [
                (f"csv.reader, Pool.row [{label}]", partial(_read_csv_pooled, new))
                for label, new in pools()
            ]
        else:
            lines = [json.dumps(record) for record in records]
            baseline = "json.loads"
            parsers = [(baseline, _read_json)]
            parsers += [
                (f"json.loads, Pool.dedup [{label}]", partial(_read_json_pooled, new))
                for label, new in pools()
            ]
        contenders = [
            Contender(
                name, partial(time_parse, parse, lines), len(lines), bytes_per_record(parse, lines)
            )
            for name, parse in parsers
        ]
        title = (
            f"ingest: {len(lines):,} records of 10 fields as {form.upper()},"
            " ns and bytes kept per record"
        )
        return Case(f"ingest-{form}", title, baseline, contenders)

    return build


class _Page:
    """A cached value: weakly referenceable, as WeakCache's values must be."""

    __slots__ = ("__weakref__", "key")

    def __init__(self, key: str) -> None:
        self.key = key


def _cache_case() -> Case:
    """Compare hits of WeakCache and @weak_cache with functools.cache's, on the same keys."""
    keys = [f"key-{index:05d}" for index in range(ENTRIES)]
    contenders: list[Contender] = []

    def add(label: str, timer: Callable[[int], int], keep_alive: object = None) -> None:
        contenders.append(Contender(label, timer, len(keys), None, keep_alive))

    strong = functools.cache(_Page)
    add("functools.cache hit", partial(time_calls, strong, keys), [strong(key) for key in keys])
    table = {key: _Page(key) for key in keys}
    add("dict[key]", partial(time_subscripts, table, keys))
    for label, caches in cache_implementations().items():
        cache = caches.WeakCache(_Page)
        values = [cache[key] for key in keys]
        add(f"WeakCache[key] hit [{label}]", partial(time_subscripts, cache, keys), values)
        function = caches.weak_cache(_Page)
        results = [function(key) for key in keys]
        add(f"@weak_cache hit [{label}]", partial(time_calls, function, keys), results)
    return Case(
        "cache-hits",
        f"caches: hits on {ENTRIES:,} live str keys, the very objects given when cached",
        "functools.cache hit",
        contenders,
    )


def _cleanup_case(running: bool) -> Callable[[], Case]:
    """Compare add_cleanup with weakref.finalize: registering, or running at collection."""

    def build() -> Case:
        timer = time_collections if running else time_registrations
        contenders = [
            Contender("weakref.finalize", partial(timer, weakref.finalize, ENTRIES), ENTRIES)
        ]
        for label, add_cleanup in cleanup_implementations().items():
            contenders.append(
                Contender(f"add_cleanup [{label}]", partial(timer, add_cleanup, ENTRIES), ENTRIES)
            )
        if running:
            name, what = "cleanup-runs", "the object collected, the function run"
        else:
            name, what = "cleanup-registrations", "registered on a fresh object"
        return Case(
            name,
            f"cleanups: {ENTRIES:,} calls of a function with one argument, {what}",
            "weakref.finalize",
            contenders,
        )

    return build


def _cases(quick: bool) -> list[tuple[str, Callable[[], Case]]]:
    """List what each case measures, for the progress line, and how to build it."""
    cases: list[tuple[str, Callable[[], Case]]] = [
        (
            "hit path on strings",
            _hit_case(
                "hit-strings",
                f"hit path: {ENTRIES:,} interned strings, given as equal copies",
                _strings,
                [_SYS_INTERN, _STRONG_POOL, *_pool_tables()],
            ),
        ),
        (
            "hit path on the interned strings themselves",
            _hit_case(
                "hit-strings-same",
                f"hit path: {ENTRIES:,} interned strings, given as the very objects interned",
                _strings,
                [_SYS_INTERN, _STRONG_POOL],
                copies=False,
            ),
        ),
        (
            "hit path on tuple records",
            _hit_case(
                "hit-records",
                f"hit path: {ENTRIES:,} interned (str, str, int) records, given as equal copies",
                _records,
                [_STRONG_POOL],
            ),
        ),
        ("miss-and-reclaim churn", _churn_case),
        ("caches and cleanups: cache hits", _cache_case),
        ("caches and cleanups: registering cleanups", _cleanup_case(running=False)),
        ("caches and cleanups: running cleanups", _cleanup_case(running=True)),
        ("identity against equality", _identity_case),
        ("constructing interned instances", _interned_case),
    ]
    for size in SCALES[:2] if quick else SCALES:
        cases.append((f"hit path among {size:,} entries", _scaling_case(size)))
    for name, title, values in _hostile_values():
        build = _hit_case(f"hostile-{name}", title, values.copy, [_STRONG_POOL])
        cases.append((f"hostile hashes: {name}", build))
    records = QUICK_RECORDS if quick else RECORDS
    cases.append(("deduplicating records", _records_case(records)))
    cases.append(("ingesting CSV rows", _ingest_case(records, "csv")))
    cases.append(("ingesting JSON Lines", _ingest_case(records, "jsonl")))
    return cases


def run(
    quick: bool = False, progress: Progress | None = None, text: TextIO | None = None
) -> BenchReport:
    """Run every case and report the results.

    ``progress`` shows ``[k/N]`` and the case being measured. With ``text``, the
    report is also written there as text while it is measured: the heading at once,
    then a blank line and each case's table as soon as the case is done, each
    flushed, so that a long run shows what it has and an interrupted one keeps it.
    """
    settings = QUICK if quick else FULL
    report = BenchReport(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        machine=platform.machine(),
        cpu=_cpu_model(),
        implementations=tuple(label for label, _ in implementations()),
        quick=quick,
        rounds=settings.rounds,
    )
    if text:
        _write(text, report.heading())
    cases = _cases(quick)
    try:
        for number, (label, build) in enumerate(cases, 1):
            if progress:
                progress.show(f"[{number}/{len(cases)}] measuring {label}")
            case = measure(build(), settings)
            report = replace(report, cases=(*report.cases, case))
            if text:
                if progress:
                    progress.clear()  # the terminal may show both streams on one line
                _write(text, ["", *case.as_text()])
            gc.collect()
    finally:
        if progress:
            progress.clear()
    return report


def _write(stream: TextIO, lines: list[str]) -> None:
    stream.write("".join(line + "\n" for line in lines))
    stream.flush()


def command(*, quick: bool, as_json: bool, svg: str | None, progress: Progress | None) -> None:
    """Run the bench for the command line, writing to standard output and to ``svg``.

    Standard output gets the tables as they are measured, or with ``as_json`` one
    JSON object at the end; ``svg`` names a file that gets the picture, or ``-``
    for standard output instead of the tables (not with ``as_json``). The file is
    opened before the run, as a shell's ``>`` would, so that one that cannot be
    written fails at once; it gets the picture once the run ends. Raise
    ``OutputError`` when it cannot be written.
    """
    picture = _open_picture(svg) if svg not in (None, "-") else None
    try:
        text = None if as_json or svg == "-" else sys.stdout
        report = run(quick, progress, text)
        if as_json:
            print(json.dumps(report.as_json()))
        if svg == "-":
            sys.stdout.write(render_svg(report))
        if picture:
            try:
                with picture:
                    picture.write(render_svg(report))
            except OSError as error:
                raise OutputError(f"{svg}: {error.strerror or error}") from None
    finally:
        if picture and not picture.closed:
            picture.close()  # interrupted: the file is left empty, as after a shell's >


def _open_picture(path: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise OutputError(f"{path}: {error.strerror or error}") from None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
