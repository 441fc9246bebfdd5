"""add_cleanup: fn(arg) runs once after the object is collected, and never receives it."""

from __future__ import annotations

import collections
import functools
import gc
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import intern
from tests.helpers import AddCleanup, Implementation, Variant, collect, run_python


class Resource:
    """An object that can be weakly referenced, and may refer to itself."""

    me: Resource | None = None

    def close(self, arg: object) -> None:
        pass


class CallableResource(Resource):
    def __call__(self, arg: object) -> None:
        pass


class Token:
    """An argument whose lifetime the tests watch."""


@pytest.fixture
def unraisables() -> Iterator[list[Any]]:
    """Capture what reaches sys.unraisablehook, for tests that expect it."""
    caught: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = caught.append
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def test_cleanup_runs_once_with_arg_after_the_object_is_collected(add_cleanup: AddCleanup) -> None:
    calls: list[object] = []
    resource = Resource()
    token = Token()
    add_cleanup(resource, calls.append, token)
    assert calls == []
    del resource
    assert calls == [token]
    collect()
    assert calls == [token]


def test_fn_never_receives_the_object(add_cleanup: AddCleanup) -> None:
    received: list[object] = []
    resource = Resource()
    resource_ref = weakref.ref(resource)
    add_cleanup(resource, received.append, "closed")
    del resource
    assert resource_ref() is None
    assert received == ["closed"]


def test_cleanup_of_an_object_in_a_cycle_runs_at_the_next_collection(
    add_cleanup: AddCleanup,
) -> None:
    calls: list[str] = []
    resource = Resource()
    resource.me = resource
    add_cleanup(resource, calls.append, "cycle")
    del resource
    assert calls == []  # only a collection frees a cycle
    gc.collect()
    assert calls == ["cycle"]


def test_cleanup_stays_registered_when_the_returned_cleanup_is_dropped(
    add_cleanup: AddCleanup,
) -> None:
    calls: list[str] = []
    resource = Resource()
    add_cleanup(resource, calls.append, "kept")
    collect()
    del resource
    assert calls == ["kept"]


def test_several_cleanups_of_one_object_all_run(add_cleanup: AddCleanup) -> None:
    calls: list[int] = []
    resource = Resource()
    for number in range(5):
        add_cleanup(resource, calls.append, number)
    del resource
    assert sorted(calls) == [0, 1, 2, 3, 4]


def test_pending_is_true_until_the_cleanup_runs(add_cleanup: AddCleanup) -> None:
    seen_while_running: list[bool] = []
    cleanups: list[intern.Cleanup] = []
    resource = Resource()
    cleanups.append(
        add_cleanup(resource, lambda _: seen_while_running.append(cleanups[0].pending), 0)
    )
    assert cleanups[0].pending
    del resource
    assert seen_while_running == [False]
    assert not cleanups[0].pending


def test_stop_cancels_a_pending_cleanup_and_says_it_was_pending(add_cleanup: AddCleanup) -> None:
    calls: list[str] = []
    resource = Resource()
    cleanup = add_cleanup(resource, calls.append, "never")
    assert cleanup.stop() is True
    assert not cleanup.pending
    assert cleanup.stop() is False
    del resource
    collect()
    assert calls == []


def test_stop_after_the_cleanup_ran_returns_false(add_cleanup: AddCleanup) -> None:
    calls: list[str] = []
    resource = Resource()
    cleanup = add_cleanup(resource, calls.append, "ran")
    del resource
    assert calls == ["ran"]
    assert cleanup.stop() is False


def test_stop_lets_go_of_fn_and_arg(add_cleanup: AddCleanup) -> None:
    token = Token()
    token_ref = weakref.ref(token)
    resource = Resource()
    cleanup = add_cleanup(resource, print, token)
    del token
    assert token_ref() is not None
    cleanup.stop()
    assert token_ref() is None
    assert resource is not None


