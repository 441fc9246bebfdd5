"""``intern.duplicates``: which equal values a program holds as separate objects.

The census walks the data reachable from its starting points in two passes.
The first counts: for each value type, a dict from value (or, for tuples and
frozensets, a key that keeps element types apart) to the first object seen with
it; a value met again as another object starts a group of copies, which keeps
the ids of its copies so that one object held in many places counts once. The
second pass walks again only to say where the copies of the reported groups are
held, and stops as soon as each has its places.

Nothing here runs the program's code: values are hashed as their built-in base
type (a ``str`` subclass by a plain ``str`` copy of it), containers are read
with their base type's methods, and attributes by ``gc.get_referents``, which,
unlike ``vars()``, does not give an instance a dict it did not have yet.
"""

from __future__ import annotations

import collections
import functools
import gc
import itertools
import math
import sys
import types
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from intern._text import format_bytes, render_table

VALUE_TYPES: tuple[type, ...] = (str, bytes, int, float, complex, tuple, frozenset)
"""The immutable built-in types whose objects are values (subclasses included)."""

HELD_BY = 3
"""Places listed for each reported group."""

_LEAVES = (str, bytes, int, float, complex)
_SINGLETONS = (type(None), bool, type(...), type(NotImplemented))
# Types are told apart by id: hashing or comparing a class could run its metaclass's code.
_LEAF_IDS = frozenset(map(id, _LEAVES))
_SINGLETON_IDS = frozenset(map(id, _SINGLETONS))
_EXACT_VALUE_IDS = frozenset(map(id, VALUE_TYPES))
_PLAIN_KEY_IDS = frozenset(map(id, (str, bytes, type(None))))
"""Tuples of only these are their own keys: no two of them are equal across types."""
_FLAT_IDS = _LEAF_IDS | _SINGLETON_IDS
"""Tuples of only these are keyed by their element types and themselves."""

# What a type says of itself, read by type's own descriptors: no metaclass code runs.
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_FLAGS = type.__dict__["__flags__"]
_TYPE_DICT_OFFSET = type.__dict__["__dictoffset__"]
_HAVE_GC = 1 << 14  # Py_TPFLAGS_HAVE_GC
_GC_HEADER = sys.getsizeof([]) - [].__sizeof__()


def is_a(obj: object, classes: type | tuple[type, ...]) -> bool:
    """``isinstance`` by the object's own type: no ``__class__`` property or proxy is asked."""
    return issubclass(type(obj), classes)


def type_name(kind: type) -> str:
    """``kind.__name__``, read without running a metaclass's ``__getattribute__``."""
    return cast("str", _TYPE_NAME.__get__(kind))


_OPAQUE: tuple[type, ...] = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.CellType,
    types.MappingProxyType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    staticmethod,
    classmethod,
    property,
    memoryview,  # its referent is the buffer's owner, not data it holds
    weakref.ReferenceType,
    weakref.ProxyType,
    weakref.CallableProxyType,
)
"""Not data: the walk does not look inside these."""

_MAX_KEY_DEPTH = 100
"""Tuples and frozensets nested deeper than this are walked but not grouped."""


@dataclass(frozen=True)
class Duplicate:
    """A value held as several separate objects."""

    type: type
    """The value's type: equal values of different types are different values."""
    value: object
    """The first copy found."""
    copies: int
    """How many separate objects hold the value (at least 2)."""
    wasted_bytes: int
    """``sys.getsizeof`` of every copy but the first: what sharing one object saves."""
    held_by: tuple[str, ...]
    """Up to three places that hold copies, such as ``value of dict key 'origin'``."""

    def as_json(self) -> dict[str, object]:
        """Return the group as a JSON-ready object.

        ``type`` is the type's name; ``value`` is the value itself for a ``str``,
        an ``int`` or a finite ``float``, else its ``repr``.
        """
        value = self.value
        kind = type(value)
        plain = kind is str or (kind is float and math.isfinite(cast("float", value)))
        plain = plain or (kind is int and cast("int", value).bit_length() <= _LONGEST_INT)
        return {
            "type": type_name(self.type),
            "value": value if plain else safe_repr(value, _JSON_REPR),
            "copies": self.copies,
            "wasted_bytes": self.wasted_bytes,
            "held_by": list(self.held_by),
        }


