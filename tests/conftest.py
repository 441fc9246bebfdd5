from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import intern
from tests.helpers import VARIANTS, Implementation, Variant


@pytest.fixture(scope="session", params=VARIANTS, ids=lambda variant: variant.name)
def impl(request: pytest.FixtureRequest) -> Implementation:
    """Each implementation of intern in turn; every behaviour test takes it."""
    variant: Variant = request.param
    return variant.load()


@pytest.fixture
def interner(impl: Implementation) -> intern.Interner[Any]:
    """A fresh, independent interner of the implementation under test."""
    return impl.Interner()


@pytest.fixture(autouse=True)
def fail_on_unraisable_or_thread_exception() -> Iterator[None]:
    """Fail a test if any exception was swallowed: unraisable, or in a thread.

    pytest only warns about these; intern promises that none ever happens.
    """
    swallowed: list[str] = []

    def unraisable_hook(unraisable: Any) -> None:
        swallowed.append(f"unraisable in {unraisable.object!r}: {unraisable.exc_value!r}")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        swallowed.append(f"in thread {args.thread!r}: {args.exc_value!r}")

    previous_unraisable, previous_thread = sys.unraisablehook, threading.excepthook
    sys.unraisablehook, threading.excepthook = unraisable_hook, thread_hook
    try:
        yield
    finally:
        sys.unraisablehook, threading.excepthook = previous_unraisable, previous_thread
    assert not swallowed, swallowed
