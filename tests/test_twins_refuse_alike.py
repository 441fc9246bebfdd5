"""The C weak caches and cleanups, and their pure-Python twins, refuse misuse alike.

Each test comes from a review that tried to break them: a crash, an error lost,
a cleanup run early, and twins that disagreed.
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from intern import _cache, _cleanup

CLEANUPS = _cleanup.implementations()
CACHES = _cache.implementations()


class Obj:
    pass


def ignore(arg: object) -> None:
    del arg


class FakeList:
    """Claims to be a list holding obj: only its real type counts."""

    def __init__(self, obj: object) -> None:
        self.obj = obj

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # pyright: ignore[reportIncompatibleMethodOverride]
        return list

    def __iter__(self) -> Iterator[object]:
        return iter([self.obj])


def mock_of(spec: type) -> Callable[[object], object]:
    return lambda _: mock.NonCallableMock(spec=spec)


@pytest.mark.parametrize(
    "make_arg",
    [mock_of(tuple), mock_of(dict), mock_of(list), FakeList],
    ids=["Mock-tuple", "Mock-dict", "Mock-list", "FakeList"],
)
@pytest.mark.parametrize("name", sorted(CLEANUPS))
def test_an_arg_faking_its_class_is_taken_for_what_it_is(
    name: str, make_arg: Callable[[object], object]
) -> None:
    obj = Obj()
    CLEANUPS[name](obj, ignore, make_arg(obj)).stop()


@pytest.mark.parametrize("name", sorted(CLEANUPS))
def test_a_mock_of_a_partial_is_no_partial(name: str) -> None:
    CLEANUPS[name](Obj(), mock.Mock(spec=functools.partial), 1).stop()


@pytest.mark.parametrize("name", sorted(CLEANUPS))
def test_a_task_called_with_keywords_refuses_and_runs_nothing(name: str) -> None:
    ran: list[object] = []
    obj = Obj()
    cleanup = CLEANUPS[name](obj, ran.append, "arg")
    watch = weakref.getweakrefs(obj)[0]
    task: Any = watch.__callback__
    with pytest.raises(TypeError):
        task(watch, bogus=1)
    assert ran == []
    assert cleanup.pending
    cleanup.stop()


@pytest.mark.parametrize("name", sorted(CACHES))
@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_a_weak_cache_cannot_be_copied(name: str, how: Callable[[object], object]) -> None:
    cache = CACHES[name].WeakCache(lambda key: Obj())
    kept = cache[1]
    with pytest.raises(TypeError, match="WeakCache"):
        how(cache)
    assert cache[1] is kept


def speedups() -> Any:
    return pytest.importorskip("intern._speedups")


class Registry:
    closed = False


@pytest.mark.parametrize(
    "cleanup_type", [type(ignore), memoryview, type, type(Obj.__init__)], ids=lambda t: t.__name__
)
def test_a_registrar_made_by_hand_refuses_a_type_it_cannot_make(cleanup_type: type) -> None:
    with pytest.raises(TypeError, match="cleanup_type"):
        speedups().CleanupRegistrar({}, weakref.ref, cleanup_type, Registry(), ignore)


class Unreadable:
    __slots__ = ()


class FalseHearted:
    def __bool__(self) -> bool:
        raise ZeroDivisionError("closed?")


class BadRegistry:
    closed = FalseHearted()


@pytest.mark.parametrize(
    ("registry", "expected"), [(Unreadable(), AttributeError), (BadRegistry(), ZeroDivisionError)]
)
def test_a_registrar_reports_the_registry_s_own_error(
    registry: object, expected: type[Exception]
) -> None:
    pending: dict[object, object] = {}
    register = speedups().CleanupRegistrar(
        pending,
        _cleanup._Watch,  # pyright: ignore[reportPrivateUsage]
        _cleanup.Cleanup,
        registry,
        ignore,
    )
    with pytest.raises(expected):
        register(Obj(), print, 1)
    assert pending == {}
