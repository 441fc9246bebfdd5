"""Flyweight classes: ``@intern.interned``, so that ``Point(1, 2) is Point(1, 2)``.

The decorator gives the class a ``__new__`` that builds a *candidate* the way the
class always did (its own ``__new__`` and ``__init__``, with ``__post_init__`` and
attrs validators), then returns the live instance equal to it, if any, or stores
the candidate as the canonical one. The class's ``__init__`` becomes
``object.__init__``: ``type.__call__`` runs ``__init__`` on whatever ``__new__``
returns, and must not write to an instance already shared. (A class with interned
subclasses gets an ``__init__`` that runs the original on an instance not yet
published, for their ``super().__init__(...)``, and does nothing on a published one;
its ``__setstate__`` likewise refuses a published instance.) So the canonical
instance is never written after it is published.

Each class keeps its own table, ``_Instances``, in its ``__dict__``: nothing
global refers to the class or its table, so a class made at run time is
collected with its instances, and a subclass's instances never meet its base's.
The table holds weak references (``_Ref``) to the instances in two places:

- ``buckets`` maps the hash of every canonical instance to the reference to it,
  or to a list of them when instances share a hash. It is the truth: the slow
  path looks there and compares with the class's own ``__eq__``.
- ``plain`` is an index for the hit path, for frozen dataclasses whose ``__eq__``
  and ``__hash__`` are the ones ``dataclasses`` wrote: it maps the tuple of the
  compared fields to the reference, for canonical instances whose fields are
  *plain* (exact ``str``, ``int`` and the like, and tuples of them, which cannot
  refer to anything). A dict lookup by that tuple compares as the generated
  ``__eq__`` does, in C; a candidate whose fields are not plain is looked up
  there too (its fields' ``__eq__`` and ``__hash__`` run), and then in buckets.

Insertion follows ``intern._pure``'s rules: lookups take no lock and may run
user code; a candidate is compared once with each live instance of its hash,
then stored in a *window* (a few bytecodes under the table's lock that call and
allocate nothing) if its bucket is still the one it read; otherwise the new
instances are compared and the window tried again, ``_MAX_ROUNDS`` times at
most. Removal is the weak reference's callback. Counts are exact as in
``intern._pure``: ``created`` counts references stored in a window,
``reclaimed`` their callbacks, ``hits`` constructions that returned an instance
already there.

The C accelerator (``_interned_speedups.c``) replaces the generated ``__new__``
with a C callable doing the same, so that a hit costs little more than
constructing the candidate; the slow path is this module's, for both.
"""

from __future__ import annotations

import functools
import itertools
import os
import pickle
import sys
import weakref
from collections.abc import Callable
from typing import Any, Final, NoReturn, SupportsIndex, TypeVar, cast, final

from intern._buckets import drop_from_bucket
from intern._checks import refers_back
from intern._deep import forget_shapes, frozen_attrs_fields
from intern._shutdown import remove_dead_weakref
from intern._stats import Stats

C = TypeVar("C", bound=type[Any])

_MAX_ROUNDS: Final = 100
"""Rounds of comparisons an insertion makes before it gives up (as ``intern._pure``)."""

_TABLE: Final = "__intern_instances__"
"""The name of an interned class's own table in its ``__dict__``."""

_PLAIN_TYPES: Final = frozenset(
    {str, bytes, int, bool, type(None)}
    | ({float, complex} if sys.version_info < (3, 13) else set())
)
"""Types of plain fields: exact scalars, which refer to nothing and compare in C.
From 3.13 a dataclass's ``__eq__`` compares field by field, so that a field holding
a NaN is unequal even to itself, where a tuple (and so a dict lookup) finds the
same object equal: floats are not plain there."""

_NOT_PLAIN = object()


_tables: weakref.WeakSet[_Instances] = weakref.WeakSet()
"""Every class's table, weakly: their locks are new in a forked child."""


def _reset_after_fork() -> None:
    for table in list(_tables):
        table.reset_after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)


def _is_plain(key: tuple[object, ...], scalars: frozenset[type] = _PLAIN_TYPES) -> bool:
    """Say whether every field in ``key`` is plain: a scalar, or a tuple or frozenset of them."""
    stack: list[tuple[object, ...] | frozenset[object]] = [key]
    while stack:
        for item in stack.pop():
            kind = type(item)
            if kind is tuple or kind is frozenset:
                stack.append(cast("tuple[object, ...]", item))
            elif kind not in scalars:
                return False
    return True