@dataclass(frozen=True)
class DuplicateReport:
    """What ``intern.duplicates`` found: the most wasteful groups first, and totals.

    Its fields are the keys of ``as_json``.
    """

    rows: tuple[Duplicate, ...]
    """The ``top`` groups of two or more copies, by bytes wasted (ties: most copies)."""
    values: int
    """Value objects seen, each object once."""
    distinct: int
    """Distinct values among them."""
    wasted_bytes: int
    """Bytes wasted by every group, not only those in ``rows``."""

    def as_json(self) -> dict[str, object]:
        """Return the report as one JSON-ready object."""
        return {
            "rows": [row.as_json() for row in self.rows],
            "values": self.values,
            "distinct": self.distinct,
            "wasted_bytes": self.wasted_bytes,
        }

    def __str__(self) -> str:
        copies = self.values - self.distinct
        lines = [
            f"{self.values:,} value objects, {self.distinct:,} distinct values:"
            f" {copies:,} copies waste {format_bytes(self.wasted_bytes)}"
        ]
        if not self.rows:
            return "\n".join([*lines, "no value is held as more than one object"])
        table = [
            [
                type_name(row.type),
                safe_repr(row.value),
                f"{row.copies:,}",
                format_bytes(row.wasted_bytes),
                ", ".join(row.held_by) or "-",
            ]
            for row in self.rows
        ]
        header = ["type", "value", "copies", "wasted", "held by"]
        lines += ["", f"values held as the most wasteful copies (top {len(self.rows)}):"]
        lines += ["  " + line for line in render_table(header, table, "llrrl")]
        return "\n".join(lines)


def duplicates(*roots: object, top: int = 20) -> DuplicateReport:
    """Report the values held as several equal but separate objects.

    Looks at the values reachable from ``roots`` through data: the items of lists,
    tuples, dicts (keys and values), sets, frozensets and deques, and the
    attributes and slots of instances; not inside classes, functions, modules or
    code. With no roots, looks at every object the garbage collector tracks and
    at the data reachable from them. A value is an object of ``str``, ``bytes``,
    ``int``, ``float``, ``complex``, or a ``tuple`` or ``frozenset`` of values;
    subclasses are kept apart by type as ``make`` does, elements of tuples and
    frozensets too. Each object counts once however many places hold it:
    interned strings, or values shared through ``intern.make``, are one object,
    not copies. ``held_by`` names up to three places found holding copies: those
    of the first 64 copies of a value found after the first, then of one copy in
    64, so that a place holding many is not missed.

    Looking changes nothing (no instance is given a ``__dict__``) and runs none
    of the program's code; afterwards the report keeps only the ``value`` of
    each row alive. Other threads should be quiet meanwhile: an object they free
    during the walk may be miscounted.

    Raises ``TypeError`` if ``top`` is not an int, ``ValueError`` if negative.

    >>> import intern
    >>> rows = [["GET", "/"], ["".join(["G", "E", "T"]), "/"]]
    >>> report = intern.duplicates(rows)
    >>> report.rows[0].value, report.rows[0].copies, report.rows[0].held_by
    ('GET', 2, ('list',))
    """
    if isinstance(top, bool) or not isinstance(top, int):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"top must be an int, not {type(top).__name__}")
    if top < 0:
        raise ValueError(f"top must be 0 or more, not {top}")
    # The collector is off while it looks: a finaliser it ran could free an
    # object already walked, and let a new one take its address.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _report(roots, top)
    finally:
        if collecting:
            gc.enable()


