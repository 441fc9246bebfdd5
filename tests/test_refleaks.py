"""No reference leaks, counted exactly on a debug build of CPython.

In the manner of CPython's own ``-R`` leak hunting: each batch of operations runs a
few times to warm up caches, then several rounds more, and after every round (and a
full collection) the total reference count and the number of objects the collector
tracks must be exactly what they were. A C function that forgets one ``Py_DECREF``
on any path, an error path included, shows as a growth of at least one per round.
``sys.gettotalrefcount`` exists only in debug builds, so elsewhere this is skipped;
``.ci/newer-pythons`` runs it on CPython 3.14's debug build.
"""

from __future__ import annotations

import copy
import gc
import importlib
import pickle
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import cast

import pytest

import intern
from intern._cache import implementations as cache_implementations
from intern._cleanup import implementations as cleanup_implementations
from intern._interned import make_interned
from tests.helpers import Implementation, Variant, collect

pytestmark = pytest.mark.skipif(
    not hasattr(sys, "gettotalrefcount"),
    reason="counting references needs a debug build of CPython (sys.gettotalrefcount)",
)

WARMUPS = 3
ROUNDS = 5


@dataclass(frozen=True)
class Record:
    name: str
    number: int


class Node:
    """A value that refers to its own handle: a cycle, reclaimed by the collector."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.handle: intern.Handle[Node] | None = None


class RaisingHash:
    def __hash__(self) -> int:
        raise ZeroDivisionError("hash")


class RaisingTypeErrorHash:
    """Hashable by its type, yet its hash raises the error of an unhashable value."""

    def __hash__(self) -> int:
        raise TypeError("no hash today")


class RaisingEq:
    """Every instance has one hash; comparing two raises."""

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        raise ValueError("eq")


class EqualTypes(type):
    def __eq__(cls, other: object) -> bool:
        return True

    def __hash__(cls) -> int:
        return 0


class OddlyTyped(metaclass=EqualTypes):
    pass


class Resource:
    """An object to attach cleanups to."""

    me: Resource | None = None


def make_hit_miss_reclaim(impl: Implementation) -> None:
    interner = impl.Interner()
    for number in range(30):
        text = f"text {number}"
        handle = interner.make(text)  # a miss: a new handle
        assert interner.make(f"text {number}") is handle  # a hit on an equal str
        assert interner.make(text) is handle  # a hit on the same object
        assert interner.get(f"text {number + 1000}") is None  # a miss that inserts nothing
        assert text in interner
        del handle  # reclaimed at once
        assert impl.make((number, "tuple", float(number))) is not None  # the default interner
        record = interner.make(Record("record", number))  # user-defined __eq__
        assert interner.make(Record("record", number)) is record
        for value in (number, number + 0.5, str(number).encode(), complex(number, 1)):
            assert interner.make(value) is interner.make(value)
        node = Node(number)
        node.handle = interner.make(node)  # a cycle through the handle
        del node, record
    collect()
    assert len(interner) == 0
    assert repr(interner).startswith("<Interner")
    assert interner.stats().live == 0
    assert sys.getsizeof(interner) > 0


def error_paths(impl: Implementation) -> None:
    interner = impl.Interner()
    stored = interner.make(RaisingEq())  # so that looking up another RaisingEq compares
    for _ in range(10):
        with pytest.raises(TypeError, match="unhashable type 'list'"):
            interner.make([1])
        with pytest.raises(TypeError, match=r"unhashable type 'list' at \[1\]\[0\]"):
            interner.make((1, ([2],)))  # explained by the shared Python helper
        with pytest.raises(TypeError, match="unhashable"):
            interner.get({})
        with pytest.raises(ZeroDivisionError, match="hash"):
            interner.make(RaisingHash())
        with pytest.raises(ZeroDivisionError, match="hash"):
            interner.make((1, RaisingHash()))
        with pytest.raises(TypeError, match="no hash today"):
            interner.make(RaisingTypeErrorHash())  # the helper finds nothing to add
        with pytest.raises(ValueError, match="eq"):
            interner.make(RaisingEq())
        with pytest.raises(ValueError, match="eq"):
            assert RaisingEq() in interner
        with pytest.raises(TypeError, match="metaclass"):
            interner.make(OddlyTyped())
        with pytest.raises(TypeError):
            impl.Handle()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        with pytest.raises(TypeError):
            impl.Interner(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    assert interner.make(stored.value) is stored


def pickling_and_copying(impl: Implementation) -> None:
    for number in range(20):
        handle = impl.make(("pickled", number))
        assert pickle.loads(pickle.dumps(handle)) is handle  # re-interned on load
        assert copy.copy(handle) is handle
        assert copy.deepcopy(handle) is handle
        assert weakref.ref(handle)() is handle
        assert repr(handle) == f"Handle(('pickled', {number}))"


def weak_caches(impl: Implementation) -> None:
    cache: intern.WeakCache[str, intern.Handle[str]] = intern.WeakCache(impl.make)

    def refuse(key: str) -> intern.Handle[str]:
        raise LookupError(key)

    failing: intern.WeakCache[str, intern.Handle[str]] = intern.WeakCache(refuse)

    @intern.weak_cache
    def load(key: str) -> intern.Handle[str]:
        return impl.make(key)

    for number in range(20):
        key = f"page {number}"
        page = cache[key]  # a miss: created
        assert cache[key] is page  # a hit
        assert cache.get(key) is page
        assert key in cache
        cache.discard(key)
        del page  # the entry goes with its value
        with pytest.raises(LookupError):
            failing[key]
        loaded = load(key)
        assert load(key) is loaded
        assert load(key=key) is not None  # another key: the keyword form
    assert load.cache_info().hits == 20
    load.cache_clear()
    cache.clear()


def cleanups(impl: Implementation) -> None:
    calls: list[object] = []
    failures: list[object] = []

    def fail(number: int) -> None:
        raise OSError(number)

    def report(unraisable: sys.UnraisableHookArgs) -> None:
        # Only the type: CPython never collects a cycle through a kept
        # UnraisableHookArgs (the collector does not track it), and its
        # traceback leads back to this frame.
        failures.append(type(unraisable.exc_value))

    previous, sys.unraisablehook = sys.unraisablehook, report
    try:
        for number in range(20):
            handle = impl.make(("watched", number))
            intern.add_cleanup(handle, calls.append, number)
            assert intern.add_cleanup(handle, calls.append, "stopped").stop()
            del handle  # the cleanup runs now
            resource = Resource()
            resource.me = resource  # a cycle: its cleanup runs at the collection below
            intern.add_cleanup(resource, calls.append, -number)
            with pytest.raises(ValueError, match="arg is obj"):
                intern.add_cleanup(resource, calls.append, resource)
            failing = Resource()
            intern.add_cleanup(failing, fail, number)
            del resource, failing  # fail raises into report
        collect()
    finally:
        sys.unraisablehook = previous
    assert len(calls) == 40
    assert "stopped" not in calls
    assert failures == [OSError] * 20


@dataclass(frozen=True)
class InternedPython:
    """Interned with the generated Python ``__new__`` (below)."""

    x: object
    y: int = 0


@dataclass(frozen=True)
class InternedC:
    """Interned with the C ``Constructor`` where it is built (below)."""

    x: object
    y: int = 0


class Number(int):
    """Equal to an int, but not plain: found on the slow path."""


make_interned(InternedPython, None)
try:
    make_interned(InternedC, importlib.import_module("intern._interned_speedups").Constructor)
except ImportError:
    make_interned(InternedC, None)


def interned_classes(impl: Implementation) -> None:
    # At least 100 creations, reclaims and hits a batch: the warm-ups take the
    # class's counters past the shared small ints.
    is_c = cast("ModuleType", impl).__name__ == "intern._speedups"
    point: type[InternedC | InternedPython] = InternedC if is_c else InternedPython
    kept = point(0)
    for number in range(100):
        assert point(0) is kept  # a hit
        assert point(number + 1000).x == number + 1000  # made and reclaimed at once
        assert point(Number(0)) is kept  # the slow path
        if number % 10 == 0:
            assert pickle.loads(pickle.dumps(kept)) is kept
            assert copy.copy(kept) is kept
            assert copy.deepcopy(kept) is kept
            with pytest.raises(TypeError):
                point([number])  # unhashable
            with pytest.raises(TypeError):
                point(1, 2, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    assert intern.interned_stats(point).live == 1


BATCHES = [
    make_hit_miss_reclaim,
    error_paths,
    pickling_and_copying,
    weak_caches,
    cleanups,
    interned_classes,
]


if sys.version_info >= (3, 13):
    clear_internal_caches = sys._clear_internal_caches
else:
    clear_internal_caches = sys._clear_type_cache  # pyright: ignore[reportPrivateUsage]


def sample() -> list[int]:
    """The total reference count and the number of objects the collector tracks.

    CPython's caches are emptied first, as its -R does: the type attribute cache
    holds a reference to every attribute name it has looked up lately.
    """
    clear_internal_caches()
    collect()
    return [sys.gettotalrefcount(), len(gc.get_objects())]


def growth(batch: Callable[[Implementation], None], impl: Implementation) -> list[list[int]]:
    """Run ``batch`` to warm up, then ROUNDS times; return the growth of each round.

    Each item is ``[references, objects]`` gained in one round.
    """
    for _ in range(WARMUPS):
        batch(impl)
    # Counters are ints: while below 257 they are shared small ints (immortal
    # from 3.12), and the first count past them becomes a reference of its own.
    # Count the default interner's past them first, whatever ran before.
    while impl.default.stats().reclaimed <= 256:
        impl.default.make(("warming up the counters", object().__hash__()))
    gained = [[0, 0] for _ in range(ROUNDS)]
    # Every sample must find the same bookkeeping alive: one list of two ints,
    # named twice. The first sample only makes it; the second is the baseline.
    before = after = sample()
    before = after = sample()
    index = 0
    while index < ROUNDS:  # a for loop's iterator would be a reference the baseline lacks
        batch(impl)
        after = sample()
        gained[index][:] = [after[0] - before[0], after[1] - before[1]]
        before = after
        index += 1
    return gained


@pytest.mark.parametrize("batch", BATCHES, ids=lambda batch: batch.__name__)
def test_repeated_operations_leak_no_reference_and_no_object(
    impl: Implementation,
    variant: Variant,
    batch: Callable[[Implementation], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intern, "make", impl.make)  # what pickles name, to load with
    # The batches use intern's caches and cleanups: the implementation's under test.
    caches = cache_implementations().get(variant.name)
    add_cleanup = cleanup_implementations().get(variant.name)
    if caches is None or add_cleanup is None:
        pytest.skip(f"intern does not use the {variant.name} caches and cleanups here")
    monkeypatch.setattr(intern, "WeakCache", caches.WeakCache)
    monkeypatch.setattr(intern, "weak_cache", caches.weak_cache)
    monkeypatch.setattr(intern, "add_cleanup", add_cleanup)
    # Exact, not "mostly": CPython's -R forgives a round of noise, but a batch that
    # has warmed up has nothing left to cache, and a leak on any path repeats.
    assert growth(batch, impl) == [[0, 0]] * ROUNDS
