"""Pools: scoped, strong holders of canonical values, and deduplication of parsed data.

The pure-Python twin of the C ``Pool`` in ``_speedups.c``: the same behaviour,
under the same tests.

A pool holds the handles of the values it has canonicalized. It answers the
common values, exact ``str``, ``int``, ``float`` and ``bytes``, ``None`` and
the booleans, from a dict per kind of its own, value to handle: a dict's
equality is ``make``'s rule within one kind, and a handle the pool holds stays
the canonical one, so the memo is only a shortcut to the interner's answer.
Every other value goes to the interner's ``make`` and its handle into a set.

``dedup`` walks what parsers produce, with a stack rather than recursion: the
keys and values of dicts and the items of lists are replaced in place by their
canonical objects, each container visited once. A dict is read into a snapshot
first and written back only if it still holds exactly that snapshot, since
interning can run user code (an ``__eq__``, or a finalizer set off by a
collection) that could change it meanwhile.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Self, TypeGuard, TypeVar, final

from intern._deep import make_deep_with
from intern._stats import PoolStats

if TYPE_CHECKING:
    from intern._pure import Handle, Interner

T = TypeVar("T", bound=Hashable)
D = TypeVar("D")

MEMO_KINDS: dict[type, int] = {str: 0, int: 1, float: 2, bytes: 3, bool: 4, type(None): 4}
"""Types whose values a pool answers from a dict of its own, one per kind: within
one kind, a dict's equality is ``make``'s rule (no two of None, False and True are
equal)."""
_MEMOS = len(set(MEMO_KINDS.values()))

LEAF_TYPES = frozenset({str, bytes, int, float, complex, bool, type(None)})
"""The parts of a tuple that ``dedup`` interns one by one; a tuple holding any
other part is interned as ``value_deep`` does."""


@final
class Pool:
    """A scoped, strong holder of canonical values.

    ``pool.value(v)`` returns the canonical object equal to ``v`` (same type) and
    keeps its handle, so that equal values met while the pool is open are all one
    object; ``pool.make(v)`` returns the handle itself. For parsed data,
    ``pool.row(fields)`` canonicalizes every field of a row into a tuple, and
    ``pool.dedup(obj)`` every key, value and item of what a parser returned, in
    place. ``pool.stats()`` says what it saved. ``len(pool)`` is the number of
    handles held; ``pool.clear()`` lets them go, and so does leaving a ``with``
    block. The values stay valid after that (they are ordinary objects); they
    are just no longer guaranteed to be the ones ``make`` returns. Thread-safe.
    Bound to ``interner``, or to its implementation's ``default``.

    >>> import intern
    >>> with intern.Pool() as pool:
    ...     rows = [pool.row(["GET", "/"]), pool.row(["GET", "/about"])]
    >>> rows[0][0] is rows[1][0]
    True
    """

    __slots__ = ("_handles", "_interner", "_lock", "_make", "_memo", "_totals")

    def __init__(self, interner: Interner[Any] | None = None) -> None:
        if interner is None:
            from intern._pure import default  # here: _pure imports this module

            interner = default
        self._interner = interner
        self._make = interner.make
        self._memo: list[dict[Any, Handle[Any]]] = [{} for _ in range(_MEMOS)]
        self._handles: set[Handle[Any]] = set()
        self._lock = threading.Lock()  # for clear(), which swaps the holders, and the totals
        self._totals = [0, 0, 0]  # values, deduplicated, bytes_saved

    @property
    def interner(self) -> Interner[Any]:
        """The interner whose handles the pool holds."""
        return self._interner

    def _handle(self, value: object) -> Handle[Any]:
        kind = MEMO_KINDS.get(type(value))
        if kind is None:
            handle = self._make(value)
            self._handles.add(handle)
            return handle
        memo = self._memo[kind]
        found = memo.get(value)
        if found is None:
            found = self._make(value)
            memo[found.value] = found
        return found

    def _count(self, counts: list[int]) -> None:
        with self._lock:
            totals = self._totals
            totals[0] += counts[0]
            totals[1] += counts[1]
            totals[2] += counts[2]

    def _canonical(self, value: Any, counts: list[int]) -> Any:
        """Return the canonical object equal to ``value``, counted into ``counts``."""
        result = self._handle(value).value
        _tally(counts, value, result)
        return result

    def _canonical_deep(self, value: Any, counts: list[int]) -> Any:
        handle = make_deep_with(self._make, value)
        self._handles.add(handle)
        result = handle.value
        _tally(counts, value, result)
        return result

    def make(self, value: T, /) -> Handle[T]:
        """Return the canonical handle of ``value``, and keep it until the pool is cleared."""
        handle: Handle[T] = self._handle(value)
        counts = [0, 0, 0]
        _tally(counts, value, handle.value)
        self._count(counts)
        return handle

    def value(self, value: T, /) -> T:
        """Return the canonical object equal to ``value`` (same type), kept canonical."""
        counts = [0, 0, 0]
        result: T = self._canonical(value, counts)
        self._count(counts)
        return result

    def value_deep(self, value: T, /) -> T:
        """Like :meth:`value`, through :func:`intern.make_deep`: its parts are canonical too."""
        counts = [0, 0, 0]
        result: T = self._canonical_deep(value, counts)
        self._count(counts)
        return result

    def row(self, fields: Iterable[T], /) -> tuple[T, ...]:
        """Return the canonical object of each field, as a tuple.

        ``rows = [pool.row(r) for r in csv.reader(file)]`` reads a CSV file with
        each distinct field value stored once.
        """
        given = fields
        fields = tuple(fields)  # all read before any is interned, as in C
        counts = [0, 0, 0]
        canonical = self._canonical
        try:
            row = [canonical(field, counts) for field in fields]
        finally:
            self._count(counts)
        if type(given) is tuple and all(map(_same, row, fields)):
            return fields  # the caller's tuple, canonical already
        return tuple(row)

    def dedup(self, obj: D, /) -> D:
        """Return ``obj`` with every part canonical: what a parser returned, deduplicated.

        A ``dict`` has its keys and values replaced in place by their canonical
        objects (order kept), a ``list`` its items; containers inside are visited
        too, each once (shared and cyclic ones are fine), without recursion. A
        ``tuple`` of strings, numbers, bytes, ``None`` and booleans has each item
        made canonical, then is itself (rebuilt only if an item changed); any
        other tuple is interned as :meth:`value_deep` does. Any other hashable
        object is a value (:meth:`value`), and anything else (a ``set``, a
        ``bytearray``) is left as it is. Equal dicts and lists are not merged:
        they are mutable. A tuple is compared as ``make`` compares it: its items
        by ordinary equality, so ``(0, None)`` can come back as an equal
        ``(False, None)`` met first; where the types of a tuple's items matter,
        keep such rows as lists (each item is then its own value) or use
        :meth:`row`.

        ``pool.dedup(json.loads(line))`` is the JSON Lines recipe; it works on
        whatever ``json``, ``tomllib``, ``csv.DictReader`` or a database driver
        returns. An error names where it happened in a note (``obj['rows'][3]``);
        parts done before it stay done. A dict changed by user code while its
        parts were being interned raises ``RuntimeError`` and is left as that
        code left it. A dict subclass gets its new keys through its own
        ``clear`` and ``__setitem__``; if they fail, it is put back as it was.
        """
        counts = [0, 0, 0]
        try:
            return _Dedup(self._canonical, self._canonical_deep, self._handle, counts).run(obj)
        finally:
            self._count(counts)

    def stats(self) -> PoolStats:
        """Return what the pool has done: values seen, held, deduplicated, and bytes saved."""
        with self._lock:
            values, deduplicated, saved = self._totals
        return PoolStats(values, len(self), deduplicated, saved)

    def __len__(self) -> int:
        return sum(map(len, self._memo)) + len(self._handles)

    def clear(self) -> None:
        """Let go of every handle the pool holds."""
        fresh: list[dict[Any, Handle[Any]]] = [{} for _ in range(_MEMOS)]
        with self._lock:
            memo, self._memo = self._memo, fresh
            handles, self._handles = self._handles, set()
        memo.clear()
        handles.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.clear()

    def __repr__(self) -> str:
        return f"<Pool holding {len(self)} handles>"


class _Dedup:
    """One walk of :meth:`Pool.dedup`: its stack, what it visited, and its counts."""

    __slots__ = ("canonical", "canonical_deep", "counts", "handle", "paths", "todo", "visited")

    def __init__(
        self,
        canonical: Callable[[Any, list[int]], Any],
        canonical_deep: Callable[[Any, list[int]], Any],
        handle: Callable[[Any], Handle[Any]],
        counts: list[int],
    ) -> None:
        self.canonical = canonical
        self.canonical_deep = canonical_deep
        self.handle = handle
        self.counts = counts
        self.todo: list[dict[Any, Any] | list[Any]] = []
        self.visited: dict[int, object] = {}  # by identity; holding each keeps ids unique
        self.paths: dict[int, tuple[int, object]] = {}  # a container's parent and key in it

    def run(self, obj: D) -> D:
        top: object = obj
        if _is_container(top):
            self.schedule(top, None, None)
            while self.todo:
                container = self.todo.pop()
                if isinstance(container, dict):
                    self.walk_dict(container)
                else:
                    self.walk_list(container)
            return obj
        result: D = self.part(obj, None, None)
        return result

    def schedule(self, container: dict[Any, Any] | list[Any], parent: object, key: object) -> None:
        if id(container) not in self.visited:
            self.visited[id(container)] = container
            if parent is not None:
                self.paths[id(container)] = (id(parent), key)
            self.todo.append(container)

    def where(self, container: object, *key: object) -> str:
        """Name ``container`` (or ``container[key]``) from the object given to dedup."""
        steps = list(key)
        at = id(container)
        while at in self.paths:
            at, step = self.paths[at]
            steps.append(step)
        return "obj" + "".join(f"[{_shown(step)}]" for step in reversed(steps))

    def part(self, value: Any, container: object, key: object) -> Any:
        """Return the canonical form of a key, value or item; schedule containers."""
        try:
            if _is_tuple(value):
                return self.tuple(value)
            if type(value).__hash__ is None:
                return value  # left as it is
            return self.canonical(value, self.counts)
        except Exception as error:
            if container is not None:
                error.add_note(f"(in Pool.dedup, at {self.where(container, key)})")
            raise

    def tuple(self, value: tuple[Any, ...]) -> tuple[Any, ...]:
        counts = self.counts
        if type(value) is not tuple or not all(type(item) in LEAF_TYPES for item in value):
            deep: tuple[Any, ...] = self.canonical_deep(value, counts)
            return deep
        items = [self.canonical(item, counts) for item in value]
        rebuilt = value if all(map(_same, items, value)) else tuple(items)
        result: tuple[Any, ...] = self.handle(rebuilt).value
        # A tuple rebuilt only to hold canonical items saves nothing by itself.
        _tally(counts, value, value if result is rebuilt else result)
        return result

    def child(self, value: Any, container: object, key: object) -> Any:
        if _is_container(value):
            self.schedule(value, container, key)
            return value
        return self.part(value, container, key)

    def walk_dict(self, mapping: dict[Any, Any]) -> None:
        items = _snapshot(mapping)
        keys = [self.part(key, mapping, key) for key, _ in items]
        values = [self.child(value, mapping, key) for key, value in items]
        keys_changed = not all(map(_same, keys, (key for key, _ in items)))
        if not keys_changed and all(map(_same, values, (value for _, value in items))):
            return
        now = _snapshot(mapping)
        if len(now) != len(items) or not all(map(_same_item, now, items)):
            raise RuntimeError(
                "Pool.dedup: a dict changed while its parts were being interned"
                f" (at {self.where(mapping)}); it was left as it is"
            )
        if not keys_changed:
            for (key, old), new in zip(items, values, strict=True):
                if new is not old:
                    mapping[key] = new
            return
        try:
            _refill(mapping, zip(keys, values, strict=True))
        except BaseException:
            with contextlib.suppress(Exception):  # the error to report is the first one
                _restore(mapping, items)
            raise
        if _dict_len(mapping) != len(items):  # only an __eq__ that contradicts itself
            _restore(mapping, items)
            raise ValueError(
                "Pool.dedup: keys of a dict compared equal once made canonical, so their"
                f" __eq__ contradicts itself (at {self.where(mapping)});"
                " the dict was left as it was"
            )

    def walk_list(self, items: list[Any]) -> None:
        # What the list stores, whatever a subclass's __iter__, __len__ or __getitem__ say.
        for index, old in enumerate(_list_copy(items)):
            new = self.child(old, items, index)
            if new is not old and index < _list_len(items) and _list_item(items, index) is old:
                items[index] = new


# The built-in methods, for what a dict or list stores whatever a subclass says.
_dict_len: Callable[[dict[Any, Any]], int] = vars(dict)["__len__"]
_list_copy: Callable[[list[Any]], list[Any]] = vars(list)["copy"]
_list_len: Callable[[list[Any]], int] = vars(list)["__len__"]
_list_item: Callable[[list[Any], int], Any] = vars(list)["__getitem__"]
_tuple_len: Callable[[tuple[Any, ...]], int] = vars(tuple)["__len__"]
_tuple_item: Callable[[tuple[Any, ...], int], Any] = vars(tuple)["__getitem__"]
_STORES: dict[type, tuple[Callable[[Any], None], Callable[[Any, Any, Any], None]]] = {
    base: (vars(base)["clear"], vars(base)["__setitem__"]) for base in (dict, OrderedDict)
}


def _snapshot(mapping: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """Return ``mapping``'s items, checked to be pairs: a subclass's ``items()`` may not be."""
    items: list[Any] = list(mapping.items())
    if type(mapping) is dict:
        return items
    pairs: list[tuple[Any, Any]] = []
    for pair in items:
        if not _is_tuple(pair) or _tuple_len(pair) != 2:
            raise TypeError("Pool.dedup: a dict's items() must be pairs")
        pairs.append((_tuple_item(pair, 0), _tuple_item(pair, 1)))
    return pairs


def _refill(mapping: dict[Any, Any], pairs: Iterable[tuple[Any, Any]]) -> None:
    """Empty ``mapping`` and store ``pairs``, through a subclass's own methods."""
    mapping.clear()
    if type(mapping) is dict:
        mapping.update(pairs)
        return
    for key, value in pairs:
        mapping[key] = value


