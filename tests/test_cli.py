"""python -m intern: help, exit statuses, and a run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intern import _cli
from tests.helpers import run_cli


@pytest.mark.parametrize(
    "command",
    [[], ["scan"], ["bench"], ["duplicates"]],
    ids=["main", "scan", "bench", "duplicates"],
)
def test_help_documents_the_exit_statuses(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    outcome = run_cli(capsys, *command, "--help")
    assert (outcome.status, outcome.err) == (0, "")
    assert outcome.out.startswith(f"usage: python -m intern {' '.join(command)}".rstrip())
    assert "exit status:\n  0 " in outcome.out
    assert "  2    usage error" in outcome.out


def test_scan_help_says_what_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    help_text = run_cli(capsys, "scan", "--help").out
    for term in ["memory as parsed", "memory deduplicated", "saving", "sys.getsizeof", "--json"]:
        assert term in help_text
    for format_name in ["csv", "tsv", "json", "jsonl", "text", "python", "pickle"]:
        assert f"\n  {format_name} (" in help_text


def test_bench_help_describes_the_method(capsys: pytest.CaptureFixture[str]) -> None:
    help_text = run_cli(capsys, "bench", "--help").out
    for term in ["for value in data: f(value)", "keeps its best", "tracemalloc"]:
        assert term in help_text


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(capsys)
    assert (outcome.status, outcome.out) == (2, "")
    assert "the following arguments are required: COMMAND" in outcome.err


def test_interrupt_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*arguments: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("intern._scan.scan", interrupted)
    outcome = run_cli(capsys, "scan", "-")
    assert (outcome.status, outcome.out, outcome.err) == (
        130,
        "",
        "python -m intern: interrupted\n",
    )


def test_closed_standard_output_exits_1_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "words.txt"
    path.write_text("GET /\n", encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as closed_pipe:
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        assert _cli.main(["scan", str(path)]) == 1
        monkeypatch.undo()
    assert capsys.readouterr().err == ""


def test_python_m_intern_scans_standard_input_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "intern", "scan", "--format", "csv", "--json", "-"],
        input=b"method,path\nGET,/index.html\nGET,/index.html\n",
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, b"")  # no progress noise when piped
    report = json.loads(result.stdout)
    assert (report["records"], report["values"], report["distinct"]) == (2, 4, 2)


def test_python_m_intern_bad_input_exits_1_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "intern", "scan", str(tmp_path / "missing.csv")],
        capture_output=True,
        check=False,
        timeout=60,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"python -m intern scan: error: {tmp_path / 'missing.csv'}: No such file or directory\n"
    )


@pytest.fixture
def without_accelerator(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python cannot import the C accelerator, as where it is not built."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['intern._speedups'] = None\n", encoding="utf-8"
    )
    env = {key: value for key, value in os.environ.items() if key != "INTERN_PURE_PYTHON"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    return env


def run_python_m_intern(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intern", "scan", "--help"],
        capture_output=True,
        check=False,
        timeout=60,
        text=True,
        env=env,
    )


def test_python_m_intern_says_in_one_plain_line_that_the_accelerator_is_missing(
    without_accelerator: dict[str, str],
) -> None:
    result = run_python_m_intern(without_accelerator)
    assert result.returncode == 0
    assert result.stderr == (
        "intern: using the pure-Python implementation (the C accelerator is not built);"
        " set INTERN_PURE_PYTHON=1 to choose it and silence this line\n"
    )


def test_python_m_intern_is_quiet_when_pure_python_is_chosen(
    without_accelerator: dict[str, str],
) -> None:
    result = run_python_m_intern({**without_accelerator, "INTERN_PURE_PYTHON": "1"})
    assert (result.returncode, result.stderr) == (0, "")


def test_import_intern_still_warns_that_the_accelerator_is_missing(
    without_accelerator: dict[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import intern"],
        capture_output=True,
        check=False,
        timeout=60,
        text=True,
        env=without_accelerator,
    )
    assert result.returncode == 0
    assert result.stderr.startswith("<string>:1: RuntimeWarning: intern's C accelerator is not")
