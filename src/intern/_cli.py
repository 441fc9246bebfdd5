"""The command line, ``python -m intern``: arguments, dispatch and exit statuses."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Sequence

from intern import _bench, _duplicates, _scan
from intern._lines import InputError
from intern._text import Progress

PROG = "python -m intern"

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_BAD_OUTPUT = 1  # standard output was closed early
EXIT_USAGE = 2  # what argparse exits with
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by SIGINT

EXIT_STATUSES = f"""\
exit status:
  {EXIT_OK}    done, also when the inputs hold no records (the report says so)
  {EXIT_BAD_INPUT}    bad input: an input that cannot be opened or decoded or looks
       binary, or a malformed record or a line too long (unless --skip-bad); one
       line on stderr names the file and line. Also when standard output is
       closed before all is written
  {EXIT_USAGE}    usage error, such as an unknown option
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""

DESCRIPTION = """\
See what interning saves on your data (scan), which values your program holds many
times (duplicates), and how fast interning is on this machine (bench)."""

SCAN_DESCRIPTION = """\
Intern every value of the inputs with a fresh intern.Interner and report records,
fields, values, distinct values, the memory the values take as parsed and after
deduplication, the saving, and the columns with the most duplication. Inputs are
streamed, with memory bounded whatever their shape (see limits below). With no
PATH, scan the identifiers and strings of this Python's standard library: its
top-level modules (*.py directly in the stdlib directory, in name order; packages
and tests are left out to keep it to seconds)."""

SCAN_EPILOG = f"""\
formats (--format, else by extension; standard input's is guessed, see below):
  csv (.csv)
      a record is a row, as the csv module reads it (dialect excel, strict: a
      stray quote is a malformed record); the first row is the header unless
      --no-header. Every field is a value, kept as the string csv returns (no
      guessing of numbers). Columns: header names, else "column N".
  tsv (.tsv, .tab)
      as csv, with fields separated by tabs (dialect excel-tab).
  json (.json)
      a record is each element of a top-level array (read one element at a
      time), or else the whole document. Values and columns as for jsonl, from $
      for each record. The json module parses each element, or a document that is
      not an array, whole: it must fit in --max-line-length characters. After a
      malformed part (skipped with --skip-bad, as one bad record), the rest of the
      document is skipped too: the records after it cannot be told apart.
  jsonl (.jsonl, .ndjson)
      a record is a line holding one JSON document. Its values are its scalar
      leaves (strings, numbers as int or float, true, false, null); object keys are
      not values. Columns: key paths, such as $.user.name, or $.tags[] for every
      element of tags.
  text (any other file)
      a record is a line; its values are its whitespace-separated words.
      Columns: the word's position, "column N".
  python (.py)
      a record is a whole source file; its values are its NAME and STRING tokens
      (module tokenize). Columns: NAME, STRING. Decoded as Python does (coding
      declaration, else UTF-8) unless --encoding is given.
  pickle (.pkl, .pickle)
      a record is a pickle (a file may hold several, one after the other); its
      values are the strings, bytes and numbers it writes, read from its opcodes
      (module pickletools) without loading it: no code in it runs. A value the
      pickle memoises and refers to again is one object, counted as a value each
      time but in memory once. The names of classes and functions it refers to
      are not values. Columns: the types, str, bytes, int, float. After a
      malformed or truncated pickle the rest of the input is skipped; no value
      longer than --max-line-length bytes is read.
  Blank lines are not records. Lines of csv, tsv and text end in LF, CR LF or a
  lone CR; lines of jsonl end in LF. Without --encoding, text is UTF-8 and a byte
  order mark at the start of an input is not part of the first value.

standard input (-): without --format, its format is guessed from its first lines,
and one line on stderr says which. A pickle of protocol 2 or later is pickle. A
JSON object on the first line is jsonl, and so is a JSON array followed by more
lines; another start of an array or object is
json; lines with commas or tabs that the csv module's Sniffer takes for CSV or
TSV are csv or tsv; anything else is text.

limits, so that memory depends on the distinct values, not on the input's shape:
  --max-line-length (default {_scan.MAX_LINE_LENGTH:,} characters) bounds a line, a CSV
  or TSV record over several lines, and a JSON element or document parsed whole.
  A line over it is an error, or with --skip-bad a bad record, skipped. Only the
  first {_scan.MAX_COLUMNS:,} columns seen are told apart; values of later ones count
  together, as one column named "{_scan.OTHER_COLUMNS}".

binary input: without --encoding, an input that looks binary (pickles aside) (a known file
signature, a UTF-16 or UTF-32 byte order mark, or NUL bytes near its start) is
refused, even with --skip-bad, with one line saying what it looks like.

what is counted:
  fields                the number of columns seen (at most {_scan.MAX_COLUMNS + 1:,})
  values                every value read, each interned (in a fresh Interner)
  distinct values       values that differ in type or in value: the interner's live
                        handles
  memory as parsed      sys.getsizeof summed over the value objects the parser
                        made; an object CPython shares (such as "" or a small int)
                        counts once, as it takes memory once
  memory deduplicated   sys.getsizeof summed over the distinct values: what
                        interning keeps
  saving                memory as parsed minus memory deduplicated. Neither counts
                        the containers holding the values (rows, dicts) nor the
                        interner's own table (see bench)
  columns               the {_scan.TOP_COLUMNS} columns that save the most interned on their own
                        (a value in two columns counts in each)

--json prints one JSON object with the keys scanned, sources, limit, records,
bad_records, fields, other_columns (true if some were counted as one), values,
distinct, bytes_as_parsed, bytes_deduplicated, bytes_saved and columns (each with
name, values, distinct, bytes_as_parsed, bytes_deduplicated, bytes_saved).

Progress is shown on stderr when it is a terminal.

{EXIT_STATUSES}"""

