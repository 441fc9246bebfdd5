"""The results of ``python -m intern bench``, and their forms as JSON and as text tables.

The picture of them is drawn by ``_chart.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from intern._text import render_table


@dataclass(frozen=True)
class Result:
    """One contender's figures in one case."""

    contender: str
    ns_per_op: float
    ratio: float
    """ns_per_op divided by the baseline's, in the same run."""
    bytes_per_entry: float | None


@dataclass(frozen=True)
class CaseReport:
    """The results of one case, in the order the contenders took turns."""

    name: str
    title: str
    baseline: str
    results: tuple[Result, ...]

    def as_text(self) -> list[str]:
        """Return the case for people: its title, then a table of its results."""
        with_bytes = any(result.bytes_per_entry is not None for result in self.results)
        header = ["contender", "ns/op", f"vs {self.baseline}"]
        header += ["bytes/entry"] if with_bytes else []
        rows: list[list[str]] = []
        for result in self.results:
            row = [result.contender, f"{result.ns_per_op:,.1f}", f"{result.ratio:.2f}x"]
            if with_bytes:
                entry = result.bytes_per_entry
                row.append("-" if entry is None else f"{entry:,.0f}")
            rows.append(row)
        return [f"{self.title}:", *("  " + line for line in render_table(header, rows))]


@dataclass(frozen=True)
class BenchReport:
    """Every case's results, and where they were measured.

    The field names are the keys of ``--json``: renaming one changes the output.
    """

    python: str
    machine: str
    cpu: str
    implementations: tuple[str, ...]
    quick: bool
    rounds: int
    cases: tuple[CaseReport, ...] = field(default=())

    def as_json(self) -> dict[str, object]:
        """Return the report as one JSON-ready object: its fields, cases and results nested."""
        return asdict(self)  # tuples, which json writes as lists

    def heading(self) -> list[str]:
        """Return the lines above the tables: where, with what and how it was measured."""
        return [
            f"{self.python} on {self.machine} ({self.cpu});"
            f" implementations of intern.make: {', '.join(self.implementations)}",
            f"best of {self.rounds} interleaved rounds{' (--quick)' if self.quick else ''}",
        ]
