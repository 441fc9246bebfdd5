"""Reclamation: the table holds handles weakly and lets go of collected ones."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

import intern
from tests.helpers import Implementation, Variant, collect


def test_entry_goes_away_when_the_last_handle_is_dropped(interner: intern.Interner[Any]) -> None:
    handle = interner.make("GET")
    assert len(interner) == 1
    del handle
    assert len(interner) == 0
    assert interner.get("GET") is None
    assert interner.stats().reclaimed == 1


def test_value_is_released_with_its_last_handle(interner: intern.Interner[Any]) -> None:
    class Value:
        pass

    value = Value()
    value_ref = weakref.ref(value)
    handle = interner.make(value)
    del value, handle
    assert value_ref() is None


def test_a_later_make_creates_a_new_handle(interner: intern.Interner[Any]) -> None:
    first = interner.make("GET")
    first_ref = weakref.ref(first)
    del first
    second = interner.make("GET")
    assert first_ref() is None
    assert second.value == "GET"
    assert interner.stats() == intern.Stats(live=1, created=2, reclaimed=1, hits=0)


def test_any_handle_keeps_the_entry_alive(interner: intern.Interner[Any]) -> None:
    first = interner.make("GET")
    holders = [interner.make("".join("GET")) for _ in range(3)]
    del first
    assert interner.get("GET") is holders[0]
    assert len(interner) == 1


def test_handle_in_a_cycle_is_reclaimed_at_the_next_collection(
    interner: intern.Interner[Any],
) -> None:
    class Node:
        handle: intern.Handle[Any] | None = None

    node = Node()
    node.handle = interner.make(node)  # the value refers to its own handle
    handle_ref = weakref.ref(node.handle)
    del node
    assert handle_ref() is not None  # only a cycle keeps it
    gc.collect()
    assert handle_ref() is None
    assert len(interner) == 0
    assert interner.stats().reclaimed == 1


def test_late_callback_never_removes_a_newer_entry(interner: intern.Interner[Any]) -> None:
    # A weak reference made after the handle has its callback run first: it
    # re-interns the value while the table's own callback is still pending.
    newer: list[intern.Handle[Any]] = []
    first = interner.make("GET")
    witness = weakref.ref(first, lambda _: newer.append(interner.make("GET")))
    del first
    assert witness() is None
    assert len(newer) == 1
    assert interner.get("GET") is newer[0]
    assert interner.make("GET") is newer[0]
    assert interner.stats() == intern.Stats(live=1, created=2, reclaimed=1, hits=1)


def test_a_weakref_callback_of_the_collection_gets_a_valid_handle(
    interner: intern.Interner[Any], variant: Variant
) -> None:
    # A weak reference callback that the collector runs asks for the value of
    # a handle that the same collection found unreachable. Pure Python: the
    # collector has already cleared the table's weak reference, so the callback
    # gets a new handle, canonical from then on. C: it gets the unreachable
    # handle, which the collection then takes out of the table (tp_finalize
    # comes after weak reference callbacks): kept alive by the callback, it
    # stays valid but is no longer canonical, as documented.
    class Node:
        handle: intern.Handle[Any] | None = None
        handle_again: object = None

    newer: list[intern.Handle[Any]] = []
    node = Node()
    node.handle = interner.make(("node", 1))
    node.handle_again = node
    witness = weakref.ref(node.handle, lambda _: newer.append(interner.make(("node", 1))))
    del node
    collect()
    assert witness() is None
    [handle] = newer
    assert handle.value == ("node", 1)
    if variant.name == "python":
        assert interner.get(("node", 1)) is handle
        assert interner.stats() == intern.Stats(live=1, created=2, reclaimed=1, hits=0)
    else:  # the callback's make was a hit
        assert interner.get(("node", 1)) is None
        assert interner.make(("node", 1)) is not handle
        assert interner.stats() == intern.Stats(live=0, created=2, reclaimed=2, hits=1)


def test_cycles_are_reclaimed_round_after_round(interner: intern.Interner[Any]) -> None:
    class Node:
        handle: intern.Handle[Any] | None = None

    for round_number in range(50):
        node = Node()
        node.handle = interner.make(node)
        del node
        gc.collect()  # reclaims the previous round's cycle
        assert interner.make(round_number) is interner.make(round_number)
    collect()
    assert len(interner) == 0


def drop_deep_chain_with_finalizer(interner: intern.Interner[Any], depth: int) -> None:
    """Drop a handle at the bottom of a deep chain whose finalizer re-interns its value."""
    made: list[intern.Handle[Any]] = []

    class Trigger:
        def __del__(self) -> None:
            made.append(interner.make(("victim", depth)))

    handle = interner.make(("victim", depth))
    chain: object = handle
    for level in range(depth):
        chain = (Trigger() if level == 3 else None, chain)
    del handle, chain
    assert len(made) == 1
    assert made[0] is interner.make(("victim", depth))
    assert made[0].value == ("victim", depth)
    assert len(interner) == 1


@pytest.mark.parametrize("depths", [range(40, 60), range(9_900, 10_000, 2)], ids=["short", "long"])
def test_finalizer_in_a_deep_chain_never_revives_a_dying_handle(
    interner: intern.Interner[Any], depths: range
) -> None:
    # Deep chains of containers make CPython defer deallocations (its
    # "trashcan"): a handle may be dying, its refcount zero, while a finalizer
    # further up the chain runs and interns an equal value.
    for depth in depths:
        drop_deep_chain_with_finalizer(interner, depth)
        gc.collect()  # the Trigger class is a cycle that keeps its finalizer's list
        assert len(interner) == 0


def test_a_tuple_subclass_whose_instance_holds_its_handle_is_reclaimed(
    interner: intern.Interner[Any],
) -> None:
    # Its key in the table is an exact tuple of its elements, not the instance,
    # whose attributes may hold anything.
    class Tagged(tuple[int, int]):
        tag: tuple[intern.Handle[Tagged], Marker]

    class Marker:  # tuples cannot be weakly referenced: this tells when value is freed
        pass

    value, marker = Tagged((1, 2)), Marker()
    value.tag = (interner.make(value), marker)
    marker_ref = weakref.ref(marker)
    assert interner.make((1, 2)) is not value.tag[0]
    assert interner.make(Tagged((1, 2))) is value.tag[0]
    del value, marker
    collect()
    assert marker_ref() is None
    assert len(interner) == 0


def test_a_class_whose_attribute_holds_a_handle_of_its_instance_is_reclaimed(
    interner: intern.Interner[Any], variant: Variant, request: pytest.FixtureRequest
) -> None:
    if variant.name == "python":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="the pure-Python tables are found by type: a type with live"
                " handles is kept, and here its handle lives as long as it does",
            )
        )

    def make_class() -> weakref.ref[type]:
        class Point(NamedTuple):
            x: int
            y: int

        origin = interner.make(Point(0, 0))
        setattr(Point, "origin", origin)  # noqa: B010 -- a class attribute checkers cannot see
        assert interner.make(Point(0, 0)) is origin
        assert interner.make((0, 0)) is not origin
        return weakref.ref(Point)

    point_class = make_class()
    collect()
    assert point_class() is None
    assert len(interner) == 0


def test_a_tuple_subclass_that_hides_an_element_from_iteration_is_reclaimed(
    interner: intern.Interner[Any],
) -> None:
    class Holder:
        handle: intern.Handle[Any] | None = None

    class Hiding(tuple[object, ...]):
        __slots__ = ()

        def __iter__(self) -> Iterator[object]:
            return iter(())  # hides the Holder below

    holder = Holder()
    value = Hiding((1, holder))
    holder.handle = interner.make(value)
    holder_ref = weakref.ref(holder)
    del holder, value
    collect()
    assert holder_ref() is None
    assert len(interner) == 0


class Key:
    """Equal by key: a value that can hold its own handle."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.handle: intern.Handle[Any] | None = None

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and other.key == self.key


