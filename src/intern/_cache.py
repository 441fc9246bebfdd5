"""WeakCache and @weak_cache: values made on demand and held weakly (the Go blog's Cache).

A cache keeps two dicts: ``values`` maps each key to a ``_ValueRef``, a weak
reference to its value, and ``attempts`` maps each key whose ``create`` is running
to an ``_Attempt``, the record that callers waiting for that key share.

- A hit never takes a lock: one dict lookup and one weak reference call, then the
  hit is counted. The hit path is the cache's base class: ``CacheHits`` of the C
  accelerator (``cache[key]`` is its ``mp_subscript``, with no Python-level call)
  or its twin in ``intern._pure``. Each keeps the dict and the counters (exact
  under threads); a lookup that finds no live value calls ``_miss``, here.
- ``@weak_cache`` is the same: its base class ``CachedCall`` builds ``functools``'
  key from the arguments and looks it up, and a miss calls ``_miss`` with the
  arguments, which calls the function with them.
- Bookkeeping on a miss takes the cache's lock; ``create`` never runs under it. The
  first miss on a key records an attempt and calls ``create`` after releasing the
  lock; later misses on that key wait for the attempt and share its outcome. So a
  key is created once however many threads ask, and different keys in parallel.
- The lock is reentrant: keys' ``__hash__`` and ``__eq__`` run under it (as dict
  operations do), and so may a garbage collection's callbacks and ``__del__``
  methods, and any of these may use the cache again on the same thread.
- A thread about to wait records the attempt it waits for. A wait that would close a
  cycle, a ``create`` asking for its own key on its own thread or through other
  threads' creates, raises ``RuntimeError`` instead of hanging, as importlib does for
  circular imports between threads.
- An entry is removed by its value's weak reference callback, without a lock, by an
  atomic compare-and-delete that only removes a dead reference: a late callback never
  removes a newer entry, and a callback never waits for a lock that a thread inside
  a collection might hold.
- What a ``__del__`` or a callback can reach follows ``intern._shutdown``: methods
  reach their helpers through class attributes, never module globals.
- After ``os.fork()`` the child gets fresh locks, and attempts of threads that do not
  exist in the child are marked abandoned, so that no one waits for them.
"""

from __future__ import annotations

import _thread
import copy
import functools
import os
import threading
import types
import weakref
from collections.abc import Callable, Hashable
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    NamedTuple,
    NoReturn,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    cast,
    final,
    overload,
)

from intern import _pure
from intern._env import pure_python_chosen
from intern._shutdown import remove_dead_weakref

if TYPE_CHECKING:
    _CacheHits = _pure.CacheHits
    _CachedCall = _pure.CachedCall
elif pure_python_chosen():
    _CacheHits, _CachedCall = _pure.CacheHits, _pure.CachedCall
else:
    try:
        from intern._speedups import CachedCall as _CachedCall
        from intern._speedups import CacheHits as _CacheHits
    except ImportError:  # intern/__init__.py warns about it
        _CacheHits, _CachedCall = _pure.CacheHits, _pure.CachedCall

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")
P = ParamSpec("P")
Q = ParamSpec("Q")
R = TypeVar("R")
S = TypeVar("S")


