"""python -m intern scan: every format, standard input, the default scan and the report."""

from __future__ import annotations

import io
import json
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import run_cli, scan_report

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

REQUESTS_CSV = """\
method,path,status
GET,/index.html,200
GET,/index.html,200
POST,/login,302
"""


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def column(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [part for part in report["columns"] if part["name"] == name]
    assert len(found) == 1, f"no column {name!r} in {report['columns']}"
    return found[0]


def sizes(*values: object) -> int:
    return sum(sys.getsizeof(value) for value in values)


def test_csv_values_are_fields_and_columns_are_header_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, write(tmp_path / "requests.csv", REQUESTS_CSV))
    assert report["sources"] == [{"path": str(tmp_path / "requests.csv"), "format": "csv"}]
    assert (report["records"], report["fields"], report["values"]) == (3, 3, 9)
    assert report["distinct"] == 6
    assert [part["name"] for part in report["columns"]] == ["path", "method", "status"]
    assert (column(report, "method")["values"], column(report, "method")["distinct"]) == (3, 2)


def test_memory_counts_each_parsed_value_before_and_each_distinct_value_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, write(tmp_path / "requests.csv", REQUESTS_CSV))
    parsed = ["GET", "/index.html", "200", "GET", "/index.html", "200", "POST", "/login", "302"]
    assert report["bytes_as_parsed"] == sizes(*parsed)
    assert report["bytes_deduplicated"] == sizes(*set(parsed))
    assert report["bytes_saved"] == sizes("GET", "/index.html", "200")
    assert column(report, "path")["bytes_saved"] == sizes("/index.html")


def test_csv_fields_stay_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = scan_report(capsys, write(tmp_path / "numbers.csv", "a,b\n200,200\n200.0,7\n"))
    assert report["distinct"] == 3  # "200", "200.0" and "7": no number is parsed
    assert report["bytes_deduplicated"] == sizes("200", "200.0", "7")


def test_tsv_fields_are_separated_by_tabs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "requests.tsv", "method\tpath\nGET\t/a, b\nGET\t/a, b\n")
    report = scan_report(capsys, path)
    assert report["sources"][0]["format"] == "tsv"
    assert (report["records"], report["values"], report["distinct"]) == (2, 4, 2)
    assert column(report, "path")["bytes_saved"] == sizes("/a, b")


def test_unnamed_repeated_and_extra_csv_columns_are_named_by_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, write(tmp_path / "odd.csv", "a,,a\n1x,2x,3x,4x\n"))
    assert {part["name"] for part in report["columns"]} == {"a", "column 2", "column 3", "column 4"}


def test_no_header_makes_the_first_row_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, "--no-header", write(tmp_path / "rows.csv", "GET,/a\nGET,/a\n"))
    assert report["records"] == 2
    assert {part["name"] for part in report["columns"]} == {"column 1", "column 2"}


def test_json_lines_values_are_scalar_leaves_by_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        '{"user": {"name": "ada", "id": 5000}, "tags": ["red", "blue"], "ok": true, "note": null}',
        "",
        '{"user": {"name": "ada", "id": 5000}, "tags": ["red"], "ok": false, "note": "5000"}',
    ]
    report = scan_report(capsys, write(tmp_path / "events.jsonl", "\n".join(lines) + "\n"))
    assert report["records"] == 2
    assert {part["name"] for part in report["columns"]} == {
        "$.user.name",
        "$.user.id",
        "$.tags[]",
        "$.ok",
        "$.note",
    }
    assert (column(report, "$.tags[]")["values"], column(report, "$.tags[]")["distinct"]) == (3, 2)
    # ada, 5000, "5000", red, blue, true, false, null: a number and a string stay apart.
    assert (report["values"], report["distinct"]) == (11, 8)
    # Each parse makes its own int object: 5000 is beyond the small ints CPython
    # shares (up to 256, and up to 1024 from 3.15).
    assert column(report, "$.user.id")["bytes_saved"] == sizes(5000)


