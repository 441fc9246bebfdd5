"""Deep interning (hash-consing).

``make_deep`` canonicalizes a value bottom-up: the parts of tuples (named tuples
included), frozensets and frozen dataclasses and attrs classes first, then the
container, rebuilt from the canonical parts only if some part was not already the
canonical object. It works on any interner's ``make`` (so on both
implementations), iteratively, with a depth limit.

A container is rebuilt by its base's ``__new__``: ``tuple.__new__(cls, parts)``,
``frozenset.__new__(cls, parts)``, or ``object.__new__(cls)`` for a frozen class,
whose compared fields are then set with ``object.__setattr__``. The rebuilt object
gets all of the original's own state, its instance ``__dict__`` and every slot
along the MRO, copied raw through the descriptors of the classes that declared
them (whatever ``__getattribute__``, ``__setattr__`` or properties a subclass
adds), so that a class whose ``__eq__`` or ``__hash__`` reads that state still
compares equal. (``copy.copy`` would not do: the pickling state of slotted frozen
dataclasses and attrs classes leaves out slots that are not fields.) The value
given is never changed. A container is a leaf, interned whole, wherever a
rebuild cannot be promised to be what the class itself would make:

- a class compared by identity (``eq=False``): no rebuilt copy would be equal;
- a class whose ``__new__`` is not its base's: another may validate, normalize
  or record what a rebuild would skip, and a C subclass such as
  ``time.struct_time`` keeps state beyond its items. A named tuple's ``__new__``
  counts as tuple's: it only hands its fields to ``tuple.__new__``. An
  ``@intern.interned`` class is one (and so are its subclasses): its instances
  are shared, and are never taken apart;
- a tuple or frozenset subclass with an ``__init__`` anywhere in its MRO, for the
  same reason. A frozen class's own ``__init__`` only sets its fields, and what it
  derives from them is in the state copied;
- a class with state out of reach: a slot whose descriptor is no longer in the
  class that declared it (deleted, or replaced by another attribute), or an
  instance dict whose descriptor a class attribute named ``__dict__`` replaced.

A container's handle keeps its parts' handles alive through a *keeper*: a weak
reference to the container's handle that holds the part handles, registered by
the handle's identity. When the container's handle is collected, the keeper's
callback drops it, the part handles lose their last reference with it, and so on
down: the whole tree goes in one cascade of reference counting (one collection,
when the top handle was in a cycle), not one collection per level. The keepers
are reachable from the registry, so a part that refers to an enclosing handle
keeps it alive while that reference stays: only a reference from the handle
would let the collector see that cycle, and handles have no room for one.

The keeper's callback runs whenever a handle dies, during shutdown too: it
follows ``intern._shutdown``.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
import weakref
from collections.abc import Callable, Hashable
from types import GetSetDescriptorType, MemberDescriptorType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast, final

from intern._shutdown import remove_dead_weakref

if TYPE_CHECKING:
    from intern import Handle

T = TypeVar("T", bound=Hashable)

Make = Callable[[Any], "Handle[Any]"]


class _Keeper(weakref.ref["Handle[Any]"]):
    """A weak reference to a container's handle that keeps its parts' handles."""

    __slots__ = ("children", "key")
    children: tuple[Handle[Any], ...]
    key: int


@final
class _Keepers:
    """Every keeper, by the identity of its (live) handle."""

    __slots__ = ("by_handle", "forget")

    # Bound here, not looked up in module globals (see intern._shutdown).
    _new_keeper = _Keeper
    _remove_dead = staticmethod(remove_dead_weakref)

    def __init__(self) -> None:
        self.by_handle: dict[int, _Keeper] = {}
        self.forget = self._forget  # the callback, bound once

    def keep(self, handle: Handle[Any], children: tuple[Handle[Any], ...]) -> None:
        """Make ``handle`` keep ``children`` alive for as long as it lives."""
        key = id(handle)
        by_handle = self.by_handle
        if key in by_handle:
            return  # already deep: its parts are kept
        keeper = self._new_keeper(handle, self.forget)
        keeper.children, keeper.key = children, key
        if by_handle.setdefault(key, keeper) is not keeper:
            del keeper  # another thread registered first; this one dies uncalled

    def _forget(self, keeper: _Keeper) -> None:
        # The handle is gone: drop the keeper, and with it the part handles. A
        # keeper registered later under a reused id is alive, so it stays.
        self._remove_dead(self.by_handle, keeper.key)


_keepers = _Keepers()


def frozen_attrs_fields(cls: type) -> list[str] | None:
    """Name the compared fields of a frozen attrs class, or None if ``cls`` is not one.

    attrs is looked at only if something has imported it: no attrs class can
    exist otherwise.
    """
    attr = sys.modules.get("attr")
    declared: tuple[Any, ...] | None = getattr(cls, "__attrs_attrs__", None)
    if attr is None or declared is None:
        return None
    frozen_setattr = getattr(getattr(attr, "_make", None), "_frozen_setattrs", None)
    if frozen_setattr is None or cls.__setattr__ is not frozen_setattr:
        return None
    return [field.name for field in declared if field.eq]


def _frozen_dataclass_fields(cls: type) -> list[str] | None:
    """Name the compared fields of a frozen dataclass, or None if ``cls`` is not one."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        return None
    return [field.name for field in dataclasses.fields(cls) if field.compare]