class _Attempt(Generic[V]):
    """A ``create`` in progress for one key, and its outcome once finished.

    The outcome is a value; or an exception, an ``Exception`` that the thread that
    ran ``create`` raises as it is and each waiter as its own copy (``copy_error``);
    or neither, when ``create`` was interrupted by a ``KeyboardInterrupt`` or the
    like, or its thread vanished in a fork, and the waiters try again. ``lock`` is
    held from the start until the outcome is known. ``traceback`` is the exception's
    as ``create`` left it: a waiter that gets no copy raises the original from
    there, so that its traceback does not pile up every earlier waiter's frames, as
    raising the one exception object again and again would.
    """

    __slots__ = ("error", "finished", "key", "lock", "owner", "traceback", "value")

    _allocate_lock = staticmethod(_thread.allocate_lock)  # bound here, not a global
    _copy = staticmethod(copy.copy)

    def __init__(self, key: Hashable, owner: int) -> None:
        self.key = key
        self.owner = owner  # the thread running create
        self.value: V | None = None
        self.error: Exception | None = None
        self.traceback: types.TracebackType | None = None
        self.finished = False
        self.lock = self._allocate_lock()
        self.lock.acquire()

    def finish(self, value: V | None, error: BaseException | None) -> None:
        """Record the outcome and wake the waiters; the first outcome recorded stands."""
        if self.finished:
            return
        self.value = value
        if isinstance(error, Exception):
            self.error, self.traceback = error, error.__traceback__
        self.finished = True
        self.lock.release()

    def wait(self) -> None:
        self.lock.acquire()
        self.lock.release()

    def copy_error(self, error: Exception) -> Exception | None:
        """Return a waiter's own shallow copy of ``error``, or None if none can be made.

        The copy is what ``copy.copy`` makes (for most exceptions the class called
        with the original's ``args``, given the original's attributes), with a
        ``__notes__`` list of its own and no traceback yet. There is none when
        making it raises an ``Exception`` or gives the original itself or an object
        of another type, nor for a class with ``__slots__``, whose values
        ``copy.copy`` (as pickle) would leave out.
        """
        try:
            if any(vars(cls).get("__slots__") for cls in type(error).__mro__):
                return None
            own = self._copy(error)
            if own is error or type(own) is not type(error):
                return None
            notes = vars(own).get("__notes__")
            if isinstance(notes, list):  # shared by the shallow copy: add_note would leak
                own.__notes__ = list(cast("list[str]", notes))
            own.__traceback__ = None  # a __copy__ may have kept the original's
        except Exception:  # noqa: BLE001 -- user code refused to copy: the caller shares the original
            return None
        return own

    def abandon_after_fork(self) -> None:
        self.finished = True
        self.lock = self._allocate_lock()  # the old one is held by a thread the child lacks


class _Waits:
    """Which attempt each waiting thread waits for, to refuse a wait that would deadlock."""

    __slots__ = ("get_ident", "lock", "waiting")

    def __init__(self) -> None:
        self.get_ident = threading.get_ident
        self.lock = threading.RLock()
        self.waiting: dict[int, _Attempt[Any]] = {}

    def wait(self, attempt: _Attempt[Any], me: int) -> None:
        """Wait until ``attempt`` is done, or raise RuntimeError if it waits for thread ``me``."""
        previous = None  # the attempt of a wait this one is nested in, from a __del__
        with self.lock:
            cycle = self.waits_for(attempt, me)
            if cycle is None:
                previous = self.waiting.get(me)
                self.waiting[me] = attempt
        if cycle is not None:  # the key's repr is user code: not under the lock
            raise RuntimeError(
                f"WeakCache: create({attempt.key!r}) asked for its own key {cycle},"
                f" which would wait forever"
            )
        try:
            attempt.wait()
        finally:
            with self.lock:
                if previous is None:
                    self.waiting.pop(me, None)
                else:
                    self.waiting[me] = previous

    def waits_for(self, attempt: _Attempt[Any], me: int) -> str | None:
        """Say how ``attempt`` waits for thread ``me``, if it does; call under ``lock``."""
        owner = attempt.owner
        for step in range(len(self.waiting) + 1):
            if owner == me:
                return "on its own thread" if step == 0 else "through other threads"
            blocking = self.waiting.get(owner)
            if blocking is None or blocking.finished:
                return None  # the chain ends at a thread that is running, not waiting
            owner = blocking.owner
        return None

    def reset_after_fork(self, me: int) -> None:
        self.lock = threading.RLock()
        mine = self.waiting.get(me)
        self.waiting = {} if mine is None else {me: mine}


_waits = _Waits()


class _ValueRef(weakref.ref[V]):
    """A weak reference to a cached value that knows its key, for its callback.

    Unlike ``weakref.KeyedRef``, it has no ``__new__`` written in Python, which would
    look up module globals (see above).
    """

    __slots__ = ("key",)
    key: Hashable


@final
class _Remover:
    """The callback of a cache's weak references: removes the entry of a dead value."""

    __slots__ = ("values",)

    # Bound here, not looked up in module globals (see intern._shutdown).
    _remove_dead = staticmethod(remove_dead_weakref)

    def __init__(self, values: dict[Hashable, _ValueRef[Any]]) -> None:
        self.values = values

    def __call__(self, ref: _ValueRef[Any]) -> None:
        self._remove_dead(self.values, ref.key)


