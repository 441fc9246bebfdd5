"""Helpers shared by the tests: implementations, garbage collection, threads, the CLI."""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, TypeVar, cast

import pytest

import intern
from intern._cli import main

T = TypeVar("T", bound=Hashable)


S = TypeVar("S")


class AddCleanup(Protocol):
    """``intern.add_cleanup``, as each implementation's is seen by the tests."""

    def __call__(self, obj: object, fn: Callable[[S], object], arg: S, /) -> intern.Cleanup: ...


class Implementation(Protocol):
    """What every implementation module offers; the tests see each through this."""

    Handle: type[intern.Handle[Any]]
    Interner: type[intern.Interner[Any]]
    Pool: type[intern.Pool]
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

    def environment(self) -> dict[str, str]:
        """Environment for a subprocess whose ``import intern`` picks this variant."""
        env = {key: value for key, value in os.environ.items() if key != "INTERN_PURE_PYTHON"}
        if self.name == "python":
            env["INTERN_PURE_PYTHON"] = "1"
        return env


VARIANTS = [Variant("python", "intern._pure"), Variant("c", "intern._speedups")]


def collect() -> None:
    """Collect garbage until a full collection finds nothing more."""
    for _ in range(20):
        if gc.collect() == 0:
            return
    raise AssertionError("garbage collection did not settle in 20 rounds")


R = TypeVar("R")


def call_in_threads(count: int, target: Callable[[int], R]) -> list[R | BaseException]:
    """Call ``target(index)`` in ``count`` threads at once; return each result or exception.

    A thread still running after a minute fails the test rather than hanging it.
    """
    outcomes: list[R | BaseException] = [AssertionError("thread did not finish")] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = target(index)
        except BaseException as error:  # noqa: BLE001 -- handed to the test to judge
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "threads hung"
    return outcomes


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition()`` holds; fail (rather than hang) if it never does."""
    for _ in range(60_000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError(f"never happened: {what}")


def run_python(source: str, variant: Variant | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a fresh interpreter (this one), capturing its output as text.

    With a ``variant``, the child's ``import intern`` picks that implementation.
    """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        check=False,
        env=None if variant is None else variant.environment(),
    )


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
