"""Interner: independent tables with get, membership, len and stats."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, collect


def test_interners_are_independent(impl: Implementation) -> None:
    first, second = impl.Interner(), impl.Interner()
    assert first.make("GET") is not second.make("GET")
    assert first.make("GET") is first.make("GET")


def test_interner_cannot_be_subclassed(impl: Implementation) -> None:
    with pytest.raises(TypeError, match="Interner is final and cannot be subclassed"):
        type("MyInterner", (impl.Interner,), {})


def test_interner_subclass_sneaked_past_init_subclass_cannot_be_instantiated(
    impl: Implementation,
) -> None:
    class Careless:
        def __init_subclass__(cls) -> None:  # does not call super()
            pass

    sneaked: Any = type("Sneaked", (Careless, impl.Interner), {})
    with pytest.raises(TypeError, match="Interner is final"):
        sneaked()


def test_interner_takes_no_arguments(impl: Implementation) -> None:
    with pytest.raises(TypeError):
        impl.Interner(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def test_interners_can_be_weakly_referenced(impl: Implementation) -> None:
    interner = impl.Interner()
    ref = weakref.ref(interner)
    assert ref() is interner
    del interner
    collect()
    assert ref() is None


def test_interner_outlives_its_last_reference_while_its_handles_live(
    impl: Implementation,
) -> None:
    interner = impl.Interner()
    handle = interner.make(("kept", "alive"))
    del interner
    collect()
    assert handle.value == ("kept", "alive")


def test_interner_is_generic_at_run_time() -> None:
    methods = intern.Interner[str]()
    assert isinstance(methods, intern.Interner)
    assert methods.make("GET").value == "GET"


def test_get_returns_the_live_handle(interner: intern.Interner[Any]) -> None:
    handle = interner.make("GET")
    assert interner.get("".join(["G", "ET"])) is handle


def test_get_returns_none_and_inserts_nothing_for_an_unknown_value(
    interner: intern.Interner[Any],
) -> None:
    assert interner.get("GET") is None
    assert interner.get(12) is None
    assert len(interner) == 0
    assert interner.stats().created == 0


def test_get_does_not_confuse_types(interner: intern.Interner[Any]) -> None:
    handle = interner.make(1)
    assert interner.get(1.0) is None
    assert interner.get(True) is None
    assert interner.get(1) is handle


def test_get_of_an_unhashable_value_raises_type_error(interner: intern.Interner[Any]) -> None:
    with pytest.raises(TypeError, match="needs a hashable value"):
        interner.get([1])
    interner.make((1,))
    with pytest.raises(TypeError, match=r"'list' at \[0\]"):
        interner.get(([1],))


@pytest.mark.parametrize("operation", ["get", "in"])
def test_an_unhashable_value_of_a_type_never_seen_raises_on_lookup(
    interner: intern.Interner[Any], operation: str
) -> None:
    # No table for tuples exists yet: the lookup must still hash, and explain.
    lookups: dict[str, Callable[[object], object]] = {
        "get": interner.get,
        "in": lambda value: value in interner,
    }
    with pytest.raises(
        TypeError, match=r"'tuple' has an element of unhashable type 'list' at \[1\]"
    ):
        lookups[operation]((1, [2]))
    with pytest.raises(TypeError, match="not unhashable type 'set'"):
        lookups[operation]({3})
    assert interner.stats() == intern.Stats(live=0, created=0, reclaimed=0)


def test_membership_says_whether_a_live_handle_exists(interner: intern.Interner[Any]) -> None:
    handle = interner.make("GET")
    assert "GET" in interner
    assert "PUT" not in interner
    assert 1 not in interner
    del handle
    assert "GET" not in interner


def test_membership_of_an_unhashable_value_raises_type_error(
    interner: intern.Interner[Any],
) -> None:
    with pytest.raises(TypeError, match="needs a hashable value"):
        _ = [1] in interner


def test_len_counts_live_handles(interner: intern.Interner[Any]) -> None:
    handles = [interner.make(number) for number in range(10)]
    assert len(interner) == 10
    interner.make(3)
    assert len(interner) == 10
    del handles[:5]
    assert len(interner) == 5


def test_stats_counts_created_and_reclaimed(interner: intern.Interner[Any]) -> None:
    assert interner.stats() == intern.Stats(live=0, created=0, reclaimed=0)
    keep = interner.make("keep")
    interner.make("drop")  # dropped at once
    interner.make("keep")
    stats = interner.stats()
    assert stats == intern.Stats(live=1, created=2, reclaimed=1)
    assert stats.live == stats.created - stats.reclaimed == len(interner)
    assert keep.value == "keep"


def test_stats_is_an_immutable_record(interner: intern.Interner[Any]) -> None:
    stats = interner.stats()
    assert isinstance(stats, intern.Stats)
    with pytest.raises(AttributeError):
        stats.live = 3  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    assert stats._asdict() == {"live": 0, "created": 0, "reclaimed": 0}


def test_repr_shows_the_counters(interner: intern.Interner[Any]) -> None:
    keep = interner.make("x")
    assert repr(interner) == "<Interner live=1 created=1 reclaimed=0>"
    assert keep.value == "x"


def test_public_stats_are_the_default_interners() -> None:
    assert intern.stats() == intern.default.stats()
    before = intern.stats()
    keep = intern.make(("test_public_stats", object()))
    after = intern.stats()
    assert after.created == before.created + 1
    assert after.live == before.live + 1
    assert keep.value[0] == "test_public_stats"


def test_interner_holds_values_of_every_hashable_kind(interner: intern.Interner[Any]) -> None:
    @dataclasses.dataclass(frozen=True)
    class Record:
        name: str
        size: int

    values: list[object] = [
        "text", b"bytes", 1, 2.5, 3j, True, None, (1, "a"), frozenset({1, 2}),
        Record("a", 1), range(3), Ellipsis, int, slice(1, 2) if hash_slices() else 0,
    ]  # fmt: skip
    handles = [interner.make(value) for value in values]
    assert [handle.value for handle in handles] == values
    assert all(
        interner.make(value) is handle for value, handle in zip(values, handles, strict=True)
    )


def hash_slices() -> bool:
    try:
        hash(slice(1, 2))
    except TypeError:
        return False  # slices became hashable in 3.12
    return True
