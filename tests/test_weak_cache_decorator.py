"""@weak_cache: a function's results cached weakly by argument, functools-style."""

from __future__ import annotations

import copy
import functools
import inspect
import itertools
import pickle
import sys
import threading
import weakref
from dataclasses import dataclass, field

import pytest

import intern
from intern._cache import CacheImplementation
from tests.helpers import call_in_threads, collect, wait_until


@dataclass(eq=False)
class Page:
    """A result: weakly referenceable, compared by identity."""

    number: int
    size: int = 0
    me: Page | None = field(default=None, repr=False)


calls: list[tuple[int, int]] = []


@intern.weak_cache  # decorated anew on each implementation by the fixture below
def load_page(number: int, size: int = 10) -> Page:
    """Load one page (the docstring is kept)."""
    calls.append((number, size))
    return Page(number, size)


@pytest.fixture(autouse=True)
def fresh_load_page(caches: CacheImplementation, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decorate load_page and Book.page anew, on the implementation under test."""
    monkeypatch.setitem(globals(), "load_page", caches.weak_cache(load_page.__wrapped__))
    monkeypatch.setattr(Book, "page", caches.weak_cache(Book.page.__wrapped__))
    calls.clear()


def test_equal_arguments_share_one_result_while_it_lives() -> None:
    page = load_page(1)
    assert load_page(1) is page
    assert load_page(2) is not page
    assert load_page(1, 20) is not page
    assert calls == [(1, 10), (2, 10), (1, 20)]


def test_result_is_made_again_after_it_is_collected() -> None:
    page = load_page(1)
    page_ref = weakref.ref(page)
    del page
    assert page_ref() is None  # the cache did not keep it
    assert load_page.cache_info().currsize == 0
    load_page(1)
    assert calls == [(1, 10), (1, 10)]


def test_result_in_a_cycle_is_released_at_the_next_collection() -> None:
    page = load_page(1)
    page.me = page
    del page
    assert load_page.cache_info().currsize == 1
    collect()
    assert load_page.cache_info().currsize == 0


def test_positional_and_keyword_arguments_make_different_entries_as_in_functools() -> None:
    pages = [load_page(1, 10), load_page(1, size=10), load_page(number=1, size=10)]
    assert load_page(1, size=10) is pages[1]
    assert len({id(page) for page in pages}) == 3
    assert [page.size for page in pages] == [10, 10, 10]


def test_cache_info_counts_hits_misses_and_live_entries() -> None:
    assert load_page.cache_info() == intern.CacheInfo(hits=0, misses=0, maxsize=None, currsize=0)
    first = load_page(1)
    load_page(1)
    load_page(1)
    second = load_page(2)
    assert load_page.cache_info() == intern.CacheInfo(hits=2, misses=2, maxsize=None, currsize=2)
    del first
    assert load_page.cache_info() == intern.CacheInfo(hits=2, misses=2, maxsize=None, currsize=1)
    assert second.number == 2


def test_cache_clear_forgets_results_and_resets_the_statistics() -> None:
    page = load_page(1)
    load_page(1)
    load_page.cache_clear()
    assert load_page.cache_info() == intern.CacheInfo(hits=0, misses=0, maxsize=None, currsize=0)
    again = load_page(1)
    assert again is not page
    assert load_page.cache_info() == intern.CacheInfo(hits=0, misses=1, maxsize=None, currsize=1)


def test_unhashable_arguments_raise_type_error(caches: CacheImplementation) -> None:
    @caches.weak_cache
    def first_page(numbers: list[int]) -> Page:
        return Page(numbers[0])

    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        first_page([1, 2])


def test_results_that_cannot_be_weakly_referenced_raise_type_error(
    caches: CacheImplementation,
) -> None:
    @caches.weak_cache
    def count(text: str) -> int:
        return len(text)

    with pytest.raises(TypeError, match=r"create returned 'int'.*intern\.make"):
        count("abc")
    assert count.cache_info().currsize == 0


def test_exception_from_the_function_propagates_and_is_not_cached(
    caches: CacheImplementation,
) -> None:
    failures = [KeyError("not yet")]

    @caches.weak_cache
    def flaky(number: int) -> Page:
        if failures:
            raise failures.pop()
        return Page(number)

    with pytest.raises(KeyError, match="not yet"):
        flaky(1)
    page = flaky(1)
    assert page.number == 1
    assert flaky.cache_info() == intern.CacheInfo(hits=0, misses=2, maxsize=None, currsize=1)


def test_decorated_function_keeps_its_name_doc_and_signature() -> None:
    assert load_page.__name__ == "load_page"
    assert load_page.__qualname__ == "load_page"
    assert load_page.__module__ == __name__
    assert load_page.__doc__ == "Load one page (the docstring is kept)."
    assert inspect.signature(load_page) == inspect.signature(load_page.__wrapped__)
    assert list(inspect.signature(load_page).parameters) == ["number", "size"]
    assert repr(load_page).startswith("<weak_cache of <function load_page at ")


def test_concurrent_calls_with_equal_arguments_call_the_function_once(
    caches: CacheImplementation,
) -> None:
    threads = 8
    gate = threading.Event()
    made: list[int] = []

    @caches.weak_cache
    def slow_page(number: int) -> Page:
        made.append(number)
        gate.wait(60)
        return Page(number)

    def open_gate() -> None:
        wait_until(lambda: slow_page.cache_info().misses == threads, "all threads missed")
        gate.set()

    opener = threading.Thread(target=open_gate)
    opener.start()
    try:
        pages = call_in_threads(threads, lambda _: slow_page(7))
    finally:
        gate.set()
        opener.join()
    assert made == [7]
    assert all(page is pages[0] for page in pages)
    assert slow_page.cache_info() == intern.CacheInfo(
        hits=0, misses=threads, maxsize=None, currsize=1
    )


class Book:
    """Results cached per book and page number, through a decorated method."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.loads = 0

    @intern.weak_cache  # decorated anew on each implementation by fresh_load_page
    def page(self, number: int) -> Page:
        self.loads += 1
        return Page(number)


def test_a_decorated_method_caches_by_instance_and_arguments() -> None:
    first, second = Book("first"), Book("second")
    page = first.page(1)
    assert first.page(1) is page
    assert second.page(1) is not page
    assert (first.loads, second.loads) == (1, 1)
    assert Book.page.cache_info().hits == 1
    assert Book.page(first, 1) is page  # through the class, the instance is an argument


def test_an_instance_is_released_once_its_cached_results_are() -> None:
    book = Book("short-lived")
    book_ref = weakref.ref(book)
    page = book.page(1)
    del book
    assert book_ref() is not None  # held by the key while the result lives
    del page
    assert book_ref() is None


def test_a_decorated_function_pickles_and_copies_as_itself() -> None:
    assert pickle.loads(pickle.dumps(load_page)) is load_page
    assert copy.copy(load_page) is load_page
    assert copy.deepcopy(load_page) is load_page


class Loud:
    """An argument whose hash and equality are those of its number, and may raise."""

    def __init__(self, number: int, fail: bool = False) -> None:
        self.number = number
        self.fail = fail

    def __hash__(self) -> int:
        if self.fail:
            raise PageError("no hashing")
        return hash(self.number)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loud) and other.number == self.number


