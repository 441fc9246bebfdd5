"""The pure-Python implementation of handles and interners.

An interner keeps one dict per exact type of value; each maps values to weak
references to their handles, whose callbacks remove the entries once the handles
are collected. The table must never keep a value alive by itself: a value that
refers to its own handle would then keep both alive forever. So a value is only
a key when it is *plain* (``str``, ``int``, ``bytes`` and the like, and tuples
and frozensets of them), since a plain value cannot refer to any handle. Any
other value is represented by an ``_Entry``: a weak reference to the handle that
hashes like the value and compares equal to it while the handle lives.

Four rules keep the table right under threads, garbage collection and hostile
values:

- Lookups take no lock. Insertion happens under a reentrant lock, so that user
  code run inside it (``__eq__``, ``__hash__``, ``__del__`` during a collection)
  may call ``make`` again on the same thread.
- An insertion only stores its entry if no other insertion happened since it
  looked, so that a nested ``make`` of an equal value (from any of that user
  code) never ends up beside a second handle.
- Removal never takes the lock: a callback deletes its entry with
  ``_remove_dead_weakref``, an atomic compare-and-delete that only removes a key
  whose reference is dead, so a late callback never removes a newer handle. It
  never runs user code either: plain values and entries hash and compare in
  code of our own or of CPython.
- Everything reachable from ``make`` or from a callback is bound in closure cells
  or default arguments, not looked up in module globals, because interpreter
  shutdown clears module globals while ``__del__`` methods may still call
  ``make``.
"""

from __future__ import annotations

import _weakref
import os
import reprlib
import sys
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, NoReturn, Self, TypeVar, cast, final

from intern._checks import check_hashable_type as _check_hashable_type
from intern._checks import check_metaclass as _check_metaclass
from intern._checks import explain_unhashable as _explain_unhashable
from intern._checks import metaclass_redefines_equality as _metaclass_redefines_equality
from intern._stats import Stats

T = TypeVar("T", bound=Hashable)
T_co = TypeVar("T_co", bound=Hashable, covariant=True)

# Private, but there since 3.7: the atomic "delete this key if its weak reference
# is dead" that weakref.WeakValueDictionary relies on. Typeshed does not declare it.
_remove_dead_weakref: Callable[[dict[Any, Any], object], None] = getattr(  # noqa: B009
    _weakref, "_remove_dead_weakref"
)

_DICT_REPLACES_HASH_ERRORS = sys.version_info >= (3, 14)
"""Whether a dict turns a TypeError raised by a key's ``__hash__`` into one of its own."""

_PRUNE_MIN = 64
"""Number of per-type tables above which empty ones are pruned (doubling after each prune)."""


@final
class Handle(Generic[T_co]):
    """The canonical handle of a value, as returned by :func:`intern.make`.

    Two live handles are the same object if and only if their values have the same
    type and are equal, so ``is`` compares them. Handles are immutable, compare and
    hash by identity, can be weakly referenced, are returned as themselves by
    ``copy.copy`` and ``copy.deepcopy``, and pickle by value: unpickling calls
    ``intern.make`` again.

    >>> import intern
    >>> handle = intern.make("GET")
    >>> handle
    Handle('GET')
    >>> handle.value
    'GET'
    """

    __slots__ = ("__weakref__", "_value")
    _value: T_co

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        raise TypeError("Handle objects are not created directly: use intern.make(value)")

    def __init_subclass__(cls, **kwargs: object) -> NoReturn:
        raise TypeError("Handle is final and cannot be subclassed")

    @property
    def value(self) -> T_co:
        """The canonical value: the first of its equals that was interned."""
        return self._value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Handle is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Handle is immutable: cannot delete {name!r}")

    @reprlib.recursive_repr("Handle(...)")
    def __repr__(self) -> str:
        return f"Handle({self._value!r})"

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: object) -> Self:
        return self

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object]]:
        # Pickles name the public intern.make, so that they load under either
        # implementation and re-intern on load.
        return (make, (self._value,))


_store_value: Callable[[Handle[Any], object], None] = Handle.__dict__["_value"].__set__


_NOT_PLAIN = object()
"""What ``_plain_key`` returns for a value that is not plain."""


