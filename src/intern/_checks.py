"""Checks shared by both implementations, with the errors they raise.

Everything here uses builtins only (module globals are bound as default
arguments), so it keeps working during interpreter shutdown.
"""

from __future__ import annotations

import contextlib
import copyreg
import pickle
import types
from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex, cast


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


_ATOMS: frozenset[type] = frozenset(
    {
        str,
        bytes,
        bytearray,
        int,
        float,
        complex,
        bool,
        type(None),
        type,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.ModuleType,
    }
)
"""Exact types that pickling saves as they are (or by name): no handle inside. Classes
too, saved by name."""

_PLAIN_SCALARS = frozenset({str, bytes, int, float, complex, bool, type(None)})


def refers_back(
    handle: object,
    value: object,
    protocol: SupportsIndex,
    inside: Callable[[object], list[object] | None] | None = None,
) -> bool:
    """Say whether pickling ``value`` would meet ``handle`` again.

    ``inside``, if given, names what to walk in an object it knows (an interned
    instance: its state) in place of handles' values, or None for others.

    Walks what pickling would save, as pickling does: the items of the built-in
    containers, and for any other object what its reduction names (the
    arguments, the state, the items), through other handles of the same type to
    their values, since a cycle through them breaks loading just the same.
    Iterative, so deep values cannot exhaust the stack. An object whose reduction
    raises is passed over: it may still hold the handle, but the real pickling,
    which has its own ways (``persistent_id``, a ``dispatch_table``), will say
    more about it.
    """
    handle_type = type(handle)
    seen: dict[int, object] = {}  # by id, holding each object so that no id is reused
    stack = [value]
    while stack:
        item = stack.pop()
        if item is handle:
            return True
        if id(item) in seen:
            continue
        seen[id(item)] = item
        cls = type(item)
        if cls in _ATOMS or isinstance(item, type):
            continue
        if inside is not None:
            parts_inside = inside(item)
            if parts_inside is not None:
                stack.extend(parts_inside)
                continue
        elif cls is handle_type:
            with contextlib.suppress(ReferenceError):  # cleared: it refers to nothing
                stack.append(getattr(item, "value"))  # noqa: B009 -- either implementation's handle
            continue
        if cls in (tuple, list, set, frozenset):
            stack.extend(cast("Iterable[object]", item))
            continue
        if cls is dict:
            mapping = cast("dict[object, object]", item)
            stack.extend(mapping.keys())
            stack.extend(mapping.values())
            continue
        try:
            reduce = copyreg.dispatch_table.get(cls)
            reduced: object = reduce(item) if reduce else item.__reduce_ex__(protocol)
            if not isinstance(reduced, tuple):
                continue  # a name: saved as a global
            parts: tuple[Any, ...] = reduced
            stack.extend(parts[1])  # the arguments
            if len(parts) > 2:
                stack.append(parts[2])  # the state
            if len(parts) > 3 and parts[3] is not None:
                stack.extend(list(parts[3]))  # the items
            if len(parts) > 4 and parts[4] is not None:
                for key, part in list(parts[4]):  # the dict items
                    stack += (key, part)
        except Exception:  # noqa: BLE001, S112 -- passed over, as said above
            continue
    return False


def check_picklable(handle: object, value: object, protocol: SupportsIndex) -> None:
    """Refuse to pickle a handle whose value refers back to it, with an error that says why.

    A handle pickles as ``intern.make(value)``: unpickling must build the value
    first, whole, to intern it. A value that refers to its own handle (say
    ``value.me = intern.make(value)``), directly or through other handles, would
    need the handle while it is still being built, so the pickle would fail to
    load, deep inside the value's own ``__hash__`` or ``__eq__``. This walks what
    pickling the value would save (see ``refers_back``); values of the built-in
    immutable types cannot refer to a handle and are not looked at.
    """
    if type(value) in _PLAIN_SCALARS:
        return
    if refers_back(handle, value, protocol):
        name = type(value).__name__
        raise pickle.PicklingError(
            f"cannot pickle the handle of a {name!r} value that refers back to that very"
            f" handle: unpickling calls intern.make(value), which needs the whole value"
            f" before the handle exists; pickle the value, and make its handle after loading"
        )
