"""What checkers infer for classes decorated with @intern.interned: the class, unchanged."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import assert_type

import attrs

import intern


@intern.interned
@dataclass(frozen=True, kw_only=True)
class Tagged:
    name: str
    size: int = 1
    note: str = field(default="", compare=False)


@intern.interned
@attrs.frozen
class Span:
    start: int
    end: int = 0


@intern.interned
class Word:
    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Word) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


assert_type(intern.interned(Tagged), type[Tagged])
tagged = Tagged(name="a", note="first")
assert_type(tagged, Tagged)
assert_type(tagged.size, int)
assert_type(dataclasses.replace(tagged, size=2), Tagged)
assert_type(Span(1).end, int)
assert_type(attrs.evolve(Span(1), end=2), Span)
assert_type(Word("a").text, str)
assert_type(intern.interned_stats(Tagged), intern.Stats)
assert_type(intern.make(Word("a")), intern.Handle[Word])
