"""Canonical handles for equal values: Go's ``unique`` package, for Python.

``intern.make(value)`` returns one handle per distinct value (same type, equal
value), so that equal values compare with ``is`` and repeated values share one
object. The table holds handles weakly: an entry goes away once the last handle
to it is collected.

Around it, what Go builds from weak pointers: ``intern.add_cleanup`` calls a
function once an object has been collected, and ``intern.WeakCache`` and
``@intern.weak_cache`` make values on demand and hold them weakly.

>>> import intern
>>> method = intern.make("GET")
>>> method.value
'GET'
>>> intern.make("".join(["G", "E", "T"])) is method
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from intern._cache import CacheInfo, WeakCache, weak_cache
from intern._cleanup import Cleanup, add_cleanup
from intern._deep import make_deep_with
from intern._duplicates import Duplicate, DuplicateReport, duplicates
from intern._env import PURE_PYTHON, pure_python_chosen, running_python_m_intern
from intern._interned import interned_stats, make_interned
from intern._stats import PoolStats, Stats

__all__ = [
    "CacheInfo",
    "Cleanup",
    "Duplicate",
    "DuplicateReport",
    "Handle",
    "Interner",
    "Pool",
    "PoolStats",
    "Stats",
    "WeakCache",
    "add_cleanup",
    "default",
    "duplicates",
    "implementation",
    "interned",
    "interned_stats",
    "make",
    "make_deep",
    "stats",
    "weak_cache",
]

T = TypeVar("T", bound=Hashable)
C = TypeVar("C", bound=type[Any])

implementation: Literal["c", "python"]
"""Which implementation is in use: ``"c"`` (the accelerator) or ``"python"``."""

_constructor: Callable[..., Any] | None
"""What writes an interned class's ``__new__``: the C accelerator's, or None for Python."""

if TYPE_CHECKING:
    # Both implementations have one API (intern/_speedups.pyi describes the C one).
    from intern._pure import Handle, Interner, Pool, default

    def make(value: T, /) -> Handle[T]:
        """Return the canonical handle of ``value`` (see ``intern._pure``)."""
        ...

elif pure_python_chosen():
    from intern._pure import Handle, Interner, Pool, default, make

    implementation = "python"
    _constructor = None
else:
    try:
        # The main accelerator first: if nothing was built, the warning names it.
        from intern._speedups import Handle, Interner, Pool, default, make
        from intern._interned_speedups import Constructor as _constructor  # isort: skip

        implementation = "c"
    except ImportError as error:
        import warnings

        from intern._pure import Handle, Interner, Pool, default, make

        implementation = "python"
        _constructor = None
        # python -m intern says so in a line of its own: a warning would be
        # shown from <frozen runpy>, which imported the package.
        if not running_python_m_intern():
            warnings.warn(
                f"intern's C accelerator is not available ({error}); using the slower"
                f" pure-Python implementation. Set {PURE_PYTHON}=1 to choose it"
                " explicitly and silence this warning.",
                RuntimeWarning,
                stacklevel=2,
            )


def stats() -> Stats:
    """Return the default interner's counters: ``intern.default.stats()``."""
    return default.stats()


def make_deep(value: T, /) -> Handle[T]:
    """Return the canonical handle of ``value`` with every part canonical too.

    The parts of tuples (named tuples included), frozensets, and the compared
    fields of frozen dataclasses and frozen attrs classes are deep-interned first,
    bottom-up (a class compared by identity, ``eq=False``, is a leaf); a container
    is rebuilt from the canonical parts only if some part was not already the
    canonical object, then interned with ``make``. Leaves are interned with
    ``make``'s rules. The handle keeps its parts' handles alive, so that while it
    lives every part of its value stays canonical: two records made by
    ``make_deep`` that share a field value share the very same object. Once it is
    collected, parts no longer used elsewhere go with it; but a part that refers to
    the handle of a container it is inside keeps that container alive (a known
    limitation: the collector cannot see that cycle).

    A container is rebuilt by its base's ``__new__`` (``tuple``'s, ``frozenset``'s,
    or ``object``'s for a frozen class) and given all of the original's own state,
    its ``__dict__`` and every slot as stored, so that an ``__eq__`` or ``__hash__``
    that reads them still agrees. A rebuild would bypass a class's own ``__new__``
    (a named tuple's aside) and a tuple or frozenset subclass's ``__init__``: such
    classes are leaves, interned whole (an ``@intern.interned`` class among them:
    its shared instances are never taken apart), and so are classes with a slot
    whose descriptor is gone. The value given is never changed.

    ``make_deep(v).value == v`` always. Raises ``TypeError`` naming the path to an
    unhashable part (``value[1].name``), and ``RecursionError`` for values nested
    more than ``sys.getrecursionlimit()`` levels deep, or 20,000 however high the
    limit (a frozen dataclass or attrs instance counting as 4 levels): deeper
    values could crash CPython's own hashing.

    A container that ``make`` interned before, with other (equal) parts, stays as
    it was interned: ``make_deep`` returns its handle, and its parts are canonical
    only if they were.

    >>> import intern
    >>> first = intern.make_deep(("GET", ("/", 200)))
    >>> second = intern.make_deep(("POST", ("/", 200)))
    >>> first.value[1] is second.value[1]
    True
    """
    handle: Handle[T] = make_deep_with(make, value)
    return handle


def interned(cls: C, /) -> C:
    """Make ``cls`` a flyweight class: equal instances are one object while one lives.

    Decorates a class whose instances are immutable and compare by value: a frozen
    dataclass (``@dataclass(frozen=True)``, with ``slots=True`` also
    ``weakref_slot=True``), a frozen attrs class (``@attrs.frozen``), or a class
    defining ``__eq__`` and ``__hash__``. Calling the class builds an instance as
    usual (``__post_init__`` and attrs validators run each time), then returns the
    live instance equal to it if there is one, so that ``Point(1, 2) is Point(1,
    2)``. The class's own ``__eq__`` decides equality, and the class is part of the
    identity: a subclass's instances are never its base's (a subclass is interned
    only if decorated itself). ``copy.copy``, ``copy.deepcopy``,
    ``dataclasses.replace``, ``attrs.evolve`` and unpickling return canonical
    instances too.

    Instances are held weakly: once the last reference to one goes, its entry goes
    (at the next collection, for an instance in a reference cycle). Each class has
    its own table, in its ``__dict__``, so a class made at run time is collected
    with its instances; ``intern.interned_stats(cls)`` returns its counters.
    Constructing equal instances in many threads at once yields one object; a
    constructor that raises leaves nothing behind. ``make_deep`` takes an interned
    instance as a whole, never apart.

    The class is returned itself, with a new ``__new__`` and ``object.__init__`` as
    its ``__init__`` (so that the shared instance is never initialized again):
    type checkers see it unchanged. Put the decorator above ``@dataclass`` or
    ``@attrs.frozen``. Raises ``TypeError``, saying what to change, for a class
    whose instances can change (a dataclass or attrs class that is not frozen),
    that is unhashable or compares by identity, or whose instances cannot be weakly
    referenced.

    >>> import dataclasses, intern
    >>> @intern.interned
    ... @dataclasses.dataclass(frozen=True)
    ... class Point:
    ...     x: int
    ...     y: int
    >>> origin = Point(0, 0)
    >>> Point(0, 0) is origin
    True
    >>> dataclasses.replace(Point(1, 0), x=0) is origin
    True
    >>> intern.interned_stats(Point)
    Stats(live=1, created=2, reclaimed=1, hits=2)

    .. versionadded:: Unreleased
    """
    return make_interned(cls, _constructor)