def test_arg_is_released_after_the_cleanup_ran_even_if_the_cleanup_is_kept(
    add_cleanup: AddCleanup,
) -> None:
    token = Token()
    token_ref = weakref.ref(token)
    resource = Resource()
    cleanup = add_cleanup(resource, lambda _: None, token)
    del token, resource
    assert token_ref() is None
    assert not cleanup.pending


def test_stopping_one_cleanup_leaves_the_others_of_the_object(add_cleanup: AddCleanup) -> None:
    calls: list[str] = []
    resource = Resource()
    stopped = add_cleanup(resource, calls.append, "stopped")
    add_cleanup(resource, calls.append, "kept")
    stopped.stop()
    del resource
    assert calls == ["kept"]


def test_exception_from_fn_goes_to_unraisablehook_not_to_the_code_dropping_the_object(
    unraisables: list[Any],
    add_cleanup: AddCleanup,
) -> None:
    def failing_cleanup(arg: str) -> None:
        raise OSError(f"cannot close {arg}")

    resource = Resource()
    add_cleanup(resource, failing_cleanup, "file")
    del resource  # does not raise
    assert len(unraisables) == 1
    assert type(unraisables[0].exc_value) is OSError
    assert str(unraisables[0].exc_value) == "cannot close file"
    # The report names the cleanup: as its object up to 3.13; from 3.14 CPython
    # names a failing weakref callback in its message instead.
    if sys.version_info >= (3, 14):
        assert unraisables[0].object is None
        assert "failing_cleanup" in unraisables[0].err_msg
    else:
        assert "failing_cleanup" in repr(unraisables[0].object)


def test_exception_from_fn_during_a_collection_goes_to_unraisablehook(
    unraisables: list[Any],
    add_cleanup: AddCleanup,
) -> None:
    def failing_cleanup(arg: int) -> None:
        raise ValueError(arg)

    resource = Resource()
    resource.me = resource
    add_cleanup(resource, failing_cleanup, 7)
    del resource
    gc.collect()
    assert [type(caught.exc_value) for caught in unraisables] == [ValueError]
    assert unraisables[0].exc_value.args == (7,)


def test_cleanup_on_a_handle_runs_when_the_handle_is_reclaimed(
    impl: Implementation, add_cleanup: AddCleanup
) -> None:
    calls: list[str] = []
    handle = impl.make(("cleanup", "handle"))
    add_cleanup(handle, calls.append, "reclaimed")
    del handle
    assert calls == ["reclaimed"]


def closure_over(resource: Resource) -> Callable[[object], None]:
    def close(arg: object) -> None:
        print(resource, arg)

    return close


def default_of(resource: Resource) -> Callable[[object], None]:
    def close(arg: object, target: Resource = resource) -> None:
        print(target, arg)

    return close


def keyword_default_of(resource: Resource) -> Callable[[object], None]:
    def close(arg: object, *, target: Resource = resource) -> None:
        print(target, arg)

    return close


class Box(set[int]):
    """A set subclass: weakly referenceable, with built-in methods bound to it."""


Arguments = Callable[[Any], tuple[Any, Any, Any]]
"""Given obj, the arguments of an add_cleanup call."""

BOUND = "fn is a method bound to obj"
PARTIAL = "fn is a functools.partial holding obj"
DEFAULT = "fn's default for parameter 'target' is obj"


def refusal(arguments: Arguments, reason: str, name: str) -> object:
    return pytest.param(arguments, reason, id=name)


