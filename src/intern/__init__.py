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

import os
import sys
from collections.abc import Hashable
from typing import TYPE_CHECKING, TypeVar

from intern._cache import CacheInfo, WeakCache, weak_cache
from intern._cleanup import Cleanup, add_cleanup
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
    "implementation",
    "make",
    "stats",
    "weak_cache",
]

T = TypeVar("T", bound=Hashable)

implementation: str
"""Which implementation is in use: ``"c"`` (the accelerator) or ``"python"``."""

if TYPE_CHECKING:
    # Both implementations have one API (intern/_speedups.pyi describes the C one).
    from intern._pure import Handle, Interner, default

    def make(value: T, /) -> Handle[T]:
        """Return the canonical handle of ``value`` (see ``intern._pure``)."""
        ...

elif os.environ.get("INTERN_PURE_PYTHON") or sys.implementation.name != "cpython":
    from intern._pure import Handle, Interner, default, make

    implementation = "python"
else:
    try:
        from intern._speedups import Handle, Interner, default, make

        implementation = "c"
    except ImportError as error:
        import warnings

        from intern._pure import Handle, Interner, default, make

        implementation = "python"
        warnings.warn(
            f"intern's C accelerator is not available ({error}); using the slower"
            " pure-Python implementation. Set INTERN_PURE_PYTHON=1 to choose it"
            " explicitly and silence this warning.",
            RuntimeWarning,
            stacklevel=2,
        )


def stats() -> Stats:
    """Return the default interner's counters: ``intern.default.stats()``."""
    return default.stats()
