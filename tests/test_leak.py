"""No leaks: the table and traced memory return to baseline after many rounds."""

from __future__ import annotations

import contextlib
import itertools
import sys
import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, collect


@dataclass(frozen=True)
class Record:
    name: str
    number: int


class Node:
    def __init__(self, key: int) -> None:
        self.key = key
        self.handle: intern.Handle[Any] | None = None


class RaisingEq:
    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        raise ValueError("no")


def one_round(interner: intern.Interner[Any], number: int) -> None:
    interner.make(f"text {number}")
    interner.make((number, "tuple", float(number)))
    interner.make(Record("record", number))
    node = Node(number)
    node.handle = interner.make(node)
    held = interner.make(f"held {number % 10}")
    assert interner.get(f"held {number % 10}") is held
    with pytest.raises(TypeError):
        interner.make([number])
    with pytest.raises(ValueError, match="no"):
        interner.make(RaisingEq())


def test_many_rounds_return_to_baseline(interner: intern.Interner[Any]) -> None:
    # In the manner of CPython's -R leak hunting: after a warm-up, repeated batches
    # must not grow traced memory; a leak of one small object per round would add
    # tens of kilobytes per batch.
    keep = interner.make(RaisingEq())  # so that later RaisingEq lookups compare and raise
    rounds = iter(range(10**9))
    for number in itertools.islice(rounds, 500):  # warm-up: caches, tables, dict sizes
        one_round(interner, number)
    collect()
    tracemalloc.start()
    try:
        sizes: list[int] = []
        for _ in range(4):
            for number in itertools.islice(rounds, 1500):
                one_round(interner, number)
            collect()
            sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    growth = [later - earlier for earlier, later in itertools.pairwise(sizes)]
    assert all(grown < 8 * 1024 for grown in growth), f"traced memory grew by {growth} bytes"
    assert len(interner) == 1
    stats = interner.stats()
    assert stats.created - stats.reclaimed == 1
    assert keep.value is not None


class CollidingRaiser:
    """Hashes like every other instance; comparing raises."""

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        raise LookupError("compare")


def test_a_million_make_drop_rounds_leave_nothing_behind(impl: Implementation) -> None:
    # Every pymalloc block made in a round must be freed: a leak of one object
    # a round would show as a million blocks.
    rounds = 1_000_000
    interner = impl.Interner()
    keep = interner.make(CollidingRaiser())
    make, get = interner.make, interner.get
    for number in range(1000):  # warm up
        make(number + 0.5)
    collect()
    blocks = sys.getallocatedblocks()
    for number in range(rounds):
        make(number)  # made and dropped: reclaimed at once
        if number % 100 == 0:
            make(("tuple", number))
            get(number)
            with contextlib.suppress(TypeError):
                make([number])
            with contextlib.suppress(LookupError):
                make(CollidingRaiser())
    collect()
    assert sys.getallocatedblocks() - blocks < 100
    assert len(interner) == 1
    assert interner.stats().reclaimed == interner.stats().created - 1 >= rounds
    assert keep.value is not None
