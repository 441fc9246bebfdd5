"""Handle: immutable, final, identity-compared, weakly referenceable, copy- and pickle-safe."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import threading
import weakref
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, Variant


def test_handle_cannot_be_created_directly(impl: Implementation) -> None:
    with pytest.raises(TypeError, match=r"use intern\.make\(value\)"):
        impl.Handle("GET")  # type: ignore[call-arg, arg-type]  # pyright: ignore[reportCallIssue]
    with pytest.raises(TypeError, match=r"use intern\.make\(value\)"):
        impl.Handle()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def test_handle_cannot_be_subclassed(impl: Implementation) -> None:
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("MyHandle", (impl.Handle,), {})


def test_handle_subclass_sneaked_past_init_subclass_cannot_be_instantiated(
    impl: Implementation,
) -> None:
    class Careless:
        def __init_subclass__(cls) -> None:  # does not call super()
            pass

    sneaked: Any = type("Sneaked", (Careless, impl.Handle), {})
    with pytest.raises(TypeError, match=r"use intern\.make\(value\)"):
        sneaked("GET")


def test_handle_is_immutable(interner: intern.Interner[Any]) -> None:
    handle = interner.make("GET")
    with pytest.raises(AttributeError):
        handle.value = "PUT"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(AttributeError):
        handle._value = "PUT"  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(AttributeError):
        handle.other = 1  # Handle defines __setattr__, so checkers allow this
    with pytest.raises(AttributeError):
        del handle.value  # pyright: ignore[reportAttributeAccessIssue]
    assert handle.value == "GET"
    assert not hasattr(handle, "__dict__")


def test_handle_is_the_type_of_every_handle(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    assert type(interner.make("GET")) is impl.Handle
    assert type(impl.make(("GET", 1))) is impl.Handle


def test_handle_type_can_be_subscripted(impl: Implementation) -> None:
    handle_type: Any = impl.Handle
    assert handle_type[str].__origin__ is impl.Handle


def test_handle_equality_and_hash_are_identity(interner: intern.Interner[Any]) -> None:
    get, put = interner.make("GET"), interner.make("PUT")
    assert get == interner.make("GET")
    assert get != put
    assert hash(get) == object.__hash__(get)
    assert {get: 1}[interner.make("GET")] == 1


def test_repr_shows_the_value(interner: intern.Interner[Any]) -> None:
    assert repr(interner.make("GET")) == "Handle('GET')"
    assert repr(interner.make((1, "a"))) == "Handle((1, 'a'))"


def test_repr_of_a_value_that_contains_its_own_handle_does_not_recurse(
    interner: intern.Interner[Any],
) -> None:
    class Node:
        handle: intern.Handle[Any] | None = None

        def __repr__(self) -> str:
            return f"Node({self.handle!r})"

    node = Node()
    node.handle = interner.make(node)
    assert repr(node.handle) == "Handle(Node(Handle(...)))"


def test_handles_can_be_weakly_referenced(interner: intern.Interner[Any]) -> None:
    handle = interner.make("GET")
    ref = weakref.ref(handle)
    assert ref() is handle
    del handle
    assert ref() is None


def test_copy_and_deepcopy_return_the_same_handle(interner: intern.Interner[Any]) -> None:
    handle = interner.make(("GET", ("nested",)))
    assert copy.copy(handle) is handle
    assert copy.deepcopy(handle) is handle
    assert copy.deepcopy([handle, handle]) == [handle, handle]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling_reinterns(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch, protocol: int
) -> None:
    # Pickles name intern.make; point it at the implementation under test.
    monkeypatch.setattr(intern, "make", impl.make)
    handle = impl.make(("GET", 1, 2.5))
    assert pickle.loads(pickle.dumps(handle, protocol)) is handle


def test_pickling_reinterns_after_the_original_is_gone(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intern, "make", impl.make)
    data = pickle.dumps(impl.make("pickled-and-dropped"))
    loaded = pickle.loads(data)
    assert loaded.value == "pickled-and-dropped"
    assert loaded is impl.make("pickled-and-dropped")


def test_pickles_name_the_public_make() -> None:
    assert b"intern" in pickle.dumps(intern.make("x"), 0)
    assert pickle.loads(pickle.dumps(intern.make("x"))) is intern.make("x")


def test_pickle_loads_in_another_process(
    impl: Implementation, variant: Variant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intern, "make", impl.make)
    data = pickle.dumps([impl.make("GET"), impl.make(("a", 1))])
    script = (
        "import pickle, sys, intern\n"
        "handles = pickle.loads(sys.stdin.buffer.read())\n"
        "assert handles[0] is intern.make('GET'), handles\n"
        "assert handles[1] is intern.make(('a', 1)), handles\n"
        "print(handles)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=data,
        capture_output=True,
        check=False,
        env=variant.environment(),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "[Handle('GET'), Handle(('a', 1))]"
    assert result.stderr == b""


def test_handle_of_a_non_default_interner_unpickles_into_the_default() -> None:
    handle = intern.Interner[str]().make("elsewhere")
    loaded = pickle.loads(pickle.dumps(handle))
    assert loaded is not handle
    assert loaded is intern.make("elsewhere")


class Node:
    """Equal by key; may hold handles, its own among them."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.handle: intern.Handle[Any] | None = None

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.key == self.key


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_handle_whose_value_refers_back_to_it_refuses_to_pickle(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch, protocol: int
) -> None:
    # Loading would call intern.make(value) on a value still being built, whose
    # __hash__ then fails: refused when pickling, saying why.
    monkeypatch.setattr(intern, "make", impl.make)
    node = Node(1)
    node.handle = impl.make(node)
    with pytest.raises(pickle.PicklingError, match="'Node' value that refers back to that very"):
        pickle.dumps(node.handle, protocol)
    with pytest.raises(pickle.PicklingError, match="refers back"):
        pickle.dumps([node.handle], protocol)


def test_a_handle_reached_again_through_another_handle_refuses_to_pickle(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intern, "make", impl.make)
    first, second = Node(1), Node(2)
    first.handle = impl.make(second)
    second.handle = impl.make(first)  # first -> handle of second -> second -> handle of first
    with pytest.raises(pickle.PicklingError, match="refers back"):
        pickle.dumps(impl.make(first))


def test_handles_inside_values_pickle_when_they_lead_back_to_nothing(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intern, "make", impl.make)
    inner = impl.make(("inner", 1))
    outer = Node(2)
    outer.handle = inner
    outer_handle = impl.make(outer)
    loaded = pickle.loads(pickle.dumps([outer_handle, inner]))
    assert loaded[0] is outer_handle
    assert loaded[1] is inner
    assert loaded[0].value.handle is inner


def test_an_unpicklable_value_gets_pickles_own_error(
    impl: Implementation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The trial pickling that looks for a way back to the handle leaves errors
    # of its own to the real pickling.
    monkeypatch.setattr(intern, "make", impl.make)
    node = Node(3)
    node.handle = impl.make(("x", 1))
    node.lock = threading.Lock()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(TypeError, match="lock"):
        pickle.dumps(impl.make(node))