def _report(roots: tuple[object, ...], top: int) -> DuplicateReport:
    if roots:
        starts: list[tuple[object, list[object]]] = [(None, list(roots))]
    else:
        # Values the collector tracks come last: found first inside the dicts
        # and lists that hold them, they are found with the place they are held.
        tracked = gc.get_objects()
        values = [obj for obj in tracked if is_a(obj, VALUE_TYPES)]
        others = [obj for obj in tracked if not is_a(obj, VALUE_TYPES)]
        del tracked
        starts = [(_UNKNOWN, others), (_UNKNOWN, values)]
    census = _Census(starts)
    del starts
    groups = sorted(census.groups(), key=_most_wasteful)
    rows = tuple(
        Duplicate(group.type, group.first, group.copies, group.wasted_bytes, _places(group))
        for group in groups[:top]
    )
    wasted = sum(group.wasted_bytes for group in groups)
    return DuplicateReport(rows, census.values, census.distinct(), wasted)


class _Group:
    """The separate copies of one value, and the first few places that hold them."""

    __slots__ = ("copies", "first", "order", "places", "type", "wasted_bytes")

    def __init__(self, kind: type, first: object, order: int) -> None:
        self.type = kind
        self.first = first
        self.copies = 1
        self.wasted_bytes = 0
        self.order = order
        self.places: dict[tuple[object, ...], tuple[object, int]] = {}
        """Up to HELD_BY places (see _Holder.place), each with a holder and a position in it."""


_EVERY_PLACE = 64
_SOME_PLACES = 64
"""The places of a value's first _EVERY_PLACE copies are looked at, then of one in
_SOME_PLACES: a place that holds many copies is found, at a small cost per copy."""


def _most_wasteful(group: _Group) -> tuple[int, int, int]:
    return -group.wasted_bytes, -group.copies, group.order


class _Holder:
    """What the census needs to know of the object whose contents it walks."""

    __slots__ = ("holder", "keys", "kind", "positional")

    def __init__(self, holder: object) -> None:
        self.holder = holder
        self.kind = type(holder)
        # For a dict: its keys come first in its contents, then its values.
        self.keys = _dict_length(holder) if _is_dict(holder) else -1
        # In a list or set, every item is in the same place; elsewhere, each position.
        self.positional = not is_a(holder, _UNORDERED)

    def place(self, children: list[object], position: int) -> tuple[object, ...]:
        """Return what tells apart the places that describe() names differently, cheaply."""
        keys = self.keys
        if 0 <= position < 2 * keys:
            key = children[position % keys]
            label = key if id(type(key)) in _LEAF_IDS else id(key)  # hashing runs no code
            return (id(self.kind), position < keys, label)
        return (id(self.kind), position if self.positional else None)


_UNORDERED = (list, set, frozenset, collections.deque)