class _Ref(weakref.ref[Any]):
    """A weak reference to a canonical instance, knowing where it is stored.

    ``key`` is the hash of its bucket, ``plain`` its key in the plain index (or
    None). ``stored`` turns true in the window that stores it, and false when its
    callback has counted it. Hashes and compares by identity, in C.
    """

    __slots__ = ("key", "plain", "stored")
    key: int
    plain: object
    stored: bool
    __hash__ = object.__hash__
    __eq__ = object.__eq__


_DEAD: Final[Callable[[], None]] = cast("Callable[[], None]", weakref.ref(set[object]()))
"""A dead weak reference: what the plain index answers when it has nothing."""


def _own(cls: type, name: str) -> tuple[type, Any]:
    """Find the class in the MRO of ``cls`` that defines ``name``, and what it defines."""
    for owner in cls.__mro__:
        if name in vars(owner):
            return owner, vars(owner)[name]
    raise AttributeError(name)  # pragma: no cover -- object defines both names asked for


def _table_of(cls: type) -> _Instances | None:
    table: _Instances | None = vars(cls).get(_TABLE)
    return table


def _original_init(cls: type) -> Callable[..., None] | None:
    """Find the ``__init__`` that built instances of ``cls`` before it was interned."""
    owner, init = _own(cls, "__init__")
    table = _table_of(owner)
    if table is not None:
        return table.init
    return None if init is object.__init__ else cast("Callable[..., None]", init)


def _original_new(cls: type) -> Callable[..., object] | None:
    """Find the ``__new__`` that built instances of ``cls`` before it was interned."""
    owner, new = _own(cls, "__new__")
    table = _table_of(owner)
    if table is not None:
        return table.new
    if isinstance(new, staticmethod):
        new = new.__func__
    return None if new is object.__new__ else cast("Callable[..., object]", new)