REFUSALS = [
    refusal(lambda obj: (obj, print, obj), "arg is obj itself", name="arg is obj"),
    refusal(lambda obj: (obj, obj, 1), "fn is obj itself", name="fn is obj"),
    refusal(lambda obj: (obj, obj.close, 1), BOUND, name="bound method"),
    refusal(lambda obj: (obj, obj.__eq__, 1), BOUND, name="method wrapper"),
    refusal(
        lambda obj: (obj, closure_over(obj), 1),
        r"fn's closure holds obj \(in variable 'resource'\)",
        name="closure",
    ),
    refusal(lambda obj: (obj, default_of(obj), 1), DEFAULT, name="default"),
    refusal(lambda obj: (obj, keyword_default_of(obj), 1), DEFAULT, name="keyword default"),
    refusal(lambda obj: (obj, functools.partial(print, obj), 1), PARTIAL, name="partial"),
    refusal(
        lambda obj: (obj, functools.partial(print, file=obj), 1), PARTIAL, name="partial keyword"
    ),
    refusal(
        lambda obj: (obj, functools.partial(obj.close), 1), BOUND, name="partial of a bound method"
    ),
    refusal(
        lambda obj: (obj, functools.partial(closure_over(obj)), 1),
        "fn's closure holds obj",
        name="partial of a closure",
    ),
    refusal(
        lambda obj: (obj, print, ("x", obj)),
        "arg, of type 'tuple', holds obj at index 1",
        name="tuple",
    ),
    refusal(
        lambda obj: (obj, print, [obj]), "arg, of type 'list', holds obj at index 0", name="list"
    ),
    refusal(lambda obj: (obj, print, {obj}), "arg, of type 'set', holds obj", name="set"),
    refusal(
        lambda obj: (obj, print, frozenset({1, obj})),
        "arg, of type 'frozenset', holds obj",
        name="frozenset",
    ),
    refusal(
        lambda obj: (obj, print, {obj: 1}),
        "arg, of type 'dict', holds obj as a key",
        name="dict key",
    ),
    refusal(
        lambda obj: (obj, print, {"obj": obj}),
        "arg, of type 'dict', holds obj as a value",
        name="dict value",
    ),
    refusal(
        lambda obj: (obj, print, collections.OrderedDict[str, Any](obj=obj)),
        "arg, of type 'OrderedDict', holds obj as a value",
        name="dict subclass",
    ),
]


@pytest.mark.parametrize(("arguments", "reason"), REFUSALS)
def test_mistakes_that_keep_the_object_alive_are_refused(
    arguments: Arguments, reason: str, add_cleanup: AddCleanup
) -> None:
    obj = CallableResource()
    calls: list[object] = []
    with pytest.raises(ValueError, match=f"add_cleanup: {reason}.* would keep obj alive forever"):
        add_cleanup(*arguments(obj))
    obj_ref = weakref.ref(obj)
    add_cleanup(obj, calls.append, "only this one")
    del obj
    collect()
    assert obj_ref() is None
    assert calls == ["only this one"]  # the refused cleanup was not registered


def test_a_builtin_method_bound_to_the_object_is_refused(add_cleanup: AddCleanup) -> None:
    box = Box()
    with pytest.raises(ValueError, match=f"add_cleanup: {BOUND}"):
        add_cleanup(box, box.discard, 1)


def test_references_deeper_inside_arg_are_not_detected(add_cleanup: AddCleanup) -> None:
    resource = Resource()
    cleanup = add_cleanup(resource, print, [[resource]])
    assert cleanup.pending  # accepted, and it keeps resource alive: the documented limit
    assert cleanup.stop()


def test_an_unbound_method_of_the_class_is_accepted(add_cleanup: AddCleanup) -> None:
    calls: list[object] = []

    class Closer:
        def close(self) -> None:
            calls.append(self)

    resource = Resource()
    closer = Closer()
    add_cleanup(resource, Closer.close, closer)
    del resource
    assert calls == [closer]


@pytest.mark.parametrize("obj", [1, "text", (1, 2), None, object()], ids=repr)
def test_objects_that_cannot_be_weakly_referenced_are_refused(
    obj: object, add_cleanup: AddCleanup
) -> None:
    name = type(obj).__name__
    with pytest.raises(TypeError, match=f"weakly referenced, and '{name}' objects cannot be"):
        add_cleanup(obj, print, "x")


