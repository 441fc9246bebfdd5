"""``python -m intern scan``: read records, intern every value, report what it saves.

Inputs stream (``intern._lines``): no input is read whole, and memory stays
bounded whatever its shape. No line longer than ``Options.max_line_length`` is
held, nor a CSV record or JSON value longer than that; a top-level JSON array is
read element by element (``intern._json_records``); at most ``MAX_COLUMNS``
columns are told apart. Without ``--encoding`` the text is UTF-8, with or without
a byte order mark, and an input that looks binary is refused (``intern._sniff``).
CSV, TSV and text lines end in LF, CR LF or a lone CR, as ``open(newline="")``
reads them for the csv module; JSON Lines end in LF, as their format says (a CR
before it is JSON whitespace).

Every value goes through a fresh ``Interner`` (the default one stays untouched);
the handles are kept to the end, so the interner's ``live`` count is the number of
distinct values and each distinct value's canonical object can be told apart from
equal objects the parser made.

What a record, a value and a column are, per format (``--help`` says the same):

- csv, tsv: a row (the first is the header unless ``--no-header``); every field,
  as the string the csv module gives; columns by header name.
- json: each element of a top-level array, else the whole document; every
  scalar leaf; columns by key path, as for jsonl.
- jsonl: a line holding one JSON document; every scalar leaf (string, number,
  true, false, null); columns by key path (``$.user.name``, ``$.tags[]``).
- text: a line; every whitespace-separated word; columns by position.
- python: a whole source file; every NAME and STRING token; columns by token type.
- pickle: each pickle in the file; every string, bytes and number it writes,
  read from its opcodes without loading it (``intern._pickles``); columns by type.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
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
from intern._json_records import MalformedJSON, json_problem, json_records
from intern._lines import InputError, decoded, lines, peek, raw_pieces
from intern._pickles import PICKLE_SIGNATURE, MalformedPickle, Pickled, read_pickles
from intern._sniff import HEAD, binary_problem, guess_format
from intern._text import Progress, format_bytes, render_table

Scalar = str | bytes | int | float | bool | None
Record = Iterable[tuple[str, Scalar]]
"""The (column, value) pairs of one record."""

BadRecord = Callable[[int | None, str], None]
"""Called with the line (None if it has none) and what is wrong with a record."""

FORMATS = ("csv", "tsv", "json", "jsonl", "text", "python", "pickle")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".py": "python",
    ".pkl": "pickle",
    ".pickle": "pickle",
}
"""Formats by file extension; any other file is text, and standard input is guessed."""

STDIN = "-"
DEFAULT_ENCODING = "utf-8-sig"
"""UTF-8, whose byte order mark, if the input starts with one, is not part of a value."""
MAX_LINE_LENGTH = 1 << 20
"""The default longest line, in characters: a MiB of ASCII."""
MAX_COLUMNS = 1_000
"""Columns told apart; values of any column seen after these count in OTHER_COLUMNS."""
OTHER_COLUMNS = "(other columns)"
TOP_COLUMNS = 10
"""Columns listed in the report, most saving first."""


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
    max_line_length: int = MAX_LINE_LENGTH
    """The longest line, CSV record over lines, or JSON value parsed whole, in characters."""


@dataclass(frozen=True)
class Source:
    """One input: a path, or ``-`` for standard input, in one of FORMATS.

    The format of standard input may be None until it is read: guessed then.
    """

    path: str
    format: str | None

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
    """Name the format of each path: ``format_name`` if given, else by extension.

    Standard input's format is left to be guessed.
    """
    return [
        Source(
            path,
            format_name
            or (None if path == STDIN else EXTENSIONS.get(Path(path).suffix.lower(), "text")),
        )
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
    bytes_saved: int = field(init=False)
    """Memory as parsed minus memory deduplicated."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes_saved", self.bytes_as_parsed - self.bytes_deduplicated)