BENCH_DESCRIPTION = f"""\
Time intern.make (each implementation found: python, and c when the accelerator is
built) against sys.intern, a strong dict pool and a WeakValueDictionary interner,
on the same data in one run. A run takes about {_bench.FULL_SECONDS} s on two shared cores
(about {_bench.QUICK_SECONDS} s with --quick); each table is printed as soon as its case is
done, and on a terminal stderr shows which case of how many is being measured."""

BENCH_EPILOG = f"""\
cases (with their names in --json):
  hit-strings, hit-strings-same: the hit path on {_bench.ENTRIES:,} strings. Each table
      already holds them and is given equal copies (distinct objects, as a parser
      returns them), then the very objects it holds (where sys.intern only reads a
      flag in the string); hit-strings has Pool.value too. Ratios are to sys.intern.
  hit-records: the hit path on {_bench.ENTRIES:,} (str, str, int) records, given as equal
      copies. Ratios are to the dict pool's lookup.
  churn: miss and reclaim: make the handle of a value new to the table and drop it
      at once. Ratios are to the WeakValueDictionary interner. sys.intern and the
      dict pool are left out: the data keeps its values alive, so they would hit.
  cache-hits: caches, hits on {_bench.ENTRIES:,} live str keys (the very objects cached):
      WeakCache[key] and a @weak_cache function of each implementation, and a dict,
      against functools.cache. Ratios are to the functools.cache hit.
  cleanup-registrations, cleanup-runs: cleanups, add_cleanup of each implementation
      against weakref.finalize, {_bench.ENTRIES:,} objects each: registering on a fresh object,
      and dropping the object, which runs the function. Ratios are to finalize.
  identity: "a is b" on two handles against "a == b" on two equal values, distinct
      objects: {_bench.LONG_TUPLE}-string tuples, {_bench.LONG_TEXT:,}-character strings.
  interned: construct {_bench.ENTRIES:,} instances of a frozen dataclass Point(x, y), each
      equal to a live one, plainly and as @intern.interned classes (each
      implementation), which return the live one. Ratios are to the plain class.
  {", ".join(f"scale-{size}" for size in _bench.SCALES)}:
      the hit path on {_bench.ENTRIES:,} equal copies spread among that many live entries
      (--quick stops at {_bench.SCALES[1]:,}), against a dict pool of as many: does a hit
      cost more once the table outgrows the CPU's caches? Ratios are to the dict.
  hostile-low-zeros, hostile-high-bits, hostile-one-hash: the hit path on hashes
      shaped to defeat a naive table: {_bench.HOSTILE:,} multiples of 2**32, {_bench.HOSTILE:,} ints
      differing only above bit 50, {_bench.HOSTILE // 10:,} ints that all share one hash.
      Ratios are to the dict pool's lookup.
  records: deduplication of {_bench.RECORDS:,} real records ({_bench.QUICK_RECORDS:,} with --quick),
      the lines "module<TAB>token type<TAB>token" of the standard library's
      tokens, parsed four ways: plainly (a tuple of the split fields), with
      Pool.value per field, with Pool.row per record, and with Pool.value_deep
      per record (each implementation). ns/op is per record; ratios are to the
      plain parse.
  ingest-csv, ingest-jsonl: as many records of ten fields (strings, numbers, a
      flag, a ratio, built from the same tokens), read back from CSV with
      csv.reader and sys.intern per field, or Pool.row; and from JSON Lines with
      json.loads, plain or through Pool.dedup. ns/op is per record; ratios are to
      sys.intern's reading and to plain json.loads.

method: every contender runs "for value in data: f(value)" over the same data
(the identity case: "value is b", "value == b"; the records case: a parse of all
the lines). Contenders take short turns, {_bench.FULL.rounds} rounds
({_bench.QUICK.rounds} with --quick), and each keeps its best (minimum) time, as noise on a
shared machine only adds time; ns/op is that time per value, and ratios are
taken within the run.

bytes/entry: memory traced by tracemalloc while a fresh table takes {_bench.TRACED:,}
values, minus the list holding the results, per value (the values exist before
tracing starts). sys.intern's table is the interpreter's own, so it has no
figure. In the records and ingest cases, bytes/entry is per record: all that a parse keeps
(the records, their fields and the pool that made them canonical), traced by
tracemalloc, divided by the number of records.

--svg FILE draws the scaling cases (a line per contender), the hit-strings,
hit-strings-same and hit-records cases and churn (grouped bars) in an SVG
picture, noting the machine and Python. FILE is opened (emptied) when the run
starts, so that a path that cannot be written fails at once, and gets the
picture when the run ends. With --svg -, the picture goes to standard output
instead of the tables; it cannot be combined with --json.

exit status:
  {EXIT_OK}    done
  {EXIT_BAD_OUTPUT}    standard output was closed before all was written, or the --svg FILE
       cannot be written
  {EXIT_USAGE}    usage error
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""


DUPLICATES_DESCRIPTION = """\
Run a Python script (or, with -m, a module) as __main__, as python itself would,
then report the values still alive when it ends that are held as several equal
but separate objects: the script's globals, and everything else the garbage
collector tracks, with the data they hold (see intern.duplicates). The report
goes to standard output after the script's own output, also when the script
raised an exception or called sys.exit."""

DUPLICATES_EPILOG = f"""\
what is counted: values (str, bytes, int, float, complex, and tuples and
frozensets of values) reached through data: items of lists, tuples, dicts (keys
and values), sets, frozensets and deques, and attributes and slots of instances;
not the inside of classes, functions, modules or code. Each object counts once,
however many places hold it. A group is a value held by two or more separate
objects; its waste is sys.getsizeof of every copy but the first.

