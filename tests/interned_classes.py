"""Interned classes at module level, so that pickles name them in any process."""

from __future__ import annotations

from dataclasses import dataclass, field

import attrs

import intern


@intern.interned
@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0


@intern.interned
@dataclass(frozen=True, slots=True, weakref_slot=True, kw_only=True)
class Tagged:
    name: str
    note: str = field(default="", compare=False)


@intern.interned
@attrs.frozen
class Span:
    start: int
    end: int


@intern.interned
class Word:
    """A plain class: equal ignoring case."""

    __slots__ = ("__weakref__", "text")
    text: str

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "text", text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Word) and other.text.lower() == self.text.lower()

    def __hash__(self) -> int:
        return hash(self.text.lower())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Word is immutable")


@intern.interned
class Code:
    """A plain class with a ``__new__`` of its own, which pickles its arguments."""

    __slots__ = ("__weakref__", "value")
    value: int

    def __new__(cls, value: int) -> Code:  # noqa: PYI034 -- the class is final in spirit
        self = super().__new__(cls)
        object.__setattr__(self, "value", value % 100)
        return self

    def __getnewargs__(self) -> tuple[int]:
        return (self.value,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Code) and other.value == self.value

    def __hash__(self) -> int:
        return self.value


@intern.interned
@dataclass(frozen=True)
class Holder:
    key: int
    box: list[object] = field(default_factory=list[object], compare=False, hash=False)


SAMPLES = (Point(1, 2), Tagged(name="a", note="first"), Span(1, 5), Word("Hello"), Code(7))
"""One instance of each, for the tests that pickle them (kept alive here)."""