@final
class _Instances:
    """The canonical instances of one interned class, held weakly, and its counters.

    It refers to its class's ``__init__`` and ``__new__`` functions, never to the
    class itself.
    """

    __slots__ = (
        "__weakref__",
        "awaiting",
        "buckets",
        "created",
        "fields",
        "hits",
        "init",
        "init_installed",
        "lock",
        "name",
        "new",
        "plain",
        "reclaimed",
        "remove",
    )

    # Bound here, not looked up in module globals (see intern._shutdown).
    _new_ref = _Ref
    _remove_dead = staticmethod(remove_dead_weakref)
    _drop_from_bucket = staticmethod(drop_from_bucket)
    _is_plain = staticmethod(_is_plain)
    _new_object: Callable[[type], object] = staticmethod(object.__new__)
    _own = staticmethod(_own)
    _table = _TABLE
    _not_plain = _NOT_PLAIN
    _max_rounds = _MAX_ROUNDS

    def __init__(
        self,
        name: str,
        init: Callable[..., None] | None,
        new: Callable[..., object] | None,
        fields: tuple[str, ...] | None,
    ) -> None:
        import threading

        self.name = name
        self.init = init  # None: object's, which takes no arguments
        self.init_installed = False  # whether the class's __init__ runs it, unless published
        self.new = new  # None: object's
        self.fields = fields  # the compared fields, if the plain index is used
        self.buckets: dict[int, _Ref | list[_Ref]] = {}
        self.plain: dict[object, _Ref] = {}
        self.lock = threading.RLock()  # held only in windows
        self.created = 0
        self.reclaimed = 0
        self.hits = itertools.count()  # advanced in C: see intern._pure
        # Dead references taken out of a bucket before their callbacks ran (a
        # deallocation deferred by CPython's trashcan), kept until they do.
        self.awaiting: dict[int, _Ref] = {}
        self.remove = self._remove
        _tables.add(self)

    def reset_after_fork(self) -> None:
        # The child has only the forking thread: a lock another thread held stays held.
        import threading

        self.lock = threading.RLock()

    def construct_other(self, cls: type, /, *args: object, **kwargs: object) -> object:
        """Build an instance of a subclass that is not interned itself: an ordinary one.

        Called by the interned class's ``__new__``, in place of the ``__new__`` it
        replaced (a subclass's own ``__new__`` may be what called it). If the
        ``__init__`` that ``type.__call__`` will run is an interned class's
        ``object.__init__``, the original ``__init__`` is run here instead (else
        ``_init_unless_published`` runs it).
        """
        new = self.new
        instance = self._new_object(cls) if new is None else new(cls, *args, **kwargs)
        if isinstance(instance, cls):
            owner, _ = self._own(cls, "__init__")
            table: _Instances | None = vars(owner).get(self._table)
            if table is not None and table.init is not None and not table.init_installed:
                table.init(instance, *args, **kwargs)
        return instance

    def stats(self) -> Stats:
        with self.lock:  # a window
            reclaimed = self.reclaimed
            created = self.created
        hits = int(repr(self.hits)[6:-1])  # "count(N)": a count is read only by its repr
        return Stats(live=created - reclaimed, created=created, reclaimed=reclaimed, hits=hits)

    def key_of(self, candidate: object) -> object:
        """Return the plain index's key for ``candidate``, or ``_not_plain``."""
        fields = self.fields
        if fields is None:
            return self._not_plain
        key = tuple([getattr(candidate, name) for name in fields])
        return key if self._is_plain(key) else self._not_plain

    def find_or_add(self, candidate: object) -> object:
        """Return the live instance equal to ``candidate``, or store ``candidate`` as it.

        The slow path: what a hit in the plain index did not answer. May run user
        code (the class's ``__hash__`` and ``__eq__``, and anything they set off).
        """
        value_hash = hash(candidate)
        key = self.key_of(candidate)
        lock, buckets = self.lock, self.buckets
        compared: set[_Ref] = set()
        # Made first, as it may run a collection, and with it user code.
        ref = self._new_ref(candidate, self.remove)
        ref.key, ref.plain, ref.stored = value_hash, None if key is self._not_plain else key, False
        for _ in range(self._max_rounds):
            with lock:  # a window
                seen = buckets[value_hash] if value_hash in buckets else None  # noqa: SIM401 -- no call
            found = self.find(candidate, seen, compared)
            if found is not None:
                next(self.hits)
                return found
            fresh, dropped = self.grown(seen, ref)  # may run a collection
            # The window: no calls or allocations; its check and its store, exact.
            with lock:
                bucket = buckets[value_hash] if value_hash in buckets else None  # noqa: SIM401 -- no call
                if bucket is seen:
                    self.created += 1
                    ref.stored = True
                    buckets[value_hash] = fresh
                    if key is not self._not_plain:
                        self.plain[key] = ref
            if ref.stored:
                self.await_callbacks(dropped)
                return candidate
        raise RuntimeError(
            f"@intern.interned gave up on a {self.name!r} instance after {self._max_rounds}"
            f" rounds of comparisons: each round, other {self.name!r} instances of its hash"
            " were stored while it compared (by its __eq__, a __del__ it set off, or another"
            " thread), so it could never tell whether an equal one was among them"
        )

    @staticmethod
    def find(candidate: object, bucket: _Ref | list[_Ref] | None, compared: set[_Ref]) -> object:
        """Return a live instance in ``bucket`` equal to ``candidate`` not compared yet, or None."""
        if bucket is None:
            return None
        for ref in bucket if isinstance(bucket, list) else (bucket,):
            if ref in compared:
                continue
            compared.add(ref)
            instance = ref()
            if instance is not None and instance == candidate:
                return instance
        return None

    @staticmethod
    def grown(bucket: _Ref | list[_Ref] | None, ref: _Ref) -> tuple[_Ref | list[_Ref], list[_Ref]]:
        """Return ``bucket`` with ``ref`` in it, and the dead references it leaves out."""
        if bucket is None:
            return ref, []
        refs = bucket if isinstance(bucket, list) else [bucket]
        live = [other for other in refs if other() is not None]
        dropped = [other for other in refs if other() is None]
        return ([*live, ref] if live else ref), dropped

    def await_callbacks(self, dropped: list[_Ref]) -> None:
        """Keep the dropped references whose callbacks are still to come until they run."""
        if not dropped:
            return
        awaiting = self.awaiting
        for ref in dropped:
            key = id(ref)
            with self.lock:  # a window: the callback clears stored under the lock
                if ref.stored:
                    awaiting[key] = ref

    def _remove(self, ref: _Ref) -> None:
        # The weak reference callback: count the instance and take its entries out.
        key, awaiting = id(ref), self.awaiting
        with self.lock:  # a window
            if not ref.stored:
                return  # never stored (a candidate that found its equal), or counted
            ref.stored = False
            self.reclaimed += 1
            if key in awaiting:
                del awaiting[key]
        if ref.plain is not None:
            self._remove_dead(self.plain, ref.plain)  # never a newer, live entry
        self._drop_from_bucket(self.buckets, ref.key, ref, self.lock)


