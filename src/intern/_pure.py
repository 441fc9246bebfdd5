"""The pure-Python implementation of handles and interners.

It keeps the contract of the C implementation (``_speedups.c``) with a different
table. An interner keeps a ``_Table`` per exact type of value, holding weak
references (``_Ref``) to its handles in two places:

- ``plain`` maps *plain* values to their references: ``str``, ``int``, ``bytes``
  and the other exact scalars, and exact tuples and frozensets of them. A plain
  value cannot refer to a handle, so the table may hold it, and it hashes and
  compares in C without running user code.
- ``buckets`` maps the hash of any other value to the reference to its handle,
  or to a list of them when values share the hash. References hash and compare
  by identity, in C. The table holds no such value, which might refer to its
  own handle.

So nothing the table does to itself runs user code. Five rules keep it right
under threads, garbage collection and hostile ``__eq__``, ``__hash__`` and
``__del__`` methods:

- Lookups take no lock. They run user code (the value's ``__hash__`` and
  ``__eq__``), and with it anything: collections, other threads, ``make`` itself.
- An insertion compares the value once with each *candidate* (a live handle of
  the same type and hash), then stores its reference in a *window*: a few
  bytecodes under the interner's lock that call nothing and allocate nothing,
  neither user code nor Python code of ours, so that no collection, signal
  handler or other thread can run between its check and its store (a window may
  end with one call, after which anything may run). The check is exact: the
  bucket of its hash is still the one it read before comparing (a bucket is
  replaced, never changed, whenever a value of that hash is stored or taken
  out), and no plain value of its hash was stored since (``plain_log``, kept
  while such insertions run). If the check fails, the new candidates are
  compared and the window tried again; a value whose comparisons keep letting
  user code store values of its own hash, round after round, gets a
  ``RuntimeError`` after ``_MAX_ROUNDS`` rounds instead of a loop that never
  ends. Values stored in other tables or with other hashes never cost a round.
- No lock is held while user code runs, so an ``__eq__`` may wait for another
  thread that interns.
- Removal is a weak reference callback that deletes its own reference, by
  identity: from ``plain`` with ``remove_dead_weakref``, an atomic
  compare-and-delete that never removes a newer live entry; from its bucket by
  replacing the bucket, in a window. It runs no user code and cannot fail.
- Counting is exact: ``created`` counts references stored in a window,
  ``reclaimed`` the callbacks of stored references (a reference made for a value
  that was found after all is never counted), ``hits`` the calls of ``make`` that
  return a handle found, on the hit path or the slow path.

What a ``__del__`` or a callback can reach follows ``intern._shutdown``. The
top of ``_speedups.c`` explains the words both implementations use: hit path,
slow path, candidate, round, unreachable, ``explain_hash_error``. A handle that
a collection finds unreachable leaves the table then, for good, as the collector
clears weak references that have callbacks, as the table's do, before it runs
finalizers (since 3.15, those without a callback only after, if still unreachable).

The windows hold against anything CPython itself can run between bytecodes, but
not against a tracer or profiler (``sys.settrace``, ``sys.setprofile``,
``sys.monitoring``), which runs Python code of its own at every line: a limit of
this implementation, stated in the documentation.
"""

from __future__ import annotations

import itertools
import os
import reprlib
import sys
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Never,
    NoReturn,
    Self,
    SupportsIndex,
    TypeVar,
    cast,
    final,
)

from intern._buckets import drop_from_bucket
from intern._checks import (
    check_hashable_type,
    check_metaclass,
    check_picklable,
    metaclass_redefines_equality,
)
from intern._checks import explain_unhashable as _explain_unhashable
from intern._pool import Pool as Pool
from intern._shutdown import remove_dead_weakref
from intern._stats import Stats

T = TypeVar("T", bound=Hashable)
T_co = TypeVar("T_co", bound=Hashable, covariant=True)

_DICT_REPLACES_HASH_ERRORS = sys.version_info >= (3, 14)
"""Whether a dict turns a TypeError raised by a key's ``__hash__`` into one of its own."""

_PRUNE_MIN = 64
"""Number of per-type tables above which empty ones are pruned (doubling after each prune)."""

