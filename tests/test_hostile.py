"""User code inside make(): reentrancy, collections mid-lookup, changing hashes."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import intern
from tests.helpers import Variant, collect


class Reentrant:
    """Equal by name; its __eq__ interns other values into the same interner."""

    interner: intern.Interner[Any] | None = None
    made: list[intern.Handle[Any]]

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        return ord(self.name[0]) % 3  # few hashes, so that lookups compare

    def __eq__(self, other: object) -> bool:
        assert Reentrant.interner is not None
        Reentrant.made.append(Reentrant.interner.make(("from __eq__", self.name)))
        if not isinstance(other, Reentrant):
            return False
        if "!" not in self.name + other.name:  # nest once, not forever
            Reentrant.made.append(Reentrant.interner.make(Reentrant(self.name + "!")))
        return other.name == self.name


def test_eq_that_calls_make_neither_deadlocks_nor_duplicates(
    interner: intern.Interner[Any],
) -> None:
    Reentrant.interner, Reentrant.made = interner, []
    handles = {name: interner.make(Reentrant(name)) for name in "abcdefgh"}
    for _ in range(3):
        for name, handle in handles.items():
            assert interner.make(Reentrant(name)) is handle
            assert interner.get(Reentrant(name)) is handle
    assert Reentrant.made  # __eq__ did run, and did intern
    for made in Reentrant.made:
        assert interner.make(made.value) is made
    assert len(interner) == len({id(handle) for handle in [*handles.values(), *Reentrant.made]})


@dataclass(eq=False)
class Collecting:
    """Equal by key; hashing or comparing runs a full garbage collection."""

    key: int

    def __hash__(self) -> int:
        gc.collect()
        return self.key % 4

    def __eq__(self, other: object) -> bool:
        gc.collect()
        return isinstance(other, Collecting) and other.key == self.key


class Node:
    handle: intern.Handle[Any] | None = None


def test_collection_during_hash_and_eq_fires_callbacks_mid_lookup(
    interner: intern.Interner[Any],
) -> None:
    keep = [interner.make(Collecting(key)) for key in range(8)]
    for round_number in range(20):
        node = Node()
        node.handle = interner.make(node)  # garbage once node is dropped: a pending callback
        del node
        probe = Collecting(round_number % 8)
        assert interner.make(probe) is keep[round_number % 8]
        assert interner.get(Collecting(round_number % 8 + 100)) is None
    collect()
    assert len(interner) == 8
    assert interner.stats().reclaimed == 20


def test_eq_that_drops_the_last_reference_to_another_handle(
    interner: intern.Interner[Any],
) -> None:
    victims = [interner.make(f"victim {number}") for number in range(10)]

    class Dropper:
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            if victims:
                victims.pop()
            return self is other

    first = interner.make(Dropper())
    for _ in range(10):
        assert interner.make(Dropper()) is not first
    assert not victims
    assert all(interner.get(f"victim {number}") is None for number in range(10))
    assert len(interner) == 1  # only first: the victims and the new Droppers are gone
    assert interner.stats().reclaimed == 20


class DeleterTarget:
    """Non-plain value; hashing it runs a collection on the call given by ``collect_on``."""

    calls = 0
    collect_on = 0

    def __init__(self, key: int) -> None:
        self.key = key

    def __hash__(self) -> int:
        DeleterTarget.calls += 1
        if DeleterTarget.calls == DeleterTarget.collect_on:
            gc.collect()
        return self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeleterTarget) and other.key == self.key


@pytest.mark.parametrize("collect_on", range(1, 6))
def test_make_from_a_finalizer_during_insertion_never_duplicates(
    interner: intern.Interner[Any], collect_on: int
) -> None:
    # A finalizer that runs during the insertion interns an equal value: the
    # insertion must notice and return that handle rather than store a second.
    nested: list[intern.Handle[Any]] = []

    class Finalized:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            nested.append(interner.make(DeleterTarget(7)))

    DeleterTarget.calls, DeleterTarget.collect_on = 0, collect_on
    Finalized()  # garbage, in a cycle: only a collection finalizes it
    outer = interner.make(DeleterTarget(7))
    collect()
    assert interner.make(DeleterTarget(7)) is outer
    assert all(handle is outer for handle in nested)
    assert len(interner) == 1


class Mutable:
    """Hashable and mutable: the caller's risk, but the table must stay sound."""

    def __init__(self, key: int) -> None:
        self.key = key

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mutable) and other.key == self.key