# What the decorator accepts, and what it says otherwise.


def _refuse(cls: type, problem: str, change: str) -> NoReturn:
    raise TypeError(f"@intern.interned cannot intern {cls.__qualname__!r}: {problem}; {change}")


def _check(cls: type) -> None:
    """Raise TypeError, saying what to change, unless instances of ``cls`` can be interned."""
    params = getattr(cls, "__dataclass_params__", None)
    is_attrs = getattr(cls, "__attrs_attrs__", None) is not None
    if params is not None and not params.frozen:
        _refuse(
            cls,
            "it is a dataclass that is not frozen, so its instances can change",
            "declare it with @dataclass(frozen=True)",
        )
    if is_attrs and frozen_attrs_fields(cls) is None:
        _refuse(
            cls,
            "it is an attrs class that is not frozen, so its instances can change",
            "declare it with @attrs.frozen or @attrs.define(frozen=True)",
        )
    if vars(object)["__eq__"] is cls.__eq__:
        _refuse(
            cls,
            "it compares by identity (object.__eq__), so no two instances are ever equal",
            "define __eq__ and __hash__ that compare by value (a dataclass: frozen=True and"
            " eq=True; if it is a dataclass or attrs class, put @intern.interned above"
            " that decorator)",
        )
    if cls.__hash__ is None:
        _refuse(
            cls,
            "it is unhashable (its __hash__ is None)",
            "define __hash__ to agree with __eq__ (a dataclass: frozen=True)",
        )
    if not cls.__weakrefoffset__:
        if cls.__itemsize__:
            change = (
                "a subclass of a variable-size type (tuple, a NamedTuple, int, bytes)"
                " cannot have '__weakref__'; make it a frozen dataclass instead"
            )
        elif params is not None:
            change = "add weakref_slot=True to @dataclass(..., slots=True)"
        elif is_attrs:
            change = "declare it with weakref_slot=True"
        else:
            change = "add '__weakref__' to its __slots__"
        _refuse(cls, "its instances cannot be weakly referenced (the table holds them so)", change)


def _plain_index_fields(cls: type) -> tuple[str, ...] | None:
    """Name the fields of the plain index's key, if ``cls`` can use one: else None.

    Only a dataclass whose ``__eq__`` and ``__hash__`` are the ones ``dataclasses``
    writes compares and hashes as the tuple of its compared fields does, and only
    if it hashes the very fields it compares. They are known by their code: the
    same as that of a dataclass made here with those fields (a hand-written
    method's file name or qualified name may look generated).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.eq or "__dataclass_fields__" not in vars(cls):
        return None
    import dataclasses

    fields = dataclasses.fields(cls)
    compared = [field.name for field in fields if field.compare]
    hashed = [
        field.name for field in fields if (field.compare if field.hash is None else field.hash)
    ]
    if compared != hashed or not compared:
        return None
    reference = _generated_methods(tuple(compared))
    if reference is None:  # pragma: no cover -- names a dataclass accepted
        return None
    for name in ("__eq__", "__hash__"):
        if not _same_code(vars(cls).get(name), reference[name]):
            return None
    return tuple(compared)


@functools.lru_cache(maxsize=64)
def _generated_methods(names: tuple[str, ...]) -> dict[str, object] | None:
    """Return the ``__eq__`` and ``__hash__`` dataclasses writes for fields ``names``."""
    import dataclasses

    try:
        reference = dataclasses.make_dataclass(
            "Reference", [(name, object) for name in names], frozen=True, eq=True
        )
    except (TypeError, ValueError):  # pragma: no cover -- names a dataclass accepted
        return None
    return {name: vars(reference)[name] for name in ("__eq__", "__hash__")}


def _same_code(function: object, reference: Any) -> bool:
    """Say whether ``function`` is a plain function doing what ``reference`` does."""
    code = getattr(function, "__code__", None)
    if code is None or getattr(function, "__closure__", None) is not None:
        return False
    expected = reference.__code__
    return bool(
        code.co_code == expected.co_code
        and code.co_names == expected.co_names
        and code.co_consts == expected.co_consts
        and code.co_varnames == expected.co_varnames
        and code.co_argcount == expected.co_argcount
        and getattr(function, "__globals__", {}).get("hash", hash) is hash
    )


# The generated __new__ (pure Python), one per class: a function whose globals
# are its own namespace (read fastest after locals, and never emptied at exit).

_NEW_SOURCE = """\
def __new__(_intern_cls, /, *args, **kwargs):
    if _intern_cls is _intern_owner:
        _intern_candidate = {allocate}
        {init}
{hit}        return _intern_find_or_add(_intern_candidate)
    return _intern_other(_intern_cls, *args, **kwargs)