the table: the --top N groups wasting the most (default 20), each with its type,
value, copies, bytes wasted, and up to three places holding copies, such as
"value of dict key 'origin'", "Flight.origin" (an attribute or slot), "list",
"tuple[3]".

--json prints one JSON object with the keys rows (each with type, value, copies,
wasted_bytes and held_by), values, distinct and wasted_bytes.

exit status:
  {EXIT_OK}    the script ended (every status is the script's own, as if it ran alone)
  1    the script raised an exception: its traceback is on stderr, before the
       report; or it called sys.exit with a message, which is on stderr
  {EXIT_USAGE}    usage error, or a script that cannot be opened
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C) while the script ran
  N    the status the script gave sys.exit
"""


def _text_encoding(name: str) -> str:
    try:
        b"\n".decode(name, "ignore")  # empty input would skip the codec lookup
    except (LookupError, UnicodeError):
        raise argparse.ArgumentTypeError(f"unknown or unusable text encoding: {name!r}") from None
    return name


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    scan = _add_command(
        commands.add_parser,
        "scan",
        "show what interning saves on your data",
        SCAN_DESCRIPTION,
        SCAN_EPILOG,
    )
    scan.set_defaults(command=_run_scan)
    scan.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a file to scan, or - for standard input (default: the standard library)",
    )
    scan.add_argument("--format", choices=_scan.FORMATS, help="the format of every PATH")
    scan.add_argument(
        "--encoding",
        type=_text_encoding,
        help="the encoding of every PATH (default: UTF-8, with or without a byte order mark;"
        " Python sources as declared)",
    )
    scan.add_argument(
        "--errors",
        default="strict",
        choices=["strict", "replace", "ignore", "backslashreplace", "surrogateescape"],
        help="what to do with undecodable bytes (default: strict, an error)",
    )
    scan.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        help="CSV and TSV: the first row is a record, not the header",
    )
    scan.add_argument(
        "--skip-bad",
        action="store_true",
        help="count malformed records (CSV, TSV, JSON, Python) and lines too long, and go on,"
        " instead of stopping",
    )
    scan.add_argument(
        "--limit", type=_positive, metavar="N", help="stop after N records (all inputs together)"
    )
    scan.add_argument(
        "--max-line-length",
        type=_positive,
        default=_scan.MAX_LINE_LENGTH,
        metavar="CHARS",
        help="the longest line, CSV record or JSON value read whole, in characters"
        f" (default: {_scan.MAX_LINE_LENGTH:,})",
    )

    duplicates = _add_command(
        commands.add_parser,
        "duplicates",
        "run a script and show which values it holds many times",
        DUPLICATES_DESCRIPTION,
        DUPLICATES_EPILOG,
    )
    duplicates.set_defaults(command=_run_duplicates)
    duplicates.add_argument(
        "--top", type=_positive, default=20, metavar="N", help="list N groups (default: 20)"
    )
    duplicates.add_argument(
        "-m", dest="module", metavar="MODULE", help="run a module, not a script"
    )
    duplicates.usage = f"{PROG} duplicates [-h] [--json] [--top N] (SCRIPT | -m MODULE) [ARGS...]"

    bench = _add_command(
        commands.add_parser,
        "bench",
        "show how fast interning is on this machine",
        BENCH_DESCRIPTION,
        BENCH_EPILOG,
    )
    bench.set_defaults(command=_run_bench)
    bench.add_argument(
        "--quick",
        action="store_true",
        help=f"about {_bench.QUICK_SECONDS} s instead of {_bench.FULL_SECONDS}, less precise",
    )
    bench.add_argument(
        "--svg",
        metavar="FILE",
        help="also draw the results in FILE, an SVG picture (- for standard output)",
    )
    return parser


def _add_command(
    add_parser: Callable[..., argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    """Add a command whose help keeps its line breaks, with the --json every command has."""
    command = add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    return command


def _progress() -> Progress | None:
    return Progress(sys.stderr) if sys.stderr.isatty() else None


def _note(text: str) -> None:
    print(f"{PROG} scan: {text}", file=sys.stderr)


def _run_scan(arguments: argparse.Namespace) -> int:
    options = _scan.Options(
        format=arguments.format,
        encoding=arguments.encoding,
        errors=arguments.errors,
        header=arguments.header,
        skip_bad=arguments.skip_bad,
        limit=arguments.limit,
        max_line_length=arguments.max_line_length,
    )
    scanned = None
    if arguments.paths:
        sources = _scan.sources_for(arguments.paths, options.format)
    else:
        root, sources = _scan.standard_library()
        if not sources:
            print(f"{PROG} scan: error: {root}: no Python sources here", file=sys.stderr)
            return EXIT_BAD_INPUT
        scanned = _scan.describe_standard_library(root, sources)
    try:
        report = _scan.scan(sources, options, _progress(), scanned, _note)
    except InputError as error:
        print(f"{PROG} scan: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(report.as_json()) if arguments.json else report.as_text())
    return EXIT_OK


def _split_program(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split the arguments of ``duplicates`` from the program's: SCRIPT on, or after -m MODULE."""
    if not argv or argv[0] != "duplicates":
        return argv, []
    index = 1
    while index < len(argv):
        argument = argv[index]
        if argument in {"--top", "-m"}:
            index += 2
            if argument == "-m":
                break
        elif argument.startswith("-m"):  # -mMODULE
            index += 1
            break
        elif argument == "--":  # the end of our options: SCRIPT follows
            return argv[:index], argv[index + 1 :]
        elif argument.startswith("-") and argument != "-":
            index += 1
        else:
            break
    return argv[:index], argv[index:]