def test_objects_the_parser_shares_take_memory_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = '{"small": 7, "flag": true, "none": null, "empty": "", "letter": "x"}\n'
    report = scan_report(capsys, write(tmp_path / "shared.jsonl", line * 3))
    assert (report["values"], report["distinct"]) == (15, 5)
    assert report["bytes_saved"] == 0
    assert report["bytes_as_parsed"] == sizes(7, True, None, "", "x")


def test_text_values_are_words_and_columns_are_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "GET /index.html 200\nGET /index.html 200\n\n   \nPOST /login 302 slow\n"
    report = scan_report(capsys, write(tmp_path / "access.log", text))
    assert report["sources"][0]["format"] == "text"
    assert (report["records"], report["values"], report["distinct"]) == (3, 10, 7)
    assert {part["name"] for part in report["columns"]} == {
        "column 1",
        "column 2",
        "column 3",
        "column 4",
    }


def test_python_sources_values_are_name_and_string_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = 'greeting = "hello"  # a comment is no token we count\ngreeting = "hello"\n'
    report = scan_report(capsys, write(tmp_path / "module.py", source))
    assert report["records"] == 1  # a whole file
    assert (column(report, "NAME")["values"], column(report, "NAME")["distinct"]) == (2, 1)
    assert (column(report, "STRING")["values"], column(report, "STRING")["distinct"]) == (2, 1)


def test_python_sources_are_decoded_as_they_declare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes('# -*- coding: latin-1 -*-\ncafé = "café"\n'.encode("latin-1"))
    report = scan_report(capsys, str(path))
    assert report["bytes_deduplicated"] == sizes("café", '"café"')


def test_format_option_overrides_the_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, "--format", "csv", write(tmp_path / "requests.txt", REQUESTS_CSV))
    assert report["sources"][0]["format"] == "csv"
    assert {part["name"] for part in report["columns"]} == {"method", "path", "status"}


def test_an_encoding_other_than_utf8_is_read_with_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("name,city\r\nJosé,Zürich\r\nJosé,Genève\r\n".encode("utf-16"))
    report = scan_report(capsys, "--encoding", "utf-16", str(path))
    assert (report["records"], report["distinct"]) == (2, 3)
    assert column(report, "name")["bytes_saved"] == sizes("José")


def test_standard_input_is_read_for_a_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b'{"method": "GET"}\n{"method": "GET"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    report = scan_report(capsys, "--format", "jsonl", "-")
    assert report["sources"] == [{"path": "-", "format": "jsonl"}]
    assert (report["records"], report["distinct"]) == (2, 1)


BOM = "\ufeff".encode()


@pytest.mark.parametrize(
    ("name", "data", "first_column"),
    [
        pytest.param("requests.csv", BOM + b"method,path\nGET,/\nGET,/\n", "method", id="csv"),
        pytest.param("requests.jsonl", BOM + b'{"m": "GET"}\n{"m": "GET"}\n', "$.m", id="jsonl"),
        pytest.param("requests.log", BOM + b"GET /\nGET /\n", "column 1", id="text"),
    ],
)
def test_a_utf8_byte_order_mark_is_not_part_of_the_first_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, first_column: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = scan_report(capsys, str(path))
    assert column(report, first_column)["distinct"] == 1  # the first value equals the others


def test_a_byte_order_mark_on_standard_input_is_not_part_of_the_first_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = BOM + REQUESTS_CSV.encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    report = scan_report(capsys, "--format", "csv", "-")
    assert {part["name"] for part in report["columns"]} == {"method", "path", "status"}


