"""What checkers infer for WeakCache and @weak_cache."""

from __future__ import annotations

from typing import assert_type

import intern
from intern import CacheInfo, WeakCache


class Page:
    def __init__(self, path: str) -> None:
        self.path = path


pages = WeakCache(Page)
assert_type(pages, WeakCache[str, Page])
assert_type(pages["index"], Page)
assert_type(pages.get("index"), Page | None)
assert_type(pages.get("index", None), Page | None)
fallback = Page("fallback")
assert_type(pages.get("index", fallback), Page)
assert_type(pages.get("index", default=fallback), Page)
assert_type(pages.get("index", 0), Page | int)
assert_type("index" in pages, bool)
assert_type(len(pages), int)
pages.discard("index")
pages.clear()

handles: WeakCache[int, intern.Handle[int]] = WeakCache(intern.make)
assert_type(handles[1].value, int)


def page_of(number: int) -> Page:
    return Page(str(number))


by_number = WeakCache[int, Page](page_of)
assert_type(by_number[3], Page)


@intern.weak_cache
def load(path: str, *, fresh: bool = False) -> Page:
    return Page(path)


assert_type(load("index"), Page)
assert_type(load("index", fresh=True), Page)
assert_type(load.cache_info(), CacheInfo)
assert_type(load.cache_info().hits, int)
assert_type(load.cache_info().misses, int)
assert_type(load.cache_info().maxsize, None)
assert_type(load.cache_info().currsize, int)
assert_type(load.cache_clear(), None)


class Book:
    @intern.weak_cache
    def page(self, number: int) -> Page:
        return Page(str(number))


book = Book()
assert_type(book.page(1), Page)
assert_type(Book.page(book, 1), Page)
assert_type(Book.page.cache_info(), CacheInfo)
