"""Helpers shared by the tests: the implementations under test and garbage collection."""

from __future__ import annotations

import gc
import importlib
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


VARIANTS = [Variant("python", "intern._pure")]


def collect() -> None:
    """Collect garbage until a full collection finds nothing more."""
    for _ in range(20):
        if gc.collect() == 0:
            return
    raise AssertionError("garbage collection did not settle in 20 rounds")