def test_csv_and_text_lines_may_end_in_a_lone_carriage_return(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "classic-mac.csv"
    path.write_bytes(REQUESTS_CSV.replace("\n", "\r").encode())
    report = scan_report(capsys, str(path))
    assert (report["records"], report["fields"], report["values"]) == (3, 3, 9)
    assert column(report, "method")["distinct"] == 2
    path = tmp_path / "quoted.csv"
    path.write_bytes(b'name,note\r"two\rlines",x\rlast,x\r')
    report = scan_report(capsys, str(path))
    assert (report["records"], column(report, "name")["bytes_as_parsed"]) == (
        2,
        sizes("two\rlines", "last"),
    )
    path = tmp_path / "classic-mac.log"
    path.write_bytes(b"GET /\rGET /about\r")
    assert scan_report(capsys, str(path))["records"] == 2


class EndlessLog(io.RawIOBase):
    """A log that never ends: only a reader that streams can stop in it."""

    def __init__(self, line: bytes = b"GET /index.html 200\n") -> None:
        self.line = line
        self.offset = 0  # where in the line the next read starts

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        repeats = len(view) // len(self.line) + 2
        view[:] = (self.line * repeats)[self.offset : self.offset + len(view)]
        self.offset = (self.offset + len(view)) % len(self.line)
        return len(view)


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_input_is_streamed_not_read_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], end: bytes
) -> None:
    log = EndlessLog(b"GET /index.html 200" + end)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(log)))
    report = scan_report(capsys, "--format", "text", "--limit", "50000", "-")
    assert (report["records"], report["distinct"]) == (50_000, 3)
    assert "stopped after 50,000 records (--limit)" in report["scanned"]


def test_limit_counts_records_across_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path / "first.csv", REQUESTS_CSV)
    second = write(tmp_path / "second.csv", REQUESTS_CSV)
    report = scan_report(capsys, "--limit", "4", first, second)
    assert report["records"] == 4
    assert [source["path"] for source in report["sources"]] == [first, second]
    report = scan_report(capsys, "--limit", "3", first, second)
    assert [source["path"] for source in report["sources"]] == [first]


def test_several_inputs_add_up_into_one_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [
        write(tmp_path / "requests.csv", REQUESTS_CSV),
        write(tmp_path / "requests.tsv", REQUESTS_CSV.replace(",", "\t")),
        write(tmp_path / "access.log", REQUESTS_CSV.replace(",", " ")),
    ]
    report = scan_report(capsys, *paths)
    assert report["records"] == 3 + 3 + 4  # the text file's header line is a record
    assert column(report, "method")["values"] == 6  # csv and tsv columns of one name merge
    alone = scan_report(capsys, paths[0])
    assert report["distinct"] > alone["distinct"]


def test_columns_are_ranked_by_saving_and_only_the_top_ten_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"c{number:02d}" for number in range(1, 13)]
    row = ",".join("x" * (10 + number) for number in range(1, 13))  # later columns save more
    text = ",".join(names) + "\n" + (row + "\n") * 5
    report = scan_report(capsys, write(tmp_path / "wide.csv", text))
    assert report["fields"] == 12
    assert [part["name"] for part in report["columns"]] == names[::-1][:10]


def test_default_scan_reads_the_standard_library_top_level_modules_in_name_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = scan_report(capsys, "--limit", "3")
    modules = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    assert [Path(source["path"]) for source in report["sources"]] == modules[:3]
    assert {source["format"] for source in report["sources"]} == {"python"}
    assert report["records"] == 3
    assert {part["name"] for part in report["columns"]} == {"NAME", "STRING"}
    assert report["bytes_saved"] > 0
    assert f"{len(modules):,} top-level modules" in report["scanned"]
    assert "standard library" in report["scanned"]


def test_text_report_gives_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(capsys, "scan", write(tmp_path / "requests.csv", REQUESTS_CSV))
    assert (outcome.status, outcome.err) == (0, "")
    lines = outcome.out.splitlines()
    assert lines[0] == f"scanned: {tmp_path / 'requests.csv'} (csv)"
    figures = {line.split("  ")[0]: line for line in lines}
    assert figures["records"].split()[-1] == "3"
    assert figures["values"].split()[-1] == "9"
    assert figures["distinct values"].split()[2] == "6"
    assert "saving" in figures
    assert any(line.split()[:3] == ["method", "3", "2"] for line in lines)


