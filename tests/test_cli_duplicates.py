"""python -m intern duplicates: a script run as python would, then the report of what it holds."""

from __future__ import annotations

import csv
import json
import pickle
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Variant, run_cli, scan_report

PARSE_CSV = """\
import csv, sys
with open(sys.argv[1], newline="") as file:
    rows = list(csv.reader(file))
header = rows.pop(0)
print("parsed", len(rows), "rows; arguments:", sys.argv[2:])
if "--pickle" in sys.argv:
    import pickle
    with open(sys.argv[sys.argv.index("--pickle") + 1], "wb") as out:
        pickle.dump(rows, out, protocol=int(sys.argv[-1]))
"""

COLUMNS = {
    "carrier": [f"carrier-{code}" for code in ("AA", "UA", "DL", "WN", "B6")],
    "origin": [f"origin-{code}" for code in ("LAX", "SFO", "JFK", "ORD")],
    "number": [f"{number}" for number in range(7000, 7040)],
}


def write_csv(path: Path, records: int = 400) -> None:
    """A CSV file whose columns share no value, each field longer than a character."""
    chosen = random.Random(7)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(list(COLUMNS))
        for _ in range(records):
            writer.writerow([chosen.choice(values) for values in COLUMNS.values()])


def run_duplicates(
    variant: Variant, *argv: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intern", "duplicates", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=variant.environment(),
    )


def json_report(output: str) -> dict[str, Any]:
    """The JSON report: the last line of standard output, after the script's own."""
    report: dict[str, Any] = json.loads(output.splitlines()[-1])
    return report


def test_a_script_parsing_csv_shows_the_counts_scan_gives_for_the_file(
    tmp_path: Path, variant: Variant, capsys: pytest.CaptureFixture[str]
) -> None:
    data, script = tmp_path / "flights.csv", tmp_path / "parse.py"
    write_csv(data)
    script.write_text(PARSE_CSV)
    run = run_duplicates(variant, "--json", "--top", "1000", str(script), str(data), "--json")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("parsed 400 rows; arguments: ['--json']\n")
    report = json_report(run.stdout)
    scanned = {column["name"]: column for column in scan_report(capsys, str(data))["columns"]}
    for name, values in COLUMNS.items():
        rows = [row for row in report["rows"] if row["value"] in values]
        column = scanned[name]
        assert sum(row["wasted_bytes"] for row in rows) == column["bytes_saved"], name
        assert sum(row["copies"] - 1 for row in rows) == column["values"] - column["distinct"]
        assert all(row["held_by"] == ["list"] and row["type"] == "str" for row in rows)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_of_the_parsed_rows_scans_as_the_csv_file_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], protocol: int
) -> None:
    data, pickled = tmp_path / "flights.csv", tmp_path / "rows.pkl"
    write_csv(data)
    with data.open(newline="") as file:
        rows = list(csv.reader(file))[1:]
    pickled.write_bytes(pickle.dumps(rows, protocol=protocol))
    from_csv, from_pickle = scan_report(capsys, str(data)), scan_report(capsys, str(pickled))
    totals = ["values", "distinct", "bytes_as_parsed", "bytes_deduplicated", "bytes_saved"]
    assert [from_pickle[key] for key in totals] == [from_csv[key] for key in totals]
    assert (from_pickle["records"], from_pickle["sources"][0]["format"]) == (1, "pickle")


def test_the_report_follows_the_script_output_as_text(tmp_path: Path) -> None:
    data, script = tmp_path / "flights.csv", tmp_path / "parse.py"
    write_csv(data)
    script.write_text(PARSE_CSV)
    run = run_duplicates(Variant("python", "intern._pure"), "--top", "2", str(script), str(data))
    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert lines[0].startswith("parsed 400 rows")
    assert " value objects, " in lines[1]
    assert lines[3] == "values held as the most wasteful copies (top 2):"
    assert lines[4].split() == ["type", "value", "copies", "wasted", "held", "by"]
    assert len(lines) == 7


