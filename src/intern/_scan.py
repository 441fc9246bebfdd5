"""``python -m intern scan``: read records, intern every value, report what it saves.

Inputs stream: each is read as binary lines (or pieces of at most ``PIECE``
bytes) and decoded piece by piece, so that a large file is never read whole, and
an undecodable byte is reported on its line. Without ``--encoding`` the text is
UTF-8, with or without a byte order mark. CSV, TSV and text lines end in LF,
CR LF or a lone CR, as ``open(newline="")`` reads them for the csv module; JSON
Lines end in LF, as their format says (a CR before it is JSON whitespace).

Every value goes through a fresh ``Interner`` (the default one stays untouched);
the handles are kept to the end, so the interner's ``live`` count is the number of
distinct values and each distinct value's canonical object can be told apart from
equal objects the parser made.

What a record, a value and a column are, per format (``--help`` says the same):

- csv, tsv: a row (the first is the header unless ``--no-header``); every field,
  as the string the csv module gives; columns by header name.
- jsonl: a line holding one JSON document; every scalar leaf (string, number,
  true, false, null); columns by key path (``$.user.name``, ``$.tags[]``).
- text: a line; every whitespace-separated word; columns by position.
- python: a whole source file; every NAME and STRING token; columns by token type.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
import sys
import sysconfig
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, cast

from intern import Handle, Interner
from intern._text import Progress, format_bytes, render_table

Scalar = str | int | float | bool | None
Record = Iterable[tuple[str, Scalar]]
"""The (column, value) pairs of one record."""

BadRecord = Callable[[int, str], None]
"""Called with the line and a description of a malformed record."""

FORMATS = ("csv", "tsv", "jsonl", "text", "python")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".py": "python",
}
"""Formats by file extension; any other file, and standard input, is text."""

STDIN = "-"
DEFAULT_ENCODING = "utf-8-sig"
"""UTF-8, whose byte order mark, if the input starts with one, is not part of a value."""
PIECE = 1 << 16
"""The most bytes read at once, so that a file whose lines end in lone CRs streams too."""
TOP_COLUMNS = 10
"""Columns listed in the report, most saving first."""


class ScanError(Exception):
    """Bad input, said in one line that names the source and, when known, the line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        super().__init__(source, line, message)
        self.source, self.line, self.message = source, line, message

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Options:
    """How to read the inputs of a scan."""

    format: str | None = None
    """One of FORMATS for every input, or None to go by extension."""
    encoding: str | None = None
    """None: UTF-8 (DEFAULT_ENCODING), or for Python sources the encoding they declare."""
    errors: str = "strict"
    header: bool = True
    skip_bad: bool = False
    limit: int | None = None
    """Stop after this many records."""


@dataclass(frozen=True)
class Source:
    """One input: a path, or ``-`` for standard input, in one of FORMATS."""

    path: str
    format: str

    @property
    def name(self) -> str:
        """How messages name the input."""
        return "<stdin>" if self.path == STDIN else self.path

    def open(self) -> AbstractContextManager[BinaryIO]:
        """Open the input for reading binary lines (standard input is not closed)."""
        if self.path == STDIN:
            return nullcontext(sys.stdin.buffer)
        return open(self.path, "rb")


def sources_for(paths: Sequence[str], format_name: str | None) -> list[Source]:
    """Name the format of each path: ``format_name`` if given, else by extension."""
    return [
        Source(path, format_name or EXTENSIONS.get(Path(path).suffix.lower(), "text"))
        for path in paths
    ]


