"""What checkers infer for add_cleanup and Cleanup."""

from __future__ import annotations

import mmap
import os
from typing import assert_type

import intern
from intern import Cleanup


class TempFile:
    def __init__(self, path: str) -> None:
        self.path = path


temp = TempFile("example.txt")
cleanup = intern.add_cleanup(temp, os.remove, temp.path)
assert_type(cleanup, Cleanup)
assert_type(cleanup.pending, bool)
assert_type(cleanup.stop(), bool)


def close_descriptor(fd: int) -> None:
    os.close(fd)


intern.add_cleanup(temp, close_descriptor, 3)
intern.add_cleanup(temp, lambda path: print("removed", path), temp.path)  # fn's result is ignored


class Mapped:
    def __init__(self, data: mmap.mmap) -> None:
        self.data = data


mapped = Mapped(mmap.mmap(-1, 16))
intern.add_cleanup(mapped, mmap.mmap.close, mapped.data)  # an unbound method takes arg as self
