"""The statistics record shared by every implementation."""

from __future__ import annotations

from typing import NamedTuple


class Stats(NamedTuple):
    """A snapshot of an interner's counters, returned by ``Interner.stats()``.

    ``live == created - reclaimed`` always holds: ``created`` counts the handles
    the table has made, ``reclaimed`` those that have since been collected.
    ``hits`` counts the calls of ``make`` that found the handle already there, so
    ``hits / (hits + created)`` says how often interning found a value to share.

    >>> import intern
    >>> table = intern.Interner()
    >>> method = table.make("GET")
    >>> table.make("".join(["G", "E", "T"])) is method
    True
    >>> table.stats()
    Stats(live=1, created=1, reclaimed=0, hits=1)
    """

    live: int
    """Handles not yet collected (``len(interner)``)."""
    created: int
    """Handles made since the interner was created."""
    reclaimed: int
    """Handles collected, whose entries the table has let go."""
    hits: int
    """Calls of ``make`` answered by a live handle, not by a new one.

    Every successful ``make`` is a hit or creates a handle. ``make_deep``,
    ``Pool`` and unpickling call ``make``, so their calls count too (a pool answers
    the values it already holds itself: those are in ``Pool.stats()``); ``get``
    and ``in`` never do, nor does a ``make`` that raises.
    """


class PoolStats(NamedTuple):
    """What a :class:`intern.Pool` has done, returned by ``Pool.stats()``.

    Counts are since the pool was made (``clear`` does not reset them), except
    ``distinct``, which is what the pool holds now.
    """

    values: int
    """Values given to the pool: to ``make``, ``value`` and ``value_deep``, each field
    of ``row``, each key, value, item and tuple ``dedup`` met."""
    distinct: int
    """Handles the pool holds now (``len(pool)``): one per distinct value."""
    deduplicated: int
    """Values the pool answered with an equal object already canonical, another one."""
    bytes_saved: int
    """``sys.getsizeof`` summed over those replaced values: what the program can free
    once it keeps the canonical objects instead. Sizes are shallow: a replaced tuple
    counts its own size, its items are counted as values of their own."""
