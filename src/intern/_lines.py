"""Text from binary input as it streams: decoded pieces, and lines of bounded length.

Input is read as binary lines, or pieces of at most ``PIECE`` bytes, so that a
file is never read whole, not even one without line ends. An incremental decoder
carries a character split across pieces (as in UTF-16, whose newline is two
bytes), so any encoding works, and an undecodable byte is reported on its line.
Lines end in LF, or with ``universal`` also in CR LF or a lone CR, as
``open(newline="")`` reads them.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import BinaryIO

PIECE = 1 << 16
"""The most bytes read at once."""


class InputError(Exception):
    """Bad input, said in one line that names the source and, when known, the line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        super().__init__(source, line, message)
        self.source, self.line, self.message = source, line, message

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


def raw_pieces(binary: BinaryIO, *, by_line: bool = True) -> Iterator[bytes]:
    """Read binary lines, each cut into pieces of at most ``PIECE`` bytes.

    Without ``by_line``, read pieces of ``PIECE`` bytes: fewer, for a reader
    that does not go by lines.
    """
    return iter(partial(binary.readline if by_line else binary.read, PIECE), b"")


def peek(raw: Iterator[bytes], size: int) -> tuple[bytes, list[bytes]]:
    """Read the pieces that hold the first ``size`` bytes (or the whole input if shorter).

    Returns those bytes, and the pieces read.
    """
    first: list[bytes] = []
    count = 0
    while count < size:
        piece = next(raw, None)
        if piece is None:
            break
        first.append(piece)
        count += len(piece)
    return b"".join(first)[:size], first


def decoded(
    raw: Iterable[bytes], source: str, encoding: str, errors: str, *, universal: bool = False
) -> Iterator[str]:
    """Decode pieces of bytes into pieces of text, as they come.

    Raises InputError for undecodable bytes (with ``errors="strict"``), naming
    the line they are on: lines counted as ``lines`` counts them, with the same
    ``universal``.
    """
    decode = codecs.getincrementaldecoder(encoding)(errors).decode
    line_ends = 0
    after_cr = False  # the last piece ended in CR, whose LF may start this one
    for piece in itertools.chain(raw, [None]):
        try:
            text = decode(b"", final=True) if piece is None else decode(piece)
        except UnicodeError as error:
            line_ends += _line_ends_before(error, encoding, universal, after_cr)
            raise InputError(source, line_ends + 1, decoding_problem(error, encoding)) from None
        if not text:
            continue
        line_ends += text.count("\n")
        if universal and (after_cr or "\r" in text):
            line_ends += text.count("\r") - text.count("\r\n") - (after_cr and text[0] == "\n")
            after_cr = text[-1] == "\r"
        yield text


def _line_ends_before(error: UnicodeError, encoding: str, universal: bool, after_cr: bool) -> int:
    """Count the line ends in a piece before its undecodable bytes, if they can be told."""
    if not isinstance(error, UnicodeDecodeError) or not "\r\n".encode(encoding).endswith(b"\r\n"):
        return 0  # line ends are not single bytes, as they are in UTF-8 or Latin-1
    before = error.object[: error.start]
    if not universal:
        return before.count(b"\n")
    lone_crs = before.count(b"\r") - before.count(b"\r\n")
    return before.count(b"\n") + lone_crs - (after_cr and before.startswith(b"\n"))


def decoding_problem(error: UnicodeError, encoding: str) -> str:
    """Say what could not be decoded, and which options help."""
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    if isinstance(error, UnicodeDecodeError):
        what = f"{error.object[error.start : error.end]!r} as {encoding} ({error.reason})"
    else:
        what = f"as {encoding}: {error}"
    return f"cannot decode {what}; see --encoding and --errors"


_LF = re.compile(r"\n")
_UNIVERSAL_END = re.compile(r"\r\n?|\n")


def lines(
    pieces: Iterable[str],
    max_length: int,
    too_long: Callable[[int], None],
    *,
    universal: bool = False,
) -> Iterator[str]:
    """Split pieces of text into lines that keep their ends, none longer than ``max_length``.

    A line of more than ``max_length`` characters (not counting its end) is never
    held whole: ``too_long`` is called with its number as soon as it is known to
    be too long, and unless it raises, the line is dropped and only its end is
    yielded in its place, so that the lines after it keep their numbers. Memory
    stays bounded by ``max_length`` and ``PIECE`` whatever the input, even one that
    never ends a line.
    """
    ends = _UNIVERSAL_END if universal else _LF
    pending: list[str] = []  # the start of a line whose end is still to come
    pending_length = 0
    dropping = False  # in a line too long, reported, whose end is still to come
    number = 0  # lines ended so far
    cr = ""  # a CR that ended the last piece: its LF may start the next
    for piece in itertools.chain(pieces, [None]):
        final = piece is None
        text, cr = (cr if piece is None else cr + piece), ""
        last = len(text) - 1
        # The common case: the piece is one whole line, ending in LF or CR LF.
        if (
            not pending
            and not dropping
            and 0 <= last <= max_length
            and text.find("\n") == last
            and (not universal or text.find("\r", 0, last - 1) < 0)
        ):
            number += 1
            yield text
            continue
        if universal and not final and text.endswith("\r"):
            text, cr = text[:-1], "\r"
        done = 0
        for end in ends.finditer(text):
            number += 1
            if dropping:
                dropping = False
                yield end.group()
            elif pending_length + end.start() - done > max_length:
                too_long(number)
                yield end.group()
            elif pending:
                pending.append(text[done : end.end()])
                yield "".join(pending)
            else:
                yield text[done : end.end()]
            pending.clear()
            pending_length = 0
            done = end.end()
        if done == len(text) or dropping:
            continue
        pending_length += len(text) - done
        if pending_length > max_length:
            too_long(number + 1)
            dropping = True
            pending.clear()
            pending_length = 0
        else:
            pending.append(text[done:])
    if pending:
        yield "".join(pending)