def _mangle(owner: type, name: str) -> str:
    """Spell a slot name as ``owner``'s namespace holds it: ``__private`` names are mangled."""
    if not name.startswith("__") or name.endswith("__"):
        return name
    prefix = owner.__name__.lstrip("_")
    return f"_{prefix}{name}" if prefix else name


Layout = tuple[GetSetDescriptorType | None, tuple[MemberDescriptorType, ...]]
"""Where an instance keeps its own state: its ``__dict__`` (None if it has none) and
its slots, as the descriptors of the classes that declared them."""


def _layout_of(cls: type) -> Layout | None:
    """Find where instances of ``cls`` keep their state; None if some slot is out of reach.

    Each class's slots are the member descriptors it owns, checked against the
    names its ``__slots__`` declares: a descriptor deleted or replaced since,
    or a ``__slots__`` that no longer names them, leaves a slot unaccounted for.
    """
    instance_dict: GetSetDescriptorType | None = None
    slots: list[MemberDescriptorType] = []
    for owner in cls.__mro__:
        namespace = vars(owner)
        descriptor = namespace.get("__dict__")
        if descriptor is not None and instance_dict is None:
            # The instance dict's own descriptor is the owner's (up to 3.14) or a
            # base's, object's (3.15); a class attribute in its place hides the dict.
            if type(descriptor) is not GetSetDescriptorType or not issubclass(
                owner, descriptor.__objclass__
            ):
                return None
            instance_dict = descriptor
        owned = {
            name: member
            for name, member in namespace.items()
            if type(member) is MemberDescriptorType and member.__objclass__ is owner
        }
        declared: object = namespace.get("__slots__", ())
        try:  # __slots__ is only read at class creation: it may since have been replaced
            names = [declared] if isinstance(declared, str) else list(cast("Any", declared))
        except TypeError:
            return None
        if not all(isinstance(name, str) for name in names):
            return None
        if {_mangle(owner, name) for name in names} - {"__dict__", "__weakref__"} != owned.keys():
            return None
        slots.extend(owned.values())
    return instance_dict, tuple(slots)


def _copy_state(source: object, target: object, layout: Layout) -> None:
    """Give ``target`` the dict entries and set slots of ``source``, raw."""
    instance_dict, slots = layout
    if instance_dict is not None:
        instance_dict.__get__(target).update(instance_dict.__get__(source))
    for slot in slots:
        try:
            state = slot.__get__(source)
        except AttributeError:
            continue  # an unset slot stays unset
        slot.__set__(target, state)


