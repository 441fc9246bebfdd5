"""What checkers infer for make_deep and Pool, and for parsed data through a pool."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, NamedTuple, assert_type

import intern
from intern import Handle, Pool, PoolStats


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

with Pool() as pool:
    rows = [pool.row(row) for row in csv.reader(io.StringIO("a,b\n"))]
    assert_type(rows, list[tuple[str, ...]])
    assert_type(pool.row([1, 2]), tuple[int, ...])
    assert_type(pool.row(iter(["GET", "PUT"])), tuple[str, ...])
    assert_type(pool.dedup(json.loads("{}")), Any)
    record: dict[str, list[int]] = pool.dedup({"a": [1]})
    assert_type(pool.dedup([("a", 1)]), list[tuple[str, int]])
    assert_type(pool.stats(), PoolStats)
    assert_type(pool.stats().bytes_saved, int)
    assert_type(pool.interner, intern.Interner[Any])