_MAX_ROUNDS = 100
"""Rounds of comparisons an insertion makes before it gives up (C's lookups too).

A round after the first happens only when a value of the same type and hash was
stored while the previous round compared: by the value's own ``__eq__``, a
``__del__`` it set off, or another thread.
"""

_SERIAL_BASE = 1 << 62
"""Where a table's serial starts: far from the small ints, which CPython shares (and
makes immortal since 3.12), so that storing serials never changes the total count
of references, which a debug build's leak hunt compares (tests/test_refleaks.py)."""


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

    if TYPE_CHECKING:
        # No argument can be given for _never (of type Never): constructing a
        # handle is a type error, as it is an error at run time.
        def __new__(cls, *, _never: Never) -> Self: ...

    else:

        def __new__(cls, *args, **kwargs):
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

    def __deepcopy__(self, memo: object, /) -> Self:
        return self

    def __reduce_ex__(
        self, protocol: SupportsIndex, /
    ) -> tuple[Callable[..., object], tuple[object]]:
        # Pickles name the public intern.make, so that they load under either
        # implementation and re-intern on load.
        check_picklable(self, self._value, protocol)
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


@final
class _ExplainHashError:
    """What the hit path calls once a lookup of ``value`` raised ``error``, a TypeError.

    The value is unhashable (say what and where), or its own ``__hash__`` or
    ``__eq__`` raised. Since 3.14 a dict replaces a TypeError from hashing a key
    with its own ("cannot use ... as a dict key"), losing the original: hashing
    again raises the value's own error again, if it does so every time. Only an
    error the dict raised itself can be such a replacement: one with no frame of
    user code (or of a table's ``__getitem__``) after the lookup's own.
    """

    __slots__ = ()

    # Bound here, not looked up in module globals (see intern._shutdown).
    _explain_unhashable = staticmethod(_explain_unhashable)
    _dict_replaces_hash_errors = _DICT_REPLACES_HASH_ERRORS

    def __call__(self, value: object, error: TypeError) -> NoReturn:
        self._explain_unhashable(value, error)
        traceback = error.__traceback__
        if self._dict_replaces_hash_errors and traceback is not None and traceback.tb_next is None:
            hash(value)
        raise error


class _Ref(weakref.ref[Handle[Any]]):
    """A weak reference to a handle, knowing where it is stored and whether it was.

    ``key`` is the plain value it is stored under in ``plain``, or the hash of
    the bucket it is in. ``stored`` turns true in the window that stores it:
    only then does its callback count the handle. It hashes and compares by
    identity, in C, unlike ``weakref.ref``, which hashes and compares the handle,
    and it is created without running Python code (unlike ``weakref.KeyedRef``),
    which keeps ``make`` working while shutdown clears module globals.
    """

    __slots__ = ("key", "stored")
    key: Any
    stored: bool
    __hash__ = object.__hash__
    __eq__ = object.__eq__


_NO_REF: Callable[[], None] = cast("Callable[[], None]", weakref.ref(set[object]()))
"""A dead weak reference: what a table's lookup returns when it finds nothing."""