"""

_HIT_SOURCE = """\
        _intern_found = _intern_plain_get(_intern_fields_of(_intern_candidate), _intern_dead)()
        if _intern_found is not None:
            _intern_next(_intern_hits)
            return _intern_found
"""


def _new_function(
    cls: type, table: _Instances, other: Callable[..., object]
) -> Callable[..., object]:
    """Write the ``__new__`` of an interned class, in Python.

    It takes any arguments, as a subclass's may differ: the original ``__init__``
    (or ``__new__``) checks them.
    """
    if table.new is None:
        allocate = "_intern_object_new(_intern_cls)"
        init = "_intern_init(_intern_candidate, *args, **kwargs)"
        if table.init is None:  # object's: refuses any argument
            init = f"if args or kwargs:\n            {init}"
    else:
        allocate = "_intern_new(_intern_cls, *args, **kwargs)"
        # A __new__ of its own may return anything: type.__call__ would then skip
        # __init__, and so does this.
        init = (
            "if not isinstance(_intern_candidate, _intern_cls):\n"
            "            return _intern_candidate\n"
        )
        if table.init is not None:
            init += "        _intern_init(_intern_candidate, *args, **kwargs)"
    source = _NEW_SOURCE.format(
        allocate=allocate, init=init, hit=_HIT_SOURCE if table.fields is not None else ""
    )
    namespace: dict[str, Any] = {
        "_intern_owner": cls,
        "_intern_object_new": object.__new__,
        "_intern_new": table.new,
        "_intern_init": table.init if table.init is not None else _no_arguments(cls),
        "_intern_find_or_add": table.find_or_add,
        "_intern_other": other,
        "_intern_plain_get": table.plain.get,
        "_intern_fields_of": _fields_getter(table.fields),
        "_intern_dead": _DEAD,
        "_intern_next": next,
        "_intern_hits": table.hits,
        "isinstance": isinstance,
    }
    code = compile(source, f"<intern.interned {cls.__qualname__}.__new__>", "exec")
    exec(code, namespace)  # noqa: S102 -- the source is ours, with no part from the class
    function: Any = namespace["__new__"]
    function.__qualname__ = f"{cls.__qualname__}.__new__"
    function.__module__ = cls.__module__
    function.__doc__ = cls.__doc__
    function.__signature__ = _signature(table)
    return cast("Callable[..., object]", function)


def _no_arguments(cls: type) -> Callable[..., None]:
    """Return what refuses arguments for a class with neither ``__init__`` nor ``__new__``."""
    name = cls.__name__

    def refuse(instance: object, /, *args: object, **kwargs: object) -> None:
        raise TypeError(f"{name}() takes no arguments")

    return refuse


def _signature(table: _Instances) -> Any:
    """Return the signature ``inspect`` should give the class: its constructor's."""
    import inspect

    original = table.new if table.new is not None else table.init
    if original is None:
        return inspect.Signature([inspect.Parameter("cls", inspect.Parameter.POSITIONAL_ONLY)])
    try:
        return inspect.signature(original)
    except (TypeError, ValueError):
        return None


def _fields_getter(fields: tuple[str, ...] | None) -> Callable[[object], object]:
    import operator

    if not fields:
        return lambda candidate: ()
    if len(fields) == 1:
        single = operator.attrgetter(fields[0])
        return lambda candidate: (single(candidate),)
    getter: Callable[[object], object] = operator.attrgetter(*fields)
    return getter


_new_object: Callable[[type], object] = object.__new__


# Copying and pickling: every way to make an instance returns the canonical one.


def _copy(self: object) -> object:
    return self


def _deepcopy(self: object, memo: object, /) -> object:
    return self


