"""Checks shared by both implementations, with the errors they raise.

Everything here uses builtins only (module globals are bound as default
arguments), so it keeps working during interpreter shutdown.
"""

from __future__ import annotations

from collections.abc import Callable


def unhashable_part(value: object) -> tuple[str, object] | None:
    """Find the first part of a nested tuple whose type is unhashable, and its path.

    Iterative, so that deep nesting cannot exhaust the stack.
    """
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if type(item).__hash__ is None:
            return path, item
        if isinstance(item, tuple):
            parts: tuple[object, ...] = item  # pyright: ignore[reportUnknownVariableType] -- any tuple
            indexed = reversed(list(enumerate(parts)))
            stack.extend((f"{path}[{index}]", part) for index, part in indexed)
    return None


def explain_unhashable(
    value: object,
    error: TypeError | None = None,
    find_unhashable: Callable[[object], tuple[str, object] | None] = unhashable_part,
) -> None:
    """Raise a TypeError that says what is unhashable and where, if ``value`` is.

    Called once hashing ``value`` raised ``error``, or with no error before a
    value of an unhashable type is hashed. Looks at types only, never hashing
    again; returns if nothing unhashable is found, so that the caller lets the
    original error (one the value's own ``__hash__`` raised) propagate unchanged.
    """
    check_hashable_type(value)
    found = find_unhashable(value)
    if found is not None:
        path, part = found
        raise TypeError(
            f"intern.make needs a hashable value: {type(value).__name__!r} has an element"
            f" of unhashable type {type(part).__name__!r} at {path}"
        ) from error


def check_hashable_type(value: object) -> None:
    """Raise TypeError if the type of ``value`` is unhashable, before it is hashed."""
    cls = type(value)
    if cls.__hash__ is None:
        raise TypeError(f"intern.make needs a hashable value, not unhashable type {cls.__name__!r}")


def metaclass_redefines_equality(cls: type) -> bool:
    """Say whether instances of ``cls``'s metaclass compare or hash other than by identity."""
    meta = type(cls)
    return meta.__eq__ is not type.__eq__ or meta.__hash__ is not type.__hash__


def check_metaclass(cls: type) -> None:
    """Refuse a type whose metaclass redefines equality.

    The pure-Python tables are found by type, compared by identity; a metaclass
    that redefines ``__eq__`` or ``__hash__`` could make two types share one
    table. The C implementation refuses the same types, so that both behave alike.
    """
    if metaclass_redefines_equality(cls):
        raise TypeError(
            f"intern.make does not support values of {cls.__name__!r}: its metaclass"
            f" {type(cls).__name__!r} redefines __eq__ or __hash__"
        )