def test_changing_hash_after_interning_keeps_the_table_sound(
    interner: intern.Interner[Any],
) -> None:
    values = [Mutable(key) for key in range(50)]
    handles = [interner.make(value) for value in values]
    for value in values:
        value.key += 1000  # every stored hash is now stale
    for key in range(50):
        assert interner.make(Mutable(key + 1000)).value == Mutable(key + 1000)
        assert type(interner.make(Mutable(key + 1000)).value) is Mutable
        assert interner.get(Mutable(key)) is None
    assert len(interner) == interner.stats().live == 50  # the re-made handles were dropped
    del handles
    collect()
    assert len(interner) == 0
    assert interner.stats().created == interner.stats().reclaimed


def test_flaky_hash_never_corrupts_counts(interner: intern.Interner[Any]) -> None:
    class Flaky:
        calls = 0

        def __hash__(self) -> int:
            Flaky.calls += 1
            if Flaky.calls % 3 == 0:
                raise ValueError("flaky")
            return 5

    kept: list[intern.Handle[Any]] = []
    for _ in range(60):
        with contextlib.suppress(ValueError):
            kept.append(interner.make(Flaky()))
    assert len(interner) == len(kept) == len({id(handle) for handle in kept})
    del kept
    assert len(interner) == 0


class OnceFailing:
    """Equal to its kind; its __hash__ or __eq__ raises ``error`` once, when armed."""

    failing_hash: BaseException | None = None
    failing_eq: BaseException | None = None
    hash_calls = 0

    def __hash__(self) -> int:
        OnceFailing.hash_calls += 1
        error, OnceFailing.failing_hash = OnceFailing.failing_hash, None
        if error is not None:
            raise error
        return 1

    def __eq__(self, other: object) -> bool:
        error, OnceFailing.failing_eq = OnceFailing.failing_eq, None
        if error is not None:
            raise error
        return isinstance(other, OnceFailing)


ONCE_FAILING_ERRORS = [KeyError("from __hash__"), TypeError("from __hash__"), ValueError("x")]


@pytest.mark.parametrize("error", ONCE_FAILING_ERRORS, ids=lambda error: type(error).__name__)
@pytest.mark.parametrize("where", ["__hash__", "__eq__"])
@pytest.mark.parametrize("operation", ["make", "get", "in"])
def test_an_error_raised_once_by_hash_or_eq_propagates_as_it_is(
    interner: intern.Interner[Any], variant: Variant, error: Exception, where: str, operation: str
) -> None:
    # A KeyError or TypeError of the value's own must not pass for a miss, even
    # when a second try would succeed; the table stays as it was.
    kept = interner.make(OnceFailing())
    before = interner.stats()
    lookups: dict[str, Callable[[object], object]] = {
        "make": interner.make,
        "get": interner.get,
        "in": lambda value: value in interner,
    }
    if where == "__hash__":
        OnceFailing.failing_hash = error
    else:
        OnceFailing.failing_eq = error
    with pytest.raises(type(error)) as raised:
        lookups[operation](OnceFailing())
    # Tables hash such values themselves: no dict stands in between to replace
    # a TypeError with its own (as dicts do since 3.14).
    assert raised.value is error
    assert interner.stats() == before
    assert interner.make(OnceFailing()) is kept


def test_a_type_error_from_hash_is_neither_retried_nor_rewritten(
    interner: intern.Interner[Any], variant: Variant
) -> None:
    interner.make(("a tuple table",))  # the value below is looked up in it
    error = TypeError("from __hash__")
    OnceFailing.failing_hash = error
    OnceFailing.hash_calls = 0
    with pytest.raises(TypeError) as raised:
        interner.make((OnceFailing(),))
    if dict_replaces(variant):
        # The dict's own error, since hashing once more (to raise the value's
        # own error again) succeeded.
        assert str(raised.value) == f"cannot use 'tuple' as a dict key ({error})"
        assert OnceFailing.hash_calls == 2
    else:
        assert raised.value is error
        assert OnceFailing.hash_calls == 1


def dict_replaces(variant: Variant) -> bool:
    """Say whether the pure-Python tables (dicts) replace a TypeError raised by
    a key's ``__hash__`` with their own, as CPython does since 3.14."""
    return variant.name == "python" and sys.version_info >= (3, 14)