def test_records_without_values_give_no_percentages_of_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "scan", write(tmp_path / "empty.jsonl", "{}\n[]\n"))
    assert (outcome.status, outcome.err) == (0, "")
    figures = {line.split("  ")[0]: line.split() for line in outcome.out.splitlines()}
    assert figures["records"] == ["records", "2"]
    assert figures["distinct values"] == ["distinct", "values", "0"]
    assert figures["saving"] == ["saving", "0", "bytes"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_is_shown_and_cleared_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    outcome = run_cli(capsys, "scan", write(tmp_path / "requests.csv", REQUESTS_CSV))
    assert outcome.status == 0
    shown = terminal.getvalue()
    assert f"\rscanning {tmp_path / 'requests.csv'}: record 1" in shown
    assert shown.endswith("\r")
    assert shown.rstrip("\r").endswith(" ")


def test_no_progress_when_stderr_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "scan", write(tmp_path / "requests.csv", REQUESTS_CSV))
    assert (outcome.status, outcome.err) == (0, "")


def test_a_json_array_is_a_list_of_records_and_an_object_one_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cars = [
        {"name": "chevrolet chevelle malibu", "cylinders": 8, "origin": "USA"},
        {"name": "buick skylark 320", "cylinders": 8, "origin": "USA"},
        {"name": "toyota corona", "cylinders": 4, "origin": "Japan", "tags": ["small"]},
    ]
    path = tmp_path / "cars.json"
    path.write_text(json.dumps(cars, indent=2), encoding="utf-8")
    report = scan_report(capsys, str(path))
    assert report["sources"] == [{"path": str(path), "format": "json"}]
    assert (report["records"], report["fields"], report["values"]) == (3, 4, 10)
    assert {part["name"] for part in report["columns"]} == {
        "$.name",
        "$.cylinders",
        "$.origin",
        "$.tags[]",
    }
    assert (column(report, "$.origin")["values"], column(report, "$.origin")["distinct"]) == (3, 2)
    path.write_text(json.dumps(cars[0]), encoding="utf-8")
    assert scan_report(capsys, str(path))["records"] == 1


@pytest.mark.parametrize(
    ("document", "records", "columns"),
    [
        pytest.param([[1, "a"], [2, "a"]], 2, {"$[]"}, id="array-of-arrays"),
        pytest.param(["a", "a", 7], 3, {"$"}, id="array-of-scalars"),
        pytest.param("just a string", 1, {"$"}, id="scalar"),
        pytest.param([], 0, set[str](), id="empty-array"),
    ],
)
def test_any_json_document_has_records(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: object,
    records: int,
    columns: set[str],
) -> None:
    path = tmp_path / "data.txt"
    path.write_text(json.dumps(document), encoding="utf-8")
    report = scan_report(capsys, "--format", "json", str(path))
    assert report["records"] == records
    assert {part["name"] for part in report["columns"]} == columns


STANDARD_INPUTS = [
    pytest.param(REQUESTS_CSV, "csv", 3, id="csv"),
    pytest.param(REQUESTS_CSV.replace(",", "\t"), "tsv", 3, id="tsv"),
    pytest.param('{"m": "GET"}\n{"m": "GET"}\n', "jsonl", 2, id="jsonl"),
    pytest.param('[{"m": "GET"},\n {"m": "GET"}]\n', "json", 2, id="json"),
    pytest.param('{\n  "m": "GET"\n}\n', "json", 1, id="json-object"),
    pytest.param("GET /index.html 200\nGET /login 302\n", "text", 2, id="text"),
]


@pytest.mark.parametrize(("data", "guessed", "records"), STANDARD_INPUTS)
def test_the_format_of_standard_input_is_guessed_and_said_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: str,
    guessed: str,
    records: int,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    outcome = run_cli(capsys, "scan", "--json", "-")
    assert outcome.status == 0
    assert outcome.err == (
        f"python -m intern scan: reading standard input as {guessed}, guessed from its first"
        " lines; choose with --format {csv,tsv,json,jsonl,text,python,pickle}\n"
    )
    report = json.loads(outcome.out)
    assert report["sources"] == [{"path": "-", "format": guessed}]
    assert report["records"] == records


