"""WeakCache: values made once per key on demand, held weakly, safe under threads."""

from __future__ import annotations

import gc
import inspect
import os
import random
import sys
import threading
import traceback
import types
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pytest

import intern
from intern._cache import CacheImplementation
from tests.helpers import (
    Implementation,
    Variant,
    call_in_threads,
    collect,
    run_python,
    wait_until,
)

T = TypeVar("T")


@dataclass(eq=False)
class Page:
    """A value: weakly referenceable, compared by identity."""

    key: object
    me: Page | None = None


class Creator:
    """A create function that records its calls."""

    def __init__(self) -> None:
        self.calls: list[object] = []

    def __call__(self, key: object) -> Page:
        self.calls.append(key)
        return Page(key)


def counters(cache: intern.WeakCache[Any, Any]) -> tuple[int, int]:
    """Return ``(hits, misses)``, as ``cache_info()`` of ``@weak_cache`` reports them."""
    return cache._info()  # pyright: ignore[reportPrivateUsage] -- what cache_info reads


def misses(cache: intern.WeakCache[Any, Any]) -> int:
    # White-box: a caller counts its miss once it has found the attempt it will wait for.
    return counters(cache)[1]


def in_a_thread(call: Callable[[], T]) -> T:
    """Return or raise what ``call()`` does, run in a thread: a hang fails, not blocks, the test."""
    (outcome,) = call_in_threads(1, lambda _: call())
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@pytest.fixture
def creator() -> Creator:
    return Creator()


@pytest.fixture
def cache(creator: Creator, caches: CacheImplementation) -> intern.WeakCache[Any, Page]:
    return caches.WeakCache(creator)


def test_lookup_creates_once_and_returns_the_same_value_while_it_lives(
    cache: intern.WeakCache[Any, Page], creator: Creator
) -> None:
    page = cache["home"]
    assert page.key == "home"
    assert cache["home"] is page
    assert cache["".join(["ho", "me"])] is page
    assert creator.calls == ["home"]


def test_entry_vanishes_when_its_value_is_collected(
    cache: intern.WeakCache[Any, Page], creator: Creator
) -> None:
    page = cache["home"]
    page_ref = weakref.ref(page)
    assert len(cache) == 1
    del page
    assert page_ref() is None  # the cache did not keep it
    assert len(cache) == 0
    assert "home" not in cache
    assert cache.get("home") is None
    assert cache["home"].key == "home"  # created again
    assert creator.calls == ["home", "home"]


def test_entry_of_a_value_in_a_cycle_vanishes_at_the_next_collection(
    cache: intern.WeakCache[Any, Page],
) -> None:
    page = cache["cycle"]
    page.me = page
    del page
    assert len(cache) == 1  # only a collection frees a cycle
    gc.collect()
    assert len(cache) == 0


def test_keys_are_held_while_their_value_lives_and_released_after(
    caches: CacheImplementation,
) -> None:
    @dataclass(frozen=True)
    class Key:
        name: str

    cache: intern.WeakCache[Key, Page] = caches.WeakCache(Page)
    key = Key("k")
    key_ref = weakref.ref(key)
    page = cache[key]
    del key
    assert key_ref() is not None
    del page
    assert key_ref() is None


def test_get_returns_the_live_value_or_the_default_and_never_creates(
    cache: intern.WeakCache[Any, Page], creator: Creator
) -> None:
    assert cache.get("home") is None
    fallback = Page("fallback")
    assert cache.get("home", fallback) is fallback
    assert cache.get("home", default=fallback) is fallback
    assert creator.calls == []
    page = cache["home"]
    assert cache.get("home") is page
    assert cache.get("home", fallback) is page


def test_contains_says_whether_a_live_value_exists(cache: intern.WeakCache[Any, Page]) -> None:
    assert "home" not in cache
    page = cache["home"]
    assert "home" in cache
    assert 404 not in cache
    del page
    assert "home" not in cache


def test_len_counts_entries(cache: intern.WeakCache[Any, Page]) -> None:
    pages = [cache[number] for number in range(10)]
    assert len(cache) == 10
    del pages[::2]
    assert len(cache) == 5


def test_discard_forgets_the_entry_so_that_the_next_lookup_creates_anew(
    cache: intern.WeakCache[Any, Page], creator: Creator
) -> None:
    old = cache["home"]
    cache.discard("home")
    assert "home" not in cache
    assert len(cache) == 0
    new = cache["home"]
    assert new is not old
    assert cache["home"] is new
    assert creator.calls == ["home", "home"]
    cache.discard("absent")  # nothing to forget: no error
    assert len(cache) == 1


def test_discarded_value_dying_later_never_removes_the_newer_entry(
    cache: intern.WeakCache[Any, Page],
) -> None:
    old = cache["home"]
    cache.discard("home")
    new = cache["home"]
    del old
    assert cache.get("home") is new
    assert len(cache) == 1


def test_clear_forgets_every_entry(cache: intern.WeakCache[Any, Page]) -> None:
    pages = [cache[number] for number in range(3)]
    cache.clear()
    assert len(cache) == 0
    assert all(number not in cache for number in range(3))
    assert cache[0] is not pages[0]