def _owner(cls: type, name: str) -> type:
    """Name the class whose ``name`` instances of ``cls`` use: the first in the MRO."""
    return next(owner for owner in cls.__mro__ if name in vars(owner))


_LEAF_TYPES: frozenset[type] = frozenset({str, bytes, int, float, complex, bool, type(None)})


Shape = tuple[str, list[str] | None] | None
"""How instances of a class are taken apart: a kind and field names; None for leaves."""

_shapes: weakref.WeakKeyDictionary[type, Shape] = weakref.WeakKeyDictionary()
"""The shape of each class met, forgotten with the class (classes come and go)."""


def forget_shapes(cls: type) -> None:
    """Forget the shapes of ``cls`` and its subclasses: it changed (it was interned)."""
    stack = [cls]
    while stack:
        changed = stack.pop()
        _shapes.pop(changed, None)
        stack.extend(changed.__subclasses__())


def _shape_of(cls: type) -> Shape:
    """Say how instances of ``cls`` are taken apart: a kind and field names, or None."""
    if vars(object)["__eq__"] is cls.__eq__:
        return None  # compared by identity: a rebuilt copy would not be equal
    names = _frozen_dataclass_fields(cls)
    if names is None:
        names = frozen_attrs_fields(cls)
    if names is not None:
        kind, base = "fields", object
    else:
        base = tuple if tuple in cls.__mro__ else frozenset
        if base not in cls.__mro__ or _owner(cls, "__init__") is not object:
            return None  # not a container, or one whose __init__ a rebuild would skip
        kind = base.__name__
    new = _owner(cls, "__new__")
    if new is not base and not (base is tuple and {"_fields", "_make"} <= vars(new).keys()):
        return None  # a __new__ of its own, not a named tuple's
    return None if _layout_of(cls) is None else (kind, names)


def _parts(
    value: object,
    leaves: frozenset[type] = _LEAF_TYPES,
    shapes: weakref.WeakKeyDictionary[type, Shape] = _shapes,
) -> tuple[str, list[str] | None, list[object]] | None:
    """Say how ``value`` is a container: its kind, its field names, its parts.

    None for a leaf (anything else, interned as a whole).
    """
    cls: type = type(value)
    if cls in leaves:
        return None
    if cls is tuple:
        return "tuple", None, list(cast("tuple[object, ...]", value))
    try:
        shape = shapes[cls]
    except KeyError:  # two threads may both work it out: the same answer
        shape = shapes[cls] = _shape_of(cls)
    if shape is None:
        return None
    kind, names = shape
    if names is None:
        return kind, None, list(cast("tuple[object, ...] | frozenset[object]", value))
    return kind, names, [getattr(value, name) for name in names]


def _rebuild(value: object, kind: str, names: list[str] | None, parts: list[object]) -> object:
    """Return an object equal to ``value`` made of ``parts``, its canonical parts.

    The rules, and why, are in the module docstring.
    """
    cls: Any = type(value)
    if cls is tuple:
        return tuple(parts)
    if cls is frozenset:
        return frozenset(parts)
    # Found again, not kept with the shape: a descriptor refers to its class,
    # which a cache entry must not keep alive.
    layout = _layout_of(cls)
    if layout is None:
        return value  # the class changed since it was taken apart: keep the original
    if kind != "fields":
        base: Any = tuple if kind == "tuple" else frozenset
        rebuilt: object = base.__new__(cls, parts)
        _copy_state(value, rebuilt, layout)
        return rebuilt
    rebuilt = object.__new__(cls)
    _copy_state(value, rebuilt, layout)
    for name, part in zip(names or (), parts, strict=True):
        object.__setattr__(rebuilt, name, part)
    return rebuilt


def _unhashable(path: str, part: object) -> NoReturn:
    raise TypeError(
        f"intern.make_deep needs hashable parts: {path} is of unhashable type"
        f" {type(part).__name__!r}"
    )