@final
class _Table:
    """The handles of one exact type of value: lookups that miss, insertion, removal.

    A bucket is the one reference of its hash, or a list of them once two values
    share the hash. A bucket is never changed once stored, only replaced: so the
    bucket of a hash is the same object exactly as long as nothing was stored in
    it or taken out of it, which is what an insertion's window checks.
    """

    __slots__ = (
        "buckets",
        "cls",
        "mixed",
        "not_plain_active",
        "plain",
        "plain_log",
        "remove_entry",
        "remove_plain",
        "serial",
        "tables",
    )

    # Bound here, not looked up in module globals (see intern._shutdown).
    _remove_dead = staticmethod(remove_dead_weakref)
    _drop_from_bucket = staticmethod(drop_from_bucket)
    _no_ref = staticmethod(_NO_REF)
    _new_object = staticmethod(object.__new__)
    _handle_type: type[Handle[Any]] = Handle
    _store_value = staticmethod(_store_value)
    _new_ref = _Ref
    _not_plain = _NOT_PLAIN
    _max_rounds = _MAX_ROUNDS

    def __init__(self, tables: _Tables, cls: type, mixed: bool) -> None:
        self.tables = tables
        self.cls = cls
        self.mixed = mixed  # values of the type may be plain or not: tuples, frozensets
        self.plain: dict[Any, _Ref] = {}
        self.buckets: dict[int, _Ref | list[_Ref]] = {}
        # In a mixed table, a value that is not plain may equal a plain one (a
        # tuple holding an object of the user's that equals 2 equals one holding
        # 2): while such values are being inserted (not_plain_active), plain
        # insertions log their hash with a serial, which those insertions check
        # in their windows. The log is emptied once none is.
        self.not_plain_active = 0
        self.plain_log: dict[int, int] = {}
        self.serial = _SERIAL_BASE  # plus the plain values logged so far
        self.remove_plain = self._remove_plain
        self.remove_entry = self._remove_entry

    def __getitem__(self, value: object) -> Callable[[], Handle[Any] | None]:
        """Find the reference to the handle of ``value`` (not plain), or a dead one.

        The hit path of ``make`` and ``get`` for types whose values are never
        plain. May run user code; a miss here is decided again by ``find``.
        """
        bucket = self.buckets.get(hash(value))
        if bucket is None:
            return self._no_ref
        for ref in bucket if isinstance(bucket, list) else (bucket,):
            handle = ref()
            if handle is not None:
                stored = handle._value  # pyright: ignore[reportPrivateUsage] -- the module's own handle
                if stored is value or stored == value:
                    return ref
        return self._no_ref

    def find(
        self, value: object, value_hash: int, key: object, compared: set[_Ref], plain_too: bool
    ) -> Handle[Any] | None:
        """Return the live handle of a value equal to ``value``, or None.

        Compares ``value`` once with each candidate in its bucket that is not in
        ``compared`` (and adds the unequal ones); for a value that is not plain,
        looks in ``plain`` too if ``plain_too``. May run user code.
        """
        plain = self.plain
        if key is not self._not_plain:
            ref = plain.get(key)  # plain keys compare in C
            if ref is not None:
                handle = ref()
                if handle is not None:
                    return handle
                self.tables.drop_dead(plain, key, ref)
        elif plain_too and plain:
            ref = plain.get(value)
            if ref is not None:
                handle = ref()
                if handle is not None:
                    return handle
                self.tables.drop_dead(plain, ref.key, ref)
        bucket = self.buckets.get(value_hash)
        if bucket is None:
            return None
        for ref in bucket if isinstance(bucket, list) else (bucket,):
            if ref in compared:
                continue
            handle = ref()
            if handle is None:
                continue  # dying: its callback removes it
            stored = handle._value  # pyright: ignore[reportPrivateUsage] -- the module's own handle
            if stored is value or stored == value:
                return handle
            compared.add(ref)
        return None

    def make_scalar(self, value: object) -> Handle[Any] | None:
        """``make`` for a table of a scalar type (``str``, ``int``...), whose values are their keys.

        Such values compare in C, so the window alone decides: nothing is
        compared with user code.
        """
        tables = self.tables
        lock, plain, cls = tables.lock, self.plain, self.cls
        handle: Handle[Any] = self._new_object(self._handle_type)
        self._store_value(handle, value)
        ref = self._new_ref(handle, self.remove_plain)
        ref.key, ref.stored = value, False
        while True:  # ends: a dead reference found is taken out, and nothing else can hide
            found = plain.get(value)
            if found is not None:
                other = found()
                if other is not None:
                    return tables.hit(other)
                tables.drop_dead(plain, value, found)
            with lock:  # the window: no calls or allocations until the final store
                registered = cls in tables.tables and tables.tables[cls] is self
                if registered and value not in plain:
                    tables.created += 1
                    ref.stored = True
                    plain[value] = ref
            if not registered:
                return None
            if ref.stored:
                return handle

    def make(self, value: object, value_hash: int, key: object) -> Handle[Any] | None:
        """Return the live handle of a value equal to ``value``, or store a new one.

        ``key`` is the plain key of ``value``, or ``_NOT_PLAIN``. Returns None if
        the table was pruned meanwhile (it had no handles): try the new one.
        """
        not_plain = key is self._not_plain
        if not (not_plain and self.mixed):
            return self.insert(value, value_hash, key, not_plain)
        with self.tables.lock:  # a window
            self.not_plain_active += 1
        try:
            return self.insert(value, value_hash, key, not_plain)
        finally:
            with self.tables.lock:  # a window
                self.not_plain_active -= 1
                if not self.not_plain_active:
                    self.plain_log.clear()  # the final call

    def insert(
        self, value: object, value_hash: int, key: object, not_plain: bool
    ) -> Handle[Any] | None:
        """Run the rounds of ``make``: compare the new candidates, then store if none came."""
        tables = self.tables
        lock, cls, buckets, plain_log = tables.lock, self.cls, self.buckets, self.plain_log
        compared: set[_Ref] = set()
        plain_checked = -1  # serial when plain was last searched for a value not plain
        # Made first, as it may run a collection, and with it user code that interns.
        handle: Handle[Any] = self._new_object(self._handle_type)
        self._store_value(handle, value)
        ref = self._new_ref(handle, self.remove_entry if not_plain else self.remove_plain)
        ref.key, ref.stored = value_hash if not_plain else key, False
        for _ in range(self._max_rounds):
            with lock:  # a window
                start = self.serial
                seen = buckets[value_hash] if value_hash in buckets else None  # noqa: SIM401 -- no call
            found = self.find(value, value_hash, key, compared, plain_checked < 0)
            if found is not None:
                return tables.hit(found)
            plain_checked = start
            fresh = self.grown(seen, ref) if not_plain else None  # may run a collection
            # The window: no calls or allocations; its check and its store, exact.
            with lock:
                registered = cls in tables.tables and tables.tables[cls] is self
                bucket = buckets[value_hash] if value_hash in buckets else None  # noqa: SIM401 -- no call
                if not registered or bucket is not seen:
                    pass  # not registered: pruned; a bucket changed: new candidates
                elif not_plain:
                    if not (value_hash in plain_log and plain_log[value_hash] > start):
                        tables.created += 1
                        ref.stored = True
                        buckets[value_hash] = fresh  # type: ignore[assignment]  # pyright: ignore[reportArgumentType] -- never None here
                    else:
                        plain_checked = -1  # a plain value of this hash came: look at it
                elif key not in self.plain:
                    if self.not_plain_active:
                        serial = self.serial = self.serial + 1
                        plain_log[value_hash] = serial
                    tables.created += 1
                    ref.stored = True
                    self.plain[key] = ref
            if not registered:
                return None
            if ref.stored:
                return handle
        name = cls.__name__
        raise RuntimeError(
            f"intern.make gave up on a {name!r} value after {self._max_rounds} rounds of"
            f" comparisons: each round, other {name!r} values of its hash were"
            f" interned while it compared (by its __eq__, a __del__ it set off, or another"
            f" thread), so it could never tell whether an equal one was among them"
        )

    @staticmethod
    def grown(bucket: _Ref | list[_Ref] | None, ref: _Ref) -> _Ref | list[_Ref]:
        """Return what the bucket would be with ``ref`` in it, dead references left out."""
        if bucket is None:
            return ref
        live = [other for other in (bucket if isinstance(bucket, list) else (bucket,)) if other()]
        return [*live, ref] if live else ref

    def _remove_plain(self, ref: _Ref) -> None:
        tables = self.tables
        if tables.awaiting:
            tables.awaiting.pop(id(ref), None)
        if ref.stored:
            with tables.count_lock:
                tables.reclaimed += 1
            self._remove_dead(self.plain, ref.key)

    def _remove_entry(self, ref: _Ref) -> None:
        if not ref.stored:
            return
        tables = self.tables
        with tables.count_lock:
            tables.reclaimed += 1
        self._drop_from_bucket(self.buckets, ref.key, ref, tables.lock)


