"""A Hypothesis state machine checks an interner against a simple model."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any, ClassVar

import hypothesis.stateful as stateful
import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import intern
from tests.helpers import Implementation


@dataclass(frozen=True)
class Frozen:
    name: str
    size: int


class Node:
    """A value that refers to its own handle once interned."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.handle: intern.Handle[Any] | None = None

    def __hash__(self) -> int:
        return hash(("Node", self.key))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.key == self.key

    def __repr__(self) -> str:
        return f"Node({self.key})"


class Name(str):
    __slots__ = ()


scalars = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 2.5]),
    st.booleans(),
    st.sampled_from(["a", "b", "ab"]),
    st.sampled_from([Name("a"), Name("b")]),
    st.none(),
)
values = st.one_of(
    scalars,
    st.tuples(scalars, scalars),
    st.builds(Frozen, st.sampled_from(["a", "b"]), st.integers(0, 2)),
    st.builds(Node, st.integers(0, 3)),
)


def copy_of(value: Any) -> Any:
    """A new object equal to ``value``, so that lookups cannot rely on identity."""
    if isinstance(value, Node):
        return Node(value.key)
    if isinstance(value, Frozen):
        return Frozen(value.name, value.size)
    if isinstance(value, tuple):
        return tuple(copy_of(part) for part in value)  # pyright: ignore[reportUnknownVariableType]
    if type(value) is str:
        return "".join(list(value))
    return value


def model_key(value: object) -> tuple[type[object], object]:
    return (type(value), value)


class InternerMachine(RuleBasedStateMachine):
    implementation: ClassVar[Implementation]

    def __init__(self) -> None:
        super().__init__()
        # Collections need only look at what this example made: freeze the rest of
        # the process (pytest, Hypothesis) out of them, which makes them fast.
        gc.freeze()
        self.interner: intern.Interner[Any] = self.implementation.Interner()
        self.held: list[intern.Handle[Any]] = []  # handles the program keeps

    def canonical(self) -> dict[tuple[type[object], object], intern.Handle[Any]]:
        return {model_key(handle.value): handle for handle in self.held}

    @rule(value=values, keep=st.booleans())
    def make(self, value: Any, keep: bool) -> None:
        value = copy_of(value)  # Hypothesis keeps what it drew, for its report
        expected = self.canonical().get(model_key(value))
        before = self.interner.stats()
        handle = self.interner.make(value)
        after = self.interner.stats()
        if isinstance(value, Node) and handle.value is value:
            value.handle = handle  # the value now refers to its handle: a cycle
        # A hit or a new handle, never both; with no handle held for the value,
        # make may still find one dropped but not yet collected (a cycle).
        assert (after.hits - before.hits) + (after.created - before.created) == 1
        if expected is not None:
            assert handle is expected
            assert after.hits == before.hits + 1
        assert type(handle.value) is type(value)
        assert handle.value == value
        if keep:
            self.held.append(handle)

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.held) - 1))
        del self.held[index]

    @rule()
    def collect(self) -> None:
        gc.collect()  # a value's cycle with its handle needs one collection
        assert len(self.interner) == len({id(handle) for handle in self.held})

    @rule(value=values)
    def get(self, value: Any) -> None:
        expected = self.canonical().get(model_key(value))
        hits = self.interner.stats().hits
        found = self.interner.get(copy_of(value))
        assert self.interner.stats().hits == hits  # get is never a hit
        if expected is not None:
            assert found is expected
        elif found is not None:  # a dropped handle not yet collected (a cycle)
            assert type(found.value) is type(value)
            assert found.value == value

    def teardown(self) -> None:
        gc.unfreeze()

    @invariant()
    def held_handles_stay_canonical(self) -> None:
        hits = self.interner.stats().hits
        for handle in self.held:
            assert self.interner.make(copy_of(handle.value)) is handle
            assert copy_of(handle.value) in self.interner
        assert self.interner.stats().hits == hits + len(self.held)

    @invariant()
    def counters_agree(self) -> None:
        stats = self.interner.stats()
        assert stats.live == stats.created - stats.reclaimed == len(self.interner)
        assert stats.live >= len({id(handle) for handle in self.held})


def test_interner_behaves_like_its_model(impl: Implementation) -> None:
    class Machine(InternerMachine):
        implementation = impl

    stateful.run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=100,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