def _restore(mapping: dict[Any, Any], pairs: list[tuple[Any, Any]]) -> None:
    """Put back ``pairs`` through the built-in methods, which a subclass cannot make fail.

    An ``OrderedDict`` keeps its order beside the dict's storage: its own methods
    keep both.
    """
    clear, store = _STORES[OrderedDict if isinstance(mapping, OrderedDict) else dict]
    clear(mapping)
    for key, value in pairs:
        store(mapping, key, value)


def _shown(step: object) -> str:
    """Return ``repr(step)`` for a path, or ``?`` if it fails: a note must not hide the error."""
    try:
        return repr(step)
    except Exception:  # noqa: BLE001 -- any failure of a user's __repr__
        return "?"


def _same(left: object, right: object) -> bool:
    return left is right


def _same_item(left: tuple[object, object], right: tuple[object, object]) -> bool:
    return left[0] is right[0] and left[1] is right[1]


def _tally(counts: list[int], given: object, result: object) -> None:
    """Count a value seen and, if ``result`` replaces it, one deduplicated."""
    counts[0] += 1
    if result is not given:
        counts[1] += 1
        counts[2] += sys.getsizeof(given)


def _is_container(value: object) -> TypeGuard[dict[Any, Any] | list[Any]]:
    """Whether ``dedup`` walks ``value`` (and replaces its parts in place)."""
    return isinstance(value, dict | list)


def _is_tuple(value: object) -> TypeGuard[tuple[Any, ...]]:
    return isinstance(value, tuple)