class _Census:
    """Every value object reachable from ``starts``, by type and value, once each.

    ``firsts`` maps the id of each value type to a dict from value (or
    ``value_key``) to the first object seen with it, replaced by a ``_Group``
    once a copy turns up.
    """

    def __init__(self, starts: list[tuple[object, list[object]]]) -> None:
        self.firsts: dict[int, dict[object, Any]] = {id(kind): {} for kind in _LEAVES}
        self.keys = KeyMemo()
        self.values = 0
        self.groups_made = 0
        visited = _Visited()
        for _, objects in starts:
            visited.add(id(objects))
        firsts, first_visit, add = self.firsts, visited.add, self._add
        getsizeof, chunks = sys.getsizeof, visited.chunks
        leaf_tables = dict(firsts)  # the leaf types' tables, before other types join them
        copies = 0
        stack: list[object] = []
        for holder, children in _contents_of_each(starts, stack):
            for position, child in enumerate(children):
                kind = type(child)
                table = leaf_tables.get(id(kind))
                if table is not None:
                    entry = table.setdefault(child, child)
                    if entry is child:
                        continue
                    if type(entry) is _Group:
                        # The hot path of duplicated data: _Visited.add and _add, inline.
                        group: _Group = entry
                        if group.first is child:
                            continue
                        address = id(child)
                        chunk = chunks.get(address >> 20)
                        if chunk is None:
                            chunk = chunks[address >> 20] = bytearray(_CHUNK)
                        slot = (address >> 4) & _SLOTS
                        bit = 1 << (slot & 7)
                        if chunk[slot >> 3] & bit:
                            continue
                        chunk[slot >> 3] |= bit
                        group.copies += 1
                        group.wasted_bytes += getsizeof(child)
                        copies += 1
                        places = group.places
                        if len(places) < HELD_BY and (
                            group.copies <= _EVERY_PLACE or not group.copies % _SOME_PLACES
                        ):
                            places.setdefault(
                                holder.place(children, position), (holder.holder, position)
                            )
                    elif first_visit(id(child)):
                        add(kind, child, entry, child, holder, children, position)
                    continue
                if id(kind) in _SINGLETON_IDS or not first_visit(id(child)):
                    continue
                if issubclass(kind, VALUE_TYPES):
                    key = value_key(child, self.keys)
                    if key is not None:
                        table = firsts.setdefault(id(kind), {})
                        entry = table.setdefault(key, child)
                        if entry is child:
                            self.values += 1
                        else:
                            add(kind, key, entry, child, holder, children, position)
                if has_contents(child):
                    stack.append(child)
        self.values += copies + sum(len(firsts[id(kind)]) for kind in _LEAVES)

    def _add(
        self,
        kind: type,
        key: object,
        entry: object,
        copy: object,
        holder: _Holder,
        children: list[object],
        position: int,
    ) -> None:
        """Count ``copy``, a separate object equal to ``entry`` (or to its group's first)."""
        if type(entry) is not _Group:
            self.groups_made += 1
            entry = self.firsts[id(kind)][key] = _Group(kind, entry, self.groups_made)
        entry.copies += 1
        entry.wasted_bytes += size_of(copy)
        if len(entry.places) < HELD_BY:  # the first copies of a value: always looked at
            entry.places.setdefault(holder.place(children, position), (holder.holder, position))
        self.values += 1

    def groups(self) -> Iterator[_Group]:
        for table in self.firsts.values():
            for entry in table.values():
                if type(entry) is _Group:
                    yield entry

    def distinct(self) -> int:
        return sum(len(table) for table in self.firsts.values())


_UNKNOWN = object()
"""The holder of what the collector tracks: not known (it is not data, or not tracked)."""


_CHUNK = 1 << 13  # bytes of bits for a MiB of memory, a bit per 16 bytes
_SLOTS = (1 << 16) - 1


class _Visited:
    """A set of live objects' addresses, a bit for every 16 bytes of memory touched.

    A set of ids would cost some 70 bytes per object; this costs 8 KiB for each
    MiB of memory that holds an object visited. Objects take 16 bytes at least,
    so no two share a bit.
    """

    __slots__ = ("chunks",)

    def __init__(self) -> None:
        self.chunks: dict[int, bytearray] = {}

    def add(self, address: int) -> bool:
        """Mark ``address``; say whether it was unmarked."""
        chunk = self.chunks.get(address >> 20)
        if chunk is None:
            chunk = self.chunks[address >> 20] = bytearray(_CHUNK)
        slot = (address >> 4) & _SLOTS
        byte, bit = slot >> 3, 1 << (slot & 7)
        if chunk[byte] & bit:
            return False
        chunk[byte] |= bit
        return True


def _contents_of_each(
    starts: list[tuple[object, list[object]]], stack: list[object]
) -> Iterator[tuple[_Holder, list[object]]]:
    """Yield each group of starts, then each object pushed on ``stack``, with its contents.

    The caller pushes; the stack is emptied after each group of starts, before the next.
    """
    for holder, objects in starts:
        yield _Holder(holder), objects
        while stack:
            holder = stack.pop()
            children = contents(holder)
            yield _Holder(holder), children


