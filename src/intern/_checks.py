"""Checks shared by both implementations, with the errors they raise.

Everything here uses builtins only (module globals are bound as default
arguments), so it keeps working during interpreter shutdown.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import SupportsIndex, cast


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


class _SelfReference(Exception):
    """Raised inside the probe of ``check_picklable`` when it meets the handle itself."""


class _Discard:
    """A file that forgets what is written to it."""

    def write(self, data: bytes) -> None:
        pass


_Reduced = tuple[Callable[[object], None], tuple[object]]


class _Probe(pickle.Pickler):
    """A pickler that raises ``_SelfReference`` where it meets ``handle``.

    It walks through other handles of the same type to their values, since a
    cycle through them breaks loading just the same.
    """

    def __init__(self, handle: object, protocol: SupportsIndex) -> None:
        super().__init__(_Discard(), int(protocol))
        self.handle = handle
        self.handle_type = type(handle)

    def reducer_override(self, obj: object) -> _Reduced:
        if obj is self.handle:
            raise _SelfReference
        if type(obj) is self.handle_type:
            value: object = getattr(obj, "value")  # noqa: B009 -- any implementation's handle
            return (_rebuild_nothing, (value,))
        return cast("_Reduced", NotImplemented)  # pickle's own way


def _rebuild_nothing(value: object) -> None:
    """Stand for other handles in the probe's pickle; never called."""


_PLAIN_SCALARS = frozenset({str, bytes, int, float, complex, bool, type(None)})


def check_picklable(handle: object, value: object, protocol: SupportsIndex) -> None:
    """Refuse to pickle a handle whose value refers back to it, with an error that says why.

    A handle pickles as ``intern.make(value)``: unpickling must build the value
    first, whole, to intern it. A value that refers to its own handle (say
    ``value.me = intern.make(value)``) would need the handle while it is still
    being built, so the pickle would fail to load, deep inside the value's own
    ``__hash__`` or ``__eq__``. This finds such a reference by pickling the value
    once more, into nothing, stopping where it meets the handle. Values of the
    built-in immutable types cannot refer to a handle and are not looked at.
    Errors of the trial pickling itself are left for the real one to raise.
    """
    if type(value) in _PLAIN_SCALARS:
        return
    try:
        _Probe(handle, protocol).dump(value)
    except _SelfReference:
        name = type(value).__name__
        raise pickle.PicklingError(
            f"cannot pickle the handle of a {name!r} value that refers back to that very"
            f" handle: unpickling calls intern.make(value), which needs the whole value"
            f" before the handle exists; pickle the value, and make its handle after loading"
        ) from None
    except Exception:  # noqa: BLE001, S110 -- the real pickling reports its own errors
        pass