def _make_plain_key() -> Callable[[object], object]:
    scalar_types = frozenset({str, bytes, int, float, complex, bool, type(None)})
    tuple_eq, tuple_hash = vars(tuple)["__eq__"], vars(tuple)["__hash__"]
    tuple_items: Callable[[object, slice], tuple[object, ...]] = vars(tuple)["__getitem__"]
    everything = slice(None)
    not_plain = _NOT_PLAIN

    def plain_key(value: object) -> object:
        """Return the key that stands for a plain ``value`` in its table, else ``_NOT_PLAIN``.

        A plain value cannot refer to a handle, and hashes and compares in C:
        values of exact scalar types (``str``, ``bytes``, ``int``, ``float``,
        ``complex``, ``bool``, ``None``), and exact tuples and frozensets of plain
        values. The key is the value itself, so the table holds it strongly.

        A tuple subclass that keeps tuple's equality and hash, such as a named
        tuple, is plain too when its elements are, but its key is an exact tuple
        of those elements: the instance itself refers to its class, and the
        class (or the instance's own attributes) may hold a handle.
        """
        cls = type(value)
        if cls in scalar_types:
            return value
        key: object
        stack: list[Any]
        if cls is frozenset:
            key, stack = value, [value]
        elif cls.__eq__ is tuple_eq and cls.__hash__ is tuple_hash and issubclass(cls, tuple):
            # tuple's own storage, whatever the subclass's __iter__ says
            key = items = tuple_items(value, everything)
            stack = [items]
        else:
            return not_plain
        while stack:
            item: object
            for item in stack.pop():
                kind: type[object] = type(item)
                if kind is tuple or kind is frozenset:
                    stack.append(item)
                elif kind not in scalar_types:
                    return not_plain
        return key

    return plain_key


_plain_key = _make_plain_key()


def _is_miss(error: KeyError, value: object, cls: type) -> bool:
    """Say whether ``error`` is a dict's own "not found" for ``value`` or ``cls``.

    Such an error carries the key it was looking for, and was raised by the
    lookup itself: no frame of user code (an ``__eq__`` or ``__hash__`` written
    in Python) comes after the frame that looked up. A KeyError raised by the
    value's own code is not a miss, and propagates.
    """
    traceback = error.__traceback__
    args = error.args
    return (
        traceback is not None
        and traceback.tb_next is None
        and len(args) == 1
        and (args[0] is value or args[0] is cls)
    )


class _KeyedRef(weakref.ref[Handle[Any]]):
    """A weak reference to a handle that also holds the handle's table key.

    Unlike ``weakref.KeyedRef``, whose ``__new__`` is Python code that reads the
    ``weakref`` module's globals, it is created without running Python code,
    which keeps ``make`` working while shutdown clears module globals.
    """

    __slots__ = ("key",)
    key: Any


class _Entry(_KeyedRef):
    """A table key for a value that is not plain, and the entry's weak reference.

    Its ``key`` is the value's hash when interned. It hashes like the value and,
    while its handle lives, equals what the value equals; once the handle is dead
    it equals only itself, so it never hides a newer entry and its callback finds
    it by identity.
    """

    __slots__ = ()

    def __hash__(self) -> int:
        hash_: int = self.key
        return hash_

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self is other
        handle = self()
        if handle is None:
            return False
        value = handle._value  # pyright: ignore[reportPrivateUsage] -- the module's own handle
        return value is other or bool(value == other)


