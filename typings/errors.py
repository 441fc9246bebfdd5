"""What checkers must reject: each line names the error it expects.

The subclass of Handle comes last: mypy takes code after it as unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import intern
from intern import Handle, Interner


def wants_text(handle: Handle[str]) -> str:
    return handle.value


wants_text(intern.make(1))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

intern.make([1, 2])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
intern.make({"a": 1})  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]

methods = Interner[str]()
methods.make(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
methods.get(b"GET")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

handle = intern.make("GET")
handle.value = "PUT"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
wrong: Handle[int] = handle  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

# Handles come from make() only; constructing one raises TypeError at run time.
Handle("x")  # type: ignore[call-arg, arg-type]  # pyright: ignore[reportCallIssue]
Handle()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]

stats = intern.stats()
stats.live = 0  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


def close_descriptor(fd: int) -> None:
    pass


class Resource:
    pass


resource = Resource()
intern.add_cleanup(resource, close_descriptor, "3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
intern.add_cleanup(resource, close_descriptor)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
intern.add_cleanup(obj=resource, fn=print, arg=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
cleanup = intern.add_cleanup(resource, print, "x")
cleanup.pending = False  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


class Page:
    def __init__(self, path: str) -> None:
        self.path = path


pages = intern.WeakCache(Page)
pages[1]  # type: ignore[index]  # pyright: ignore[reportArgumentType]
pages.get(1)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
pages.discard(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
wrong_page: Handle[str] = pages["index"]  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


def first_page(numbers: list[int]) -> Page:
    return Page(str(numbers[0]))


intern.WeakCache(first_page)  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
unhashable_keys: intern.WeakCache[list[int], Page]  # type: ignore[type-var]  # pyright: ignore[reportInvalidTypeArguments]


@intern.weak_cache
def load(path: str, *, fresh: bool = False) -> Page:
    return Page(path)


load(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
load("index", fresh="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
load("index", True)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
load()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
load.cache_info().hits = 0  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


class Book:
    @intern.weak_cache
    def page(self, number: int) -> Page:
        return Page(str(number))


Book().page("one")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

intern.make_deep([1, 2])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
pool = intern.Pool()
pool.value({"a": 1})  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
pool.value_deep({1, 2})  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
text: str = pool.value(1)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
pool.row(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
pool.row([[1]])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
numbers: tuple[str, ...] = pool.row([1])  # type: ignore[list-item]  # pyright: ignore[reportAssignmentType]
kept: dict[str, int] = pool.dedup([1])  # type: ignore[arg-type]  # pyright: ignore[reportAssignmentType]


@intern.interned
@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0


Point("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
Point(1, 2, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
Point(1).x = 2  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
intern.interned(Point(1))  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]


# Last: checkers treat what follows a refused subclass of a final class as unreachable.
class MyHandle(Handle[str]):  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
    pass
