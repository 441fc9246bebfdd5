"""The values of pickles, read from their opcode stream: no pickle is loaded, no code runs.

``pickletools.genops`` decodes each opcode and its argument. The values are the
strings, bytes and numbers the stream writes, each the object that loading it
would make (the decoder shares what CPython shares: the empty string,
one-character strings, small ints). A value memoised and fetched again (``GET``)
is the same object: it counts as a reference, not as a copy. Strings that name a
class or function for ``STACK_GLOBAL`` are not data, and are not counted.

Memory: the memo remembers a byte per memoised object, whatever its size; no
argument longer than the limit is read.
"""

from __future__ import annotations

import pickletools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, cast

PICKLE_SIGNATURE = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))
"""How pickles of protocol 2 and later start: PROTO and its number."""

VALUE_OPCODES = {
    "UNICODE": "str",
    "SHORT_BINUNICODE": "str",
    "BINUNICODE": "str",
    "BINUNICODE8": "str",
    "STRING": "str",  # Python 2 strings, which load as str
    "BINSTRING": "str",
    "SHORT_BINSTRING": "str",
    "BINBYTES": "bytes",
    "SHORT_BINBYTES": "bytes",
    "BINBYTES8": "bytes",
    "INT": "int",  # or a bool, below
    "BININT": "int",
    "BININT1": "int",
    "BININT2": "int",
    "LONG": "int",
    "LONG1": "int",
    "LONG4": "int",
    "FLOAT": "float",
    "BINFLOAT": "float",
}
"""The opcodes that write a value, and the column it counts in: its type's name."""
_KINDS = ("str", "bytes", "int", "float")
_CODES = {name: code for code, name in enumerate(_KINDS, 1)}  # 0: not a value
_PUT = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET = frozenset({"GET", "BINGET", "LONG_BINGET"})
_STACK_UNCHANGED = frozenset({"PROTO", "FRAME", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"})

Value = str | bytes | int | float


class MalformedPickle(Exception):
    """A pickle that cannot be read: ``message`` says why, ``offset`` where (in bytes)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(offset, message)
        self.offset, self.message = offset, message


@dataclass
class Pickled:
    """One pickle's values, and the references it makes to values memoised before."""

    values: list[tuple[str, Value]] = field(default_factory=list[tuple[str, Value]])
    """(column, value) for each value written, in order."""
    references: list[str] = field(default_factory=list[str])
    """The column of each value fetched again from the memo."""


def read_pickles(raw: Iterator[bytes], max_length: int) -> Iterator[Pickled]:
    """Read the pickles in ``raw``, one after the other, till its end.

    Raises MalformedPickle for a stream that is not a pickle, is cut short, or
    has an argument longer than ``max_length`` bytes.
    """
    stream = _Stream(raw, max_length)
    while not stream.at_end():
        yield _read_one(stream)


def _read_one(stream: _Stream) -> Pickled:
    values: list[tuple[str, Value] | None] = []
    references: list[str | None] = []
    memo = _Memo(max(1024, stream.max_length // 64))
    top = 0  # the code of the value on top of the stack (written, or fetched again), else 0
    # Where the last two objects pushed are listed, as (is a reference, index), if values.
    pushes: list[tuple[bool, int] | None] = [None, None]
    try:
        # A bad escape in a Python 2 STRING is read as is, not warned of. Only this
        # loop runs under the filter: it calls no code but genops and its own.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for opcode, argument, _ in pickletools.genops(cast("IO[bytes]", stream)):
                name = opcode.name
                column = VALUE_OPCODES.get(name)
                pushed: tuple[bool, int] | None = None
                if column is not None and not isinstance(argument, bool):  # INT writes bools too
                    if isinstance(argument, bytes) and column == "str":
                        # A Python 2 string, as genops may give it.
                        argument = argument.decode("latin-1")
                    values.append((column, cast("Value", argument)))
                    top, pushed = _CODES[column], (False, len(values) - 1)
                elif name in _PUT:
                    memo.put(cast("int", argument), top)
                    continue
                elif name == "MEMOIZE":
                    memo.put(len(memo), top)
                    continue
                elif name in _STACK_UNCHANGED:
                    continue
                elif name in _GET or name == "DUP":
                    top = memo.get(cast("int", argument)) if name in _GET else top
                    if top:
                        references.append(_KINDS[top - 1])
                        pushed = (True, len(references) - 1)
                else:
                    if name == "STACK_GLOBAL":  # its operands name a class or function: not data
                        for entry in pushes:
                            if entry is not None:
                                listed = references if entry[0] else values
                                listed[entry[1]] = None
                    top = 0
                pushes = [pushes[1], pushed]
    except _TooLong as error:
        raise MalformedPickle(stream.tell(), str(error)) from None
    except (ValueError, OverflowError) as error:  # what genops raises for what it cannot read
        raise MalformedPickle(stream.tell(), f"malformed pickle: {error}") from None
    return Pickled(
        [value for value in values if value is not None],
        [column for column in references if column is not None],
    )


class _Memo:
    """What each memo index holds: the code of a value's type, or 0 for anything else.

    Indexes are dense in the pickles Python writes: a byte each. A pickle that
    skips ahead has the indexes past the gap kept in a dict, of at most ``limit``
    keys (the limit on a value's length: a pickle past it is refused as malformed).
    """

    def __init__(self, limit: int) -> None:
        self.dense = bytearray()
        self.sparse: dict[int, int] = {}
        self.limit = limit  # of sparse keys, a hundred bytes each

    def __len__(self) -> int:
        return len(self.dense) + len(self.sparse)

    def put(self, index: int, code: int) -> None:
        if index < 0:
            raise ValueError(f"negative memo key {index}")
        if index < len(self.dense):
            self.dense[index] = code
        elif index == len(self.dense) and not self.sparse:
            self.dense.append(code)
        elif index in self.sparse or len(self.sparse) < self.limit:
            self.sparse[index] = code
        else:
            raise ValueError(f"more than {self.limit:,} memo keys out of order")

    def get(self, index: int) -> int:
        if 0 <= index < len(self.dense):
            return self.dense[index]
        if index in self.sparse:
            return self.sparse[index]
        raise ValueError(f"memo key {index} has never been stored into")


class _TooLong(Exception):
    pass


class _Stream:
    """A binary file over pieces of bytes, for genops: read, readline and tell, bounded."""

    def __init__(self, pieces: Iterator[bytes], max_length: int) -> None:
        self._pieces = pieces
        self._buffer = b""
        self._position = 0  # in the buffer
        self._offset = 0  # of the buffer's start in the stream
        self._max_length = max_length

    @property
    def max_length(self) -> int:
        return self._max_length

    def tell(self) -> int:
        return self._offset + self._position

    def at_end(self) -> bool:
        return not self._fill(1)

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._max_length:
            raise _TooLong(
                f"a value of {size:,} bytes, longer than {self._max_length:,};"
                " see --max-line-length"
            )
        self._fill(size)
        return self._take(size)

    def readline(self) -> bytes:
        while True:
            end = self._buffer.find(b"\n", self._position) + 1
            if end or len(self._buffer) - self._position > self._max_length or not self._more():
                break
        size = (end or len(self._buffer)) - self._position
        if size > self._max_length + 1:  # the line end aside
            raise _TooLong(f"a line longer than {self._max_length:,} bytes; see --max-line-length")
        return self._take(size)

    def _fill(self, size: int) -> bool:
        while len(self._buffer) - self._position < size:
            if not self._more():
                return False
        return True

    def _more(self) -> bool:
        piece = next(self._pieces, b"")
        if piece:
            self._offset += self._position
            self._buffer = self._buffer[self._position :] + piece
            self._position = 0
        return bool(piece)

    def _take(self, size: int) -> bytes:
        start = self._position
        self._position = min(start + size, len(self._buffer))
        return self._buffer[start : self._position]
