"""Helpers shared by the tests: the implementations under test and garbage collection."""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Hashable
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