def test_a_format_given_for_standard_input_is_not_guessed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(REQUESTS_CSV.encode())))
    report = scan_report(capsys, "--format", "text", "-")  # and nothing on stderr
    assert report["sources"] == [{"path": "-", "format": "text"}]


@pytest.mark.parametrize("data", [b"", b"\n \n"], ids=["empty", "blank"])
def test_empty_standard_input_is_not_guessed_and_has_no_records(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert scan_report(capsys, "-")["records"] == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", ""),
        ("header-only.csv", "a,b\n"),
        ("blank.log", "\n  \n"),
        ("empty.json", ""),
        ("empty.jsonl", ""),
    ],
)
def test_an_input_without_records_says_so_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: str
) -> None:
    path = write(tmp_path / name, data)
    outcome = run_cli(capsys, "scan", path)
    assert (outcome.status, outcome.err) == (0, "")
    assert outcome.out.splitlines()[2].startswith("no records found. Blank lines are not records")
    assert "memory as parsed" not in outcome.out
    assert scan_report(capsys, path)["records"] == 0


def test_only_the_first_thousand_columns_are_told_apart_the_rest_count_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = " ".join(f"w{position}" for position in range(1500))
    report = scan_report(capsys, write(tmp_path / "wide.log", f"{words}\n{words}\n"))
    assert (report["fields"], report["other_columns"], report["values"]) == (1001, True, 3000)
    other = column(report, "(other columns)")
    assert (other["values"], other["distinct"]) == (1000, 500)
    outcome = run_cli(capsys, "scan", str(tmp_path / "wide.log"))
    fields = next(line for line in outcome.out.splitlines() if line.startswith("fields"))
    assert " ".join(fields.split()[2:]) == "1,001 the first 1,000, and (other columns)"


def test_keys_of_json_objects_past_the_thousandth_column_count_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = "".join(json.dumps({f"user{number}": "seen"}) + "\n" for number in range(2000))
    report = scan_report(capsys, write(tmp_path / "keys.jsonl", lines))
    assert (report["fields"], report["values"], report["distinct"]) == (1001, 2000, 1)
    assert column(report, "(other columns)")["values"] == 1000


def test_a_csv_with_ten_thousand_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ",".join(f"c{number}" for number in range(10_000))
    row = ",".join("x" for _ in range(10_000))
    report = scan_report(capsys, write(tmp_path / "wide.csv", f"{header}\n{row}\n{row}\n"))
    assert (report["records"], report["fields"], report["values"]) == (2, 1001, 20_000)


def test_a_csv_field_may_be_as_long_as_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    field = "x" * 200_000  # the csv module's own limit is 131,072
    report = scan_report(capsys, write(tmp_path / "long.csv", f"a,b\n{field},1\n{field},1\n"))
    assert (report["records"], column(report, "a")["distinct"]) == (2, 1)
    quoted = '"' + "\n".join(["y" * 1000] * 200) + '"'  # one field over 200 lines
    report = scan_report(capsys, write(tmp_path / "lines.csv", f"a\n{quoted}\n"))
    assert report["records"] == 1


def test_json_output_keys_come_in_the_order_help_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = scan_report(capsys, write(tmp_path / "requests.csv", REQUESTS_CSV))
    assert list(report) == [
        "scanned",
        "sources",
        "limit",
        "records",
        "bad_records",
        "fields",
        "other_columns",
        "values",
        "distinct",
        "bytes_as_parsed",
        "bytes_deduplicated",
        "bytes_saved",
        "columns",
    ]
    assert list(report["columns"][0]) == [
        "name",
        "values",
        "distinct",
        "bytes_as_parsed",
        "bytes_deduplicated",
        "bytes_saved",
    ]