def _places(group: _Group) -> tuple[str, ...]:
    """Name the places found for ``group``, each once."""
    names = (describe(holder, position) for holder, position in group.places.values())
    return tuple(dict.fromkeys(name for name in names if name is not None))


def describe(holder: object, position: int) -> str | None:
    """Say in words which place of ``holder`` its ``position``-th content is."""
    owner: object = holder  # not narrowed by the isinstance checks below
    if holder is None:
        return f"argument {position}"
    if holder is _UNKNOWN:
        return None
    kind = type(holder)
    name = type_name(kind)
    children = contents(holder)
    if position >= len(children):
        return None  # changed since
    if _is_container(holder):
        items = len(_read_items(holder))
        if is_a(holder, dict) and position < items:
            keys = items // 2
            if position < keys:
                return f"{name} key {safe_repr(children[position])}"
            return f"value of {name} key {safe_repr(children[position - keys])}"
        if is_a(holder, tuple) and position < items:
            return f"{name}[{position}]"
        if position < items:
            return name
    attribute = attribute_name(owner, children[position])
    return f"{name}.{attribute}" if attribute else f"{name} attribute"


def has_contents(obj: object) -> bool:
    """Say whether ``obj`` may hold data: not a leaf value without attributes, nor code."""
    kind = type(obj)
    if id(kind) in _LEAF_IDS or id(kind) in _SINGLETON_IDS or issubclass(kind, _OPAQUE):
        return False
    return not issubclass(kind, _LEAVES) or bool(_TYPE_DICT_OFFSET.__get__(kind))


def contents(obj: object) -> list[object]:
    """List what ``obj`` holds as data, without running its code or changing it.

    A dict gives its keys, then its values; a sequence or a set its items; any
    other object its attributes and slots, after the items of a built-in
    container it derives from.
    """
    kind = type(obj)
    if kind is tuple or kind is list or kind is frozenset:
        return list(cast("Iterable[object]", obj))
    if kind is dict or kind is set:
        return _read_items(obj)
    if id(kind) in _LEAF_IDS:
        return []
    items = _read_items(obj) if _is_container(obj) else []
    held = {id(item) for item in items}
    held.add(id(kind))
    items += (
        child
        for child in gc.get_referents(obj)
        if id(child) not in held and not is_a(child, _OPAQUE)
    )
    return items


def _is_container(obj: object) -> bool:
    return is_a(obj, _CONTAINERS)


def _read_items(container: object) -> list[object]:
    """Read the items of a built-in container, or of a subclass, by the base's methods."""
    if type(container) is dict:
        snapshot = _copy_dict(cast("dict[object, object]", container))
        return [*snapshot, *snapshot.values()]
    if is_a(container, dict):  # dict.copy would call a subclass's keys and __getitem__
        try:
            pairs = list(_dict_items(container))
        except RuntimeError:  # changed size while it was read
            return []
        return [key for key, _ in pairs] + [value for _, value in pairs]
    for base, read in _BASE_READERS:
        if is_a(container, base):
            try:
                return list(read(container))
            except RuntimeError:  # a deque changed size while it was read
                return []
    return []


_CONTAINERS = (dict, list, tuple, set, frozenset, collections.deque)


