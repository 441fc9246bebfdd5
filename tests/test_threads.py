"""Threads: equal values made concurrently always meet at one handle."""

from __future__ import annotations

import gc
import random
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

import pytest

import intern
from tests.helpers import collect

THREADS = 8


@pytest.fixture(autouse=True)
def tiny_switch_interval() -> Iterator[None]:
    """Switch threads as often as CPython allows, to shake out races."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@dataclass(frozen=True)
class Record:
    """A value that is not plain: its table entry is a weak-reference entry."""

    name: str
    number: int


class Node:
    """A value that refers to its own handle, so that only a collection frees it."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.handle: intern.Handle[Any] | None = None

    def __hash__(self) -> int:
        return self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.key == self.key


def run_threads(count: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class Collector:
    """A thread that collects garbage in a loop until stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        rounds = 0
        while not self.stop.is_set():
            rounds += 1
            gc.collect(2 if rounds % 100 == 0 else 0)  # the young generation holds new cycles

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()


def fresh_value(kind: int, key: int) -> Any:
    """A new object equal to every other ``fresh_value(kind, key)``."""
    if kind == 0:
        return "".join(["value-", str(key)])
    if kind == 1:
        return (str(key), key, float(key))
    if kind == 2:
        return Record(str(key), key)
    return Node(key)


def test_concurrent_makes_of_equal_values_get_one_handle(
    interner: intern.Interner[Any],
) -> None:
    rounds = 80
    results: list[list[intern.Handle[Any] | None]] = [[None] * THREADS for _ in range(rounds)]
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        for round_number in range(rounds):
            kind, key = round_number % 4, round_number // 4
            barrier.wait()
            value = fresh_value(kind, key)
            handle = interner.make(value)
            if kind == 3:
                value.handle = handle  # a cycle: reclaimed only by the collector
            results[round_number][index] = handle  # kept alive until the end

    with Collector():
        run_threads(THREADS, worker)
    for round_number, handles in enumerate(results):
        first = handles[0]
        assert first is not None
        assert all(handle is first for handle in handles), round_number


def test_concurrent_churn_leaves_a_sound_table(interner: intern.Interner[Any]) -> None:
    def worker(index: int) -> None:
        rng = random.Random(index)
        held: dict[tuple[int, int], intern.Handle[Any]] = {}
        for _ in range(600):
            kind, key = rng.randrange(4), rng.randrange(40)
            value = fresh_value(kind, key)
            handle = interner.make(value)
            assert handle is not None
            assert type(handle.value) is type(value)
            assert handle.value == value
            if kind == 3 and handle.value is value:
                value.handle = handle
            previous = held.get((kind, key))
            if previous is not None:
                assert previous is handle  # held handles stay canonical
            if rng.random() < 0.5:
                held[(kind, key)] = handle
            else:
                held.pop((kind, key), None)
            found = interner.get(value)
            assert found is handle
        held.clear()

    with Collector():
        run_threads(THREADS, worker)
    collect()
    stats = interner.stats()
    assert stats.live == len(interner) == 0
    assert stats.created == stats.reclaimed > 0


def test_hits_stay_exact_when_threads_make_the_same_few_values(
    interner: intern.Interner[Any],
) -> None:
    # Each make is a hit or creates a handle, however threads interleave: made
    # and dropped, the values keep being created again while others hit them.
    rounds = 1500

    def worker(index: int) -> None:
        held: intern.Handle[Any] | None = None
        for round_number in range(rounds):
            kind, key = (0, 0, 1, 2)[round_number % 4], (round_number + index) % 4  # str most
            handle = interner.make(fresh_value(kind, key))
            if round_number % 7 == 0:
                held = handle  # kept a while: others hit it
        assert held is not None

    with Collector():
        run_threads(THREADS, worker)
    collect()
    stats = interner.stats()
    assert stats.hits == THREADS * rounds - stats.created
    assert stats.hits > 0
    assert stats.created == stats.reclaimed > 12  # values were made again


def test_threads_dropping_handles_while_others_make_never_see_a_dead_entry(
    interner: intern.Interner[Any],
) -> None:
    stop = threading.Event()

    def dropper(_: int) -> None:
        while not stop.is_set():
            for key in range(20):
                interner.make(("drop", key))  # made and dropped at once

    def maker(_: int) -> None:
        for _ in range(300):
            for key in range(20):
                handle = interner.make(("drop", key))
                assert handle.value == ("drop", key)
                assert interner.make(("drop", key)) is handle

    droppers = threading.Thread(target=run_threads, args=(2, dropper))
    droppers.start()
    try:
        run_threads(THREADS - 2, maker)
    finally:
        stop.set()
        droppers.join()
    assert len(interner) == 0