@final
class _Tables:
    """An interner's tables, one per exact type of value, and its counters.

    ``lookups`` is what the hit path indexes by type, then by value: the table's
    ``plain`` dict for a type whose values may be plain, else the table itself.
    """

    __slots__ = (
        "awaiting",
        "count_lock",
        "created",
        "hits",
        "lock",
        "lookups",
        "prune_at",
        "reclaimed",
        "tables",
    )

    # Bound here, not looked up in module globals (see intern._shutdown).
    _new_table = _Table
    _plain_key = staticmethod(_plain_key)
    _not_plain = _NOT_PLAIN
    _check_hashable_type = staticmethod(check_hashable_type)
    _check_metaclass = staticmethod(check_metaclass)
    _metaclass_redefines_equality = staticmethod(metaclass_redefines_equality)
    _explain_unhashable = staticmethod(_explain_unhashable)
    _remove_dead = staticmethod(remove_dead_weakref)
    _prune_min = _PRUNE_MIN
    _scalar_types = frozenset({str, bytes, int, float, complex, bool, type(None)})
    _tuple_like = (tuple, frozenset)

    def __init__(self) -> None:
        self.tables: dict[type, _Table] = {}
        self.lookups: dict[type, Any] = {}
        # Held only in windows, which run no code that could wait for anything.
        self.lock = threading.RLock()
        self.count_lock = threading.RLock()
        self.created = 0
        self.reclaimed = 0
        # Hits are counted by advancing a count: one call into C, atomic under the
        # GIL, and since 3.13 a compare-and-exchange on free-threaded builds. A
        # plain `hits += 1` would lose hits between threads (it reads, adds and
        # stores in separate bytecodes), and a lock would cost a hit far more.
        # (An itertools.repeat counting down costs a hit less, as it makes no int,
        # but loses counts on free-threaded builds.)
        self.hits = itertools.count()
        # Dead references taken out of a table before their callbacks ran, kept
        # alive (by id) until they do, so that every handle is counted once.
        self.awaiting: dict[int, _Ref] = {}
        self.prune_at = _PRUNE_MIN

    def stats(self) -> Stats:
        reclaimed = self.reclaimed  # read first, so that live is never negative
        created = self.created
        hits = int(repr(self.hits)[6:-1])  # "count(N)": a count is read only by its repr
        return Stats(live=created - reclaimed, created=created, reclaimed=reclaimed, hits=hits)

    def hit(self, handle: Handle[Any]) -> Handle[Any]:
        """Count a ``make`` that found ``handle`` on the slow path, and return it."""
        next(self.hits)
        return handle

    def drop_dead(self, plain: dict[Any, _Ref], key: object, ref: _Ref) -> None:
        """Take a dead reference out of ``plain``, where it would hide a newer one.

        Its handle's deallocation is under way, perhaps deferred by CPython's
        trashcan while user code runs; its callback is still to come, and must
        find the reference alive to count the handle.
        """
        self.awaiting[id(ref)] = ref
        self._remove_dead(plain, key)

    def key_and_hash(self, value: object) -> tuple[object, int]:
        """Return the plain key of ``value`` (or ``_NOT_PLAIN``) and its hash."""
        self._check_hashable_type(value)
        key = self._plain_key(value)
        try:
            return key, hash(value if key is self._not_plain else key)
        except TypeError as error:
            self._explain_unhashable(value, error)
            raise

    def make_slowly(self, value: object, cls: type) -> Handle[Any]:
        """Find or make the handle of ``value``, which the hit path did not find."""
        handle: Handle[Any] | None
        table: _Table | None
        if type(cls) is type and cls in self._scalar_types:  # the common case, hashed in C
            while True:  # again if the table was pruned meanwhile
                table = self.tables.get(cls)
                if table is None:
                    table = self.add_table(cls)
                handle = table.make_scalar(value)
                if handle is not None:
                    return handle
        # Before any lookup by type, which would run such a metaclass's code.
        self._check_metaclass(cls)
        key, value_hash = self.key_and_hash(value)
        table = self.tables.get(cls)
        if table is not None and table.mixed and key is self._not_plain:
            # The hit path looked in plain only; a lookup takes no lock.
            handle = table.find(value, value_hash, key, set(), plain_too=False)
            if handle is not None:
                return self.hit(handle)
        while True:  # again if the table was pruned meanwhile
            if table is None:
                table = self.add_table(cls)
            handle = table.make(value, value_hash, key)
            if handle is not None:
                return handle
            table = self.tables.get(cls)

    def get_slowly(self, value: object, cls: type) -> Handle[Any] | None:
        """Find the handle of ``value``, which the hit path did not find, or return None."""
        key, value_hash = self.key_and_hash(value)  # an unhashable value raises, as in make
        if self._metaclass_redefines_equality(cls):
            return None  # never interned
        table = self.tables.get(cls)
        return None if table is None else table.find(value, value_hash, key, set(), plain_too=True)

    def add_table(self, cls: type) -> _Table:
        """Create the table of ``cls`` (unless another thread just did), pruning empty ones."""
        if len(self.tables) >= self.prune_at:
            self.prune()
        mixed = issubclass(cls, self._tuple_like)
        table = self._new_table(self, cls, mixed)
        lookup: Any = table.plain if mixed or cls in self._scalar_types else table
        with self.lock:  # a window
            if cls in self.tables:
                return self.tables[cls]
            self.tables[cls] = table
            self.lookups[cls] = lookup
        return table

    def prune(self) -> None:
        """Drop the tables of types that have no handles left: types come and go.

        An insertion into a table pruned meanwhile sees it in its window, and
        goes on in a new table.
        """
        tables, lookups = self.tables, self.lookups
        for cls, table in list(tables.items()):
            with self.lock:  # a window for each
                if not table.plain and not table.buckets and cls in tables and tables[cls] is table:
                    del tables[cls], lookups[cls]
        self.prune_at = max(self._prune_min, 2 * len(tables))

    def reset_after_fork(self) -> None:
        # The child has only the forking thread: locks other threads held stay held.
        self.lock = threading.RLock()
        self.count_lock = threading.RLock()