def test_late_callback_never_removes_a_newer_entry(cache: intern.WeakCache[Any, Page]) -> None:
    # A weak reference made after the cache's has its callback run first: it makes a
    # new value for the key while the cache's own callback is still to come.
    newer: list[Page] = []
    page = cache["home"]
    witness = weakref.ref(page, lambda _: newer.append(cache["home"]))
    del page
    assert witness() is None
    assert len(newer) == 1
    assert cache.get("home") is newer[0]
    assert cache["home"] is newer[0]
    assert len(cache) == 1


@pytest.mark.parametrize("value", [1, "text", (1, 2), None], ids=repr)
def test_values_that_cannot_be_weakly_referenced_are_refused_naming_the_type(
    value: object,
    caches: CacheImplementation,
) -> None:
    cache: intern.WeakCache[str, object] = caches.WeakCache(lambda _: value)
    name = type(value).__name__
    with pytest.raises(TypeError, match=rf"create returned '{name}'.*intern\.make"):
        cache["key"]
    assert len(cache) == 0


def test_handles_from_make_can_be_cached(impl: Implementation, caches: CacheImplementation) -> None:
    cache: intern.WeakCache[str, intern.Handle[str]] = caches.WeakCache(impl.make)
    handle = cache["GET"]
    assert handle is impl.make("GET")
    assert cache["GET"] is handle


def test_exception_from_create_propagates_and_nothing_is_cached(
    caches: CacheImplementation,
) -> None:
    failures = [ValueError("first try fails")]

    def create(key: str) -> Page:
        if failures:
            raise failures.pop()
        return Page(key)

    cache = caches.WeakCache(create)
    with pytest.raises(ValueError, match="first try fails"):
        cache["home"]
    assert len(cache) == 0
    assert "home" not in cache
    assert cache["home"].key == "home"


def test_a_failed_create_leaves_nothing_that_holds_its_key(caches: CacheImplementation) -> None:
    @dataclass(frozen=True)
    class Key:
        name: str

    def create(key: Key) -> Page:
        raise LookupError(key.name)

    cache = caches.WeakCache(create)
    key = Key("home")
    key_ref = weakref.ref(key)
    with pytest.raises(LookupError, match="home"):
        cache[key]
    del key
    collect()  # the exception's traceback held the key, in a cycle
    assert key_ref() is None


def test_exceptions_from_the_key_propagate_unchanged(cache: intern.WeakCache[Any, Page]) -> None:
    class BadHash:
        def __hash__(self) -> int:
            raise ArithmeticError("no hash")

    with pytest.raises(ArithmeticError, match="no hash"):
        cache[BadHash()]
    with pytest.raises(TypeError, match="unhashable"):
        cache[[1, 2]]
    assert len(cache) == 0


def test_create_asking_for_its_own_key_raises_runtime_error(caches: CacheImplementation) -> None:
    cache: intern.WeakCache[str, Page]

    def create(key: str) -> Page:
        return cache[key]

    cache = caches.WeakCache(create)
    with pytest.raises(RuntimeError, match=r"create\('loop'\) asked for its own key on its own"):
        in_a_thread(lambda: cache["loop"])
    assert len(cache) == 0


def test_create_asking_for_its_own_key_through_other_keys_raises_runtime_error(
    caches: CacheImplementation,
) -> None:
    cache: intern.WeakCache[int, Page]

    def create(key: int) -> Page:
        return cache[(key + 1) % 3]  # 0 asks for 1, 1 for 2, 2 for 0

    cache = caches.WeakCache(create)
    with pytest.raises(RuntimeError, match=r"create\(0\) asked for its own key"):
        in_a_thread(lambda: cache[0])
    assert len(cache) == 0


def test_create_may_use_the_cache_for_other_keys(caches: CacheImplementation) -> None:
    cache: intern.WeakCache[str, Page]

    def create(key: str) -> Page:
        parts = [cache[part] for part in key.split("/")[1:]] if "/" in key else []
        return Page((key, parts))

    cache = caches.WeakCache(create)
    page = cache["root/a/b"]
    assert cache.get("a") is not None
    assert page.key == ("root/a/b", [cache["a"], cache["b"]])


def test_key_eq_that_uses_the_cache_neither_deadlocks_nor_duplicates(
    caches: CacheImplementation,
) -> None:
    cache: intern.WeakCache[Any, Page]
    made: list[Page] = []

    class Reentrant:
        def __init__(self, name: str) -> None:
            self.name = name

        def __hash__(self) -> int:
            return 1  # one hash, so that every lookup compares

        def __eq__(self, other: object) -> bool:
            made.append(cache[("from __eq__", self.name)])
            return isinstance(other, Reentrant) and other.name == self.name

    cache = caches.WeakCache(Page)
    pages = {name: cache[Reentrant(name)] for name in "abcd"}
    for name, page in pages.items():
        assert cache[Reentrant(name)] is page
    assert made
    assert all(cache[page.key] is page for page in made)