def test_fn_must_be_callable(add_cleanup: AddCleanup) -> None:
    with pytest.raises(TypeError, match="add_cleanup needs a callable fn, not 'str'"):
        add_cleanup(Resource(), "print", "x")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_cleanup_objects_are_not_created_directly() -> None:
    with pytest.raises(TypeError, match=r"use intern\.add_cleanup\(\)"):
        intern.Cleanup()


def test_cleanup_repr_says_whether_it_is_pending(add_cleanup: AddCleanup) -> None:
    resource = Resource()
    cleanup = add_cleanup(resource, print, "x")
    assert repr(cleanup) == "<Cleanup pending>"
    cleanup.stop()
    assert repr(cleanup) == "<Cleanup not pending>"


def test_stop_racing_with_collection_runs_each_cleanup_or_stops_it_never_both(
    add_cleanup: AddCleanup,
) -> None:
    count = 2000
    ran: list[int] = []
    resources = [Resource() for _ in range(count)]
    cleanups = [
        add_cleanup(resource, ran.append, index) for index, resource in enumerate(resources)
    ]
    stopped: list[int] = []
    barrier = threading.Barrier(2)

    def drop() -> None:
        barrier.wait()
        while resources:
            resources.pop()

    def stop() -> None:
        barrier.wait()
        for index in reversed(range(count)):
            if cleanups[index].stop():
                stopped.append(index)

    threads = [threading.Thread(target=drop), threading.Thread(target=stop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran + stopped) == list(range(count))
    assert not any(cleanup.pending for cleanup in cleanups)


def test_cleanups_added_and_run_from_many_threads_all_run_once(add_cleanup: AddCleanup) -> None:
    threads_count, per_thread = 8, 300
    ran: list[tuple[int, int]] = []
    barrier = threading.Barrier(threads_count)

    def work(thread_index: int) -> None:
        barrier.wait()
        for number in range(per_thread):
            resource = Resource()
            add_cleanup(resource, ran.append, (thread_index, number))
            if number % 3 == 0:
                resource.me = resource  # left for the collector
            del resource
            if number % 50 == 0:
                gc.collect()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    collect()
    expected = [(index, number) for index in range(threads_count) for number in range(per_thread)]
    assert sorted(ran) == expected


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_the_cleanups_of_its_own_copies(add_cleanup: AddCleanup) -> None:
    read_end, write_end = os.pipe()
    resource = Resource()
    cleanup = add_cleanup(resource, lambda fd: os.write(fd, b"cleaned"), write_end)
    pid = os.fork()
    if pid == 0:  # the child drops its copy: its cleanup writes to the pipe
        status = 1
        try:
            del resource
            status = 0
        finally:
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    assert cleanup.stop()  # the parent's copy lives on: its cleanup is still pending
    os.close(write_end)
    try:
        assert os.read(read_end, 100) == b"cleaned"
    finally:
        os.close(read_end)
    assert os.waitstatus_to_exitcode(wait_status) == 0


EXIT_SCRIPT = """
import collections, gc, os, sys, intern

def report(what):
    print("cleanup ran:", what, flush=True)

class Resource:
    pass

class AddsCleanupWhenFinalized:
    # Attached to modules below, it is finalized while shutdown clears module
    # globals, so it takes what it uses as default arguments.
    def __init__(self, tag):
        self.tag = tag
    def __del__(self, add_cleanup=intern.add_cleanup, resource=Resource(), write=os.write):
        cleanup = add_cleanup(resource, report, "added during shutdown")
        assert not cleanup.pending
        write(1, f"finalized {self.tag}\\n".encode())

early = Resource()
intern.add_cleanup(early, report, "before exit")
del early

alive = Resource()
alive_cleanup = intern.add_cleanup(alive, report, "alive at exit")
gc.disable()  # before the cycle is made: it is left for interpreter shutdown
cycle = Resource()
cycle.me = cycle
intern.add_cleanup(cycle, report, "cycle freed during shutdown")
del cycle
os._intern_test_resource = Resource()
intern.add_cleanup(os._intern_test_resource, report, "freed with the os module")
collections._intern_test_finalizer = AddsCleanupWhenFinalized("collections")
sys._intern_test_finalizer = AddsCleanupWhenFinalized("sys")
print("ok", flush=True)
"""


def test_pending_cleanups_are_not_run_at_interpreter_exit_and_exit_is_quiet(
    variant: Variant,
) -> None:
    result = run_python(EXIT_SCRIPT, variant)
    assert result.stderr == ""
    assert result.stdout.startswith("cleanup ran: before exit\nok\n")
    finalized = sorted(result.stdout.splitlines()[2:])
    assert finalized == ["finalized collections", "finalized sys"]
    assert result.returncode == 0


# The common case that the C registrar handles alone, attacked at its edges.


def test_a_plain_function_watched_with_itself_as_fn_is_refused(add_cleanup: AddCleanup) -> None:
    def plain(_: object) -> None:
        pass

    with pytest.raises(ValueError, match="fn is obj itself"):
        add_cleanup(plain, plain, 1)


def test_a_container_subclass_holding_the_object_is_refused(add_cleanup: AddCleanup) -> None:
    class Pair(tuple[object, ...]):
        pass

    resource = Resource()
    with pytest.raises(ValueError, match="arg, of type 'Pair', holds obj at index 1"):
        add_cleanup(resource, print, Pair(("x", resource)))


def test_a_function_given_defaults_later_is_checked_for_the_object(
    add_cleanup: AddCleanup,
) -> None:
    def close(_: object, target: object = None) -> None:
        pass

    resource = Resource()
    close.__defaults__ = (resource,)
    with pytest.raises(ValueError, match="fn's default for parameter 'target' is obj"):
        add_cleanup(resource, close, 1)


def test_the_task_named_in_a_report_shows_fn_and_stop_releases_it(
    add_cleanup: AddCleanup,
) -> None:
    resource = Resource()
    calls: list[object] = []
    cleanup = add_cleanup(resource, calls.append, "x")
    (watch,) = weakref.getweakrefs(resource)
    task = watch.__callback__
    assert repr(task).startswith("<intern cleanup <built-in method append of list object")
    assert cleanup.stop()
    assert repr(task) == "<intern cleanup None>"
    del resource
    assert calls == []


def test_cleanups_registered_while_collections_run_at_every_allocation_all_run_once(
    add_cleanup: AddCleanup,
) -> None:
    ran: list[int] = []
    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for number in range(300):
            resource = Resource()
            resource.me = resource  # a cycle: freed by one of the collections
            add_cleanup(resource, ran.append, number)
            del resource
    finally:
        gc.set_threshold(*threshold)
    collect()
    assert sorted(ran) == list(range(300))


def test_a_cleanup_may_add_cleanups_and_stop_others(add_cleanup: AddCleanup) -> None:
    ran: list[str] = []
    later = [Resource()]
    stopped = add_cleanup(later[0], ran.append, "stopped")

    def chain(tag: str) -> None:
        ran.append(tag)
        stopped.stop()
        add_cleanup(later[0], ran.append, "added by a cleanup")

    first = Resource()
    add_cleanup(first, chain, "first")
    del first
    later.clear()
    assert ran == ["first", "added by a cleanup"]


def test_registering_running_and_stopping_leave_every_reference_count_as_it_was(
    add_cleanup: AddCleanup,
) -> None:
    def fn(_: object) -> None:
        pass

    arg = Token()

    def counts() -> list[int]:
        collect()
        return [sys.getrefcount(fn), sys.getrefcount(arg)]

    def register_run_stop_and_refuse() -> None:
        resource = Resource()
        add_cleanup(resource, fn, arg)
        del resource  # runs it
        add_cleanup(Resource(), fn, arg).stop()  # the resource goes first: it ran
        resource = Resource()
        add_cleanup(resource, fn, arg).stop()
        with pytest.raises(ValueError, match="arg is obj"):
            add_cleanup(resource, fn, resource)

    before = counts()
    for _ in range(500):
        register_run_stop_and_refuse()
    assert counts() == before
