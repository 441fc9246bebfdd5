"""python -m intern scan: every format, standard input, the default scan and the report."""

from __future__ import annotations

import io
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from intern._scan import _decoded_lines  # pyright: ignore[reportPrivateUsage] -- its line splitting, piece by piece
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


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1 << 16])
def test_lines_are_split_as_open_splits_them_however_the_input_comes_in_pieces(
    piece: int,
) -> None:
    text = "a\r\nb\rc\n\r\rd\u00e9\ne\r\n\nf\rg"
    data = text.encode()
    pieces = [data[start : start + piece] for start in range(0, len(data), piece)]
    universal = list(_decoded_lines(iter(pieces), "x", "utf-8", "strict", universal=True))
    assert universal == io.StringIO(text, newline="").readlines()
    lf_only = list(_decoded_lines(iter(pieces), "x", "utf-8", "strict"))
    assert lf_only == io.StringIO(text, newline="\n").readlines()


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
    report = scan_report(capsys, "--limit", "50000", "-")
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