def _run_duplicates(arguments: argparse.Namespace) -> int:
    """Run the program as python would, then report what it holds many times.

    Its exceptions and exit status are its own: the report comes between its end
    and the exit.
    """
    program: list[str] = arguments.program
    module: str | None = arguments.module
    if module is None and not program:
        print(f"{PROG} duplicates: error: give a SCRIPT to run, or -m MODULE", file=sys.stderr)
        return EXIT_USAGE
    if module is None and not os.path.isfile(program[0]):
        print(f"{PROG} duplicates: error: can't open file {program[0]!r}", file=sys.stderr)
        return EXIT_USAGE
    saved_argv, saved_path, saved_stdout = sys.argv[:], sys.path[:], sys.stdout
    parent = os.getpid()
    status = EXIT_OK
    # What keeps the program's globals alive till the report is made: the dict
    # runpy returns, or the exception whose traceback's frames hold them.
    program_globals: dict[str, object] | None = None
    ended_by: BaseException | None = None
    try:
        if module is not None:
            sys.argv = [module, *program]
            program_globals = runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            sys.argv = program[:]
            sys.path.insert(0, os.path.dirname(os.path.realpath(program[0])))
            program_globals = runpy.run_path(program[0], run_name="__main__")
    except SystemExit as exit_:
        ended_by = exit_
        status = _exit_status(exit_.code)
    except BaseException as error:  # noqa: BLE001 (the program's own, reported as python would)
        ended_by = error
        _print_program_traceback(error)
        status = EXIT_INTERRUPTED if isinstance(error, KeyboardInterrupt) else EXIT_BAD_INPUT
    finally:
        sys.argv, sys.path = saved_argv, saved_path
    if os.getpid() != parent:  # a child the program forked: it ends as alone, without a report
        return status
    _join_program_threads()
    report = _duplicates.duplicates(top=arguments.top)
    del program_globals, ended_by
    if not _writable(saved_stdout):  # closed by the program: the report goes to fd 1
        try:  # on descriptor 1, which it leaves open, as python's own stdout does
            saved_stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        except OSError as error:  # no standard output left at all
            _report_lost(error)
            return status or EXIT_BAD_OUTPUT
    sys.stdout = saved_stdout
    try:
        print(json.dumps(report.as_json()) if arguments.json else report, flush=True)
    except BrokenPipeError:
        raise  # the reader went away: main says nothing, as for any command
    except OSError as error:  # its descriptor closed by the program, say
        _report_lost(error)
        _discard_stdout()
        return status or EXIT_BAD_OUTPUT
    return status


