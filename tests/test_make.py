"""make(): one canonical handle per type and equal value."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import pytest

import intern
from tests.helpers import Implementation, collect


def fresh(text: str) -> str:
    """Return a new str object equal to ``text`` (never the interned literal)."""
    return "".join(list(text))


def test_make_returns_same_handle_for_equal_values(interner: intern.Interner[Any]) -> None:
    first = fresh("GET")
    second = fresh("GET")
    assert first is not second
    assert interner.make(first) is interner.make(second)


def test_make_returns_different_handles_for_different_values(
    interner: intern.Interner[Any],
) -> None:
    assert interner.make("GET") is not interner.make("PUT")


def test_value_is_the_first_object_interned(interner: intern.Interner[Any]) -> None:
    first = fresh("GET")
    handle = interner.make(first)
    assert interner.make(fresh("GET")).value is first
    assert handle.value is first


def test_make_keeps_no_reference_to_a_probe_that_hits(interner: intern.Interner[Any]) -> None:
    @dataclass(frozen=True)
    class Key:
        name: str

    handle = interner.make(Key("a"))
    probe = Key("a")
    probe_ref = weakref.ref(probe)
    assert interner.make(probe) is handle
    del probe
    assert probe_ref() is None


EQUAL_BUT_OF_DIFFERENT_TYPES: list[tuple[object, object]] = [
    (1, 1.0),
    (1, True),
    (1.0, True),
    (0, False),
    (1, Fraction(1)),
    (1, 1 + 0j),
]


@pytest.mark.parametrize(("left", "right"), EQUAL_BUT_OF_DIFFERENT_TYPES, ids=repr)
def test_equal_values_of_different_types_get_different_handles(
    interner: intern.Interner[Any], left: object, right: object
) -> None:
    assert interner.make(left) is not interner.make(right)
    assert type(interner.make(left).value) is type(left)
    assert type(interner.make(right).value) is type(right)


def test_str_subclass_never_shares_with_str(interner: intern.Interner[Any]) -> None:
    class Name(str):
        __slots__ = ()

    plain = interner.make("ada")
    named = interner.make(Name("ada"))
    assert plain is not named
    assert type(named.value) is Name
    assert interner.make(Name("ada")) is named


def test_named_tuple_never_shares_with_tuple(interner: intern.Interner[Any]) -> None:
    class Point(NamedTuple):
        x: int
        y: int

    assert interner.make(Point(1, 2)) is not interner.make((1, 2))
    assert interner.make(Point(1, 2)) is interner.make(Point(1, 2))


def test_below_the_top_level_ordinary_equality_applies(interner: intern.Interner[Any]) -> None:
    assert interner.make((1, 2)) is interner.make((1.0, 2))
    assert interner.make(frozenset({1})) is interner.make(frozenset({True}))


def test_zero_and_negative_zero_share_one_handle(interner: intern.Interner[Any]) -> None:
    assert interner.make(0.0) is interner.make(-0.0)


def test_same_nan_object_finds_its_handle(interner: intern.Interner[Any]) -> None:
    nan = float("nan")
    assert interner.make(nan) is interner.make(nan)


def test_different_nan_objects_get_their_own_handles(interner: intern.Interner[Any]) -> None:
    first, second = float("nan"), float("nan")
    assert interner.make(first) is not interner.make(second)
    assert math.isnan(interner.make(second).value)


def test_unhashable_value_raises_type_error_naming_the_type(
    interner: intern.Interner[Any],
) -> None:
    message = r"^intern\.make needs a hashable value, not unhashable type"
    with pytest.raises(TypeError, match=rf"{message} 'list'$"):
        interner.make([1, 2])
    with pytest.raises(TypeError, match=rf"{message} 'dict'$"):
        interner.make({})


def test_unhashable_element_of_a_tuple_is_named_with_its_path(
    interner: intern.Interner[Any],
) -> None:
    with pytest.raises(TypeError, match=r"hashable value: 'tuple' .* 'set' at \[1\]\[0\]") as info:
        interner.make((1, ({2},)))
    assert isinstance(info.value.__cause__, TypeError)
    assert len(interner) == 0


def test_unhashable_value_of_a_type_never_seen_raises(interner: intern.Interner[Any]) -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

    with pytest.raises(TypeError, match="'Unhashable'"):
        interner.make(Unhashable())


def test_type_error_from_a_value_hash_propagates_unchanged(
    interner: intern.Interner[Any],
) -> None:
    error = TypeError("my own hash failed")

    class Broken:
        def __hash__(self) -> int:
            raise error

    with pytest.raises(TypeError) as info:
        interner.make(Broken())
    assert info.value is error


@pytest.mark.parametrize("exception", [ValueError, KeyError, TypeError, RuntimeError])
def test_exception_from_hash_leaves_the_table_as_it_was(
    interner: intern.Interner[Any], exception: type[Exception]
) -> None:
    class Fragile:
        fail = False

        def __hash__(self) -> int:
            if Fragile.fail:
                raise exception("hash")
            return 1

    keep = interner.make(Fragile())
    before = interner.stats()
    Fragile.fail = True
    with pytest.raises(exception, match="hash"):
        interner.make(Fragile())
    assert interner.stats() == before
    Fragile.fail = False
    assert interner.make(keep.value) is keep


@pytest.mark.parametrize("exception", [ValueError, KeyError, TypeError])
def test_exception_from_eq_propagates_and_leaves_the_table_as_it_was(
    interner: intern.Interner[Any], exception: type[Exception]
) -> None:
    class Touchy:
        fail = False

        def __hash__(self) -> int:
            return 7

        def __eq__(self, other: object) -> bool:
            if Touchy.fail:
                raise exception("eq")
            return self is other

    first = interner.make(Touchy())
    before = interner.stats()
    Touchy.fail = True
    with pytest.raises(exception, match="eq"):
        interner.make(Touchy())
    with pytest.raises(exception, match="eq"):
        interner.get(Touchy())
    assert interner.stats() == before
    Touchy.fail = False
    assert interner.make(first.value) is first


def test_values_with_one_equal_hash_stay_distinct(interner: intern.Interner[Any]) -> None:
    @dataclass(frozen=True)
    class Colliding:
        number: int

        def __hash__(self) -> int:
            return 42

    handles = [interner.make(Colliding(number)) for number in range(200)]
    assert len({id(handle) for handle in handles}) == 200
    assert all(interner.make(Colliding(n)) is handles[n] for n in range(200))


def test_metaclass_that_redefines_equality_is_refused(interner: intern.Interner[Any]) -> None:
    class Meta(type):
        def __eq__(cls, other: object) -> bool:
            return True

        def __hash__(cls) -> int:
            return 0

    class Odd(metaclass=Meta):
        pass

    with pytest.raises(TypeError, match="metaclass 'Meta' redefines __eq__ or __hash__"):
        interner.make(Odd())


def test_metaclass_that_redefines_only_one_of_eq_and_hash_is_refused(
    interner: intern.Interner[Any],
) -> None:
    class EqOnly(type):
        def __eq__(cls, other: object) -> bool:
            return cls is other

        __hash__ = type.__hash__

    class HashOnly(type):
        def __hash__(cls) -> int:
            return 0

    for meta in (EqOnly, HashOnly):
        odd = meta("Odd", (), {})
        with pytest.raises(TypeError, match=f"metaclass {meta.__name__!r} redefines"):
            interner.make(odd())


def test_metaclass_equal_to_an_interned_type_borrows_nothing(
    interner: intern.Interner[Any],
) -> None:
    # A type that claims to be str (same hash, equal to everything) must neither
    # find str's handles nor be interned.
    class Impostor(type):
        def __eq__(cls, other: object) -> bool:
            return True

        def __hash__(cls) -> int:
            return hash(str)

    class Text(str, metaclass=Impostor):
        pass

    handle = interner.make(fresh("GET"))
    with pytest.raises(TypeError, match="metaclass 'Impostor' redefines __eq__ or __hash__"):
        interner.make(Text("GET"))
    assert interner.get(Text("GET")) is None
    assert Text("GET") not in interner
    assert interner.make(fresh("GET")) is handle
    assert len(interner) == 1


def test_metaclass_that_only_orders_types_is_accepted(interner: intern.Interner[Any]) -> None:
    class Ordered(type):
        def __lt__(cls, other: type) -> bool:
            return cls.__name__ < other.__name__

    class Plain(metaclass=Ordered):
        pass

    value = Plain()
    assert interner.make(value) is interner.make(value)


def test_many_types_of_values_come_and_go(interner: intern.Interner[Any]) -> None:
    # Classes made at run time must not keep their (empty) tables forever.
    def intern_an_instance_of_a_new_class(number: int) -> weakref.ref[type]:
        kind = type(f"Kind{number}", (), {})
        handle = interner.make(kind())
        assert interner.make(handle.value) is handle
        return weakref.ref(kind)

    kind_refs = [intern_an_instance_of_a_new_class(number) for number in range(500)]
    for index in range(300):
        interner.make(type(f"Late{index}", (), {})())
    collect()
    assert sum(ref() is not None for ref in kind_refs) == 0


def test_default_make_is_the_default_interners_make(impl: Implementation) -> None:
    value = fresh("default-make")
    handle = impl.make(value)
    assert impl.default.get(fresh("default-make")) is handle
    assert impl.default.make(fresh("default-make")) is handle


def test_public_make_is_the_default_interners_make() -> None:
    handle = intern.make(fresh("public-make"))
    assert intern.default.make(fresh("public-make")) is handle
    assert intern.make.__name__ == "make"
    assert intern.make.__module__ == "intern"
    assert "canonical handle" in (intern.make.__doc__ or "")


class LikeTwo:
    """Equal to 2 and hashing like it: a tuple holding it equals one holding 2."""

    def __hash__(self) -> int:
        return hash(2)

    def __eq__(self, other: object) -> bool:
        return other == 2 or isinstance(other, LikeTwo)


@pytest.mark.parametrize("plain_first", [True, False], ids=["plain-first", "plain-second"])
def test_a_tuple_of_user_objects_shares_the_handle_of_an_equal_plain_tuple(
    interner: intern.Interner[Any], plain_first: bool
) -> None:
    # Tuples of str and int are stored apart from tuples holding objects of a
    # user's class; equality across the two must still find one handle.
    plain, mixed = (1, 2), (1, LikeTwo())
    first = interner.make(plain if plain_first else mixed)
    assert interner.make(mixed if plain_first else plain) is first
    assert interner.get(mixed) is first
    assert interner.get(plain) is first
    assert mixed in interner
    assert len(interner) == 1


def test_a_plain_tuple_made_while_an_equal_tuple_of_user_objects_compares_is_the_one_found(
    interner: intern.Interner[Any],
) -> None:
    # While (1, LikeTwo()) is compared with another tuple of its hash, that
    # comparison interns the equal plain (1, 2): the insertion must notice it
    # (it is not among the candidates it read) and return its handle.
    made: list[intern.Handle[Any]] = []
    started: list[bool] = []

    class Interning(LikeTwo):
        __hash__ = LikeTwo.__hash__

        def __eq__(self, other: object) -> bool:
            if not started:
                started.append(True)  # once: the make below compares with this too
                made.append(interner.make((1, 2)))
            return False

    neighbour = interner.make((1, Interning()))  # same hash, compared first
    handle = interner.make((1, LikeTwo()))
    assert made
    assert handle is made[0]
    assert interner.make((1, 2)) is handle
    assert len(interner) == 2
    del neighbour