def test_collection_during_a_lookup_may_use_the_cache(caches: CacheImplementation) -> None:
    cache: intern.WeakCache[Any, Page] = caches.WeakCache(Page)
    from_finalizers: list[Page] = []

    class UsesCacheWhenFinalized:
        def __init__(self, number: int) -> None:
            self.number = number
            self.me = self

        def __del__(self) -> None:
            from_finalizers.append(cache[("finalized", self.number)])

    class Collecting:
        def __init__(self, name: str) -> None:
            self.name = name

        def __hash__(self) -> int:
            UsesCacheWhenFinalized(len(from_finalizers))  # garbage for the collection below
            gc.collect()
            return hash(self.name)

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Collecting) and other.name == self.name

    keys = [Collecting(name) for name in "abc"]
    pages = [cache[key] for key in keys]
    assert [page.key for page in pages] == keys
    assert from_finalizers
    assert all(cache[page.key] is page for page in from_finalizers)


def test_create_must_be_callable(caches: CacheImplementation) -> None:
    with pytest.raises(TypeError, match="WeakCache needs a callable create, not 'int'"):
        caches.WeakCache(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_repr_names_create_and_counts_entries(cache: intern.WeakCache[Any, Page]) -> None:
    page = cache["home"]
    assert repr(cache).startswith("<WeakCache of <tests.test_weak_cache.Creator object at ")
    assert repr(cache).endswith(">: 1 entries>")
    assert page.key == "home"


# Threads: each test proves its point whatever the scheduling; the waits it contains
# only order events, and fail rather than hang if something never happens.

THREADS = 8


def open_when(gate: threading.Event, condition: Callable[[], bool], what: str) -> threading.Thread:
    """Set ``gate`` from another thread once ``condition()`` holds."""

    def run() -> None:
        wait_until(condition, what)
        gate.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """An event that create functions wait for; set at the end in any case."""
    event = threading.Event()
    try:
        yield event
    finally:
        event.set()


@dataclass
class MissedTogether:
    """What ``THREADS`` threads missing one key at once got, and the calls of create."""

    outcomes: list[Page | BaseException]
    calls: list[str]
    cache: intern.WeakCache[str, Page]


def miss_together(
    gate: threading.Event, first_call_raises: BaseException | None, caches: CacheImplementation
) -> MissedTogether:
    """Have ``THREADS`` threads look up one key, all while its first create is running.

    The first call of create waits until every thread has missed (and so waits for
    it), then raises ``first_call_raises`` if given; later calls return a new Page.
    """
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        gate.wait(60)
        if len(calls) == 1 and first_call_raises is not None:
            raise first_call_raises
        return Page(key)

    cache = caches.WeakCache(create)
    opener = open_when(gate, lambda: misses(cache) == THREADS, "all threads missed")
    outcomes = call_in_threads(THREADS, lambda _: cache["page"])
    opener.join()
    return MissedTogether(outcomes, calls, cache)


def test_concurrent_misses_on_one_key_call_create_once_and_share_the_value(
    gate: threading.Event,
    caches: CacheImplementation,
) -> None:
    missed = miss_together(gate, first_call_raises=None, caches=caches)
    assert missed.calls == ["page"]
    first = missed.outcomes[0]
    assert isinstance(first, Page)
    assert all(outcome is first for outcome in missed.outcomes)


def test_misses_on_different_keys_create_in_parallel(caches: CacheImplementation) -> None:
    # Every create waits for all the others to have started: creates that ran one
    # at a time would break the barrier instead.
    started = threading.Barrier(THREADS, timeout=60)

    def create(key: int) -> Page:
        started.wait()
        return Page(key)

    cache = caches.WeakCache(create)
    pages = call_in_threads(THREADS, lambda index: cache[index])
    assert [page.key for page in pages if isinstance(page, Page)] == list(range(THREADS))


def test_lookups_of_other_keys_do_not_wait_for_a_create(
    gate: threading.Event, caches: CacheImplementation
) -> None:
    def create(key: str) -> Page:
        if key == "slow":
            gate.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)
    slow = threading.Thread(target=lambda: cache["slow"])
    slow.start()
    wait_until(lambda: misses(cache) == 1, "the slow create started")
    fast = in_a_thread(lambda: cache["fast"])  # would hang if the slow create held the lock
    assert fast.key == "fast"
    gate.set()
    slow.join()


def test_a_hit_does_not_wait_for_the_caches_lock(cache: intern.WeakCache[Any, Page]) -> None:
    page = cache["page"]
    with cache._lock:  # pyright: ignore[reportPrivateUsage] -- as a miss on another thread would
        assert in_a_thread(lambda: cache["page"]) is page  # would hang if a hit took it
    assert cache.get("page") is page


def test_get_and_contains_neither_wait_for_nor_start_a_running_create(
    gate: threading.Event,
    caches: CacheImplementation,
) -> None:
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        gate.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)
    creating = threading.Thread(target=lambda: cache["page"])
    creating.start()
    try:
        wait_until(lambda: misses(cache) == 1, "the create started")
        fallback = Page("fallback")
        assert in_a_thread(lambda: cache.get("page")) is None  # would hang if it waited
        assert in_a_thread(lambda: cache.get("page", fallback)) is fallback
        assert in_a_thread(lambda: "page" in cache) is False
        assert calls == ["page"]
        assert counters(cache) == (0, 1)
    finally:
        gate.set()
        creating.join()