def test_an_exception_prints_its_traceback_then_the_report(
    tmp_path: Path, variant: Variant
) -> None:
    script = tmp_path / "fails.py"
    script.write_text(
        "held = [''.join(['dup', 'licate']) for _ in range(3)]\nraise ValueError('boom')\n"
    )
    run = run_duplicates(variant, "--json", "--top", "1000", str(script))
    assert run.returncode == 1
    assert run.stderr.startswith("Traceback (most recent call last):\n")
    assert run.stderr.endswith("ValueError: boom\n")
    assert "runpy" not in run.stderr
    assert "_cli" not in run.stderr
    rows = json_report(run.stdout)["rows"]
    assert {"type": "str", "value": "duplicate", "copies": 3} in [
        {key: row[key] for key in ("type", "value", "copies")} for row in rows
    ]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [("None", 0, ""), ("3", 3, ""), ("'no input'", 1, "no input\n")],
)
def test_sys_exit_gives_the_script_s_status(
    tmp_path: Path, code: str, status: int, message: str
) -> None:
    script = tmp_path / "exits.py"
    script.write_text(f"import sys\nsys.exit({code})\n")
    run = run_duplicates(Variant("python", "intern._pure"), "--json", str(script))
    assert (run.returncode, run.stderr) == (status, message)
    assert json_report(run.stdout)["values"] > 0


