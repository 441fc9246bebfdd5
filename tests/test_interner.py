"""Interner: independent tables with get, membership, len and stats."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, collect


@dataclasses.dataclass(frozen=True)
class Record:
    name: str
    size: int


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
    assert interner.stats() == intern.Stats(live=0, created=0, reclaimed=0, hits=0)


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


def test_stats_counts_created_reclaimed_and_hits(interner: intern.Interner[Any]) -> None:
    assert interner.stats() == intern.Stats(live=0, created=0, reclaimed=0, hits=0)
    keep = interner.make("keep")
    interner.make("drop")  # dropped at once
    interner.make("keep")
    stats = interner.stats()
    assert stats == intern.Stats(live=1, created=2, reclaimed=1, hits=1)
    assert stats.live == stats.created - stats.reclaimed == len(interner)
    assert keep.value == "keep"


def test_stats_is_an_immutable_record(interner: intern.Interner[Any]) -> None:
    stats = interner.stats()
    assert isinstance(stats, intern.Stats)
    with pytest.raises(AttributeError):
        stats.live = 3  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    assert stats._asdict() == {"live": 0, "created": 0, "reclaimed": 0, "hits": 0}


def test_stats_keeps_its_first_three_fields_in_place(interner: intern.Interner[Any]) -> None:
    keep = interner.make("x")
    interner.make("x")
    assert interner.stats()[:3] == (1, 1, 0)
    assert intern.Stats._fields == ("live", "created", "reclaimed", "hits")
    assert keep.value == "x"


def test_repr_shows_the_counters(interner: intern.Interner[Any]) -> None:
    keep = interner.make("x")
    interner.make("".join(["x"]))
    assert repr(interner) == "<Interner live=1 created=1 reclaimed=0 hits=1>"
    assert keep.value == "x"


# ---------------------------------------------------------------- hits


def equal_copy(value: Any) -> Any:
    """Another object equal to ``value``, of its type."""
    if isinstance(value, Record):
        return dataclasses.replace(value)
    if isinstance(value, str):
        return "".join(list(value))
    if isinstance(value, bytes):
        return bytes(bytearray(value))
    if isinstance(value, int | float):
        return type(value)(str(value))
    return type(value)(list(value))  # a tuple or frozenset


@pytest.mark.parametrize(
    "value",
    # An int beyond any small-int cache (3.15 shares ints up to 1024 and beyond 256).
    ["GET", 123_456_789, 2.5, b"GET", ("GET", "/", 200), frozenset({"a"}), Record("a", 1)],
    ids=repr,
)
def test_each_make_answered_by_a_live_handle_is_a_hit(
    interner: intern.Interner[Any], value: object
) -> None:
    keep = interner.make(value)
    for _ in range(5):
        value_copy = equal_copy(value)
        assert value_copy is not value
        assert interner.make(value_copy) is keep
    assert interner.make(value) is keep
    assert interner.stats() == intern.Stats(live=1, created=1, reclaimed=0, hits=6)


def test_a_make_that_creates_a_handle_is_not_a_hit(interner: intern.Interner[Any]) -> None:
    kept = [interner.make(number) for number in range(10)]
    interner.make("dropped")
    interner.make("dropped")  # made again: its first handle is gone
    assert interner.stats() == intern.Stats(live=10, created=12, reclaimed=2, hits=0)
    assert len(kept) == 10


class Colliding:
    """Equal by key, all of one hash: only ``__eq__`` can tell two apart."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Colliding) and other.key == self.key


def test_get_and_membership_are_not_hits(interner: intern.Interner[Any]) -> None:
    keep = interner.make(("GET", 1))
    colliding = interner.make(Colliding("a"))
    assert interner.get(equal_copy(keep.value)) is keep
    assert equal_copy(keep.value) in interner
    assert interner.get(Colliding("a")) is colliding
    assert Colliding("a") in interner
    assert interner.get("absent") is None
    assert "absent" not in interner
    assert interner.stats().hits == 0


def test_makes_found_by_comparing_candidates_are_hits(interner: intern.Interner[Any]) -> None:
    keep = [interner.make(Colliding(key)) for key in "abcd"]
    for handle in keep:
        assert interner.make(Colliding(handle.value.key)) is handle
    # A tuple with a value of the user's is compared by its __eq__ too.
    pair = interner.make((1, Colliding("a")))
    assert interner.make((1, Colliding("a"))) is pair
    assert interner.stats() == intern.Stats(live=5, created=5, reclaimed=0, hits=5)


def test_a_make_answered_by_a_handle_its_own_eq_made_is_a_hit(
    interner: intern.Interner[Any],
) -> None:
    # Comparing with a candidate interns an equal value: the outer make finds it
    # in a later round, a hit; the inner make created it.
    class Reentrant(Colliding):
        __hash__ = Colliding.__hash__

        def __eq__(self, other: object) -> bool:
            if not started and {self.key, getattr(other, "key", None)} == {"old", "new"}:
                started.append(True)
                made.append(interner.make(Reentrant("new")))
            return super().__eq__(other)

    started: list[bool] = []
    made: list[intern.Handle[Any]] = []
    old = interner.make(Reentrant("old"))
    handle = interner.make(Reentrant("new"))
    assert made == [handle]
    assert interner.stats() == intern.Stats(live=2, created=2, reclaimed=0, hits=1)
    assert old.value.key == "old"


@pytest.mark.parametrize("where", ["__hash__", "__eq__"])
def test_a_make_that_raises_is_not_a_hit(interner: intern.Interner[Any], where: str) -> None:
    class Touchy(Colliding):
        fail = False

        def __hash__(self) -> int:
            if where == "__hash__" and Touchy.fail:
                raise ValueError(where)
            return 7

        def __eq__(self, other: object) -> bool:
            if where == "__eq__" and Touchy.fail:
                raise ValueError(where)
            return super().__eq__(other)

    keep = interner.make(Touchy("a"))
    interner.make(Touchy("a"))
    Touchy.fail = True
    with pytest.raises(ValueError, match=where):
        interner.make(Touchy("a"))
    Touchy.fail = False
    assert interner.stats() == intern.Stats(live=1, created=1, reclaimed=0, hits=1)
    assert keep.value.key == "a"


def test_a_pool_answers_what_it_holds_itself_and_counts_it_in_its_own_stats(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    with impl.Pool(interner) as pool:
        first = pool.make("GET")
        assert pool.make("".join(["G", "E", "T"])) is first
        assert pool.value("".join(["G", "E", "T"])) is first.value
        assert interner.stats().hits == 0  # not asked: the pool held the handle
        assert pool.stats().deduplicated == 2
        kept = interner.make(("a", "tuple"))
        assert pool.value(("a", "tuple")) is kept.value  # not a kind the pool memoizes
        assert interner.stats().hits == 1
        deep = pool.value_deep(("GET", ("/", 200)))  # make_deep asks the interner
        before = interner.stats()
        assert pool.value_deep(("".join(["G", "E", "T"]), ("/", 200))) is deep
        after = interner.stats()
    assert after.created == before.created  # every part found: each make a hit
    assert after.hits > before.hits


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