@final
class Interner(Generic[T]):
    """An independent table of canonical handles.

    ``intern.make`` is the ``make`` of the default interner, ``intern.default``;
    create an ``Interner`` to keep a separate table (its handles are never shared
    with another interner's).

    - ``interner.make(value)`` returns the canonical handle of ``value``, creating
      it if no live handle exists. Raises ``TypeError`` for unhashable values;
      exceptions from the value's ``__hash__`` or ``__eq__`` propagate unchanged.
    - ``interner.get(value)`` returns the live handle or ``None``, never inserting.
    - ``value in interner``, ``len(interner)`` (live handles) and
      ``interner.stats()``.

    >>> from intern import Interner
    >>> methods = Interner[str]()
    >>> methods.make("GET") is methods.make("".join(["G", "ET"]))
    True
    >>> len(methods), "GET" in methods, "PUT" in methods
    (1, True, False)
    """

    __slots__ = (
        "__weakref__",
        "_count_lock",
        "_created",
        "_depth",
        "_generation",
        "_lock",
        "_prune_at",
        "_reclaimed",
        "_tables",
        "get",
        "make",
    )

    make: Callable[[T], Handle[T]]
    get: Callable[[T], Handle[T] | None]

    def __init__(self) -> None:
        if type(self) is not Interner:  # a base whose __init_subclass__ skips ours
            raise TypeError("Interner is final and cannot be subclassed")
        self._tables: dict[type, dict[Any, _KeyedRef]] = {}
        self._lock = threading.RLock()
        self._count_lock = threading.RLock()
        self._created = 0
        self._reclaimed = 0
        self._generation = 0  # insertions so far; a changed value means "look again"
        self._depth = 0  # nesting of insertions on the thread holding _lock
        self._prune_at = _PRUNE_MIN
        self.make, self.get = self._bind_lookups()
        _interners.add(self)

    def __init_subclass__(cls, **kwargs: object) -> NoReturn:
        raise TypeError("Interner is final and cannot be subclassed")

    def __len__(self) -> int:
        return self.stats().live

    def __contains__(self, value: object) -> bool:
        return self.get(cast("T", value)) is not None  # membership accepts any object

    def stats(self) -> Stats:
        """Return a snapshot of the table's counters: ``live``, ``created``, ``reclaimed``."""
        reclaimed = self._reclaimed  # read first, so that live is never negative
        created = self._created
        return Stats(live=created - reclaimed, created=created, reclaimed=reclaimed)

    def __repr__(self) -> str:
        live, created, reclaimed = self.stats()
        return f"<Interner live={live} created={created} reclaimed={reclaimed}>"

    def _reset_locks(self) -> None:
        # After fork, the child has only the forking thread: a lock another thread
        # held at the time would never be released.
        self._lock = threading.RLock()
        self._count_lock = threading.RLock()
        self._depth = 0

    def _bind_lookups(self) -> tuple[Callable[[T], Handle[T]], Callable[[T], Handle[T] | None]]:
        # make() and get() are closures, not methods: closure cells are faster to
        # read than attributes on the hit path, and they survive the clearing of
        # module globals at shutdown (see the module docstring).
        interner = self
        tables = self._tables
        removers: dict[type, Callable[[_KeyedRef], None]] = {}
        # Dead references taken out of a table before their callbacks ran, kept
        # alive (by id) until they do, so that every handle is counted once.
        awaiting_callback: dict[int, _KeyedRef] = {}
        new_object = object.__new__
        handle_type: type[Handle[Any]] = Handle
        store_value = _store_value
        keyed_ref = _KeyedRef
        entry_type = _Entry
        is_miss = _is_miss
        plain_key = _plain_key
        not_plain = _NOT_PLAIN
        remove_dead = _remove_dead_weakref
        explain_unhashable = _explain_unhashable
        check_hashable_type = _check_hashable_type
        check_metaclass = _check_metaclass
        metaclass_redefines_equality = _metaclass_redefines_equality
        prune_min = _PRUNE_MIN
        no_entries: dict[Any, _KeyedRef] = {}
        dict_replaces_hash_errors = _DICT_REPLACES_HASH_ERRORS

        def remover(table: dict[Any, Any]) -> Callable[[_KeyedRef], None]:
            def remove(ref: _KeyedRef) -> None:
                awaiting_callback.pop(id(ref), None)
                with interner._count_lock:
                    interner._reclaimed += 1
                # The key is the entry itself or a plain value: neither runs user
                # code to hash or compare, so this cannot fail.
                remove_dead(table, ref if type(ref) is entry_type else ref.key)

            return remove

        def drop_dead(table: dict[Any, Any], value: Hashable, ref: _KeyedRef) -> None:
            # A dead reference still in a table has its callback to come: its
            # handle's deallocation is under way, perhaps deferred by CPython's
            # trashcan while user code runs. Only plain keys get here (a dead
            # _Entry equals nothing), and a plain key's dead entry may hide an
            # equal live one, so it is taken out; its reference lives on until
            # its callback has counted the handle.
            awaiting_callback[id(ref)] = ref
            remove_dead(table, value)

        def hash_failed(value: Hashable, error: TypeError) -> NoReturn:
            # A dict raised a TypeError while looking up the value: it is
            # unhashable (say so), or its own __hash__ or __eq__ raised it. Since
            # 3.14, a dict replaces a TypeError from hashing a key with its own,
            # "cannot use ... as a dict key", losing the original: hashing again
            # raises the value's own error again, if it does so every time.
            explain_unhashable(value, error)
            if dict_replaces_hash_errors:
                hash(value)
            raise error

        def lookup(table: dict[Any, _KeyedRef], value: Hashable) -> _KeyedRef | None:
            try:
                return table.get(value)
            except TypeError as error:
                hash_failed(value, error)

        def new_table(cls: type[Hashable]) -> dict[Any, Any]:
            # Types come and go (classes made at run time): drop empty tables, but
            # not from a nested insertion, whose caller may be filling one of them.
            if len(tables) >= interner._prune_at and interner._depth == 1:
                for other, entries in list(tables.items()):
                    if not entries:
                        del tables[other], removers[other]
                interner._prune_at = max(prune_min, 2 * len(tables))
            table = tables[cls] = {}
            removers[cls] = remover(table)
            return table

        def insert(value: Hashable) -> Handle[Any]:
            cls = type(value)
            check_hashable_type(value)
            # Before any lookup by type, which would run such a metaclass's code.
            check_metaclass(cls)
            with interner._lock:
                interner._depth += 1
                try:
                    return insert_locked(value, cls)
                finally:
                    interner._depth -= 1

        def insert_locked(value: Hashable, cls: type[Hashable]) -> Handle[Any]:
            table = tables.get(cls)
            if table is None:
                table = new_table(cls)
            remove = removers[cls]
            while True:
                generation = interner._generation
                ref = lookup(table, value)  # may run the value's __eq__, and whatever it does
                if ref is not None:
                    found = ref()
                    if found is not None:
                        return found
                    drop_dead(table, value, ref)
                    continue
                handle = new_object(handle_type)
                store_value(handle, value)
                key = plain_key(value)
                if key is not not_plain:
                    ref = keyed_ref(handle, remove)
                    ref.key = key
                else:
                    value_hash = hash(value)  # user code: before the reference exists
                    key = ref = entry_type(handle, remove)
                    ref.key = value_hash
                # A collection can run at any allocation or call since the lookup,
                # and the user code it runs (__del__, weakref callbacks) may insert.
                # Store only if no insertion happened; nothing between this check
                # and the store can run a collection, except hashing an _Entry, which
                # the second check catches.
                if interner._generation == generation:
                    table[key] = ref
                    if interner._generation == generation:
                        interner._generation = generation + 1
                        interner._created += 1
                        return handle
                    del table[key]
                del key, ref  # before the handle, so that no callback counts it

        # The hit path. A table is found by type, and only a metaclass that
        # redefines equality could make a type find another type's table: such
        # types never get a table (insert refuses them), and checking the type of
        # the value found keeps them from borrowing one. A KeyError or TypeError
        # that the value's __hash__ or __eq__ raised propagates unchanged (but an
        # unhashable value gets an error that says so): only a miss is retried.
        # make() and get() spell the hit path out each: a shared helper would
        # cost a call on it.

        def make(value: T, /) -> Handle[T]:
            cls = type(value)
            try:
                handle = tables[cls][value]()
            except KeyError as error:
                if not is_miss(error, value, cls):
                    raise
                handle = None
            except TypeError as error:
                hash_failed(value, error)
            if handle is not None and type(handle._value) is cls:  # pyright: ignore[reportPrivateUsage]
                return handle
            return insert(value)

        def get(value: T, /) -> Handle[T] | None:
            cls = type(value)
            try:
                handle = tables[cls][value]()
            except KeyError as error:
                if not is_miss(error, value, cls):
                    raise
                handle = None
            except TypeError as error:
                hash_failed(value, error)
            if handle is not None and type(handle._value) is cls:  # pyright: ignore[reportPrivateUsage]
                return handle
            return get_slowly(value, cls)

        def get_slowly(value: Hashable, cls: type[Hashable]) -> Handle[Any] | None:
            # Nothing was found, a dead handle (its callback to come), or the
            # handle of another type.
            check_hashable_type(value)
            table = None if metaclass_redefines_equality(cls) else tables.get(cls)
            if table is None:
                lookup(no_entries, value)  # an unhashable value raises, as in make()
                return None
            while (ref := lookup(table, value)) is not None:
                found = ref()
                if found is not None:
                    return found
                drop_dead(table, value, ref)
            return None

        return make, get


_interners: weakref.WeakSet[Interner[Any]] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    for interner in _interners:
        interner._reset_locks()  # pyright: ignore[reportPrivateUsage] -- the module owns its interners


os.register_at_fork(after_in_child=_reset_locks_after_fork)

default: Interner[Hashable] = Interner()
"""The interner behind :func:`intern.make`."""


def _default_make() -> Callable[[T], Handle[T]]:
    function: Any = default.make
    function.__module__ = "intern"
    function.__name__ = function.__qualname__ = "make"
    function.__doc__ = """Return the canonical handle of ``value``.

    Two live handles ``make(a)`` and ``make(b)`` are the same object if and only if
    ``type(a) is type(b)`` and ``a == b``; the handle's ``value`` is the first of
    those equals that was interned. The table holds handles weakly: once the last
    handle to a value is collected, its entry goes away.

    Raises ``TypeError`` for an unhashable value. Exceptions raised by the value's
    ``__hash__`` or ``__eq__`` propagate unchanged and leave the table as it was.

    >>> import intern
    >>> intern.make("GET") is intern.make("".join(["G", "E", "T"]))
    True
    >>> intern.make(1) is intern.make(1.0)
    False
    """
    return cast("Callable[[T], Handle[T]]", function)


make = _default_make()
