"""What an input is, told from its first bytes: a binary file, or which text format."""

from __future__ import annotations

import codecs
import csv
import json
import re

HEAD = 8192
"""How many bytes at the start of an input are looked at."""

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive, or a file in one such as .xlsx"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"PAR1", "a Parquet file"),
    (b"ARROW1", "an Arrow file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "zcat"),
    (b"BZh", "bzip2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
)
_CONTROL = bytes([*range(0x01, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
"""Bytes that are rare in text: control characters but tab, line ends, form feed and escape."""
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def binary_problem(head: bytes, path: str) -> str | None:
    """Say why an input whose first bytes are ``head`` is not UTF-8 text, or None.

    Known file signatures, a UTF-16 or UTF-32 byte order mark, NUL bytes (which
    UTF-8 text does not hold) and more than one control character in twenty are
    recognised; the message says what to do. ``path`` is the input's, ``-`` for
    standard input.
    """
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            return (
                f"looks like {encoding.upper()} text (it starts with a byte order mark);"
                f" give --encoding {encoding}"
            )
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"looks like a binary file ({what}), not text"
    for signature, what, command in _COMPRESSED:
        if head.startswith(signature):
            pipe = f"... | {command} |" if path == "-" else f"{command} {path} |"
            return (
                f"looks like {what}-compressed data; decompress it first, as in:"
                f" {pipe} python -m intern scan -"
            )
    if b"\x00" in head:
        what = "NUL bytes"
    elif len(head) - len(head.translate(None, _CONTROL)) > len(head) // 20:
        what = "control characters"
    else:
        return None
    return (
        f"looks like a binary file ({what} near its start), not text;"
        " if it is text, give its --encoding"
    )


_LINE_END = re.compile(r"\r\n?|\n")
_SAMPLE_LINES = 20


def guess_format(head: bytes, encoding: str, whole: bool) -> str | None:
    """Guess the format of text whose first bytes are ``head``, or None if they are blank.

    ``whole`` says that ``head`` is the whole input. A first line that is a JSON
    object is JSON Lines, and so is a JSON array followed by more lines; any
    other start of an array or object is a JSON document. Lines with commas or
    tabs that the csv module's Sniffer takes for CSV or TSV are that; anything
    else is text.
    """
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=whole)
    lines = _LINE_END.split(text)
    if not whole and len(lines) > 1:
        lines.pop()  # what follows the last line end: cut short, if not empty
    lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if first.startswith(("{", "[")):
        try:
            json.loads(first)
        except ValueError:
            return "jsonl" if first.startswith("{") and len(lines) == 1 else "json"
        return "jsonl" if first.startswith("{") or len(lines) > 1 else "json"
    if "," in first or "\t" in first:
        try:
            dialect = csv.Sniffer().sniff("\n".join(lines[:_SAMPLE_LINES]), delimiters=",\t")
        except csv.Error:
            return "text"
        return "tsv" if dialect.delimiter == "\t" else "csv"
    return "text"