def _join_program_threads() -> None:
    """Wait for the program's threads that are not daemons, as python does before it exits."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()


def _exit_status(code: object) -> int:
    """Return the exit status python gives for ``sys.exit(code)``; print a message as it does."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_BAD_INPUT


def _print_program_traceback(error: BaseException) -> None:
    """Print the traceback of the program's exception, without this module's or runpy's frames."""
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_globals.get("__name__") in {__name__, "runpy"}:
        frames = frames.tb_next
    if _writable(sys.stdout):
        sys.stdout.flush()
    traceback.print_exception(type(error), error, frames, file=sys.stderr)


def _run_bench(arguments: argparse.Namespace) -> int:
    if arguments.json and arguments.svg == "-":
        print(
            f"{PROG} bench: error: --json and --svg - both write to standard output",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        _bench.command(
            quick=arguments.quick,
            as_json=arguments.json,
            svg=arguments.svg,
            progress=None if arguments.json else _progress(),  # --json is for scripts
        )
    except _bench.OutputError as error:
        print(f"{PROG} bench: error: {error}", file=sys.stderr)
        return EXIT_BAD_OUTPUT
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    own, program = _split_program(argv)
    try:
        arguments = parser.parse_args(own)
        arguments.program = program
    except SystemExit as exit_:  # --help, or a usage error argparse has reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    command: Callable[[argparse.Namespace], int] = arguments.command
    try:
        status = command(arguments)
        if _writable(sys.stdout):  # as Python's exit does: a closed stdout is left alone
            sys.stdout.flush()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (as `| head` does).
        _discard_stdout()
        return EXIT_BAD_OUTPUT
    return status


def _report_lost(error: OSError) -> None:
    """Say in a line that the report could not be written, unless stderr is gone too."""
    with contextlib.suppress(OSError):  # then the exit status says it
        print(f"{PROG} duplicates: cannot write the report: {error}", file=sys.stderr)


def _writable(stream: object) -> bool:
    """Whether ``stream`` is a stream still open: not None, closed or detached."""
    try:
        return stream is not None and not getattr(stream, "closed", False)
    except ValueError:  # a TextIOWrapper whose buffer was detached
        return False


def _discard_stdout() -> None:
    """Send what standard output still buffers to devnull: the flush at exit cannot fail."""
    devnull, target = os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()
    if devnull != target:  # else the descriptor was closed, and devnull took its number
        os.dup2(devnull, target)
        os.close(devnull)