class _WeakCacheMethods(Generic[K, V]):
    """Everything of ``WeakCache`` but its hit path, which its other base class has."""

    if not TYPE_CHECKING:
        # Its attributes are the slots of the classes below (_SLOTS): slots of its
        # own would conflict with the layout of the C hit path.
        __slots__ = ()

    _new_attempt: ClassVar[type[_Attempt[Any]]] = _Attempt
    _value_ref: ClassVar[type[_ValueRef[Any]]] = _ValueRef
    _waits: ClassVar[_Waits] = _waits

    def __reduce__(self) -> NoReturn:
        # Both implementations refuse: a copy would share the entries, lock and
        # counters of the original (pure Python) or could not be made (C).
        raise TypeError(f"cannot pickle or copy {type(self).__name__!r} object")

    if TYPE_CHECKING:  # the hit path's, in _pure.CacheHits and _speedups.CacheHits
        _values: dict[Hashable, _ValueRef[V]]
        _create: Callable[..., V]
        _lock: threading.RLock
        _attempts: dict[Hashable, _Attempt[V]]
        _remove: _Remover

        def __getitem__(self, key: K, /) -> V: ...
        def _count_hit(self) -> None: ...
        def _count_miss(self) -> None: ...
        def _info(self) -> tuple[int, int]: ...
        def _reset_counts(self) -> None: ...

    def __init__(self, create: Callable[[K], V]) -> None:
        if not callable(create):
            raise TypeError(f"WeakCache needs a callable create, not {type(create).__name__!r}")
        self._create = create
        self._attempts = {}
        self._lock = threading.RLock()
        self._remove = _Remover(self._values)
        _caches.add(self)

    @overload
    def get(self, key: K, /) -> V | None: ...

    @overload
    def get(self, key: K, /, default: V | D) -> V | D: ...

    def get(self, key: K, /, default: object = None) -> object:
        """Return the live value for ``key``, or ``default``; never creates nor waits."""
        value = self._live(key)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return self._live(key) is not None

    def __len__(self) -> int:
        return len(self._values)

    def discard(self, key: K) -> None:
        """Forget the entry for ``key``, if any, so that the next ``cache[key]`` creates anew."""
        with self._lock:
            self._values.pop(key, None)
            self._attempts.pop(key, None)

    def clear(self) -> None:
        """Forget every entry, as ``discard`` does for each key."""
        with self._lock:
            self._values.clear()
            self._attempts.clear()
        self._reset_counts()

    def __repr__(self) -> str:
        return f"<WeakCache of {self._create!r}: {len(self)} entries>"

    def _live(self, key: Hashable) -> V | None:
        ref = self._values.get(key)
        return None if ref is None else ref()

    def _miss(
        self, key: K, args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None
    ) -> V:
        """Find, wait for or create the value for ``key``, when the hit path found none.

        ``create(key)`` makes it; or, for ``@weak_cache``, which gives the call's
        arguments, ``create(*args, **kwargs)``.
        """
        me = self._waits.get_ident()
        counted = False
        while True:
            attempt: _Attempt[V] | None = None
            mine = False
            try:
                with self._lock:
                    value = self._live(key)
                    if value is None:
                        attempt = self._attempts.get(key)
                        if attempt is None or attempt.finished:
                            attempt = self._new_attempt(key, me)
                            mine = True  # before the attempt is visible, for the except clause
                            self._attempts[key] = attempt
                if value is not None:
                    if not counted:
                        self._count_hit()
                    return value
                if not counted:
                    self._count_miss()
                counted = True
                assert attempt is not None  # noqa: S101 -- set whenever value is None
                if mine:
                    value = (
                        self._create(key) if args is None else self._create(*args, **kwargs or {})
                    )
                    ref = self._weak_ref(value, key)
                    with self._lock:
                        if self._attempts.get(key) is attempt:  # not discarded meanwhile
                            self._values[key] = ref
                            del self._attempts[key]
                    attempt.finish(value, None)
                    return value
            except BaseException as error:
                if mine:
                    assert attempt is not None  # noqa: S101 -- mine implies an attempt
                    try:
                        self._forget(key, attempt)
                    finally:
                        attempt.finish(None, error)
                raise
            self._waits.wait(attempt, me)
            original = attempt.error
            if original is not None:
                own = attempt.copy_error(original)
                if own is None:
                    raise original.with_traceback(attempt.traceback)
                try:
                    raise own from original
                finally:
                    del own  # or its traceback would hold this frame, which holds it
            if attempt.value is not None:  # None is not weakly referenceable: never a value
                return attempt.value
            # create was interrupted in its own thread: try again, maybe as the creator

    def _forget(self, key: K, attempt: _Attempt[V]) -> None:
        with self._lock:
            if self._attempts.get(key) is attempt:
                del self._attempts[key]

    def _weak_ref(self, value: V, key: K) -> _ValueRef[V]:
        try:
            ref: _ValueRef[V] = self._value_ref(value, self._remove)
        except TypeError:
            raise TypeError(
                f"WeakCache values must be weakly referenceable, but create returned"
                f" {type(value).__name__!r}, which is not: return an object of a class"
                f" of your own that holds it, or intern.make(value), a Handle"
            ) from None
        ref.key = key
        return ref

    def _reset_after_fork(self, me: int) -> None:
        self._lock = threading.RLock()
        for attempt in list(self._attempts.values()):
            if attempt.owner != me:
                attempt.abandon_after_fork()