def standard_library() -> tuple[Path, list[Source]]:
    """Find the default scan's input: the standard library's top-level modules.

    Packages (and with them the test suite) are left out: tokenizing the whole
    library takes minutes, its top-level modules seconds.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    return root, [Source(str(path), "python") for path in sorted(root.glob("*.py"))]


@dataclass
class _Column:
    """The counts of one column; ``kept`` holds the handles of its distinct values."""

    name: str
    values: int = 0
    bytes_as_parsed: int = 0
    bytes_deduplicated: int = 0
    kept: set[Handle[Scalar]] = field(default_factory=set[Handle[Scalar]])


@dataclass(frozen=True)
class ColumnReport:
    """What interning saves within one column."""

    name: str
    values: int
    distinct: int
    bytes_as_parsed: int
    bytes_deduplicated: int

    @property
    def bytes_saved(self) -> int:
        """Memory as parsed minus memory deduplicated."""
        return self.bytes_as_parsed - self.bytes_deduplicated


@dataclass(frozen=True)
class Report:
    """The outcome of a scan: counts, memory before and after deduplication, columns."""

    scanned: str
    sources: tuple[Source, ...]
    records: int
    bad_records: int
    fields: int
    values: int
    distinct: int
    bytes_as_parsed: int
    bytes_deduplicated: int
    columns: tuple[ColumnReport, ...]
    limit: int | None

    @property
    def bytes_saved(self) -> int:
        """Memory as parsed minus memory deduplicated: what interning saves."""
        return self.bytes_as_parsed - self.bytes_deduplicated

    def as_json(self) -> dict[str, object]:
        """Return the report as one JSON-ready object (the keys ``--help`` describes)."""
        return {
            "scanned": self.scanned,
            "sources": [{"path": source.path, "format": source.format} for source in self.sources],
            "limit": self.limit,
            "records": self.records,
            "bad_records": self.bad_records,
            "fields": self.fields,
            "values": self.values,
            "distinct": self.distinct,
            "bytes_as_parsed": self.bytes_as_parsed,
            "bytes_deduplicated": self.bytes_deduplicated,
            "bytes_saved": self.bytes_saved,
            "columns": [
                {
                    "name": column.name,
                    "values": column.values,
                    "distinct": column.distinct,
                    "bytes_as_parsed": column.bytes_as_parsed,
                    "bytes_deduplicated": column.bytes_deduplicated,
                    "bytes_saved": column.bytes_saved,
                }
                for column in self.columns
            ],
        }

    def as_text(self) -> str:
        """Return the report for people."""
        lines = [f"scanned: {self.scanned}", ""]
        summary = [
            ("records", f"{self.records:,}", ""),
            ("fields (columns)", f"{self.fields:,}", ""),
            ("values", f"{self.values:,}", ""),
            (
                "distinct values",
                f"{self.distinct:,}",
                _percent(self.distinct, self.values, "values"),
            ),
            ("memory as parsed", format_bytes(self.bytes_as_parsed), "each value object parsed"),
            ("memory deduplicated", format_bytes(self.bytes_deduplicated), "each distinct value"),
            (
                "saving",
                format_bytes(self.bytes_saved),
                _percent(self.bytes_saved, self.bytes_as_parsed, "memory as parsed"),
            ),
        ]
        if self.bad_records:
            summary.insert(1, ("bad records skipped", f"{self.bad_records:,}", ""))
        lines += render_table(["", "", ""], summary, "lrl")[1:]
        if self.columns:
            lines += ["", f"columns with the most duplication (top {TOP_COLUMNS} by saving):"]
            rows = [
                [
                    column.name,
                    f"{column.values:,}",
                    f"{column.distinct:,}",
                    format_bytes(column.bytes_as_parsed),
                    format_bytes(column.bytes_saved),
                    _percent(column.bytes_saved, column.bytes_as_parsed),
                ]
                for column in self.columns
            ]
            header = ["column", "values", "distinct", "as parsed", "saving", ""]
            lines += ["  " + line for line in render_table(header, rows)]
        lines += ["", "(what counts: python -m intern scan --help)"]
        return "\n".join(lines)


def _percent(part: int, whole: int, of: str = "") -> str:
    if not whole:
        return ""
    return f"{100 * part / whole:.1f}%" + (f" of {of}" if of else "")


class _Tally:
    """Interns values and counts them, in total and per column.

    Memory as parsed counts ``sys.getsizeof`` of each value object the parser
    made; an object identical to the kept one (CPython shares the empty string,
    one-character strings, small ints, true, false and null) counts once, as it
    takes memory once. Memory deduplicated counts each distinct value once.
    """

    def __init__(self) -> None:
        self.interner = Interner[Scalar]()
        self.kept: set[Handle[Scalar]] = set()
        self.columns: dict[str, _Column] = {}
        self.bytes_as_parsed = 0
        self.bytes_deduplicated = 0

    def add(self, record: Record) -> None:
        make, kept, columns, getsizeof = self.interner.make, self.kept, self.columns, sys.getsizeof
        for name, value in record:
            column = columns.get(name)
            if column is None:
                column = columns[name] = _Column(name)
            column.values += 1
            size = getsizeof(value)
            handle = make(value)
            new_object = handle.value is not value
            if handle not in kept:
                kept.add(handle)
                self.bytes_as_parsed += size
                self.bytes_deduplicated += size
            elif new_object:
                self.bytes_as_parsed += size
            if handle not in column.kept:
                column.kept.add(handle)
                column.bytes_as_parsed += size
                column.bytes_deduplicated += size
            elif new_object:
                column.bytes_as_parsed += size

    def column_reports(self) -> list[ColumnReport]:
        reports = [
            ColumnReport(
                column.name,
                column.values,
                len(column.kept),
                column.bytes_as_parsed,
                column.bytes_deduplicated,
            )
            for column in self.columns.values()
        ]
        return sorted(reports, key=lambda column: (-column.bytes_saved, column.name))


def scan(
    sources: Sequence[Source],
    options: Options,
    progress: Progress | None = None,
    scanned: str | None = None,
) -> Report:
    """Intern every value of the sources, in order, and report what it saved.

    Raises ScanError for input that cannot be read, and for a malformed record
    unless ``options.skip_bad``. ``scanned`` describes the input for the report
    (by default, the sources listed).
    """
    tally = _Tally()
    bad_records = 0
    records = 0
    opened: list[Source] = []

    try:
        for source in sources:
            if records == options.limit:
                break

            def bad(line: int, message: str, source: Source = source) -> None:
                nonlocal bad_records
                if not options.skip_bad:
                    raise ScanError(source.name, line, message)
                bad_records += 1

            try:
                with source.open() as binary:
                    opened.append(source)
                    for record in _records(source, binary, options, bad):
                        tally.add(record)
                        records += 1
                        if progress and progress.due():
                            progress.show(f"scanning {source.name}: record {records:,}")
                        if records == options.limit:
                            break
            except OSError as error:
                raise ScanError(source.name, None, error.strerror or str(error)) from None
    finally:
        if progress:
            progress.clear()

    columns = tally.column_reports()
    description = scanned or _describe(opened)
    if records == options.limit:
        description += f"; stopped after {records:,} records (--limit)"
    return Report(
        scanned=description,
        sources=tuple(opened),
        records=records,
        bad_records=bad_records,
        fields=len(columns),
        values=sum(column.values for column in columns),
        distinct=tally.interner.stats().live,
        bytes_as_parsed=tally.bytes_as_parsed,
        bytes_deduplicated=tally.bytes_deduplicated,
        columns=tuple(columns[:TOP_COLUMNS]),
        limit=options.limit,
    )


def _describe(sources: Sequence[Source], shown: int = 5) -> str:
    named = [f"{source.name} ({source.format})" for source in sources[:shown]]
    if len(sources) > shown:
        named.append(f"and {len(sources) - shown:,} more")
    return ", ".join(named) or "nothing"


def _records(
    source: Source, binary: BinaryIO, options: Options, bad: BadRecord
) -> Iterator[Record]:
    if source.format == "python":
        return _read_python(iter(binary), source.name, options, bad)
    lines = _decoded_lines(
        iter(partial(binary.readline, PIECE), b""),
        source.name,
        options.encoding or DEFAULT_ENCODING,
        options.errors,
        universal=source.format != "jsonl",
    )
    if source.format == "csv":
        return _read_delimited(lines, bad, "excel", options.header)
    if source.format == "tsv":
        return _read_delimited(lines, bad, "excel-tab", options.header)
    if source.format == "jsonl":
        return _read_json_lines(lines, bad)
    return _read_text(lines)


_LINE = re.compile(r"[^\n]*\n")
_UNIVERSAL_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)")


def _decoded_lines(
    raw_lines: Iterable[bytes], source: str, encoding: str, errors: str, *, universal: bool = False
) -> Iterator[str]:
    """Decode binary lines, or pieces of them, into text lines that keep their endings.

    Lines end in LF; with ``universal``, also in CR LF or a lone CR. An
    incremental decoder carries a character split across pieces (as in UTF-16,
    whose newline is two bytes), so any encoding works. A decoding error names
    the line it is on.
    """
    decode = codecs.getincrementaldecoder(encoding)(errors).decode
    line = _UNIVERSAL_LINE if universal else _LINE
    pending: list[str] = []  # the start of a line whose end is still to come
    number = 0
    for raw in itertools.chain(raw_lines, [None]):
        try:
            text = decode(b"", final=True) if raw is None else decode(raw)
        except UnicodeError as error:
            number += _line_ends_before(error, encoding, universal)
            raise ScanError(source, number + 1, _decoding_problem(error, encoding)) from None
        last = len(text) - 1  # the common case: one whole line, ending in LF or CR LF
        if not pending and text.find("\n") == last >= 0 and text.find("\r", 0, last - 1) < 0:
            number += 1
            yield text
            continue
        if raw is not None and "\n" not in text and not (universal and "\r" in text):
            pending.append(text)
            continue
        text = "".join([*pending, text])
        pending.clear()
        done = 0
        for match in line.finditer(text):
            if raw is not None and match.end() == len(text) and text.endswith("\r"):
                break  # its LF may start the next piece
            number += 1
            done = match.end()
            yield match.group()
        if done < len(text):
            pending.append(text[done:])
    if pending:
        yield "".join(pending)


def _line_ends_before(error: UnicodeError, encoding: str, universal: bool) -> int:
    """Count the line ends in a piece before its undecodable bytes, if they can be told."""
    if not isinstance(error, UnicodeDecodeError) or not "\r\n".encode(encoding).endswith(b"\r\n"):
        return 0  # line ends are not single bytes, as they are in UTF-8 or Latin-1
    before = error.object[: error.start]
    lone_crs = before.count(b"\r") - before.count(b"\r\n") if universal else 0
    return before.count(b"\n") + lone_crs


def _decoding_problem(error: UnicodeError, encoding: str) -> str:
    if encoding == DEFAULT_ENCODING:
        encoding = "utf-8"
    if isinstance(error, UnicodeDecodeError):
        what = f"{error.object[error.start : error.end]!r} as {encoding} ({error.reason})"
    else:
        what = f"as {encoding}: {error}"
    return f"cannot decode {what}; see --encoding and --errors"


def _read_delimited(
    lines: Iterator[str], bad: BadRecord, dialect: str, header: bool
) -> Iterator[Record]:
    reader = csv.reader(lines, dialect, strict=True)
    names: list[str] | None = None if header else []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = f"malformed {'CSV' if dialect == 'excel' else 'TSV'}: {error}"
            if reader.line_num > start:  # a quoted field ran on over lines
                problem += f" at line {reader.line_num}"
            bad(start, problem)
            continue
        if not row:
            continue  # a blank line
        if names is None:
            names = _header_names(row)
            continue
        while len(names) < len(row):
            names.append(f"column {len(names) + 1}")
        yield zip(names, row, strict=False)


def _header_names(row: list[str]) -> list[str]:
    """Column names from a header row; an empty or repeated name becomes the position."""
    names: list[str] = []
    for position, name in enumerate(row, 1):
        names.append(name if name and name not in names else f"column {position}")
    return names


def _read_json_lines(lines: Iterator[str], bad: BadRecord) -> Iterator[Record]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            document: object = json.loads(line)
        except json.JSONDecodeError as error:
            bad(number, f"malformed JSON: {error.msg} at column {error.colno}")
            continue
        except ValueError as error:  # a number beyond the int digits limit
            bad(number, f"malformed JSON: {error}")
            continue
        except RecursionError:
            bad(number, "malformed JSON: nested too deeply")
            continue
        yield _json_leaves(document)


def _json_leaves(document: object) -> list[tuple[str, Scalar]]:
    """List the scalar leaves of a JSON document, with their key paths.

    Array elements share one path (``$.tags[]``), so that columns are the shape of
    the data rather than every index.
    """
    leaves: list[tuple[str, Scalar]] = []
    stack: list[tuple[str, object]] = [("$", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            members = cast("dict[str, object]", node)
            stack.extend((f"{path}.{key}", child) for key, child in members.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[]", child) for child in cast("list[object]", node))
        else:
            leaves.append((path, cast("Scalar", node)))
    return leaves


def _read_text(lines: Iterator[str]) -> Iterator[Record]:
    names: list[str] = []
    for line in lines:
        words = line.split()
        if not words:
            continue  # a blank line
        while len(names) < len(words):
            names.append(f"column {len(names) + 1}")
        yield zip(names, words, strict=False)


def _read_python(
    raw_lines: Iterator[bytes], source: str, options: Options, bad: BadRecord
) -> Iterator[Record]:
    """One record: the NAME and STRING tokens of a whole source file."""
    encoding = options.encoding
    if encoding is None:
        try:
            encoding, first_lines = tokenize.detect_encoding(partial(next, raw_lines, b""))
        except SyntaxError as error:  # a bad coding declaration, or not UTF-8 without one
            bad(error.lineno or 1, f"cannot tokenize: {error.msg}")
            return
        raw_lines = itertools.chain(first_lines, raw_lines)
    lines = _decoded_lines(raw_lines, source, encoding, options.errors)
    kinds = {tokenize.NAME: "NAME", tokenize.STRING: "STRING"}
    tokens: list[tuple[str, Scalar]] = []
    try:
        for token in tokenize.generate_tokens(partial(next, lines, "")):
            kind = kinds.get(token.type)
            if kind:
                tokens.append((kind, token.string))
    except tokenize.TokenError as error:
        message, (line, _) = cast("tuple[str, tuple[int, int]]", error.args)
        bad(line, f"cannot tokenize: {message}")
        return
    except SyntaxError as error:  # IndentationError, and from 3.12 on other errors
        bad(error.lineno or 1, f"cannot tokenize: {error.msg}")
        return
    yield tokens


def describe_standard_library(root: Path, sources: Sequence[Source]) -> str:
    """Say what the default scan reads."""
    version = ".".join(map(str, sys.version_info[:3]))
    return (
        f"the NAME and STRING tokens of the {len(sources):,} top-level modules of the"
        f" Python {version} standard library in {root}"
    )