def _bind_lookups(
    tables: _Tables,
) -> tuple[Callable[[object], Handle[Any]], Callable[[object], Handle[Any] | None]]:
    """Make the hit paths of ``make`` and ``get``: closures, whose cells read fastest.

    A table is found by type, and only a metaclass that redefines equality could
    make a type find another type's table: such types never get a table (the slow
    path refuses them), and checking the type of the value found keeps them from
    borrowing one. A KeyError or TypeError that the value's ``__hash__`` or
    ``__eq__`` raised propagates unchanged (but an unhashable value gets an error
    that says so): only a miss goes on to the slow path, which counts its own
    hits. ``make`` and ``get`` spell the hit path out each: a shared helper would
    cost a call on it.
    """
    lookups, hits = tables.lookups, tables.hits
    make_slowly, get_slowly = tables.make_slowly, tables.get_slowly
    is_miss, explain_hash_error = _is_miss, _ExplainHashError()

    def make(value: object, /) -> Handle[Any]:
        cls = type(value)
        handle: Handle[Any] | None
        try:
            handle = lookups[cls][value]()
        except KeyError as error:
            if not is_miss(error, value, cls):
                raise
            handle = None
        except TypeError as error:
            explain_hash_error(value, error)
        if handle is not None and type(handle._value) is cls:  # pyright: ignore[reportPrivateUsage]
            next(hits)
            return handle
        return make_slowly(value, cls)

    def get(value: object, /) -> Handle[Any] | None:
        cls = type(value)
        handle: Handle[Any] | None
        try:
            handle = lookups[cls][value]()
        except KeyError as error:
            if not is_miss(error, value, cls):
                raise
            handle = None
        except TypeError as error:
            explain_hash_error(value, error)
        if handle is not None and type(handle._value) is cls:  # pyright: ignore[reportPrivateUsage]
            return handle
        return get_slowly(value, cls)

    return make, get


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
    >>> get = methods.make("GET")
    >>> get is methods.make("".join(["G", "ET"]))
    True
    >>> len(methods), "GET" in methods, "PUT" in methods
    (1, True, False)
    """

    __slots__ = ("__weakref__", "_tables", "get", "make")

    make: Callable[[T], Handle[T]]
    get: Callable[[T], Handle[T] | None]

    def __init__(self) -> None:
        if type(self) is not Interner:  # a base whose __init_subclass__ skips ours
            raise TypeError("Interner is final and cannot be subclassed")
        self._tables = _Tables()
        self.make, self.get = _bind_lookups(self._tables)
        _interners.add(self)

    def __init_subclass__(cls, **kwargs: object) -> NoReturn:
        raise TypeError("Interner is final and cannot be subclassed")

    def __len__(self) -> int:
        return self._tables.stats().live

    def __contains__(self, value: object) -> bool:
        return self.get(cast("T", value)) is not None  # membership accepts any object

    def stats(self) -> Stats:
        """Return a snapshot of the counters: ``live``, ``created``, ``reclaimed``, ``hits``."""
        return self._tables.stats()

    def __repr__(self) -> str:
        live, created, reclaimed, hits = self.stats()
        return f"<Interner live={live} created={created} reclaimed={reclaimed} hits={hits}>"


_interners: weakref.WeakSet[Interner[Any]] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for interner in _interners:
        interner._tables.reset_after_fork()  # pyright: ignore[reportPrivateUsage] -- the module owns its interners


os.register_at_fork(after_in_child=_reset_after_fork)

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
    Raises ``RuntimeError`` if, while the value is compared with others of its
    hash, user code (its ``__eq__``, or another thread) keeps interning new values
    of that very hash and type, round after round.

    >>> import intern
    >>> intern.make("GET") is intern.make("".join(["G", "E", "T"]))
    True
    >>> intern.make(1) is intern.make(1.0)
    False
    """
    return cast("Callable[[T], Handle[T]]", function)


