"""Memory-mapped files, shared while in use: the Go blog's weak cache example, in Python.

A file is mapped once however many parts of a program read it, and unmapped as soon
as the last of them lets go. The documentation (docs/caches.md) shows the recipe;
run this file to see it work.
"""

from __future__ import annotations

import mmap

import intern


class MappedFile:
    """A file mapped read-only into memory: ``data`` is the mapping."""

    def __init__(self, path: str, data: mmap.mmap) -> None:
        self.path = path
        self.data = data


def map_file(path: str) -> MappedFile:
    """Map ``path`` read-only; the mapping is closed once the result is collected."""
    with open(path, "rb") as file:
        data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)  # outlives the file
    mapped = MappedFile(path, data)
    intern.add_cleanup(mapped, mmap.mmap.close, data)  # arg is the mapping, never mapped
    return mapped


mapped_files = intern.WeakCache(map_file)  # WeakCache[str, MappedFile]


def main() -> None:
    """Map a file twice while in use, then watch the mapping close when dropped."""
    import gc  # the demo's needs, kept apart from the recipe above
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "greeting.txt")
        Path(path).write_bytes(b"hello, mapped world\n")

        first = mapped_files[path]
        second = mapped_files[path]  # another user of the same file
        print("one mapping for both users:", first is second)
        print("contents:", first.data[:19])

        data = first.data  # kept only to look at it afterwards
        del first, second
        gc.collect()  # not needed under reference counting; harmless
        print("mapping closed after the last user let go:", data.closed)
        print("entries left in the cache:", len(mapped_files))


if __name__ == "__main__":
    main()