def _newargs(self: object) -> tuple[object, object]:
    """Return the arguments pickling passes to the ``__new__`` of ``self``'s class."""
    args: object = ()
    kwargs: object = None
    getnewargs_ex: Callable[[], tuple[object, object]] | None = getattr(
        self, "__getnewargs_ex__", None
    )
    getnewargs: Callable[[], object] | None = getattr(self, "__getnewargs__", None)
    if getnewargs_ex is not None:
        args, kwargs = getnewargs_ex()
    elif getnewargs is not None:
        args = getnewargs()
    return args, kwargs


def _inside(item: object) -> list[object] | None:
    """Name what pickling saves of an interned instance (pickled by ``_reduce_ex``): else None."""
    cls = type(item)
    if _table_of(cls) is None or getattr(cls, "__reduce_ex__", None) is not _reduce_ex:
        return None
    args, kwargs = _newargs(item)
    return [item.__getstate__(), args, kwargs]


def _needs_arguments(new: Callable[..., object], cls: type) -> bool:
    """Say whether ``new`` surely refuses to be called with ``cls`` alone."""
    import inspect

    try:
        inspect.signature(new).bind(cls)
    except TypeError:
        return True
    except ValueError:  # pragma: no cover -- no signature: let loading say
        return False
    return False


def _reduce_ex(self: object, protocol: SupportsIndex, /) -> tuple[object, ...]:
    """Pickle an instance as ``_restore(cls, state, args, kwargs)``.

    The state is taken as pickle takes it; the arguments are those its ``__new__``
    wants, if it says so (``__getnewargs_ex__``, ``__getnewargs__``).
    """
    cls = type(self)
    state = self.__getstate__()  # object's, since 3.11
    args, kwargs = _newargs(self)
    new = _original_new(cls)
    if new is not None and args == () and not kwargs and _needs_arguments(new, cls):
        raise pickle.PicklingError(
            f"cannot pickle a {cls.__name__!r} instance: its class's __new__ takes"
            " arguments, and unpickling calls it with those __getnewargs__ (or"
            " __getnewargs_ex__) returns; define __getnewargs__"
        )
    if refers_back(self, [state, args, kwargs], protocol, _inside):
        raise pickle.PicklingError(
            f"cannot pickle a {cls.__name__!r} instance that refers to itself: "
            "unpickling must build it whole before it can find the canonical instance"
        )
    if args == () and kwargs is None:
        return (_restore, (cls, state))
    return (_restore, (cls, state, args, kwargs))


def _is_published(instance: object) -> bool:
    """Say whether ``instance`` is a canonical instance, stored in its class's table."""
    return any(type(ref) is _Ref and ref.stored for ref in weakref.getweakrefs(instance))


def _refuse_published(instance: object) -> None:
    if _is_published(instance):
        name = type(instance).__name__
        raise TypeError(
            f"cannot set the state of a canonical {name!r} instance: it is shared, and"
            f" never written once published. {name}.__new__ returns the canonical"
            " instance, not a blank one, so a reduction in the form"
            f" (copyreg.__newobj__, ({name},), state) cannot rebuild it; let"
            " @intern.interned pickle the class, or reduce to a call of the class"
        )


def _setstate(self: object, state: object, /) -> None:
    """Set the state of an instance not yet published, as pickle does by default.

    Refuses a canonical instance: what builds an instance with ``cls.__new__(cls)``
    and then sets its state (``copyreg.__newobj__``) gets a shared one.
    """
    _refuse_published(self)
    if state is None:
        return
    slots: object = None
    if isinstance(state, tuple) and len(cast("tuple[object, ...]", state)) == 2:
        state, slots = cast("tuple[object, object]", state)
    if state:
        instance_dict: dict[str, object] = vars(self)
        instance_dict.update(cast("dict[str, object]", state))
    if slots:
        for name, value in cast("dict[str, object]", slots).items():
            object.__setattr__(self, name, value)


def _guarded_setstate(setstate: Callable[[object, object], None]) -> Callable[..., None]:
    """Wrap a class's own ``__setstate__`` so that it refuses a canonical instance."""

    def __setstate__(self: object, state: object, /) -> None:
        _refuse_published(self)
        setstate(self, state)

    __setstate__.__qualname__ = getattr(setstate, "__qualname__", "__setstate__")
    __setstate__.__doc__ = getattr(setstate, "__doc__", None)
    return __setstate__


