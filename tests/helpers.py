"""Helpers shared by the tests: implementations, garbage collection, the command line."""

from __future__ import annotations

import gc
import importlib
import json
from collections.abc import Hashable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, TypeVar, cast

import pytest

import intern
from intern._cli import main

T = TypeVar("T", bound=Hashable)


class Implementation(Protocol):
    """What every implementation module offers; the tests see each through this."""

    Handle: type[intern.Handle[Any]]
    Interner: type[intern.Interner[Any]]
    default: intern.Interner[Hashable]

    def make(self, value: T, /) -> intern.Handle[T]: ...


@dataclass(frozen=True)
class Variant:
    """One implementation of intern, by the name tests are labelled with."""

    name: str
    module_name: str

    def load(self) -> Implementation:
        module: ModuleType = importlib.import_module(self.module_name)
        return cast("Implementation", module)


VARIANTS = [Variant("python", "intern._pure")]


def collect() -> None:
    """Collect garbage until a full collection finds nothing more."""
    for _ in range(20):
        if gc.collect() == 0:
            return
    raise AssertionError("garbage collection did not settle in 20 rounds")


@dataclass(frozen=True)
class Outcome:
    """What one run of the command line did: its exit status and its output."""

    status: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    """Run ``python -m intern`` in this process on ``argv``, capturing its output."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def scan_report(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """Run ``scan --json`` on ``argv``; check that it succeeded quietly and adds up."""
    outcome = run_cli(capsys, "scan", "--json", *argv)
    assert (outcome.status, outcome.err) == (0, "")
    report: dict[str, Any] = json.loads(outcome.out)
    assert_consistent(report)
    return report


def assert_consistent(report: dict[str, Any]) -> None:
    """Check the invariants of a scan report, in total and for each column."""
    for part in [report, *report["columns"]]:
        assert 0 <= part["distinct"] <= part["values"]
        assert part["bytes_as_parsed"] == part["bytes_deduplicated"] + part["bytes_saved"]
        assert 0 <= part["bytes_saved"] <= part["bytes_as_parsed"]
        assert (part["distinct"] == 0) == (part["bytes_deduplicated"] == 0)
    columns = report["columns"]
    assert len(columns) == min(report["fields"], 10)
    savings = [column["bytes_saved"] for column in columns]
    assert savings == sorted(savings, reverse=True)
    if report["fields"] <= 10:
        assert sum(column["values"] for column in columns) == report["values"]
        assert max((column["distinct"] for column in columns), default=0) <= report["distinct"]
        assert sum(savings) <= report["bytes_saved"]