# The base types' own methods: a subclass's overrides must not run. (pyright cannot
# tell the item type of a method taken from a generic class, hence the ignores.)
def _copy_dict(container: dict[object, object]) -> dict[object, object]:
    return dict.copy(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _is_dict(obj: object) -> bool:
    return is_a(obj, dict)


def _dict_items(container: object) -> Iterable[tuple[object, object]]:
    return dict.items(cast("dict[object, object]", container))  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _dict_length(container: object) -> int:
    return dict.__len__(cast("dict[object, object]", container))  # pyright: ignore[reportUnknownMemberType]


def _copy_list(container: list[object]) -> list[object]:
    return list.copy(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _iterate_tuple(container: tuple[object, ...]) -> Iterator[object]:
    return tuple.__iter__(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _copy_set(container: set[object]) -> set[object]:
    return set.copy(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _iterate_frozenset(container: frozenset[object]) -> Iterator[object]:
    return frozenset.__iter__(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _iterate_deque(container: collections.deque[object]) -> Iterator[object]:
    return collections.deque.__iter__(container)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


_BASE_READERS: tuple[tuple[type, Callable[[Any], Iterable[object]]], ...] = (
    (list, _copy_list),
    (tuple, _iterate_tuple),
    (set, _copy_set),
    (frozenset, _iterate_frozenset),
    (collections.deque, _iterate_deque),
)


class KeyMemo:
    """The keys of tuples and frozensets found inside others, for one walk.

    Inside a key, such a part stands as a number, given to each distinct key
    once: a key's hash then costs its width, not the size of all it holds
    (tuples do not keep their hash, and a part shared by many is one object).
    """

    def __init__(self) -> None:
        self.by_id: dict[int, int | None] = {}  # parts alive for the walk, by id
        self.numbers: dict[Hashable, int] = {}
        self.shapes: dict[tuple[type, ...], tuple[type, ...]] = {}  # element types, shared


def value_key(value: object, memo: KeyMemo, depth: int = 0) -> Hashable | None:
    """Return what stands for ``value`` among values of its type, or None if not a value.

    For a built-in leaf type, the value itself; for a subclass, a plain copy (so
    that no ``__hash__`` or ``__eq__`` of the program runs); for a tuple of only
    strings, bytes and None, the tuple itself; for a tuple of other built-in
    leaves, the tuple with its element types; for another tuple or a frozenset,
    its elements' keys with their types: ``(1, 2)`` and ``(1.0, 2)`` are
    different values. None if an element is not a value (None, Ellipsis and bools
    are, inside), or for tuples and frozensets nested deeper than
    ``_MAX_KEY_DEPTH``.
    """
    kind = type(value)
    if id(kind) in _LEAF_IDS or (depth and id(kind) in _SINGLETON_IDS):
        return value
    for base, plain in _PLAIN_COPIES:
        if issubclass(kind, base):
            return plain(value)
    if depth >= _MAX_KEY_DEPTH or not issubclass(kind, (tuple, frozenset)):
        return None
    if kind is tuple:
        shape = tuple(map(type, cast("tuple[object, ...]", value)))
        if all(id(item) in _PLAIN_KEY_IDS for item in shape):
            return value
        if all(id(item) in _FLAT_IDS for item in shape):  # a key of two words, the types shared
            return (memo.shapes.setdefault(shape, shape), value)
    if depth and id(value) in memo.by_id:
        return memo.by_id[id(value)]
    keys: list[tuple[type, Hashable]] = []
    for item in _read_items(value):
        key = value_key(item, memo, depth + 1)
        if key is None:
            break
        keys.append((type(item), key))
    else:
        found = tuple(keys) if issubclass(kind, tuple) else frozenset(keys)
        if not depth:
            return found
        number = memo.by_id[id(value)] = memo.numbers.setdefault(found, len(memo.numbers))
        return number
    if depth:
        memo.by_id[id(value)] = None
    return None


_PLAIN_COPIES: tuple[tuple[type, Callable[[Any], object]], ...] = (
    (str, str.__str__),
    (bytes, bytes.__bytes__),
    (int, int.__index__),
    (float, float.__float__),
    (complex, complex.__complex__),
)
"""The base type's own copy of a value of a subclass: no method of the subclass runs."""


def attribute_name(holder: object, child: object) -> str | None:
    """Find the name of the attribute or slot of ``holder`` that is ``child``.

    Slots are read through their descriptors; other attributes are looked up by
    the names the class declares or its methods use, skipping every name the
    class itself defines (a property would run code), so that no code runs and
    no ``__dict__`` is made.
    """
    kind = type(holder)
    if any(kind is handle for handle in _handle_types()):
        return "value"
    defined: set[str] = set()
    names: list[str] = []
    for klass in cast("tuple[type, ...]", _TYPE_MRO.__get__(kind)):
        for name, attribute in _class_dict(klass).items():
            defined.add(name)
            if type(attribute) is types.MemberDescriptorType:
                try:
                    if attribute.__get__(holder, kind) is child:
                        return name
                except AttributeError:  # an empty slot
                    pass
            elif type(attribute) is types.FunctionType:
                names += _names_used(attribute.__code__)
        names += _names_declared(klass)
    for name in dict.fromkeys(names):
        if name not in defined:
            try:
                if object.__getattribute__(holder, name) is child:
                    return name
            except AttributeError:
                pass
    return None


def _names_used(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _names_used(constant)


def _names_declared(klass: type) -> list[str]:
    declared = _class_dict(klass)
    annotations = declared.get("__annotations__")
    names: list[object] = (
        list(cast("dict[object, object]", annotations)) if type(annotations) is dict else []
    )
    for attribute in ("__static_attributes__", "__match_args__"):
        found = declared.get(attribute)
        names += found if type(found) is tuple else ()
    return [name for name in names if type(name) is str]


def _class_dict(klass: type) -> dict[str, object]:
    return cast("dict[str, object]", _TYPE_DICT.__get__(klass))


@functools.cache
def _handle_types() -> tuple[type, ...]:
    """Return the handle classes of both implementations: their referent is ``value``."""
    from intern import _pure

    found: list[type] = [_pure.Handle]
    try:
        from intern import _speedups
    except ImportError:
        return tuple(found)
    return (*found, _speedups.Handle)


_LONGEST_INT = 10_000
"""Bits of an int shown whole: CPython refuses to write ints of over 4,300 digits."""
_JSON_REPR = 1_000
_SHOWN_ITEMS = 8


def safe_repr(value: object, width: int = 40) -> str:
    """Return ``repr(value)`` as the built-in types write it, cut to ``width`` characters.

    No ``__repr__`` of the program runs: a subclass of a value type is written as
    its plain copy, any other object as ``<TypeName object>``; tuples and
    frozensets show their first items, three levels deep.
    """
    text = _plain_repr(value, 3)
    return text if len(text) <= width else text[: width - 3] + "..."


def _plain_repr(value: object, depth: int) -> str:
    kind = type(value)
    if id(kind) in _SINGLETON_IDS:
        return repr(value)
    for base, plain in _PLAIN_COPIES:
        if issubclass(kind, base):
            copy = value if kind is base else plain(value)
            if base is int and cast("int", copy).bit_length() > _LONGEST_INT:
                return f"<an int of {cast('int', copy).bit_length():,} bits>"
            return repr(copy)
    if not issubclass(kind, (tuple, frozenset)):
        return f"<{type_name(kind)} object>"
    if not depth:
        return "(...)" if issubclass(kind, tuple) else "frozenset({...})"
    items = _read_items(value)
    shown = [_plain_repr(item, depth - 1) for item in itertools.islice(items, _SHOWN_ITEMS)]
    shown += ["..."] if len(items) > _SHOWN_ITEMS else []
    if issubclass(kind, tuple):
        return "(" + ", ".join(shown) + ("," if len(items) == 1 else "") + ")"
    return "frozenset({" + ", ".join(shown) + "})" if items else "frozenset()"


def size_of(obj: object) -> int:
    """``sys.getsizeof(obj)``, computed by the built-in base's ``__sizeof__`` for a subclass."""
    kind = type(obj)
    if id(kind) in _EXACT_VALUE_IDS:
        return sys.getsizeof(obj)
    base = next(klass for klass in _TYPE_MRO.__get__(kind) if id(klass) in _EXACT_VALUE_IDS)
    size = cast("int", base.__sizeof__(obj))
    return size + (_GC_HEADER if _TYPE_FLAGS.__get__(kind) & _HAVE_GC else 0)