class Holder:
    late: object = None
    keeper: object = None


def test_make_while_the_collector_clears_garbage_never_gets_a_handle_it_clears(
    interner: intern.Interner[Any],
) -> None:
    # A finalizer run by the collector hangs a new object on another piece of
    # the garbage; when the collector clears that piece (its delete phase,
    # before it has cleared the handle), the new object's __del__ interns a
    # value equal to the garbage handle's. It must not get that handle, which
    # the collector is about to clear.
    made: list[intern.Handle[Any]] = []

    class Late:
        def __del__(self) -> None:
            made.append(interner.make(Key("k")))

    class Finalized:
        holder: Holder

        def __del__(self) -> None:
            self.holder.late = Late()

    def build() -> None:
        holder, finalized = Holder(), Finalized()  # made first: cleared first
        finalized.holder, holder.keeper = holder, finalized
        value = Key("k")
        value.handle = interner.make(value)
        value.keeper = finalized  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]

    collect()
    gc.disable()
    try:
        build()
        gc.collect()
    finally:
        gc.enable()
    assert len(made) == 1
    [handle] = made
    assert handle.value == Key("k")
    assert "cleared" not in repr(handle)
    assert interner.make(Key("k")) is handle
    assert interner.stats() == intern.Stats(live=1, created=2, reclaimed=1, hits=1)


def test_a_handle_a_finalizer_brings_back_to_life_is_valid_but_no_longer_canonical(
    interner: intern.Interner[Any],
) -> None:
    # The collector takes a handle in a garbage cycle out of the table before
    # finalizers run, for good, as it clears weak references: a handle a
    # finalizer revives stays valid, and make returns a new one for its value.
    revived: list[intern.Handle[Any]] = []

    class Reviving(Key):
        def __del__(self) -> None:
            if self.handle is not None:  # the value interned, not a probe
                revived.append(self.handle)

    def build() -> None:
        value = Reviving("k")
        value.handle = interner.make(value)

    build()
    collect()
    [handle] = revived
    assert handle.value == Key("k")
    assert "cleared" not in repr(handle)
    assert interner.make(Reviving("k")) is not handle
    assert interner.stats() == intern.Stats(live=0, created=2, reclaimed=2, hits=0)
    revived.clear()
    del handle
    collect()
    assert len(interner) == 0


def test_handle_type_offers_no_finalizer_to_call(impl: Implementation) -> None:
    # Only the collector may take a live handle out of its table.
    assert not hasattr(impl.make(("x",)), "__del__")
