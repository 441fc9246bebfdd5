"""The harness of ``python -m intern bench``: timers, interleaved best-of rounds, memory.

Each case times loops of the form ``for value in data: f(value)`` over the same
data for every contender. Machines are shared and noisy, and noise only ever adds
time, so the contenders take turns over several rounds (each round starting with
the next one) and each keeps its best time; ratios are taken within the run.
Turns are short and many, because a short turn is more likely to run
undisturbed. Memory per live entry is what ``tracemalloc`` traces while a fresh
table takes the values, less the list that holds the results; the values
themselves exist before tracing starts.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

from intern._report import CaseReport, Result

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


@dataclass(frozen=True)
class Contender:
    """One way of doing what a case does, ready to be timed."""

    name: str
    timer: Callable[[int], int]
    """Loops over the data so many times and returns the time it took, in nanoseconds."""
    operations: int
    """Operations in one pass over the data."""
    bytes_per_entry: float | None = None
    keep_alive: object = None
    """What the contender's table must keep to find hits (handles, for weak tables)."""


@dataclass(frozen=True)
class Case:
    """Contenders doing the same thing on the same data; ratios are to ``baseline``'s time."""

    name: str
    title: str
    baseline: str
    contenders: list[Contender]


def measure(case: Case, settings: Settings) -> CaseReport:
    """Time every contender of ``case`` in interleaved turns; keep each one's best."""
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


def _timed(contender: Contender, passes: int) -> int:
    """Run a contender's timer with the garbage collector off, as timeit does."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return contender.timer(passes)
    finally:
        if collecting:
            gc.enable()


def time_calls(function: Intern, data: list[Any], passes: int) -> int:
    """Time ``function(value)`` for each value of ``data``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            function(value)
    return perf_counter_ns() - start


def time_subscripts(mapping: Any, data: list[Any], passes: int) -> int:
    """Time ``mapping[value]`` for each value of ``data``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            mapping[value]
    return perf_counter_ns() - start


def time_registrations(
    register: Callable[[object, Callable[[object], object], object], object],
    count: int,
    passes: int,
) -> int:
    """Time ``register(obj, fn, arg)`` on ``count`` fresh objects, ``passes`` times over.

    Only the registrations are timed: making the objects, and dropping them (which
    runs what was registered), are not.
    """
    total = 0
    for _ in range(passes):
        objects = [_Watched() for _ in range(count)]
        start = perf_counter_ns()
        for obj in objects:
            register(obj, _cleanup_target, 0)
        total += perf_counter_ns() - start
        del objects
    return total


def time_collections(
    register: Callable[[object, Callable[[object], object], object], object],
    count: int,
    passes: int,
) -> int:
    """Time dropping ``count`` objects, each with ``register(obj, fn, arg)`` done on it.

    Only the drop is timed: each object's deallocation, and the call registered on it.
    """
    total = 0
    for _ in range(passes):
        objects = [_Watched() for _ in range(count)]
        for obj in objects:
            register(obj, _cleanup_target, 0)
        start = perf_counter_ns()
        objects.clear()
        total += perf_counter_ns() - start
    return total


class _Watched:
    """An object to register a cleanup on: weakly referenceable, freed by its last reference."""

    __slots__ = ("__weakref__",)


def _cleanup_target(arg: object) -> None:
    """Do nothing: the cleanup that is timed, so that the bookkeeping is what counts."""


def time_constructions(cls: Callable[..., object], data: list[Any], passes: int) -> int:
    """Time ``cls(x, y)`` for each pair ``(x, y)`` of ``data``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        for x, y in data:
            cls(x, y)
    return perf_counter_ns() - start


def time_identity(target: object, data: list[Any], passes: int) -> int:
    """Time ``value is target`` for each value of ``data``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            _ = value is target
    return perf_counter_ns() - start


def time_equality(target: object, data: list[Any], passes: int) -> int:
    """Time ``value == target`` for each value of ``data``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        for value in data:
            _ = value == target
    return perf_counter_ns() - start


def time_parse(parse: Callable[[list[str]], object], lines: list[str], passes: int) -> int:
    """Time ``parse(lines)``, ``passes`` times over."""
    start = perf_counter_ns()
    for _ in range(passes):
        parse(lines)
    return perf_counter_ns() - start


def bytes_per_entry(new_table: Callable[[], Intern], values: list[Any]) -> float:
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


def bytes_per_record(parse: Callable[[list[str]], object], lines: list[str]) -> float:
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
