"""python -m intern scan on bad input: one line naming file and line, a non-zero status."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from tests.helpers import Outcome, run_cli, scan_report

ERROR = "python -m intern scan: error: "


def write_bytes(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def assert_bad_input(outcome: Outcome, where: str, what: str) -> None:
    """Exit status 1, nothing on stdout, and one line on stderr: where, then what."""
    assert outcome.status == 1
    assert outcome.out == ""
    assert outcome.err.splitlines(keepends=True) == [outcome.err.rstrip("\n") + "\n"]
    assert outcome.err.startswith(f"{ERROR}{where}: "), outcome.err
    assert what in outcome.err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.csv")
    assert_bad_input(run_cli(capsys, "scan", missing), missing, "No such file or directory")


def test_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_bad_input(run_cli(capsys, "scan", str(tmp_path)), str(tmp_path), "Is a directory")


def test_missing_file_after_a_good_one_prints_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_bytes(tmp_path / "good.txt", b"GET /\n")
    missing = str(tmp_path / "missing.txt")
    assert_bad_input(run_cli(capsys, "scan", good, missing), missing, "No such file")


def test_undecodable_bytes_name_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "latin.txt", "ok\nJosé\n".encode("latin-1"))
    outcome = run_cli(capsys, "scan", path)
    assert_bad_input(outcome, f"{path}:2", "cannot decode b'\\xe9' as utf-8")
    assert "--encoding" in outcome.err
    assert "--errors" in outcome.err


def test_undecodable_bytes_are_replaced_with_errors_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "latin.txt", "ok\nJosé\n".encode("latin-1"))
    report = scan_report(capsys, "--errors", "replace", path)
    assert (report["records"], report["distinct"]) == (2, 2)
    assert scan_report(capsys, "--encoding", "latin-1", path)["records"] == 2


def test_undecodable_bytes_in_a_multibyte_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "utf16.txt", "ok\n".encode("utf-16-le"))
    assert_bad_input(
        run_cli(capsys, "scan", "--encoding", "utf-16", path), f"{path}:1", "cannot decode"
    )


def test_undecodable_bytes_name_their_line_when_lines_end_in_a_lone_cr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "latin.txt", "ok\rfine\rJosé\r".encode("latin-1"))
    assert_bad_input(run_cli(capsys, "scan", path), f"{path}:3", "cannot decode b'\\xe9'")


MALFORMED = [
    pytest.param("bad.csv", b'a,b\n1,2\n3,"x"y\n5,6\n', 3, "malformed CSV: ',' expected", id="csv"),
    pytest.param(
        "bad.csv", b'a,b\r1,2\r3,"x"y\r5,6\r', 3, "malformed CSV: ',' expected", id="csv-cr"
    ),
    pytest.param(
        "bad.tsv",
        b'a\tb\n1\t"open\n2\t3\n',
        2,  # where the record starts
        "malformed TSV: unexpected end of data at line 3",
        id="tsv-unterminated-quote",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"a": 1}\n{"a" 1}\n{"a": 2}\n',
        2,
        "malformed JSON: Expecting ':' delimiter at column 6",
        id="json-syntax",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"a": 1}\n' + b"[" * 100_000 + b"\n",
        2,
        "malformed JSON: nested too deeply",
        id="json-nesting",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"a": 1}\n' + b"1" * 5_000 + b"\n",
        2,
        "malformed JSON: Exceeds the limit",
        id="json-long-number",
    ),
    pytest.param(
        "bad.py",
        b"if True:\n        a = 1\n    b = 2\n",
        3,
        "cannot tokenize: unindent does not match",
        id="python-indentation",
    ),
    pytest.param(
        "bad.py",
        b"# coding: no-such-codec\nx = 1\n",
        1,
        "cannot tokenize: unknown encoding",
        id="python-coding",
    ),
]


@pytest.mark.parametrize(("name", "data", "line", "what"), MALFORMED)
def test_a_malformed_record_is_one_line_naming_its_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    data: bytes,
    line: int,
    what: str,
) -> None:
    path = write_bytes(tmp_path / name, data)
    assert_bad_input(run_cli(capsys, "scan", path), f"{path}:{line}", what)


def test_skip_bad_counts_malformed_records_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = write_bytes(tmp_path / "bad.csv", b'a,b\n1x,2x\n3x,"x"y\n1x,2x\n')
    json_path = write_bytes(tmp_path / "bad.jsonl", b'{"a": 1}\n{"a": 1,}\nnope\n{"a": 1}\n')
    python_path = write_bytes(tmp_path / "bad.py", b"if True:\n        a = 1\n    b = 2\n")
    report = scan_report(capsys, "--skip-bad", csv_path, json_path, python_path)
    assert report["bad_records"] == 1 + 2 + 1
    assert report["records"] == 2 + 2
    assert report["values"] == 4 + 2


def test_skip_bad_counts_a_json_line_nested_too_deeply_and_takes_no_values_from_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = b"[" * 100_000
    path = write_bytes(tmp_path / "deep.jsonl", b'{"a": 1}\n' + deep + b'\n{"b": 2}\n')
    report = scan_report(capsys, "--skip-bad", path)
    assert (report["records"], report["bad_records"], report["values"]) == (2, 1, 2)


def test_skipped_records_are_reported_in_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "bad.jsonl", b'{"a": 1}\n{"a": 1,}\n')
    outcome = run_cli(capsys, "scan", "--skip-bad", path)
    assert outcome.status == 0
    assert any(
        line.split() == ["bad", "records", "skipped", "1"] for line in outcome.out.splitlines()
    )


def test_skip_bad_does_not_skip_undecodable_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "latin.txt", "José\n".encode("latin-1"))
    assert_bad_input(run_cli(capsys, "scan", "--skip-bad", path), f"{path}:1", "cannot decode")


@pytest.mark.parametrize(
    ("arguments", "what"),
    [
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--encoding", "no-such-codec"], "argument --encoding: unknown or unusable text"),
        (["--encoding", "hex"], "argument --encoding: unknown or unusable text encoding: 'hex'"),
        (["--errors", "shrug"], "argument --errors: invalid choice: 'shrug'"),
        (["--limit", "0"], "argument --limit: not a positive whole number: '0'"),
        (["--limit", "many"], "argument --limit: not a positive whole number: 'many'"),
        (["--max-line-length", "0"], "argument --max-line-length: not a positive whole number"),
    ],
)
def test_usage_errors_exit_with_status_2(
    capsys: pytest.CaptureFixture[str], arguments: list[str], what: str
) -> None:
    outcome = run_cli(capsys, "scan", *arguments, "-")
    assert (outcome.status, outcome.out) == (2, "")
    assert outcome.err.startswith("usage: python -m intern scan ")
    assert outcome.err.splitlines()[-1].startswith(f"python -m intern scan: error: {what}")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        pytest.param(
            "image.png", PNG, "looks like a binary file (a PNG image), not text", id="png"
        ),
        pytest.param(
            "data.csv", b"PK\x03\x04\x14\x00\x00\x00", "looks like a binary file (a zip", id="zip"
        ),
        pytest.param(
            "data.txt", b"GET /\n\x00\x00\x00\x01", "looks like a binary file (NUL bytes", id="nul"
        ),
        pytest.param(
            "data.bin", bytes(range(1, 256)) * 4, "binary file (control characters", id="control"
        ),
        pytest.param("data.txt", b"\x7f" * 100, "binary file (control characters", id="del"),
        pytest.param(
            "utf16.csv",
            "a,b\n".encode("utf-16"),
            "looks like UTF-16 text (it starts with a byte order mark); give --encoding utf-16",
            id="utf-16",
        ),
    ],
)
def test_a_binary_file_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, what: str
) -> None:
    path = write_bytes(tmp_path / name, data)
    assert_bad_input(run_cli(capsys, "scan", path), path, what)
    assert_bad_input(run_cli(capsys, "scan", "--skip-bad", path), path, what)


def test_a_compressed_file_says_how_to_decompress_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "big.csv.gz", gzip.compress(b"a,b\n1,2\n"))
    assert_bad_input(
        run_cli(capsys, "scan", path),
        path,
        f"looks like gzip-compressed data; decompress it first, as in: zcat {path} |"
        " python -m intern scan -",
    )


def test_binary_standard_input_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PNG)))
    assert_bad_input(run_cli(capsys, "scan", "-"), "<stdin>", "a PNG image")


def test_a_binary_looking_file_is_read_with_an_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "nul.txt", b"a\x00b a\x00b\n")
    assert scan_report(capsys, "--encoding", "utf-8", path)["distinct"] == 1


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        pytest.param(
            b'[{"a": 1},\n {"a": 2},\n {"a" 3}]',
            3,
            "Expecting ':' delimiter at column 7",
            id="array",
        ),
        pytest.param(b'{\n  "a": [1, 2\n', 3, "Expecting ',' delimiter at column 1", id="object"),
        pytest.param(b'{"a": 1}\n{"a": 2}\n', 2, "Extra data at column 1 after the", id="jsonl"),
        pytest.param(b"[1, 2", 1, "Expecting ',' delimiter at column 6", id="cut-short"),
    ],
)
def test_malformed_json_names_its_line_and_column_in_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, line: int, what: str
) -> None:
    path = write_bytes(tmp_path / "bad.json", data)
    assert_bad_input(run_cli(capsys, "scan", path), f"{path}:{line}", f"malformed JSON: {what}")


def test_malformed_json_line_names_the_column_in_that_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "bad.jsonl", b'{"a": 1}\n{"a": [1, 2\n')
    assert_bad_input(
        run_cli(capsys, "scan", path),
        f"{path}:2",
        "malformed JSON: Expecting ',' delimiter at column 12",
    )


def test_skip_bad_skips_the_rest_of_a_malformed_json_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "bad.json", b'[{"a": 1}, {"a" 2}, {"a": 3}]')
    good = write_bytes(tmp_path / "good.json", b'[{"a": 4}]')
    report = scan_report(capsys, "--skip-bad", path, good)
    assert (report["records"], report["bad_records"], report["values"]) == (2, 1, 2)


TOO_LONG = "a line longer than 10 characters; see --max-line-length"


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        pytest.param("long.log", b"short\n" + b"x" * 11 + b"\nshort\n", 2, id="text"),
        pytest.param("long.csv", b"a,b\r\n1,2\r\n" + b"x" * 11 + b"\r\n", 3, id="csv"),
        pytest.param("long.jsonl", b'{"a": 1}\n["' + b"x" * 9 + b'"]\n', 2, id="jsonl"),
        pytest.param("long.py", b"a = 1\nb = " + b"1" * 7 + b"\n", 2, id="python"),
        pytest.param("zero.log", b"\x00" * 100, 1, id="no-line-end"),
    ],
)
def test_a_line_too_long_is_refused_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, line: int
) -> None:
    path = write_bytes(tmp_path / name, data)
    outcome = run_cli(capsys, "scan", "--encoding", "utf-8", "--max-line-length", "10", path)
    assert_bad_input(outcome, f"{path}:{line}", TOO_LONG)


def test_skip_bad_skips_a_line_too_long_and_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "long.csv", b"a,b\n1,2\n" + b"x," * 20 + b'\n1,2\n3,"x"y\n')
    report = scan_report(capsys, "--skip-bad", "--max-line-length", "10", path)
    assert (report["records"], report["bad_records"]) == (2, 2)
    path = write_bytes(tmp_path / "long.py", b"a = 1\nb = " + b"1" * 7 + b"\n")
    report = scan_report(capsys, "--skip-bad", "--max-line-length", "10", path)
    assert (report["records"], report["bad_records"], report["values"]) == (0, 1, 0)


def test_a_csv_record_over_lines_longer_than_the_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "open.csv", b'a,b\n1,"never closed\n' + b"more\n" * 10)
    outcome = run_cli(capsys, "scan", "--max-line-length", "20", path)
    assert_bad_input(outcome, f"{path}:2", "a CSV record over lines 2 to 3 longer than 20")


def test_a_json_element_longer_than_the_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "long.json", b'[{"a": 1},\n {"a": "' + b"x" * 30 + b'"}]')
    outcome = run_cli(capsys, "scan", "--max-line-length", "20", path)
    assert_bad_input(outcome, f"{path}:2", "an element of the array longer than 20 characters")


def test_when_every_record_is_bad_the_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "bad.jsonl", b"nope\n{\n")
    outcome = run_cli(capsys, "scan", "--skip-bad", path)
    assert outcome.status == 0
    assert outcome.out.splitlines()[2] == "no records found: 2 bad, skipped (--skip-bad)"
