from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

import intern
from intern._cache import CacheImplementation, implementations
from intern._cleanup import implementations as cleanup_implementations
from intern._env import REQUIRE_EXTENSION, flag
from tests.helpers import VARIANTS, AddCleanup, Implementation, Variant


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--implementation",
        action="append",
        choices=[variant.name for variant in VARIANTS],
        help="run the behaviour tests on this implementation only (repeatable)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen: list[str] | None = config.getoption("implementation")
    if not chosen:
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        variant = None if callspec is None else callspec.params.get("variant")
        (dropped if isinstance(variant, Variant) and variant.name not in chosen else kept).append(
            item
        )
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@pytest.fixture(scope="session", params=VARIANTS, ids=lambda variant: variant.name)
def variant(request: pytest.FixtureRequest) -> Variant:
    """Each implementation of intern in turn, by name."""
    chosen: Variant = request.param
    return chosen


def load_or_skip(variant: Variant) -> Implementation:
    """Load an implementation; skip if it was not built, unless CI requires it."""
    try:
        return variant.load()
    except ImportError as error:
        if flag(REQUIRE_EXTENSION):
            raise
        pytest.skip(f"the {variant.name} implementation is not available: {error}")


@pytest.fixture(scope="session")
def impl(variant: Variant) -> Implementation:
    """Each implementation's module in turn; every behaviour test takes it.

    The C variant is skipped where the extension was not built, unless
    INTERN_REQUIRE_EXTENSION is set (as in CI), where its absence fails.
    """
    return load_or_skip(variant)


@pytest.fixture(scope="session")
def caches(variant: Variant) -> CacheImplementation:
    """Each implementation's WeakCache and weak_cache in turn, skipped as impl is."""
    load_or_skip(variant)
    found = implementations().get(variant.name)
    if found is None:  # built, but INTERN_PURE_PYTHON keeps the package from using it
        pytest.skip(f"intern._cache does not use the {variant.name} implementation here")
    return found


@pytest.fixture(scope="session")
def add_cleanup(variant: Variant) -> AddCleanup:
    """Each implementation's add_cleanup in turn, skipped as impl is."""
    load_or_skip(variant)
    found = cleanup_implementations().get(variant.name)
    if found is None:  # built, but INTERN_PURE_PYTHON keeps the package from using it
        pytest.skip(f"intern._cleanup does not use the {variant.name} implementation here")
    return cast("AddCleanup", found)


@pytest.fixture(scope="session")
def c_impl() -> Implementation:
    """The C implementation, for the tests that concern it alone."""
    return load_or_skip(VARIANTS[1])


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
        # From 3.14, CPython names some objects (weakref callbacks) in err_msg instead.
        where = unraisable.err_msg or "unraisable in"
        swallowed.append(f"{where}: {unraisable.object!r}: {unraisable.exc_value!r}")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        swallowed.append(f"in thread {args.thread!r}: {args.exc_value!r}")

    previous_unraisable, previous_thread = sys.unraisablehook, threading.excepthook
    sys.unraisablehook, threading.excepthook = unraisable_hook, thread_hook
    try:
        yield
    finally:
        sys.unraisablehook, threading.excepthook = previous_unraisable, previous_thread
    assert not swallowed, swallowed