@dataclass(frozen=True)
class Report:
    """The outcome of a scan: counts, memory before and after deduplication, columns.

    Its fields, in order, are the keys of ``as_json`` (and of ``--json``).
    """

    scanned: str
    sources: tuple[Source, ...]
    limit: int | None
    records: int
    bad_records: int
    fields: int
    """Columns seen, all of those after the first MAX_COLUMNS counting as one."""
    other_columns: bool
    """Whether more than MAX_COLUMNS columns were seen, the rest counted as OTHER_COLUMNS."""
    values: int
    distinct: int
    bytes_as_parsed: int
    bytes_deduplicated: int
    bytes_saved: int = field(init=False)
    """Memory as parsed minus memory deduplicated: what interning saves."""
    columns: tuple[ColumnReport, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes_saved", self.bytes_as_parsed - self.bytes_deduplicated)

    def as_json(self) -> dict[str, object]:
        """Return the report as one JSON-ready object (the keys ``--help`` describes)."""
        return dataclasses.asdict(self)

    def as_text(self) -> str:
        """Return the report for people."""
        lines = [f"scanned: {self.scanned}", ""]
        if not self.records:
            if self.bad_records:
                why = f": {self.bad_records:,} bad, skipped (--skip-bad)"
            else:
                why = (
                    ". Blank lines are not records, nor is the header row of CSV and TSV"
                    " (see --no-header)."
                )
            return "\n".join([*lines, f"no records found{why}"])
        fields = f"the first {MAX_COLUMNS:,}, and {OTHER_COLUMNS}" if self.other_columns else ""
        summary = [
            ("records", f"{self.records:,}", ""),
            ("fields (columns)", f"{self.fields:,}", fields),
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

    Only the first MAX_COLUMNS columns are told apart: a column costs a set of
    its own, and data can make a column of every word of a line or of every
    key of a JSON object.
    """

    def __init__(self) -> None:
        self.interner = Interner[Scalar]()
        self.kept: set[Handle[Scalar]] = set()
        self.columns: dict[str, _Column] = {}
        self.other: _Column | None = None
        self.bytes_as_parsed = 0
        self.bytes_deduplicated = 0

    def add(self, record: Record) -> None:
        make, kept, columns, getsizeof = self.interner.make, self.kept, self.columns, sys.getsizeof
        for name, value in record:
            column = columns.get(name) or self._new_column(name)
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

    def add_references(self, names: Iterable[str]) -> None:
        """Count values that are objects met before, in columns ``names``: no memory."""
        for name in names:
            column = self.columns.get(name) or self._new_column(name)
            column.values += 1

    def _new_column(self, name: str) -> _Column:
        if len(self.columns) < MAX_COLUMNS:
            column = self.columns[name] = _Column(name)
            return column
        if self.other is None:
            self.other = _Column(OTHER_COLUMNS)
        return self.other

    def column_reports(self) -> list[ColumnReport]:
        columns = list(self.columns.values())
        if self.other:
            columns.append(self.other)
        reports = [
            ColumnReport(
                column.name,
                column.values,
                len(column.kept),
                column.bytes_as_parsed,
                column.bytes_deduplicated,
            )
            for column in columns
        ]
        return sorted(reports, key=lambda column: (-column.bytes_saved, column.name))


Note = Callable[[str], None]
"""Called with a line to show the user, such as the format guessed for standard input."""


def scan(
    sources: Sequence[Source],
    options: Options,
    progress: Progress | None = None,
    scanned: str | None = None,
    note: Note | None = None,
) -> Report:
    """Intern every value of the sources, in order, and report what it saved.

    Raises InputError for input that cannot be read, does not decode or looks
    binary, and for a malformed record or a line too long unless
    ``options.skip_bad``. ``scanned`` describes the input for the report (by
    default, the sources listed); ``note`` is told the format guessed for
    standard input.
    """
    tally = _Tally()
    bad_records = 0
    records = 0
    opened: list[Source] = []

    try:
        for source in sources:
            if records == options.limit:
                break

            def bad(line: int | None, message: str, source: Source = source) -> None:
                nonlocal bad_records
                if not options.skip_bad:
                    raise InputError(source.name, line, message)
                bad_records += 1

            try:
                with source.open() as binary:
                    head, first = peek(raw_pieces(binary), HEAD)
                    if source.format is None and head.startswith(PICKLE_SIGNATURE):
                        source = Source(source.path, "pickle")
                        _say_guessed("pickle", progress, note)
                    if source.format != "pickle" and not options.encoding:
                        problem = binary_problem(head, source.path)
                        if problem:
                            raise InputError(source.name, None, problem)
                    if source.format is None:
                        source = Source(source.path, _guess_format(head, options, progress, note))
                    opened.append(source)
                    by_line = source.format not in {"json", "pickle"}
                    raw = itertools.chain(first, raw_pieces(binary, by_line=by_line))
                    for record in _read_source(source, raw, options, bad):
                        if isinstance(record, Pickled):
                            tally.add(record.values)
                            tally.add_references(record.references)
                        else:
                            tally.add(record)
                        records += 1
                        if progress and progress.due():
                            progress.show(f"scanning {source.name}: record {records:,}")
                        if records == options.limit:
                            break
            except OSError as error:
                raise InputError(source.name, None, error.strerror or str(error)) from None
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
        limit=options.limit,
        records=records,
        bad_records=bad_records,
        fields=len(columns),
        other_columns=tally.other is not None,
        values=sum(column.values for column in columns),
        distinct=tally.interner.stats().live,
        bytes_as_parsed=tally.bytes_as_parsed,
        bytes_deduplicated=tally.bytes_deduplicated,
        columns=tuple(columns[:TOP_COLUMNS]),
    )


def _guess_format(
    head: bytes, options: Options, progress: Progress | None, note: Note | None
) -> str:
    guessed = guess_format(head, options.encoding or DEFAULT_ENCODING, whole=len(head) < HEAD)
    if guessed is None:
        return "text"  # blank: nothing to tell, and no records either way
    _say_guessed(guessed, progress, note)
    return guessed


def _say_guessed(guessed: str, progress: Progress | None, note: Note | None) -> None:
    if note:
        if progress:
            progress.clear()
        start = "bytes" if guessed == "pickle" else "lines"
        note(
            f"reading standard input as {guessed}, guessed from its first {start};"
            f" choose with --format {{{','.join(FORMATS)}}}"
        )


def _describe(sources: Sequence[Source], shown: int = 5) -> str:
    named = [f"{source.name} ({source.format})" for source in sources[:shown]]
    if len(sources) > shown:
        named.append(f"and {len(sources) - shown:,} more")
    return ", ".join(named) or "nothing"


def _read_source(
    source: Source, raw: Iterator[bytes], options: Options, bad: BadRecord
) -> Iterator[Record | Pickled]:
    """Read the records of one input, in its format."""
    if source.format == "python":
        return _read_python(raw, source.name, options, bad)
    if source.format == "pickle":
        return _read_pickles(raw, options, bad)
    text = decoded(
        raw,
        source.name,
        options.encoding or DEFAULT_ENCODING,
        options.errors,
        universal=source.format not in {"json", "jsonl"},
    )
    max_length = options.max_line_length
    if source.format == "json":
        return _read_json(text, bad, max_length)

    def too_long(line: int) -> None:
        bad(line, f"a line longer than {max_length:,} characters; see --max-line-length")

    split = lines(text, max_length, too_long, universal=source.format != "jsonl")
    if source.format == "csv":
        return _read_delimited(split, bad, "excel", options.header, max_length)
    if source.format == "tsv":
        return _read_delimited(split, bad, "excel-tab", options.header, max_length)
    if source.format == "jsonl":
        return _read_json_lines(split, bad)
    return _read_text(split)


def _positions(names: list[str], count: int) -> Iterable[str]:
    """Name ``count`` columns: ``names``, then by position; none named past MAX_COLUMNS."""
    if count <= len(names):
        return names
    while len(names) < min(count, MAX_COLUMNS):
        names.append(f"column {len(names) + 1}")
    return itertools.chain(names, itertools.repeat(OTHER_COLUMNS))


class _RecordTooLong(Exception):
    pass


def _read_delimited(
    lines: Iterator[str], bad: BadRecord, dialect: str, header: bool, max_length: int
) -> Iterator[Record]:
    """Read CSV or TSV records, none longer than ``max_length``.

    A record on one line is bounded by the line's own limit; one whose quoted
    fields go on over lines counts all of its lines, and is refused (as
    ``bad``) at the line that makes it too long. That line is dropped, and a new
    csv reader starts after it, as the lines of the last one ended with the
    exception.
    """
    kind = "CSV" if dialect == "excel" else "TSV"
    names: list[str] | None = None if header else []
    record_length = 0  # the characters of the record read so far, with line ends
    first_line = True

    def record_lines() -> Iterator[str]:
        nonlocal record_length, first_line
        for line in lines:
            record_length += len(line)
            if record_length > max_length and not first_line:
                raise _RecordTooLong
            first_line = False
            yield line

    done = 0  # lines read by the readers before this one
    reader = csv.reader(record_lines(), dialect, strict=True)
    # No field is longer than its record (and the limit is a C long).
    field_size_limit = csv.field_size_limit(min(max_length, sys.maxsize))
    try:
        while True:
            start = done + reader.line_num + 1
            record_length, first_line = 0, True
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                problem = f"malformed {kind}: {error}"
                if done + reader.line_num > start:  # a quoted field ran on over lines
                    problem += f" at line {done + reader.line_num}"
                bad(start, problem)
                continue
            except _RecordTooLong:
                done += reader.line_num + 1
                bad(
                    start,
                    f"a {kind} record over lines {start} to {done} longer than"
                    f" {max_length:,} characters (an unclosed quote?); see --max-line-length",
                )
                reader = csv.reader(record_lines(), dialect, strict=True)
                continue
            if not row:
                continue  # a blank line
            if names is None:
                names = _header_names(row)
                continue
            yield zip(_positions(names, len(row)), row, strict=False)
    finally:
        csv.field_size_limit(field_size_limit)


def _header_names(row: list[str]) -> list[str]:
    """Column names from a header row; an empty or repeated name becomes the position."""
    names: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(row, 1):
        names.append(name if name and name not in seen else f"column {position}")
        seen.add(name)
    return names


def _read_json_lines(lines: Iterator[str], bad: BadRecord) -> Iterator[Record]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            document: object = json.loads(line)
        except json.JSONDecodeError as error:
            bad(number, _json_line_problem(line, error))
            continue
        except ValueError as error:  # a number beyond the int digits limit
            bad(number, f"malformed JSON: {error}")
            continue
        except RecursionError:
            bad(number, "malformed JSON: nested too deeply")
            continue
        yield _json_leaves(document)


def _json_line_problem(line: str, error: json.JSONDecodeError) -> str:
    """Say what is wrong with a JSON line, at a column of that line.

    An error at the end of the line is found past its LF, in column 1 of the next
    line: parsed again without the LF, it is where the line ends.
    """
    if error.lineno > 1:
        try:
            json.loads(line.removesuffix("\n"))
        except json.JSONDecodeError as again:
            error = again
    return json_problem(error.msg, error.colno)


def _read_json(text: Iterator[str], bad: BadRecord, max_length: int) -> Iterator[Record]:
    """Read the records of a JSON document; after an error, skip the rest of it."""
    try:
        for document in json_records(text, max_length):
            yield _json_leaves(document)
    except MalformedJSON as error:
        bad(error.line, error.message)


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
        if words:  # not a blank line
            yield zip(_positions(names, len(words)), words, strict=False)


class _LineTooLong(Exception):
    pass


def _read_python(
    raw: Iterator[bytes], source: str, options: Options, bad: BadRecord
) -> Iterator[Record]:
    """One record: the NAME and STRING tokens of a whole source file."""
    encoding = options.encoding
    if encoding is None:
        try:
            encoding, first_lines = tokenize.detect_encoding(partial(next, raw, b""))
        except SyntaxError as error:  # a bad coding declaration, or not UTF-8 without one
            bad(error.lineno or 1, f"cannot tokenize: {error.msg}")
            return
        raw = itertools.chain(first_lines, raw)
    max_length = options.max_line_length

    def too_long(line: int) -> None:
        raise _LineTooLong(line)

    split = lines(decoded(raw, source, encoding, options.errors), max_length, too_long)
    kinds = {tokenize.NAME: "NAME", tokenize.STRING: "STRING"}
    tokens: list[tuple[str, Scalar]] = []
    try:
        for token in tokenize.generate_tokens(partial(next, split, "")):
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
    except _LineTooLong as error:
        bad(error.args[0], f"a line longer than {max_length:,} characters; see --max-line-length")
        return
    yield tokens


def _read_pickles(raw: Iterator[bytes], options: Options, bad: BadRecord) -> Iterator[Pickled]:
    """Each pickle is a record; after a malformed one, the rest of the input is skipped."""
    try:
        yield from read_pickles(raw, options.max_line_length)
    except MalformedPickle as error:
        bad(None, f"{error.message} (at byte {error.offset:,})")


def describe_standard_library(root: Path, sources: Sequence[Source]) -> str:
    """Say what the default scan reads."""
    version = ".".join(map(str, sys.version_info[:3]))
    return (
        f"the NAME and STRING tokens of the {len(sources):,} top-level modules of the"
        f" Python {version} standard library in {root}"
    )
