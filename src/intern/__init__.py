"""Canonical handles for equal values: Go's ``unique`` package, for Python.

``intern.make(value)`` returns one handle per distinct value (same type, equal
value), so that equal values compare with ``is`` and repeated values share one
object. The table holds handles weakly: an entry goes away once the last handle
to it is collected.

``intern.add_cleanup`` calls a function once an object has been collected,
as Go's ``runtime.AddCleanup`` does.

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

from intern._cleanup import Cleanup, add_cleanup
from intern._pure import Handle, Interner, default
from intern._stats import Stats

__all__ = [
    "Cleanup",
    "Handle",
    "Interner",
    "Stats",
    "add_cleanup",
    "default",
    "make",
    "stats",
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