def test_a_miss_that_finds_a_value_once_it_holds_the_lock_counts_as_a_hit(
    cache: intern.WeakCache[Any, Page], creator: Creator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The late thread's lock-free lookup finds nothing; before it takes the cache's
    # lock to look again, another thread creates the value. A miss asks for its
    # thread's id between the two, so the late thread pauses there.
    paused, resume = threading.Event(), threading.Event()
    found: list[Page] = []
    late = threading.Thread(target=lambda: found.append(cache["page"]))
    waits = cache._waits  # pyright: ignore[reportPrivateUsage] -- to pause the late thread
    get_ident = waits.get_ident

    def pausing_get_ident() -> int:
        if threading.current_thread() is late and not paused.is_set():
            paused.set()
            resume.wait(60)
        return get_ident()

    monkeypatch.setattr(waits, "get_ident", pausing_get_ident)
    late.start()
    try:
        assert paused.wait(60), "the late thread never missed"
        page = cache["page"]
        assert counters(cache) == (0, 1)  # the lookup that created it missed
    finally:
        resume.set()
        late.join()
    assert found == [page]
    assert creator.calls == ["page"]
    assert counters(cache) == (1, 1)


def discard_page(cache: intern.WeakCache[str, Page]) -> None:
    cache.discard("page")


def clear_cache(cache: intern.WeakCache[str, Page]) -> None:
    cache.clear()


@pytest.mark.parametrize("forget", [discard_page, clear_cache], ids=["discard", "clear"])
def test_a_create_running_for_a_forgotten_key_answers_its_callers_but_is_not_cached(
    gate: threading.Event,
    forget: Callable[[intern.WeakCache[str, Page]], None],
    caches: CacheImplementation,
) -> None:
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        if len(calls) == 1:
            gate.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)

    def forget_then_open() -> None:
        wait_until(lambda: misses(cache) == 2, "the creator and a waiter missed")
        forget(cache)
        gate.set()

    opener = threading.Thread(target=forget_then_open)
    opener.start()
    outcomes = call_in_threads(2, lambda _: cache["page"])
    opener.join()
    first = outcomes[0]
    assert isinstance(first, Page)
    assert outcomes[1] is first  # the thread that ran create and the one waiting
    assert calls == ["page"]
    assert "page" not in cache  # although the value lives
    assert len(cache) == 0
    again = cache["page"]
    assert again is not first
    assert calls == ["page", "page"]
    assert cache["page"] is again


def test_a_failing_create_for_a_discarded_key_leaves_the_newer_create_in_place(
    caches: CacheImplementation,
) -> None:
    old_may_fail, new_may_return = threading.Event(), threading.Event()
    error = LookupError("the old source is gone")
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        if len(calls) == 1:
            old_may_fail.wait(60)
            raise error
        new_may_return.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)
    with ThreadPoolExecutor(max_workers=4) as pool:
        try:
            old_creator = pool.submit(lambda: cache["page"])
            wait_until(lambda: misses(cache) == 1, "the old create started")
            old_waiter = pool.submit(lambda: cache["page"])
            wait_until(lambda: misses(cache) == 2, "a lookup waits for the old create")
            cache.discard("page")
            new_creator = pool.submit(lambda: cache["page"])
            wait_until(lambda: len(calls) == 2, "the new create started")
            old_may_fail.set()
            assert old_creator.exception(60) is error
            copied = old_waiter.exception(60)
            assert isinstance(copied, LookupError)
            assert copied.__cause__ is error
            late = pool.submit(lambda: cache["page"])
            wait_until(lambda: misses(cache) == 4, "a late lookup missed")
            new_may_return.set()
            page = new_creator.result(60)
            assert late.result(60) is page  # it waited for the new create
        finally:
            old_may_fail.set()
            new_may_return.set()
    assert calls == ["page", "page"]
    assert cache.get("page") is page


class PageError(Exception):
    """An exception given an attribute after it is made."""

    status: int


class PageMissingError(Exception):
    """Made from two arguments, but copied (and pickled) through its own ``__reduce__``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason

    def __reduce__(self) -> tuple[type[PageMissingError], tuple[str, str]]:
        return PageMissingError, (self.path, self.reason)


def with_attribute() -> Exception:
    error = PageError("no such page")
    error.status = 404
    return error


def with_notes() -> Exception:
    error = LookupError("no such page")
    error.add_note("while loading the home page")
    return error


class AttributesRaiseError(Exception):
    """Raises RuntimeError, not AttributeError, for any attribute it lacks."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"no {name}")


class CopiesWithTracebackError(Exception):
    """Its ``__copy__`` keeps the original's traceback."""

    def __copy__(self) -> CopiesWithTracebackError:
        return type(self)(*self.args).with_traceback(self.__traceback__)


