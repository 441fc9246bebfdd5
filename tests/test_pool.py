"""Pool: a scoped, strong holder of canonical values."""

from __future__ import annotations

from typing import Any

import pytest

import intern
from intern import Pool
from tests.helpers import Implementation, call_in_threads


def fresh(text: str) -> str:
    return "".join(list(text))


def test_value_returns_one_object_for_equal_values(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)
    first = pool.value(fresh("GET"))
    assert pool.value(fresh("GET")) is first
    assert pool.value(fresh("PUT")) is not first
    assert len(pool) == 2


def test_the_pool_keeps_values_canonical(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)
    value = pool.value(fresh("kept by the pool"))
    assert interner.make(fresh("kept by the pool")).value is value
    handle = pool.make(fresh("a handle"))
    assert interner.get(fresh("a handle")) is handle
    assert len(pool) == 2


def test_rows_keep_their_values_after_the_pool_is_closed(interner: intern.Interner[Any]) -> None:
    rows = [["GET", "/", "200"], ["GET", "/about", "200"], ["POST", "/", "302"]]
    parsed = [[fresh(field) for field in row] for row in rows]
    with Pool(interner) as pool:
        records = [tuple(pool.value(field) for field in row) for row in parsed]
        assert len(pool) == 6
    assert len(pool) == 0
    assert len(interner) == 0  # the pool let go; the values live on in the rows
    assert records[0][0] is records[1][0]
    assert records[0][2] is records[1][2]
    assert records == [tuple(row) for row in rows]


def test_leaving_the_block_by_an_exception_clears_too(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)

    def use_and_fail() -> None:
        with pool:
            pool.value(fresh("x"))
            raise LookupError

    with pytest.raises(LookupError):
        use_and_fail()
    assert len(pool) == 0
    assert len(interner) == 0


def test_clear_lets_the_handles_go(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)
    for number in range(100):
        pool.value(("row", number))
    assert len(interner) == 100
    pool.clear()
    assert len(interner) == 0
    assert len(pool) == 0
    pool.value("usable after clear")
    assert len(pool) == 1


def test_value_deep_makes_every_part_canonical(interner: intern.Interner[Any]) -> None:
    with Pool(interner) as pool:
        first = pool.value_deep((fresh("GET"), (fresh("agent"), fresh("os"))))
        second = pool.value_deep((fresh("PUT"), (fresh("agent"), fresh("os"))))
        assert first[1] is second[1]
        assert pool.value(fresh("agent")) is first[1][0]


def test_pool_uses_the_default_interner_unless_given_one(impl: Implementation) -> None:
    pool = Pool()
    value = pool.value(fresh("default pool value"))
    assert intern.make(fresh("default pool value")).value is value
    own = Pool(impl.Interner())
    assert own.value(fresh("default pool value")) is not value


def test_unhashable_values_are_refused(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)
    with pytest.raises(TypeError, match="hashable"):
        pool.value([1])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match=r"value\[0\]"):
        pool.value_deep(([1],))
    assert len(pool) == 0


def test_threads_sharing_a_pool_get_one_object_per_value(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)

    def work(index: int) -> list[str]:
        return [pool.value(fresh(f"field-{number % 50}")) for number in range(2000)]

    outcomes = call_in_threads(8, work)
    results = [outcome for outcome in outcomes if isinstance(outcome, list)]
    assert len(results) == 8
    assert all(all(a is b for a, b in zip(result, results[0], strict=True)) for result in results)
    assert len(pool) == 50


def test_repr_says_how_many_handles_it_holds(interner: intern.Interner[Any]) -> None:
    pool = Pool(interner)
    pool.value("a")
    assert repr(pool) == "<Pool holding 1 handles>"
