"""python -m intern bench: every case runs to completion and reports sane figures.

Times are never asserted: machines are shared and noisy.
"""

from __future__ import annotations

import json
import math

import pytest

import intern._pure
from intern import _bench
from intern._report import BenchReport, CaseReport, Result
from tests.helpers import run_cli

CASES = [
    "hit-strings",
    "hit-strings-same",
    "hit-records",
    "churn",
    "identity",
    "scale-1000",  # --quick stops the scaling cases at 10,000 live entries
    "scale-10000",
    "hostile-low-zeros",
    "hostile-high-bits",
    "hostile-one-hash",
    "records",
]


def test_quick_json_run_reports_every_case_with_positive_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_cli(capsys, "bench", "--quick", "--json")
    assert (outcome.status, outcome.err) == (0, "")
    report = json.loads(outcome.out)
    assert report["quick"] is True
    assert report["rounds"] >= 1
    assert "python" in report["implementations"]
    assert report["python"]
    assert report["machine"]
    assert report["cpu"]
    assert [case["name"] for case in report["cases"]] == CASES
    for case in report["cases"]:
        contenders = [result["contender"] for result in case["results"]]
        assert len(set(contenders)) == len(contenders)
        baseline = case["results"][contenders.index(case["baseline"])]
        assert baseline["ratio"] == 1
        for result in case["results"]:
            assert math.isfinite(result["ns_per_op"])
            assert result["ns_per_op"] > 0
            assert math.isfinite(result["ratio"])
            assert result["ratio"] > 0
            assert result["bytes_per_entry"] is None or result["bytes_per_entry"] > 0
    hit_strings = report["cases"][0]["results"]
    labels = {result["contender"]: result for result in hit_strings}
    assert set(labels) >= {
        "sys.intern",
        "dict pool (strong)",
        "intern.make [python]",
        "WeakValueDictionary interner",
    }
    assert labels["sys.intern"]["bytes_per_entry"] is None
    assert labels["intern.make [python]"]["bytes_per_entry"] > 0
    records = report["cases"][CASES.index("records")]
    assert records["baseline"] == "plain parse"
    expected = ["plain parse"]
    for label in report["implementations"]:
        expected += [f"Pool.value per field [{label}]", f"Pool.value_deep per record [{label}]"]
    assert [result["contender"] for result in records["results"]] == expected
    assert all(result["bytes_per_entry"] > 0 for result in records["results"])


def test_help_describes_every_case_and_what_bytes_per_entry_means(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_cli(capsys, "bench", "--help")
    assert outcome.status == 0
    text = " ".join(outcome.out.split())  # as if the help's lines were not wrapped
    full_run = [*CASES, *(f"scale-{size}" for size in _bench.SCALES)]
    assert [name for name in full_run if name not in text] == []
    for what in ["very objects", "Pool.value per field", "Pool.value_deep per record"]:
        assert what in text
    assert "In the records case, bytes/entry is per record" in text


def test_quick_text_run_prints_a_table_per_case(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(capsys, "bench", "--quick")
    assert (outcome.status, outcome.err) == (0, "")
    lines = outcome.out.splitlines()
    assert "implementations of intern.make: python" in lines[0]
    headers = [line.split() for line in lines if line.startswith("  contender")]
    assert headers[0] == ["contender", "ns/op", "vs", "sys.intern", "bytes/entry"]
    assert headers[1] == headers[0]  # the second string case
    assert headers[2][3:5] == ["dict", "pool"]
    assert len(headers) == len(CASES)
    rows = [line.split() for line in lines if line.startswith("  intern.make [python]")]
    assert len(rows) == len(CASES) - 2  # all but identity against equality and records
    assert all(row[3].endswith("x") for row in rows)  # the ratio


def test_every_importable_implementation_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        _bench,
        "IMPLEMENTATIONS",
        (("python", "intern._pure"), ("missing", "intern._no_such_module")),
    )
    assert _bench.implementations() == [("python", intern._pure.Interner)]


def test_json_holds_every_field_of_the_report_in_order() -> None:
    case = CaseReport("churn", "title", "a", (Result("a", 2.5, 1.0, None),))
    report = BenchReport("CPython 3.11.7", "x86_64", "AMD EPYC", ("python", "c"), False, 9, (case,))
    assert json.dumps(report.as_json()) == (
        '{"python": "CPython 3.11.7", "machine": "x86_64", "cpu": "AMD EPYC",'
        ' "implementations": ["python", "c"], "quick": false, "rounds": 9,'
        ' "cases": [{"name": "churn", "title": "title", "baseline": "a",'
        ' "results": [{"contender": "a", "ns_per_op": 2.5, "ratio": 1.0,'
        ' "bytes_per_entry": null}]}]}'
    )
