"""python -m intern bench: every case runs to completion and reports sane figures.

Times are never asserted: machines are shared and noisy.
"""

from __future__ import annotations

import gc
import io
import itertools
import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

import intern._pure
from intern import _bench, _cli, _measure
from intern._cache import implementations as cache_implementations
from intern._chart import render_svg
from intern._cleanup import implementations as cleanup_implementations
from intern._measure import Case, Contender, Settings
from intern._report import BenchReport, CaseReport, Result
from tests.helpers import run_cli

CASES = [
    "hit-strings",
    "hit-strings-same",
    "hit-records",
    "churn",
    "cache-hits",
    "cleanup-registrations",
    "cleanup-runs",
    "identity",
    "interned",
    "scale-1000",  # --quick stops the scaling cases at 10,000 live entries
    "scale-10000",
    "hostile-low-zeros",
    "hostile-high-bits",
    "hostile-one-hash",
    "records",
    "ingest-csv",
    "ingest-jsonl",
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
        expected += [
            f"Pool.value per field [{label}]",
            f"Pool.row per record [{label}]",
            f"Pool.value_deep per record [{label}]",
        ]
    assert [result["contender"] for result in records["results"]] == expected
    assert all(result["bytes_per_entry"] > 0 for result in records["results"])
    caches = report["cases"][CASES.index("cache-hits")]
    assert caches["baseline"] == "functools.cache hit"
    expected = ["functools.cache hit", "dict[key]"]
    for label in cache_implementations():  # as intern._cache uses them here
        expected += [f"WeakCache[key] hit [{label}]", f"@weak_cache hit [{label}]"]
    assert [result["contender"] for result in caches["results"]] == expected
    for name in ["cleanup-registrations", "cleanup-runs"]:
        cleanups = report["cases"][CASES.index(name)]
        assert cleanups["baseline"] == "weakref.finalize"
        contenders = [result["contender"] for result in cleanups["results"]]
        names = [f"add_cleanup [{label}]" for label in cleanup_implementations()]
        assert contenders == ["weakref.finalize", *names]


def test_help_describes_every_case_and_what_bytes_per_entry_means(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_cli(capsys, "bench", "--help")
    assert outcome.status == 0
    text = " ".join(outcome.out.split())  # as if the help's lines were not wrapped
    full_run = [*CASES, *(f"scale-{size}" for size in _bench.SCALES)]
    assert [name for name in full_run if name not in text] == []
    for what in ["very objects", "Pool.value per field", "Pool.row", "Pool.dedup", "json.loads"]:
        assert what in text
    assert "In the records and ingest cases, bytes/entry is per record" in text
    assert f"about {_bench.FULL_SECONDS} s" in text
    assert f"about {_bench.QUICK_SECONDS} s with --quick" in text
    assert "--svg FILE" in text
    assert "or the --svg FILE cannot be written" in text


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
    # all but the caches and cleanups, identity, interned, records and the two ingest cases
    assert len(rows) == len(CASES) - 8
    assert all(row[3].endswith("x") for row in rows)  # the ratio


def test_a_copy_is_an_equal_value_made_of_new_objects() -> None:
    copy = _bench._copy  # pyright: ignore[reportPrivateUsage] -- what the cases compare
    text = "".join(["GET ", "/index.html"])
    assert copy(text) == text
    assert copy(text) is not text
    record = (text, ("".join(["x", "yz"]), 200))
    assert copy(record) == record


def test_every_importable_implementation_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        _bench,
        "IMPLEMENTATIONS",
        (("python", "intern._pure"), ("missing", "intern._no_such_module")),
    )
    assert _bench.implementations() == [("python", intern._pure.Interner)]


def test_the_weak_value_dictionary_interner_gives_one_box_per_equal_value() -> None:
    make = _bench._weak_pool()  # pyright: ignore[reportPrivateUsage] -- a contender of the cases
    box = make("".join(["key-", "1"]))
    assert isinstance(box, _bench._Box)  # pyright: ignore[reportPrivateUsage] -- what it hands out
    assert box.value == "key-1"
    assert make("".join(["key-", "1"])) is box
    assert make("key-2") is not box


def test_contenders_are_timed_with_the_garbage_collector_off_as_timeit_does() -> None:
    collecting: list[bool] = []

    def timer(passes: int) -> int:
        collecting.append(gc.isenabled())
        return passes

    assert gc.isenabled()
    _measure.measure(Case("case", "title", "only", [Contender("only", timer, 1)]), Settings(2, 1))
    assert collecting == [False] * 3  # the first pass, then two rounds
    assert gc.isenabled()


def test_the_equality_timer_compares_each_value_with_the_target_on_every_pass() -> None:
    compared: list[object] = []

    class Value:
        def __eq__(self, other: object) -> bool:
            compared.append(other)
            return True

    target = object()
    _measure.time_equality(target, [Value(), Value()], 3)
    assert compared == [target] * 6


REPORT = BenchReport(
    python="CPython 3.11.7",
    machine="x86_64",
    cpu="AMD EPYC",
    implementations=("python", "c"),
    quick=False,
    rounds=100,
    cases=(
        CaseReport(
            "hit-strings",
            "hit path: 1,000 interned strings, given as equal copies",
            "sys.intern",
            (
                Result("sys.intern", 45.8, 1.0, None),
                Result("dict pool (strong)", 44.7, 0.98, 20.77),
                Result("intern.make [python]", 142.5, 3.11, 157.0),
                Result("intern.make [c]", 28.4, 0.62, 77.0),
                Result("WeakValueDictionary interner", 153.0, 3.34, 157.0),
            ),
        ),
        CaseReport(
            "hit-records",
            "hit path: 1,000 interned (str, str, int) records, given as equal copies",
            "dict pool (strong)",
            (
                Result("dict pool (strong)", 98.6, 1.0, 30.0),
                Result("intern.make [c]", 100.3, 1.02, 77.0),
            ),
        ),
        CaseReport(
            "churn",
            "miss and reclaim: 1,000 new strings, each handle dropped at once",
            "WeakValueDictionary interner",
            (
                Result("intern.make [c]", 79.6, 0.05, None),
                Result("WeakValueDictionary interner", 1579.6, 1.0, None),
            ),
        ),
        CaseReport(
            "identity",
            "compare",
            "a is b (handles)",
            (Result("a is b (handles)", 13.4, 1.0, None),),
        ),
        *(
            CaseReport(
                f"scale-{size}",
                f"hit path among {size:,} live entries",
                "dict pool (strong)",
                (
                    Result("dict pool (strong)", 60.0 * power, 1.0, None),
                    Result("intern.make [c] <&>", 40.0 * power, 0.67, None),
                ),
            )
            for power, size in enumerate(_bench.SCALES, 1)
        ),
    ),
)
"""A report in which a contender's name needs escaping in XML, and some cases are left out."""

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 -- our own output, which the test must parse


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


def test_svg_draws_a_line_per_contender_against_live_entries() -> None:
    root = parse_svg(render_svg(REPORT))
    assert root.tag == f"{SVG}svg"
    panel = _panel(root, "scaling")
    series = panel.findall(f"{SVG}g[@class='series']")
    assert [_title(line) for line in series] == ["dict pool (strong)", "intern.make [c] <&>"]
    for line in series:
        points = [
            tuple(float(number) for number in point.split(","))
            for point in line.findall(f"{SVG}polyline")[0].get("points", "").split()
        ]
        assert len(points) == len(_bench.SCALES)
        xs = [x for x, _ in points]
        steps = [right - left for left, right in itertools.pairwise(xs)]
        assert steps == pytest.approx([steps[0]] * len(steps))  # a log scale: 10x is one step
        ys = [y for _, y in points]
        assert ys == sorted(ys, reverse=True)  # the figures grow, so the points rise
    texts = _texts(panel)
    assert [f"{size:,}" for size in _bench.SCALES] == [t for t in texts if t[0].isdigit()][-4:]
    assert "live entries in the table (log scale)" in texts
    assert "ns per hit" in texts
    assert {"dict pool (strong)", "intern.make [c] <&>"} <= set(texts)  # the legend


def test_svg_grid_lines_and_labels_of_live_entries_sit_at_the_points_of_those_sizes() -> None:
    panel = _panel(parse_svg(render_svg(REPORT)), "scaling")
    [line, *_] = panel.findall(f"{SVG}g[@class='series']")
    points = line.findall(f"{SVG}polyline")[0].get("points", "").split()
    xs = [float(point.split(",")[0]) for point in points]  # one per size, each a power of 10
    vertical = [
        float(grid.get("x1", "nan"))
        for grid in panel.findall(f"{SVG}line")
        if grid.get("x1") == grid.get("x2")
    ]
    assert vertical == pytest.approx(xs, abs=0.1)
    labels = {text.text: float(text.get("x", "nan")) for text in panel.findall(f"{SVG}text")}
    assert [labels[f"{size:,}"] for size in _bench.SCALES] == pytest.approx(xs, abs=0.1)


def test_svg_draws_the_hit_cases_and_churn_as_bars_with_their_figures() -> None:
    root = parse_svg(render_svg(REPORT))
    hits = _panel(root, "hits")
    bars = hits.findall(f"{SVG}rect[@class='bar']")
    assert [_title(bar) for bar in bars] == [
        *(f"{r.contender}: {r.ns_per_op:,.1f} ns (hit-strings)" for r in REPORT.cases[0].results),
        "dict pool (strong): 98.6 ns (hit-records)",
        "intern.make [c]: 100.3 ns (hit-records)",
    ]
    texts = _texts(hits)
    assert {"(hit-strings)", "(hit-records)", "ns per hit", "153", "28"} <= set(texts)
    assert "(hit-strings-same)" not in texts  # not in this report
    churn = _panel(root, "churn")
    assert len(churn.findall(f"{SVG}rect[@class='bar']")) == 2
    assert {"ns per make and drop", "1,580", "(churn)"} <= set(_texts(churn))
    fills = {
        _title(bar).partition(":")[0]: bar.get("fill")
        for bar in root.iter(f"{SVG}rect")
        if bar.get("class") == "bar"
    }
    assert len(set(fills.values())) == len(fills)  # one colour per contender, in every chart
    series = {
        _title(line): line.get("fill")
        for line in root.iter(f"{SVG}g")
        if line.get("class") == "series"
    }
    assert series["dict pool (strong)"] == fills["dict pool (strong)"]


def test_svg_notes_the_machine_python_and_the_command() -> None:
    texts = _texts(parse_svg(render_svg(replace(REPORT, quick=True))))
    assert any("CPython 3.11.7 on x86_64 (AMD EPYC)" in text for text in texts)
    assert "best of 100 interleaved rounds (--quick); lower is better" in texts
    assert "made by: python -m intern bench --quick --svg FILE" in texts


def test_svg_of_a_report_without_drawable_cases_is_still_a_picture() -> None:
    root = parse_svg(render_svg(replace(REPORT, cases=REPORT.cases[3:4])))
    assert root.findall(f".//{SVG}g[@class]") == []
    assert int(root.get("height", "0")) > 0


def _panel(root: ET.Element, kind: str) -> ET.Element:
    [panel] = root.findall(f"{SVG}g[@class='panel {kind}']")
    return panel


def _texts(element: ET.Element) -> list[str]:
    return [text.text or "" for text in element.iter(f"{SVG}text")]


def _title(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


@pytest.fixture
def brief(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make --quick as short as it goes: one round, one pass, the least data and memory traced."""
    monkeypatch.setattr(_bench, "QUICK", Settings(rounds=1, turn_ns=1))
    monkeypatch.setattr(_bench, "TRACED", _bench.ENTRIES)
    monkeypatch.setattr(_bench, "QUICK_RECORDS", 100)


class Screen:
    """A terminal that both standard streams write to; what it shows, in order."""

    def __init__(self) -> None:
        self.shown = ""

    def lines(self) -> list[str]:
        """Return the lines as they look in the end: a carriage return writes over a line."""
        lines: list[str] = []
        for line in self.shown.split("\n"):
            looks = ""
            for part in line.split("\r"):
                looks = part + looks[len(part) :]
            lines.append(looks.rstrip())
        return lines


class TerminalStream(io.StringIO):
    """A stream on a ``Screen``: it shows text when flushed, or at once if unbuffered."""

    def __init__(self, screen: Screen, *, buffered: bool) -> None:
        super().__init__()
        self.screen = screen
        self.buffered = buffered
        self.written = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written += text
        if not self.buffered:
            self.screen.shown += text
            return len(text)
        return super().write(text)

    def flush(self) -> None:
        self.screen.shown += self.getvalue()
        self.seek(0)
        self.truncate()


def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> tuple[Screen, TerminalStream, TerminalStream]:
    """Put both standard streams on one screen: stdout buffered (as into a pipe), stderr not."""
    screen = Screen()
    out = TerminalStream(screen, buffered=True)
    err = TerminalStream(screen, buffered=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return screen, out, err


@pytest.mark.usefixtures("brief")
def test_each_table_is_shown_as_soon_as_its_case_is_done_after_its_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen, out, err = on_a_terminal(monkeypatch)
    assert _cli.main(["bench", "--quick"]) == 0
    titles = [line for line in out.written.splitlines() if line.endswith(":")]
    assert len(titles) == len(CASES)
    shown = screen.shown
    positions: list[int] = []
    for number, title in enumerate(titles, 1):
        positions.append(shown.index(f"\r[{number}/{len(CASES)}] measuring "))
        positions.append(shown.index(f"\n{title}\n"))
    assert positions == sorted(positions)
    assert screen.lines() == [*out.written.splitlines(), ""]  # no trace of the progress line
    assert err.written.count("\r[") == len(CASES)


@pytest.mark.usefixtures("brief")
def test_json_shows_no_progress_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, err = on_a_terminal(monkeypatch)
    assert _cli.main(["bench", "--quick", "--json"]) == 0
    assert err.written == ""
    assert [case["name"] for case in json.loads(out.written)["cases"]] == CASES


@pytest.mark.usefixtures("brief")
def test_interrupt_keeps_the_tables_done_and_erases_the_progress_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen, out, _ = on_a_terminal(monkeypatch)
    measured: list[str] = []

    def measure_then_interrupt(case: Case, settings: Settings) -> CaseReport:
        if measured:
            raise KeyboardInterrupt
        measured.append(case.name)
        return _measure.measure(case, settings)

    monkeypatch.setattr(_bench, "measure", measure_then_interrupt)
    picture = tmp_path / "bench.svg"
    assert _cli.main(["bench", "--quick", "--svg", str(picture)]) == 130
    tables = out.written.split("\n\n")
    assert len(tables) == 2  # the heading and the first case's table
    assert tables[1].startswith("hit path: 1,000 interned strings, given as equal copies:\n")
    assert screen.lines() == [*out.written.splitlines(), "python -m intern: interrupted", ""]
    assert picture.read_text(encoding="utf-8") == ""  # opened at the start, as by a shell's >


@pytest.mark.usefixtures("brief")
def test_svg_file_gets_the_picture_and_stdout_the_tables_or_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "bench.svg"
    outcome = run_cli(capsys, "bench", "--quick", "--svg", str(picture))
    assert (outcome.status, outcome.err) == (0, "")
    assert "implementations of intern.make" in outcome.out.splitlines()[0]
    root = parse_svg(picture.read_text(encoding="utf-8"))
    assert [panel.get("class") for panel in root.findall(f"{SVG}g")] == [
        "panel scaling",
        "panel hits",
        "panel churn",
    ]
    outcome = run_cli(capsys, "bench", "--quick", "--json", "--svg", str(picture))
    assert (outcome.status, outcome.err) == (0, "")
    report = json.loads(outcome.out)
    texts = _texts(parse_svg(picture.read_text(encoding="utf-8")))
    assert any(text.startswith(f"{report['python']} on {report['machine']}") for text in texts)


@pytest.mark.usefixtures("brief")
def test_svg_dash_writes_the_picture_to_stdout_instead_of_the_tables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = run_cli(capsys, "bench", "--quick", "--svg", "-")
    assert (outcome.status, outcome.err) == (0, "")
    assert parse_svg(outcome.out).tag == f"{SVG}svg"


def test_svg_dash_with_json_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(capsys, "bench", "--json", "--svg", "-")
    assert (outcome.status, outcome.out) == (2, "")
    assert outcome.err == (
        "python -m intern bench: error: --json and --svg - both write to standard output\n"
    )


@pytest.mark.parametrize(
    ("where", "reason"),
    [("", "Is a directory"), ("missing/bench.svg", "No such file or directory")],
)
def test_svg_path_that_cannot_be_written_fails_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, reason: str
) -> None:
    path = tmp_path / where
    outcome = run_cli(capsys, "bench", "--svg", str(path))
    assert (outcome.status, outcome.out) == (1, "")  # nothing measured
    assert outcome.err == f"python -m intern bench: error: {path}: {reason}\n"


def test_bench_stops_quietly_when_its_reader_goes_away() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "intern", "bench", "--quick"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"CPython")
        process.stdout.close()  # as `| head -1` does, long before the first table
        errors = process.stderr.read()
        assert (process.wait(timeout=120), errors) == (1, b"")
