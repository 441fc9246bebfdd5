"""What checkers infer for make_deep and Pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, assert_type

import intern
from intern import Handle, Pool


class Point(NamedTuple):
    x: str
    y: int


@dataclass(frozen=True)
class Request:
    method: str
    point: Point


assert_type(intern.make_deep("GET"), Handle[str])
assert_type(intern.make_deep(Point("a", 1)), Handle[Point])
assert_type(intern.make_deep(Request("GET", Point("a", 1))).value.point.x, str)

with Pool() as pool:
    assert_type(pool, Pool)
    assert_type(pool.value("GET"), str)
    assert_type(pool.value(Point("a", 1)), Point)
    assert_type(pool.value_deep(Request("GET", Point("a", 1))), Request)
    assert_type(pool.make(404), Handle[int])
    assert_type(len(pool), int)

assert_type(Pool(intern.Interner[str]()).value("x"), str)
