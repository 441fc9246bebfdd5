"""What checkers infer for make, Handle, Interner and stats."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import assert_type

import intern
from intern import Handle, Interner, Stats


@dataclass(frozen=True)
class Record:
    name: str
    size: int


method = intern.make("GET")
assert_type(method, Handle[str])
assert_type(method.value, str)
assert_type(intern.make(404), Handle[int])


def parse(line: str) -> tuple[str, int]:
    method, status = line.split()
    return method, int(status)


assert_type(intern.make(parse("GET 200")), Handle[tuple[str, int]])
assert_type(intern.make(Record("a", 1)).value, Record)
assert_type(intern.make(None), Handle[None])


def status_code(handle: Handle[int]) -> int:
    return handle.value


status_code(intern.make(True))  # Handle is covariant: a Handle[bool] is a Handle[int]


def same(first: Handle[str], second: Handle[str]) -> bool:
    return first is second


same(intern.make("a"), intern.make("b"))

methods = Interner[str]()
assert_type(methods.make("GET"), Handle[str])
assert_type(methods.get("GET"), Handle[str] | None)
assert_type("GET" in methods, bool)
assert_type(len(methods), int)
assert_type(methods.stats(), Stats)

assert_type(intern.default, Interner[Hashable])
assert_type(intern.stats(), Stats)
assert_type(intern.stats().live, int)
assert_type(intern.stats().created, int)
assert_type(intern.stats().reclaimed, int)
assert_type(intern.stats().hits, int)

found = methods.get("PUT")
if found is not None:
    assert_type(found.value, str)
