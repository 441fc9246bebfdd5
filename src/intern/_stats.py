"""The statistics record shared by every implementation."""

from __future__ import annotations

from typing import NamedTuple


class Stats(NamedTuple):
    """A snapshot of an interner's table, returned by ``Interner.stats()``.

    ``live == created - reclaimed`` always holds: ``created`` counts the handles
    the table has made, ``reclaimed`` those that have since been collected.
    """

    live: int
    """Handles not yet collected (``len(interner)``)."""
    created: int
    """Handles made since the interner was created."""
    reclaimed: int
    """Handles collected, whose entries the table has let go."""