COPYABLE: list[Callable[[], Exception]] = [
    lambda: LookupError("no such page"),
    with_attribute,
    with_notes,
    lambda: OSError(2, "No such file or directory", "page.html"),
    lambda: PageMissingError("page.html", "gone"),
    lambda: ExceptionGroup("pages failed", [LookupError("a"), ValueError("b")]),
    lambda: AttributesRaiseError("no such page"),
    lambda: CopiesWithTracebackError("no such page"),
]
COPYABLE_IDS = [
    "plain",
    "attribute",
    "notes",
    "oserror",
    "own-reduce",
    "group",
    "getattr-raises",
    "copy-keeps-traceback",
]


class TwoArgumentsError(Exception):
    """Its ``__init__`` takes two arguments while its args hold one message: no copy."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


class CopyRaisesError(Exception):
    def __copy__(self) -> CopyRaisesError:
        raise RuntimeError("no copies")


class ReduceRaisesError(Exception):
    def __reduce__(self) -> str:
        raise TypeError("no reduction")


class CopiesAsAnotherTypeError(Exception):
    def __copy__(self) -> Exception:
        return LookupError(*self.args)


class CopiesAsItselfError(Exception):
    def __copy__(self) -> CopiesAsItselfError:
        return self


class CopiesAsTextError(Exception):
    def __copy__(self) -> str:
        return "a copy"


class SlottedError(Exception):
    """Holds an attribute in a slot, which copy.copy would leave out of the copy."""

    __slots__ = ("status",)
    status: int


def slotted() -> Exception:
    error = SlottedError("no such page")
    error.status = 404
    return error


UNCOPYABLE: list[Callable[[], Exception]] = [
    lambda: TwoArgumentsError("page.html", "gone"),
    lambda: CopyRaisesError("no such page"),
    lambda: ReduceRaisesError("no such page"),
    lambda: CopiesAsAnotherTypeError("no such page"),
    lambda: CopiesAsItselfError("no such page"),
    lambda: CopiesAsTextError("no such page"),
    slotted,
]
UNCOPYABLE_IDS = [
    "init-refuses",
    "copy-raises",
    "reduce-raises",
    "other-type",
    "itself",
    "text",
    "slots",
]


@dataclass
class Caught:
    """An exception a thread caught, and the frame of the function that caught it."""

    error: BaseException
    frame: types.FrameType


@dataclass
class FailedTogether:
    """What ``THREADS`` threads missing one key at once caught, when create raised ``error``."""

    error: Exception
    caught: list[Caught]
    calls: list[str]
    cache: intern.WeakCache[str, Page]


def fail_together(
    gate: threading.Event, error: Exception, caches: CacheImplementation
) -> FailedTogether:
    """Have ``THREADS`` threads look up one key whose first create raises ``error``.

    The first call of create waits until every thread has missed, and so waits for
    it; later calls return a new Page.
    """
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        gate.wait(60)
        if len(calls) == 1:
            raise error
        return Page(key)

    cache = caches.WeakCache(create)

    def look_up(_: int) -> Caught:
        frame = inspect.currentframe()
        assert frame is not None
        try:
            cache["page"]
        except Exception as caught:  # noqa: BLE001 -- the test judges what was caught
            return Caught(caught, frame)
        raise AssertionError("create did not fail")

    opener = open_when(gate, lambda: misses(cache) == THREADS, "all threads missed")
    outcomes = call_in_threads(THREADS, look_up)
    opener.join()
    caught = [outcome for outcome in outcomes if isinstance(outcome, Caught)]
    assert len(caught) == THREADS, outcomes
    return FailedTogether(error, caught, calls, cache)


def functions_in(error: BaseException) -> list[str]:
    return [frame.f_code.co_name for frame, _ in traceback.walk_tb(error.__traceback__)]


@pytest.mark.parametrize("make_error", COPYABLE, ids=COPYABLE_IDS)
def test_each_waiter_raises_its_own_copy_of_the_exception_chained_to_the_original(
    gate: threading.Event,
    make_error: Callable[[], Exception],
    caches: CacheImplementation,
) -> None:
    error = make_error()
    failed = fail_together(gate, error, caches=caches)
    creators = [caught for caught in failed.caught if caught.error is error]
    waiters = [caught.error for caught in failed.caught if caught.error is not error]
    assert len(creators) == 1  # the thread that ran create raises what it raised
    assert error.__cause__ is None
    assert "create" in functions_in(error)
    for own in waiters:
        assert type(own) is type(error)
        assert own.__cause__ is error
        assert own.args == error.args
        assert str(own) == str(error)
        assert vars(own) == vars(error)
        assert "create" not in functions_in(own)  # create ran in another thread
    # Each traceback is its thread's own: it starts in the frame that caught it.
    for caught in failed.caught:
        assert caught.error.__traceback__ is not None
        assert caught.error.__traceback__.tb_frame is caught.frame
    assert len({id(caught.error) for caught in failed.caught}) == THREADS
    assert len({id(caught.error.__traceback__) for caught in failed.caught}) == THREADS
    if "__notes__" in vars(error):  # a note one caller adds reaches no other
        assert len({id(caught.error.__notes__) for caught in failed.caught}) == THREADS
    assert failed.calls == ["page"]


@pytest.mark.parametrize("make_error", UNCOPYABLE, ids=UNCOPYABLE_IDS)
def test_an_exception_that_cannot_be_copied_reaches_every_waiter_as_the_original(
    gate: threading.Event,
    make_error: Callable[[], Exception],
    caches: CacheImplementation,
) -> None:
    error = make_error()
    failed = fail_together(gate, error, caches=caches)
    assert all(caught.error is error for caught in failed.caught)
    assert error.__cause__ is None
    assert failed.calls == ["page"]


def test_a_failed_create_counts_one_miss_per_caller_and_caches_nothing(
    gate: threading.Event, caches: CacheImplementation
) -> None:
    failed = fail_together(gate, LookupError("no such page"), caches=caches)
    assert counters(failed.cache) == (0, THREADS)
    assert len(failed.cache) == 0
    assert "page" not in failed.cache
    assert failed.cache["page"].key == "page"  # the next lookup tries again
    assert failed.calls == ["page", "page"]
    assert counters(failed.cache) == (0, THREADS + 1)


def test_waiters_sharing_an_uncopyable_exception_get_tracebacks_that_do_not_grow(
    gate: threading.Event,
    caches: CacheImplementation,
) -> None:
    # Every waiter raises the one exception create raised: each raise must start
    # again from create's traceback, not add to the one the previous waiter left.
    # A long switch interval keeps each raise and its catch in one turn of the GIL.
    calls: list[str] = []

    def create(key: str) -> Page:
        calls.append(key)
        gate.wait(60)
        raise TwoArgumentsError(key, "no such page")

    cache = caches.WeakCache(create)

    def look_up(_: int) -> int:
        try:
            cache["page"]
        except TwoArgumentsError as error:
            return len(traceback.extract_tb(error.__traceback__))
        raise AssertionError("create did not fail")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(10)
    try:
        opener = open_when(gate, lambda: misses(cache) == THREADS, "all threads missed")
        depths = call_in_threads(THREADS, look_up)
        opener.join()
    finally:
        sys.setswitchinterval(interval)
    assert calls == ["page"]
    assert all(isinstance(depth, int) for depth in depths), depths
    assert max(cast("list[int]", depths)) <= min(cast("list[int]", depths)) + 1, depths


class Interrupted(BaseException):
    """Like KeyboardInterrupt: not an Exception, so it is not shared with waiters."""


@pytest.mark.parametrize(
    "make_interruption",
    [Interrupted, lambda: BaseExceptionGroup("interrupted", [Interrupted()])],
    ids=["base-exception", "base-exception-group"],
)
def test_create_interrupted_by_a_base_exception_lets_the_waiters_try_again(
    gate: threading.Event,
    make_interruption: Callable[[], BaseException],
    caches: CacheImplementation,
) -> None:
    interruption = make_interruption()
    missed = miss_together(gate, first_call_raises=interruption, caches=caches)
    interrupted = [outcome for outcome in missed.outcomes if outcome is interruption]
    pages = [outcome for outcome in missed.outcomes if isinstance(outcome, Page)]
    assert len(interrupted) == 1
    assert len(pages) == THREADS - 1
    assert all(page is pages[0] for page in pages)
    assert missed.calls == ["page", "page"]
    assert counters(missed.cache) == (0, THREADS)  # a caller that tried again counts once


def test_creates_waiting_for_each_other_across_threads_raise_runtime_error(
    caches: CacheImplementation,
) -> None:
    # create("a") needs "b" and create("b") needs "a", each started in its own thread:
    # the second wait would close the cycle, so it raises; the first then fails with it.
    started = {key: threading.Event() for key in "ab"}
    cache: intern.WeakCache[str, Page]

    def create(key: str) -> Page:
        started[key].set()
        other = "b" if key == "a" else "a"
        assert started[other].wait(60)
        return Page(cache[other])

    cache = caches.WeakCache(create)
    outcomes = call_in_threads(2, lambda index: cache["ab"[index]])
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes), outcomes
    assert "asked for its own key through other threads" in str(outcomes[0])
    assert len(cache) == 0


class Collector:
    """A thread that collects the young generation in a loop, until the block ends."""

    def __enter__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            gc.collect(0)

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()


def test_concurrent_churn_keeps_one_live_value_per_key(caches: CacheImplementation) -> None:
    cache: intern.WeakCache[int, Page] = caches.WeakCache(Page)

    def work(index: int) -> None:
        rng = random.Random(index)
        held: dict[int, Page] = {}
        for _ in range(1500):
            key = rng.randrange(30)
            page = cache[key]
            assert page.key == key
            if key in held:
                assert held[key] is page  # held values stay canonical
            if rng.random() < 0.3:
                page.me = page  # a cycle, for the collector
            if rng.random() < 0.5:
                held[key] = page
            else:
                held.pop(key, None)

    with Collector():
        outcomes = call_in_threads(THREADS, work)
    assert [outcome for outcome in outcomes if outcome is not None] == []
    collect()
    assert len(cache) == 0


def test_discards_racing_with_lookups_leave_a_sound_cache(caches: CacheImplementation) -> None:
    cache: intern.WeakCache[int, Page] = caches.WeakCache(Page)

    def work(index: int) -> None:
        rng = random.Random(index)
        held: list[Page] = []
        for _ in range(1500):
            key = rng.randrange(30)
            if index == 0:
                cache.discard(key)
                continue
            page = cache[key]
            assert page.key == key
            found = cache.get(key)
            assert found is None or found.key == key
            held.append(page)
            if len(held) > 10:
                held.pop(0)

    with Collector():
        outcomes = call_in_threads(THREADS, work)
    assert [outcome for outcome in outcomes if outcome is not None] == []
    pages = {key: cache[key] for key in range(30)}
    assert all(cache[key] is page for key, page in pages.items())
    del pages
    collect()
    assert len(cache) == 0


# Fork and exit.


class BlockingKey:
    """A key whose second comparison (the one made under the cache's lock) blocks."""

    entered = threading.Event()
    release = threading.Event()
    comparisons = 0

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        BlockingKey.comparisons += 1
        if BlockingKey.comparisons == 2:
            BlockingKey.entered.set()
            BlockingKey.release.wait(60)
        return self is other


def run_in_child(check: Callable[[], bool]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: only this thread exists
        status = 1
        try:
            status = 0 if check() else 1
        finally:
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_can_use_the_cache_while_a_parent_thread_held_its_lock(
    caches: CacheImplementation,
) -> None:
    cache: intern.WeakCache[Any, Page] = caches.WeakCache(Page)
    keep = cache[BlockingKey()]  # an entry with the same hash, so that lookups compare
    BlockingKey.comparisons = 0
    BlockingKey.entered.clear()
    BlockingKey.release.clear()
    holder = threading.Thread(target=lambda: cache[BlockingKey()])
    holder.start()
    try:
        assert BlockingKey.entered.wait(60), "the holder thread never compared under the lock"
        lock: Any = cache._lock  # pyright: ignore[reportPrivateUsage] -- proves the lock is held
        assert not lock.acquire(blocking=False)
        exit_code = run_in_child(lambda: cache["after fork"].key == "after fork")
    finally:
        BlockingKey.release.set()
        holder.join()
    assert exit_code == 0
    assert keep.key is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_creates_a_key_whose_create_was_running_in_a_parent_thread(
    gate: threading.Event,
    caches: CacheImplementation,
) -> None:
    def create(key: str) -> Page:
        if threading.current_thread() is not threading.main_thread():
            gate.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)
    creating = threading.Thread(target=lambda: cache["page"])
    creating.start()
    try:
        wait_until(lambda: misses(cache) == 1, "the parent thread's create started")
        exit_code = run_in_child(lambda: cache["page"].key == "page")
    finally:
        gate.set()
        creating.join()
    assert exit_code == 0


EXIT_SCRIPT = """
import collections, gc, os, sys, intern

class Page:
    def __init__(self, key):
        self.key = key
        self.me = self  # a cycle: freed by a collection, or at exit

cache = intern.WeakCache(Page)

@intern.weak_cache
def page(key):
    return Page(key)

class UsesCachesWhenFinalized:
    # Attached to modules below, it is finalized while shutdown clears module
    # globals, so it takes what it uses as default arguments.
    def __init__(self, tag):
        self.tag = tag
    def __del__(self, cache=cache, page=page, write=os.write):
        assert cache[("finalized", self.tag)].key == ("finalized", self.tag)
        assert page(self.tag).key == self.tag
        write(1, f"finalized {self.tag}\\n".encode())

live = [cache[number] for number in range(50)] + [page(number) for number in range(50)]
for number in range(50, 100):
    cache[number], page(number)  # left for shutdown
os._intern_test_finalizer = UsesCachesWhenFinalized("os")
collections._intern_test_finalizer = UsesCachesWhenFinalized("collections")
sys._intern_test_finalizer = UsesCachesWhenFinalized("sys")
gc.disable()
print("ok", flush=True)
"""


def test_interpreter_exit_with_live_entries_cycles_and_finalizers_is_quiet(
    variant: Variant,
) -> None:
    result = run_python(EXIT_SCRIPT, variant)
    assert result.stderr == ""
    assert result.stdout.startswith("ok\n")
    finalized = sorted(result.stdout.splitlines()[1:])
    assert finalized == ["finalized collections", "finalized os", "finalized sys"]
    assert result.returncode == 0


# The hit path, attacked: what runs between finding an entry and returning its value.


def test_a_dead_reference_left_in_the_dict_is_a_miss_never_none(
    caches: CacheImplementation, creator: Creator
) -> None:
    cache = caches.WeakCache(creator)
    gone = Page("gone")
    # White-box: a reference whose referent died before its callback removed it.
    cache._values["page"] = weakref.ref(gone)  # type: ignore[assignment]  # pyright: ignore[reportPrivateUsage, reportArgumentType]
    del gone
    page = cache["page"]
    assert isinstance(page, Page)
    assert page.key == "page"
    assert creator.calls == ["page"]
    assert counters(cache) == (0, 1)


class Colliding:
    """A key equal to others of its name, whose every hash is one, and whose ``__eq__`` acts.

    A dict compares a stored key with the one looked up by the stored key's ``__eq__``:
    arm a stored key's ``action`` to run user code inside a later lookup.
    """

    def __init__(self, name: str, action: Callable[[], object] = lambda: None) -> None:
        self.name = name
        self.action = action

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        self.action()
        return isinstance(other, Colliding) and other.name == self.name


def test_a_key_eq_that_drops_the_last_reference_to_the_value_gets_a_new_live_one(
    caches: CacheImplementation, creator: Creator
) -> None:
    cache = caches.WeakCache(creator)
    stored = Colliding("page")
    held = [cache[stored]]
    stored.action = held.clear  # the value dies inside the next lookup
    page = cache[Colliding("page")]
    assert isinstance(page, Page)
    assert page.key == Colliding("page")
    assert cache[Colliding("page")] is page
    assert len(creator.calls) == 2  # the first value died: made again, never None


@pytest.mark.parametrize("action", ["clear", "discard", "collect", "fill"])
def test_a_key_eq_that_changes_the_cache_during_a_hit_leaves_it_sound(
    caches: CacheImplementation, creator: Creator, action: str
) -> None:
    cache = caches.WeakCache(creator)
    keys = [Colliding(f"page {number}") for number in range(5)]
    pages = [cache[key] for key in keys]
    stored = keys[3]

    def act() -> None:
        stored.action = lambda: None  # once: the lookups below compare with it too
        if action == "clear":
            cache.clear()
        elif action == "discard":
            cache.discard(Colliding("page 3"))
        elif action == "collect":
            gc.collect()
        else:
            pages.extend(cache[Colliding(f"other {number}")] for number in range(20))

    stored.action = act
    page = cache[Colliding("page 3")]
    assert isinstance(page, Page)
    assert cache[Colliding("page 3")] is page
    pages.clear()
    collect()
    assert len(cache) == 1  # only page 3's value lives


def test_a_key_eq_that_raises_propagates_and_counts_nothing(
    caches: CacheImplementation, creator: Creator
) -> None:
    cache = caches.WeakCache(creator)
    stored = Colliding("page")
    page = cache[stored]

    def fail() -> None:
        raise PageError("no comparing")

    stored.action = fail
    with pytest.raises(PageError, match="no comparing"):
        cache[Colliding("page")]
    assert counters(cache) == (0, 1)
    stored.action = lambda: None
    assert cache[Colliding("page")] is page


def test_a_hit_holds_the_value_it_returns_while_others_drop_theirs(
    caches: CacheImplementation,
) -> None:
    cache = caches.WeakCache(Page)
    for round_number in range(200):
        page = cache[round_number]
        ref = weakref.ref(page)
        found = cache[round_number]  # the caller's reference, taken before ours goes
        del page
        assert found.key == round_number
        assert found is ref()
        del found
        assert ref() is None
    assert len(cache) == 0


def test_hits_while_other_threads_miss_other_keys_take_no_lock_and_count_exactly(
    gate: threading.Event, caches: CacheImplementation
) -> None:
    hits_each = 2_000

    def create(key: str) -> Page:
        if key.startswith("slow"):
            gate.wait(60)
        return Page(key)

    cache = caches.WeakCache(create)
    page = cache["hot"]
    slow = [threading.Thread(target=cache.__getitem__, args=(f"slow {n}",)) for n in range(2)]
    for thread in slow:
        thread.start()
    wait_until(lambda: misses(cache) == 3, "the slow creates started")
    with cache._lock:  # pyright: ignore[reportPrivateUsage] -- as a miss's bookkeeping would
        outcomes = call_in_threads(
            THREADS, lambda _: all(cache["hot"] is page for _ in range(hits_each))
        )
    gate.set()
    for thread in slow:
        thread.join()
    assert outcomes == [True] * THREADS
    assert counters(cache) == (THREADS * hits_each, 3)


def test_hits_and_misses_count_exactly_under_churn(caches: CacheImplementation) -> None:
    cache = caches.WeakCache(Page)
    rounds = 500
    keep = [cache[key] for key in range(4)]

    def work(index: int) -> tuple[int, int]:
        hits = misses_seen = 0
        for number in range(rounds):
            before = cache.get(("mine", index, number))
            assert before is None
            cache[("mine", index, number)]  # a miss: its value dies at once
            misses_seen += 1
            assert cache[number % 4] is keep[number % 4]
            hits += 1
        return hits, misses_seen

    outcomes = call_in_threads(THREADS, work)
    assert all(not isinstance(outcome, BaseException) for outcome in outcomes), outcomes
    assert counters(cache) == (THREADS * rounds, THREADS * rounds + 4)


def test_hits_and_misses_leave_every_reference_count_as_it_was(
    caches: CacheImplementation,
) -> None:
    cache = caches.WeakCache(Page)
    kept, passing = Colliding("kept"), Colliding("passing")
    page = cache[kept]

    def counts() -> list[int]:
        collect()
        return [sys.getrefcount(thing) for thing in (kept, passing, page, cache)]

    cache[passing]  # a miss whose value dies at once, and its entry with it
    before = counts()
    for _ in range(1_000):
        assert cache[kept] is page
        cache[passing]
    assert counts() == before
