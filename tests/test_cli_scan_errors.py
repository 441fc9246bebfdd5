"""python -m intern scan on bad input: one line naming file and line, a non-zero status."""

from __future__ import annotations

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
    ],
)
def test_usage_errors_exit_with_status_2(
    capsys: pytest.CaptureFixture[str], arguments: list[str], what: str
) -> None:
    outcome = run_cli(capsys, "scan", *arguments, "-")
    assert (outcome.status, outcome.out) == (2, "")
    assert outcome.err.startswith("usage: python -m intern scan ")
    assert outcome.err.splitlines()[-1].startswith(f"python -m intern scan: error: {what}")