def _restore(
    cls: type, state: object, args: tuple[object, ...] = (), kwargs: dict[str, object] | None = None
) -> object:
    """Unpickle an instance of ``cls``: rebuild it from ``state``, then return the canonical one.

    As pickle does by default, ``__init__`` is not run: the state is set with the
    class's ``__setstate__`` (``_setstate`` if it had none).
    """
    new = _original_new(cls)
    instance = _new_object(cls) if new is None else new(cls, *args, **(kwargs or {}))
    if state is not None or _own(cls, "__setstate__")[1] is not _setstate:
        cast("Any", instance).__setstate__(state)
    table = _table_of(cls)
    return instance if table is None else table.find_or_add(instance)


def _defines(cls: type, *names: str) -> bool:
    """Say whether ``cls`` (or a base other than ``object``) defines any of ``names``."""
    return any(_own(cls, name)[0] is not object for name in names if hasattr(cls, name))


def make_interned(cls: C, accelerate: Callable[..., Any] | None) -> C:
    """Make ``cls`` interned; see :func:`intern.interned`.

    ``accelerate``, the C ``Constructor`` type when it is used, builds the
    ``__new__``; without it (or for a class with a ``__new__`` of its own),
    ``__new__`` is generated Python.
    """
    if not isinstance(cast("object", cls), type):
        raise TypeError(f"@intern.interned decorates a class, not {type(cls).__name__!r}")
    if _table_of(cls) is not None:
        return cls  # already interned
    _check(cls)
    table = _Instances(
        cls.__qualname__, _original_init(cls), _original_new(cls), _plain_index_fields(cls)
    )
    other = table.construct_other
    new: Any = _new_function(cls, table, other)
    if accelerate is not None and table.new is None:
        signature = new.__signature__
        new = accelerate(
            owner=cls,
            init=table.init,
            fields=table.fields,
            plain=table.plain,
            find_or_add=table.find_or_add,
            other=other,
            hits=table.hits,
        )
        new.__signature__ = signature
    installed: dict[str, object] = {_TABLE: table}
    if not _defines(cls, "__copy__"):
        installed["__copy__"] = _copy
    if not _defines(cls, "__deepcopy__"):
        installed["__deepcopy__"] = _deepcopy
    if not _defines(cls, "__reduce_ex__", "__reduce__"):
        installed["__reduce_ex__"] = _reduce_ex
    owner, setstate = _own(cls, "__setstate__") if hasattr(cls, "__setstate__") else (None, None)
    if setstate is None:
        installed["__setstate__"] = _setstate
    elif owner is cls or (owner is not None and _table_of(owner) is None):
        installed["__setstate__"] = _guarded_setstate(setstate)
    installed["__new__"] = staticmethod(new)
    installed["__init__"] = object.__init__
    for name, value in installed.items():
        setattr(cls, name, value)
    if any(_table_of(subclass) is not None for subclass in _subclasses(cls)):
        _let_subclasses_init(cls)
    for base in cls.__mro__[1:]:
        _let_subclasses_init(base)
    forget_shapes(cls)  # make_deep may have met it: it now has a __new__ of its own
    return cls


def _init_unless_published(init: Callable[..., None]) -> Callable[..., None]:
    """Return an interned class's ``__init__`` for when it has interned subclasses.

    Their original ``__init__`` may call ``super().__init__(...)`` on a candidate,
    which must run this class's original ``__init__``; ``type.__call__`` calls it
    on the canonical instance, which must not be written.
    """

    def __init__(self: object, /, *args: object, **kwargs: object) -> None:
        if not _is_published(self):
            init(self, *args, **kwargs)

    __init__.__qualname__ = getattr(init, "__qualname__", "__init__")
    __init__.__doc__ = getattr(init, "__doc__", None)
    return __init__


def _let_subclasses_init(cls: type) -> None:
    """Give ``cls``, an interned class, an ``__init__`` that its interned subclasses can call."""
    table = _table_of(cls)
    if table is None or table.init is None or table.init_installed:
        return
    table.init_installed = True
    cls.__init__ = _init_unless_published(table.init)  # type: ignore[misc]


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    stack: list[type] = list(cls.__subclasses__())
    while stack:
        subclass = stack.pop()
        found.append(subclass)
        stack.extend(subclass.__subclasses__())
    return found


def interned_stats(cls: type) -> Stats:
    """Return the counters of an interned class: ``live``, ``created``, ``reclaimed``, ``hits``."""
    table = _table_of(cls) if isinstance(cast("object", cls), type) else None
    if table is None:
        raise TypeError(f"{cls!r} is not a class decorated with @intern.interned")
    return table.stats()
