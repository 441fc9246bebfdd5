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

from collections.abc import Hashable
from typing import TYPE_CHECKING, TypeVar

from intern._cache import CacheInfo, WeakCache, weak_cache
from intern._cleanup import Cleanup, add_cleanup
from intern._pure import Handle, Interner, default
from intern._stats import Stats

__all__ = [
    "CacheInfo",
    "Cleanup",
    "Handle",
    "Interner",
    "Stats",
    "WeakCache",
    "add_cleanup",
    "default",
    "make",
    "stats",
    "weak_cache",
]

T = TypeVar("T", bound=Hashable)

if TYPE_CHECKING:

    def make(value: T, /) -> Handle[T]:
        """Return the canonical handle of ``value`` (see ``intern._pure.make``)."""
        ...

else:
    from intern._pure import make


def stats() -> Stats:
    """Return the default interner's counters: ``intern.default.stats()``."""
    return default.stats()