_SLOTS = ("__weakref__", "_attempts", "_create", "_lock", "_remove")


class WeakCache(_WeakCacheMethods[K, V], _CacheHits):
    """A map from keys to values made by ``create(key)`` on demand, and held weakly.

    ``cache[key]`` returns the live value for ``key``, calling ``create(key)`` if
    there is none. The cache never keeps a value alive: an entry goes away once its
    value is collected, and the next ``cache[key]`` creates it again. Keys are held
    strongly while their value lives.

    - Single flight: threads missing the same key at once wait for one call of
      ``create`` and all get its value; misses on different keys create in
      parallel, as no lock is held while ``create`` runs.
    - An exception raised by ``create`` reaches every caller waiting for that call,
      and nothing is cached; the next ``cache[key]`` calls ``create`` again. The
      thread that ran ``create`` raises the exception itself; each waiting thread
      raises its own shallow copy, made as it wakes (``copy.copy``: the same type,
      args and attributes, and a ``__notes__`` list of its own), with its own
      traceback and the original as its ``__cause__``. An exception that cannot be
      copied so (copying raises an ``Exception``, as when its ``__init__`` refuses
      its own ``args``, or gives the original itself or an object of another
      type), or whose class has ``__slots__``, is raised as the original object by
      every caller, which then share its ``__traceback__``.
      (A ``KeyboardInterrupt``, ``SystemExit`` or other exception that is not an
      ``Exception`` reaches only the thread that ran ``create``; the waiting ones
      try again.)
    - A ``create(key)`` that asks the cache for ``key`` itself, directly or through
      other keys' creates and other threads, raises ``RuntimeError`` instead of
      waiting forever.
    - Values must be weakly referenceable: ``create`` returning, say, an ``int`` or
      a ``tuple`` raises ``TypeError``. Wrap such values in an object of your own
      class, or return ``intern.make(value)``, a ``Handle``.
    - ``cache.get(key, default=None)`` returns the live value or ``default`` without
      creating or waiting; ``key in cache`` says whether a live value exists;
      ``len(cache)`` counts entries; ``cache.discard(key)`` and ``cache.clear()``
      forget entries. A ``create`` running for a forgotten key still answers its
      callers, but its value is not cached.

    >>> import intern
    >>> class Config:
    ...     def __init__(self, name: str) -> None:
    ...         self.name = name
    >>> configs = intern.WeakCache(Config)
    >>> first = configs["prod"]
    >>> configs["prod"] is first, len(configs), "prod" in configs
    (True, 1, True)
    >>> del first  # the last reference: the entry goes away
    >>> len(configs), configs.get("prod")
    (0, None)
    """

    __slots__ = _SLOTS


class _PureWeakCache(_WeakCacheMethods[K, V], _pure.CacheHits):
    """``WeakCache`` on the pure-Python hit path, for the tests of both implementations."""

    __slots__ = _SLOTS


_caches: weakref.WeakSet[_WeakCacheMethods[Any, Any]] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    me = threading.get_ident()
    _waits.reset_after_fork(me)
    for cache in _caches:
        cache._reset_after_fork(me)  # pyright: ignore[reportPrivateUsage] -- the module owns its caches


os.register_at_fork(after_in_child=_reset_locks_after_fork)


class CacheInfo(NamedTuple):
    """Statistics of a function decorated with :func:`intern.weak_cache`.

    ``hits`` counts calls answered by a live cached value; ``misses`` counts calls
    that found none (and called the function, or waited for a call in progress);
    ``maxsize`` is always ``None``, as the cache has no bound but the lives of its
    values; ``currsize`` is the number of live entries. The fields and their order
    are those of ``functools.lru_cache``'s ``cache_info()``.
    """

    hits: int
    misses: int
    maxsize: None
    currsize: int


