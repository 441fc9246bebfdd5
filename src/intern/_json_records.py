"""The records of a JSON document as it streams: each element of a top-level array.

The json module parses a whole document at once. A top-level array is read here
element by element instead, each element parsed whole by ``json``, so that memory
holds one element and not the array. Any other document is one record, parsed
whole. Either way no value longer than ``max_length`` characters is parsed, and the
text held at once is at most twice that, or 64 Ki characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NEAR_END = 16
"""An error this close to the end of the text read may be the input's, not the text's:
no JSON token but a string is longer (``-Infinity`` has 9 characters)."""
_NUMBER_MAY_GO_ON = re.compile(r"(?<=\d)(?:\.|[eE][-+]?)?")
"""The end of the text read, after a value, where the input may make it longer: a number
followed by nothing or by the start of its fraction or exponent ("1" of "12", "1." of
"1.5", "1e+" of "1e+3")."""
_DECODER = json.JSONDecoder()
_READ = 1 << 16
"""Characters read at least at once: a few for each element would parse it again and again."""


def _after_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def json_problem(message: str, column: int) -> str:
    """Say what the json module found wrong, and in which column of its line."""
    # Some of its messages end in "at", as "Unterminated string starting at".
    where = "column" if message.endswith(" at") else "at column"
    return f"malformed JSON: {message} {where} {column}"


class MalformedJSON(Exception):
    """A JSON document that does not parse, at a line and with a message for people."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line, self.message = line, message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def json_records(pieces: Iterator[str], max_length: int) -> Iterator[object]:
    """Yield the elements of a top-level array, or else the whole document.

    Raises MalformedJSON for text that is not one JSON document, and for an
    element (or a document that is not an array) longer than ``max_length``
    characters. An empty document yields nothing.
    """
    text = _Text(pieces, max_length)
    position = text.skip_whitespace(0)
    if position == len(text.text):
        return
    if text.text[position] != "[":
        yield text.whole(position)
        return
    text.in_array = True
    position = text.skip_whitespace(position + 1)
    if text.text.startswith("]", position):
        text.expect_end(position + 1)
        return
    while True:
        value, position = text.element(position)
        yield value
        if text.text.startswith(",", position):
            position = text.skip_whitespace(position + 1)
        elif text.text.startswith("]", position):
            text.expect_end(position + 1)
            return
        else:
            raise text.malformed("Expecting ',' delimiter", position)


class _Text:
    """The part of a document read and not yet done with, and where it starts."""

    def __init__(self, pieces: Iterator[str], max_length: int) -> None:
        self.pieces = pieces
        self.max_length = max_length
        self.text = ""
        self.line = 1  # where text[0] is in the document
        self.column = 1
        self.ended = False
        self.in_array = False

    def more(self, keep: int) -> int:
        """Drop the text before ``keep``, then read at least as much as is kept.

        Reading as much again each time keeps the work linear in the length of
        an element however many reads it takes. Returns where ``keep`` now is: 0.
        Raises MalformedJSON if what is kept is already longer than ``max_length``.
        """
        if len(self.text) - keep > self.max_length:
            raise self.too_long(keep)
        done = self.text[:keep]
        newlines = done.count("\n")
        self.line += newlines
        self.column = len(done) - done.rfind("\n") if newlines else self.column + len(done)
        parts = [self.text[keep:]]
        wanted = max(len(parts[0]), _READ)
        while wanted > 0:
            piece = next(self.pieces, None)
            if piece is None:
                self.ended = True
                break
            parts.append(piece)
            wanted -= len(piece)
        self.text = "".join(parts)
        return 0

    def skip_whitespace(self, position: int) -> int:
        """Return the position of the next character that is not whitespace, or the end."""
        while True:
            position = _after_whitespace(self.text, position)
            if position < len(self.text) or self.ended:
                return position
            position = self.more(position)

    def element(self, position: int) -> tuple[object, int]:
        """Parse the value at ``position``; return it and where the text after it starts."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, position)
            except json.JSONDecodeError as error:
                cut_short = error.msg.startswith("Unterminated string") or (
                    error.pos >= len(self.text) - _NEAR_END
                )
                if cut_short and not self.ended:
                    position = self.more(position)
                    continue
                raise self.malformed(error.msg, error.pos) from None
            except RecursionError:
                raise self.malformed("nested too deeply", position) from None
            except ValueError as error:  # a number beyond the int digits limit
                raise self.malformed(str(error), position) from None
            if end - position > self.max_length:
                raise self.too_long(position)
            if self.ended or not _NUMBER_MAY_GO_ON.fullmatch(self.text, end):
                return value, self.skip_whitespace(end)
            position = self.more(position)

    def whole(self, position: int) -> object:
        """Parse the rest of the document as one value."""
        while not self.ended:
            position = self.more(position)
        if len(self.text) - position > self.max_length:
            raise self.too_long(position)
        value, end = self.element(position)
        self.expect_end(end)
        return value

    def expect_end(self, position: int) -> None:
        """Raise MalformedJSON unless only whitespace follows ``position``."""
        position = self.skip_whitespace(position)
        if position < len(self.text):
            raise self.malformed(
                "Extra data", position, " after the document (JSON Lines? see --format jsonl)"
            )

    def malformed(self, message: str, position: int, hint: str = "") -> MalformedJSON:
        """Say what is wrong at ``position``, with its line and column in the document."""
        newlines = self.text.count("\n", 0, position)
        if newlines:
            column = position - self.text.rfind("\n", 0, position)
        else:
            column = self.column + position
        return MalformedJSON(self.line + newlines, json_problem(message, column) + hint)

    def too_long(self, position: int) -> MalformedJSON:
        """Say that the value at ``position`` is longer than ``max_length``."""
        what = "an element of the array" if self.in_array else "a JSON document (not an array)"
        return MalformedJSON(
            self.line + self.text.count("\n", 0, position),
            f"{what} longer than {self.max_length:,} characters, which the json module would"
            " parse whole; see --max-line-length",
        )
