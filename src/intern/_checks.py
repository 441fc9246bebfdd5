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


def check_hashable(
    value: object,
    find_unhashable: Callable[[object], tuple[str, object] | None] = unhashable_part,
) -> None:
    """Raise TypeError, saying what is unhashable and where, if ``value`` is.

    A TypeError raised by the value's own ``__hash__`` propagates unchanged.
    """
    cls = type(value)
    if cls.__hash__ is None:
        raise TypeError(f"intern.make needs a hashable value, not unhashable type {cls.__name__!r}")
    try:
        hash(value)
    except TypeError as error:
        found = find_unhashable(value)
        if found is None:
            raise
        path, part = found
        raise TypeError(
            f"intern.make needs a hashable value: {cls.__name__!r} has an element"
            f" of unhashable type {type(part).__name__!r} at {path}"
        ) from error


def check_metaclass(cls: type) -> None:
    """Refuse a type whose metaclass redefines equality.

    The pure-Python tables are found by type, compared by identity; a metaclass
    that redefines ``__eq__`` or ``__hash__`` could make two types share one
    table. The C implementation refuses the same types, so that both behave alike.
    """
    meta = type(cls)
    if meta.__eq__ is not type.__eq__ or meta.__hash__ is not type.__hash__:
        raise TypeError(
            f"intern.make does not support values of {cls.__name__!r}: its metaclass"
            f" {meta.__name__!r} redefines __eq__ or __hash__"
        )