class _WeakCachedFunctionMethods(Generic[P, R]):
    """Everything of a ``@weak_cache`` function but its calls, which its other base has."""

    __name__: str
    __qualname__: str
    __wrapped__: Callable[P, R]
    _method_type = types.MethodType  # bound here, not a global
    _cache_type: ClassVar[type[_WeakCacheMethods[Any, Any]]]

    if TYPE_CHECKING:  # the hit path's, in _pure.CachedCall and _speedups.CachedCall
        _cache: _WeakCacheMethods[Any, R]

        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __new__(cls, function: Callable[P, R]) -> Self:
        # The cache calls the function with a missing call's arguments (see _miss).
        cache = cls._cache_type(cast("Callable[[Any], R]", function))
        new = cast("Callable[[type[Self], object], Self]", super().__new__)  # the hit path's
        return new(cls, cache)

    def __init__(self, function: Callable[P, R]) -> None:
        functools.update_wrapper(self, function)

    def cache_info(self) -> CacheInfo:
        """Return ``CacheInfo(hits, misses, maxsize=None, currsize)``."""
        hits, misses = self._cache._info()  # pyright: ignore[reportPrivateUsage] -- the module's own cache
        return CacheInfo(hits, misses, None, len(self._cache))

    def cache_clear(self) -> None:
        """Forget every cached result and reset the statistics."""
        self._cache.clear()

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None, /) -> Self: ...

    @overload
    def __get__(
        self: _WeakCachedFunctionMethods[Concatenate[S, Q], R],
        instance: S,
        owner: type[Any] | None = None,
        /,
    ) -> Callable[Q, R]: ...

    def __get__(self, instance: object, owner: type[Any] | None = None, /) -> object:
        # As a method, the instance becomes the first argument, and part of the key.
        return self if instance is None else self._method_type(self, instance)

    def __repr__(self) -> str:
        return f"<weak_cache of {self.__wrapped__!r}>"

    def __reduce__(self) -> str:
        # Pickled by name, as functions and functools' caches are, for multiprocessing.
        return self.__qualname__


@final
class _WeakCachedFunction(_WeakCachedFunctionMethods[P, R], _CachedCall):
    """A function whose results are cached weakly; see :func:`intern.weak_cache`."""

    _cache_type = WeakCache


@final
class _PureWeakCachedFunction(_WeakCachedFunctionMethods[P, R], _pure.CachedCall):
    """``_WeakCachedFunction`` on the pure-Python hit path, for the tests of both."""

    _cache_type = _PureWeakCache


class _Decorate(Protocol):
    def __call__(self, function: Callable[P, R], /) -> _WeakCachedFunction[P, R]: ...


class CacheImplementation(NamedTuple):
    """``WeakCache`` and ``weak_cache`` on one implementation's hit path (for tests).

    Typed as the public ones: the pure-Python twins have the same API.
    """

    WeakCache: type[WeakCache[Any, Any]]
    weak_cache: _Decorate


def implementations() -> dict[str, CacheImplementation]:
    """Each implementation's ``WeakCache`` and ``weak_cache`` that is available, by name."""
    found = {
        "python": CacheImplementation(
            cast("type[WeakCache[Any, Any]]", _PureWeakCache),
            cast("_Decorate", _PureWeakCachedFunction),
        )
    }
    if _CacheHits is not _pure.CacheHits:
        found["c"] = CacheImplementation(WeakCache, cast("_Decorate", _WeakCachedFunction))
    return found


def weak_cache(function: Callable[P, R], /) -> _WeakCachedFunction[P, R]:
    """Decorate ``function`` so that its results are cached weakly, by argument.

    Calls with equal arguments share one result while it is alive, as with a
    :class:`WeakCache` keyed by the arguments (which must be hashable, and are held
    while the result lives). Concurrent calls with equal arguments call the function
    once. Results must be weakly referenceable. The decorated function keeps the
    signature of ``function`` for type checkers, and has ``cache_info()`` (a
    :class:`CacheInfo`) and ``cache_clear()``, as with ``functools.lru_cache``.
    Positional and keyword arguments make different keys, as there.

    >>> import intern
    >>> class Page:
    ...     def __init__(self, number: int) -> None:
    ...         self.number = number
    >>> @intern.weak_cache
    ... def load_page(number: int) -> Page:
    ...     return Page(number)
    >>> page = load_page(3)
    >>> load_page(3) is page
    True
    >>> load_page.cache_info()
    CacheInfo(hits=1, misses=1, maxsize=None, currsize=1)
    """
    return _WeakCachedFunction(function)
