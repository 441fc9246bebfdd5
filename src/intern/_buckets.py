"""Taking a weak reference out of its hash bucket: the pure-Python tables' removal.

The tables of ``intern._pure`` (handles) and ``intern._interned`` (instances of
interned classes) keep, for each hash, a *bucket*: one weak reference, or a list of
them when values of different equality share a hash. A bucket is replaced, never
changed, so that an insertion's window can tell that it is still the one it compared
against (see ``intern._pure``). Both take a reference out the same way, here.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, TypeVar

_R = TypeVar("_R", bound="weakref.ref[Any]")  # a reference that compares by identity


def drop_from_bucket(
    buckets: dict[int, _R | list[_R]], value_hash: int, ref: _R, lock: threading.RLock
) -> None:
    """Replace the bucket of ``value_hash`` by one without ``ref``, if it holds ``ref``.

    The smaller bucket is built outside the lock, then stored in a window, if the
    bucket is still the one it was built from; else again, with the new one. An
    insertion may have taken ``ref`` out already, with other dead references: then
    there is nothing to do. Runs in weak reference callbacks, so at shutdown too:
    it reads builtins only, no module global.
    """
    while True:  # again if the bucket was replaced meanwhile
        bucket = buckets.get(value_hash)
        if bucket is None or (bucket is not ref and not isinstance(bucket, list)):
            return  # taken out already, by an insertion
        if isinstance(bucket, list):
            if ref not in bucket:  # by identity, in C: references compare by identity
                return
            rest = [other for other in bucket if other is not ref]
            smaller: _R | list[_R] | None = rest if len(rest) > 1 else rest[0] if rest else None
        else:
            smaller = None
        with lock:  # a window
            replaced = value_hash in buckets and buckets[value_hash] is bucket
            if replaced and smaller is None:
                del buckets[value_hash]
            elif replaced:
                buckets[value_hash] = smaller  # type: ignore[assignment]  # pyright: ignore[reportArgumentType] -- checked just above
        if replaced:
            return