MAX_DEPTH = 20_000
"""The deepest nesting ``make_deep`` takes, however high the recursion limit.

Before 3.14, CPython hashes a nested tuple or frozenset by recursing in C with
no check at all, and 3.11 compares nested values and calls a frozen class's
``__hash__`` checked against the recursion limit only: with the limit raised, a
deeper value could overflow the C stack and crash the interpreter (``hash``
alone does at about 150,000 levels of tuples on an 8 MiB stack). A frozen
dataclass or attrs level counts as ``FROZEN_CLASS_DEPTH`` levels: its
``__hash__`` and ``__eq__`` are Python code, whose calls from C take several
times the stack (3.11 crashes at about 15,000 of them).
"""
FROZEN_CLASS_DEPTH = 4


def _too_deep(limit: int) -> NoReturn:
    raise RecursionError(
        f"intern.make_deep: the value is nested more than {limit} levels deep (the limit"
        f" is sys.getrecursionlimit(), and never more than {MAX_DEPTH}, where a frozen"
        f" dataclass or attrs instance counts as {FROZEN_CLASS_DEPTH} levels: CPython"
        " hashes nested values by recursing in C, which deeper values could crash)"
    )


_Frame = tuple[object, str, list[str] | None, list[object], list["Handle[Any]"]]
"""A container being deep-interned: itself, its kind, field names and parts, and
the handles of the parts done so far."""


def _path(frames: list[_Frame]) -> str:
    """Name the part being worked on the way an error message should: ``value[1].name``.

    In each frame, from the outermost, the part after those done is the next step.
    """
    steps = ["value"]
    for _, kind, names, parts, done in frames:
        index = len(done)
        if kind == "tuple":
            steps.append(f"[{index}]")
        elif kind == "fields" and names is not None:
            steps.append(f".{names[index]}")
        else:
            steps.append(f"{{{parts[index]!r}}}")
    return "".join(steps)


def make_deep_with(make: Make, value: Any, /, *, limit: int | None = None) -> Handle[Any]:
    """Deep-intern ``value`` with ``make``; see :func:`intern.make_deep`.

    ``limit`` (default ``sys.getrecursionlimit()``) caps the nesting in levels,
    and ``MAX_DEPTH`` whatever ``limit`` is.
    """
    shape = _parts(value)
    if shape is None:
        if type(value).__hash__ is None:
            _unhashable("value", value)
        return make(value)
    depth_limit = sys.getrecursionlimit() if limit is None else limit
    leaves, parts_of, is_not = _LEAF_TYPES, _parts, operator.is_not
    # The container being worked on is in these locals; its ancestors wait on
    # the stack, so that nesting costs no Python recursion. Only the stack says
    # where a part is: a path is spelled out only for an error message.
    kind, names, parts = shape
    done: list[Handle[Any]] = []
    stack: list[_Frame] = []
    weight = FROZEN_CLASS_DEPTH if kind == "fields" else 1  # the levels MAX_DEPTH counts
    while True:
        while len(done) < len(parts):  # leaves, the common parts, need no frame
            part = parts[len(done)]
            if type(part) in leaves:
                done.append(make(part))
                continue
            shape = parts_of(part)
            if shape is not None:
                break
            if type(part).__hash__ is None:
                _unhashable(_path([*stack, (value, kind, names, parts, done)]), part)
            done.append(make(part))
        else:
            canonical = [handle.value for handle in done]
            if any(map(is_not, canonical, parts)):
                value = _rebuild(value, kind, names, canonical)
            handle = make(value)
            _keepers.keep(handle, tuple(done))
            if not stack:
                return handle
            weight -= FROZEN_CLASS_DEPTH if kind == "fields" else 1
            value, kind, names, parts, done = stack.pop()
            done.append(handle)
            continue
        weight += FROZEN_CLASS_DEPTH if shape[0] == "fields" else 1
        if len(stack) + 1 >= depth_limit:
            _too_deep(depth_limit)
        if weight > MAX_DEPTH:
            _too_deep(MAX_DEPTH)
        stack.append((value, kind, names, parts, done))
        value = part
        kind, names, parts = shape
        done = []
