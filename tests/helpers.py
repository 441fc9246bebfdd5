"""Helpers shared by the tests: the implementations under test, garbage collection, threads."""

from __future__ import annotations

import gc
import importlib
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

import intern

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


def run_python(source: str) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a fresh interpreter (this one), capturing its output as text."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, check=False
    )