class PageError(Exception):
    pass


CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((1,), {}),
    ((1.0,), {}),
    ((True,), {}),
    (("a",), {}),
    ((("a",),), {}),
    (("a", "b"), {}),
    ((), {"a": "b"}),
    (("a",), {"b": 1}),
    ((), {"b": 1, "a": "b"}),
    ((), {"a": "b", "b": 1}),
    ((Loud(1),), {}),
    ((Loud(1), 2), {}),
    ((), {}),
]


def test_calls_share_an_entry_exactly_when_functools_keys_them_equal(
    caches: CacheImplementation,
) -> None:
    made: list[int] = []

    @caches.weak_cache
    def load(*args: object, **kwargs: object) -> Page:
        made.append(len(made))
        return Page(len(made))

    keys = [functools._make_key(args, kwargs, typed=False) for args, kwargs in CALLS]  # pyright: ignore[reportPrivateUsage]
    results = [load(*args, **kwargs) for args, kwargs in CALLS]
    for (first_key, first), (second_key, second) in itertools.product(
        zip(keys, results, strict=True), repeat=2
    ):
        assert (first is second) == (first_key == second_key)


def test_an_argument_whose_hash_raises_propagates_and_counts_nothing(
    caches: CacheImplementation,
) -> None:
    @caches.weak_cache
    def load(key: object) -> Page:
        return Page(0)

    with pytest.raises(PageError, match="no hashing"):
        load(Loud(1, fail=True))
    with pytest.raises(PageError, match="no hashing"):
        load(key=Loud(1, fail=True))
    assert load.cache_info() == intern.CacheInfo(0, 0, None, 0)


def test_hits_from_threads_while_others_miss_count_exactly(caches: CacheImplementation) -> None:
    rounds = 1_000

    @caches.weak_cache
    def load(number: int, size: int = 0) -> Page:
        return Page(number, size)

    kept = [load(number) for number in range(4)]

    def work(index: int) -> bool:
        same = True
        for number in range(rounds):
            load(number, size=index + 1)  # a miss: its result dies at once
            same = same and load(number % 4) is kept[number % 4]
        return same

    threads = 4
    assert call_in_threads(threads, work) == [True] * threads
    info = load.cache_info()
    assert (info.hits, info.misses) == (threads * rounds, threads * rounds + 4)


def test_calls_leave_every_reference_count_as_they_were(caches: CacheImplementation) -> None:
    @caches.weak_cache
    def load(*args: object, **kwargs: object) -> Page:
        return Page(len(args))

    first, second = Loud(1), Loud(2)
    kept = load(first, second, key=first)

    def counts() -> list[int]:
        collect()
        return [sys.getrefcount(thing) for thing in (first, second, kept, load)]

    load(second, key=second)
    before = counts()
    for _ in range(1_000):
        assert load(first, second, key=first) is kept
        load(second, key=second)  # a miss whose result dies at once
        with pytest.raises(TypeError):
            load([first])
    assert counts() == before