make = _default_make()


class CacheHits:
    """The hit path of ``intern.WeakCache``: the twin of ``_speedups.c``'s CacheHits.

    Holds a cache's dict (key to a weak reference to its value) and its counters;
    ``intern._cache`` adds the rest, and a lookup that finds no live value calls its
    ``_miss``. A hit takes no lock: one dict lookup, one weak reference call, and
    the hit counted by advancing a count (exact under threads, see ``_Tables``).
    """

    __slots__ = ("_hits", "_misses", "_values")
    _values: dict[Hashable, Any]
    _hits: itertools.count[int]
    _misses: itertools.count[int]

    _new_count = itertools.count  # bound here, not a global (see intern._shutdown)

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        # The arguments are for the subclass's __init__ (create).
        self = super().__new__(cls)
        self._values = {}
        self._hits = self._new_count()
        self._misses = self._new_count()
        return self

    def __getitem__(self, key: Any, /) -> Any:
        ref = self._values.get(key)  # may run the key's __hash__ and __eq__
        if ref is not None:
            value = ref()
            if value is not None:  # None: dead or dying, a miss
                next(self._hits)
                return value
        return self._miss(key)

    def _miss(
        self, key: Any, args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError  # intern._cache's subclasses have it

    def _count_hit(self) -> None:
        next(self._hits)

    def _count_miss(self) -> None:
        next(self._misses)

    def _info(self) -> tuple[int, int]:
        # "count(N)": a count is read only by its repr
        return int(repr(self._hits)[6:-1]), int(repr(self._misses)[6:-1])

    def _reset_counts(self) -> None:
        self._hits = self._new_count()
        self._misses = self._new_count()


class CachedCall:
    """The hit path of ``@intern.weak_cache``: the twin of ``_speedups.c``'s CachedCall.

    Builds ``functools``' key from the arguments (``functools._make_key``,
    untyped) and looks it up in its cache as ``CacheHits`` does; a miss calls the
    cache's ``_miss(key, args, kwargs)``.
    """

    __slots__ = ("_cache",)
    _cache: Any  # a CacheHits: a WeakCache of intern._cache

    _kwd_mark = (object(),)  # separates arguments from keywords in a key
    _fast_types = frozenset({int, str})  # a lone argument of these is its own key

    def __new__(cls, cache: CacheHits, /) -> Self:
        self = super().__new__(cls)
        self._cache = cache
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key: Any = args
        if kwargs:
            key += self._kwd_mark
            for item in kwargs.items():
                key += item
        elif len(args) == 1 and type(args[0]) in self._fast_types:
            key = args[0]
        cache = self._cache
        ref = cache._values.get(key)
        if ref is not None:
            value = ref()
            if value is not None:
                next(cache._hits)
                return value
        return cache._miss(key, args, kwargs)