def test_a_module_runs_with_dash_m_and_its_arguments(tmp_path: Path) -> None:
    (tmp_path / "parsing.py").write_text(
        "import sys\nprint(__name__, sys.argv[1:])\nheld = [str(10**30) for _ in range(4)]\n"
    )
    run = run_duplicates(
        Variant("python", "intern._pure"),
        "--json",
        "--top",
        "1000",
        "-m",
        "parsing",
        "-x",
        "--top",
        cwd=tmp_path,
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("__main__ ['-x', '--top']\n")
    assert {"value": str(10**30), "copies": 4} in [
        {key: row[key] for key in ("value", "copies")} for row in json_report(run.stdout)["rows"]
    ]


def test_a_script_sees_its_own_directory_on_the_path(tmp_path: Path) -> None:
    (tmp_path / "helper_module.py").write_text("VALUE = 42\n")
    script = tmp_path / "uses.py"
    script.write_text("import helper_module\nprint(helper_module.VALUE)\n")
    run = run_duplicates(Variant("python", "intern._pure"), str(script))
    assert run.returncode == 0
    assert run.stdout.startswith("42\n")


def test_a_missing_script_or_none_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = run_cli(capsys, "duplicates", str(tmp_path / "absent.py"))
    assert (missing.status, missing.out) == (2, "")
    assert missing.err == (
        f"python -m intern duplicates: error: can't open file {str(tmp_path / 'absent.py')!r}\n"
    )
    nothing = run_cli(capsys, "duplicates")
    assert (nothing.status, nothing.out) == (2, "")
    assert "give a SCRIPT to run, or -m MODULE" in nothing.err


def test_help_says_what_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(capsys, "duplicates", "--help")
    assert outcome.status == 0
    for term in ["-m MODULE", "--top N", "held_by", "sys.getsizeof", "exit status:"]:
        assert term in outcome.out


PURE = Variant("python", "intern._pure")


def test_a_script_closing_stdout_still_gets_its_report(tmp_path: Path) -> None:
    script = tmp_path / "closes.py"
    script.write_text("import sys\nprint('before')\nsys.stdout.close()\n")
    run = run_duplicates(PURE, "--json", str(script))
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("before\n")
    assert json_report(run.stdout)["values"] > 0


@pytest.mark.parametrize("status", [0, 3])
def test_a_script_closing_descriptor_1_gets_a_line_saying_the_report_is_lost(
    tmp_path: Path, status: int
) -> None:
    script = tmp_path / "closes.py"
    script.write_text(
        f"import os, sys\nprint('before', flush=True)\nos.close(1)\nsys.exit({status})\n"
    )
    run = run_duplicates(PURE, "--json", str(script))
    assert run.stdout == "before\n"
    assert run.stderr.startswith("python -m intern duplicates: cannot write the report: ")
    assert run.stderr.count("\n") == 1
    assert run.returncode == (status or 1)  # the program's, else the bad-output status


@pytest.mark.parametrize(
    ("script", "alone"),
    [
        (  # a forked child that closes its stdout ends with status 0, as alone
            "import os, sys\n"
            "if os.fork() == 0:\n"
            "    sys.stdout.close()\n"
            "else:\n"
            "    print('child', os.waitstatus_to_exitcode(os.wait()[1]), flush=True)\n",
            "child 0\n",
        ),
        (  # the common idiom to change stdout's encoding
            "import io, sys\n"
            "sys.stdout = io.TextIOWrapper(sys.stdout.detach(), encoding='utf-8')\n"
            "print('hi')\n",
            "hi\n",
        ),
        ("import sys\nsys.stdout = None\n", ""),
    ],
    ids=["forked child closing stdout", "stdout detached", "stdout None"],
)
def test_what_a_script_does_to_stdout_is_its_own(tmp_path: Path, script: str, alone: str) -> None:
    path = tmp_path / "stdout.py"
    path.write_text(script)
    run = run_duplicates(PURE, "--json", str(path))
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith(alone)
    assert json_report(run.stdout[len(alone) :])["values"] > 0


def test_a_script_replacing_sys_path_changes_nothing_after(tmp_path: Path) -> None:
    script = tmp_path / "replaces.py"
    script.write_text("import sys\nsys.path = None\n")
    run = run_duplicates(PURE, "--json", str(script))
    assert (run.returncode, run.stderr) == (0, "")


def test_a_symlinked_script_sees_its_real_directory(tmp_path: Path) -> None:
    real, elsewhere = tmp_path / "real", tmp_path / "elsewhere"
    real.mkdir()
    elsewhere.mkdir()
    (real / "neighbour.py").write_text("VALUE = 'found'\n")
    (real / "main.py").write_text("import neighbour\nprint(neighbour.VALUE)\n")
    (elsewhere / "link.py").symlink_to(real / "main.py")
    run = run_duplicates(PURE, str(elsewhere / "link.py"))
    assert run.returncode == 0
    assert run.stdout.startswith("found\n")


def test_a_forked_child_prints_no_report_of_its_own(tmp_path: Path) -> None:
    script = tmp_path / "forks.py"
    script.write_text(
        "import atexit, os\n"
        "if os.fork() == 0:\n"
        "    atexit.register(print, 'child at exit')\n"
        "    print('child')\n"
        "else:\n"
        "    os.wait()\n"
    )
    run = run_duplicates(PURE, "--json", str(script))
    assert run.returncode == 0
    assert run.stdout.count('"rows"') == 1
    # The child ends as it would alone: its output flushed, its exit handlers run.
    assert run.stdout.startswith("child\nchild at exit\n")


def test_the_report_waits_for_the_script_s_threads(tmp_path: Path) -> None:
    script = tmp_path / "threads.py"
    script.write_text(
        "import threading, time\n"
        "held = []\n"
        "def build():\n"
        "    time.sleep(0.3)\n"
        "    held.extend(str(10**40) for _ in range(5))\n"
        "threading.Thread(target=build).start()\n"
    )
    run = run_duplicates(PURE, "--json", "--top", "1000", str(script))
    assert run.returncode == 0
    rows = json_report(run.stdout)["rows"]
    assert {"value": str(10**40), "copies": 5} in [
        {key: row[key] for key in ("value", "copies")} for row in rows
    ]


def test_double_dash_ends_the_options(tmp_path: Path) -> None:
    script = tmp_path / "-s.py"
    script.write_text("import sys\nprint(sys.argv)\n")
    run = run_duplicates(PURE, "--json", "--", str(script), "--top")
    assert run.returncode == 0
    assert run.stdout.startswith(f"[{str(script)!r}, '--top']\n")
