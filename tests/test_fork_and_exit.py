"""Fork while another thread is in make or holds a lock, and a quiet interpreter exit."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, Variant, run_python


class Blocking:
    """Its __eq__ waits for an event: a make() in progress meanwhile."""

    entered = threading.Event()
    release = threading.Event()

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        Blocking.entered.set()
        Blocking.release.wait(10)
        return self is other


def make_in_a_child(impl: Implementation, interner: intern.Interner[Any]) -> int:
    """Fork; in the child, intern into ``interner`` and the default; return its exit code."""
    pid = os.fork()
    if pid == 0:  # the child: only this thread exists
        status = 1
        try:
            handle = interner.make(("after", "fork"))
            default_handle = impl.make(("after", "fork"))
            if interner.make(("after", "fork")) is handle and default_handle.value == (
                "after",
                "fork",
            ):
                status = 0
        finally:
            os._exit(status)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a child that hangs fails the test
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(wait_status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the child hung: a lock held at fork was still held in it")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_can_make_while_a_parent_thread_was_in_make(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    keep = interner.make(Blocking())
    Blocking.entered.clear()
    Blocking.release.clear()
    holder = threading.Thread(target=interner.make, args=(Blocking(),))
    holder.start()
    try:
        assert Blocking.entered.wait(10), "the holder thread never reached __eq__"
        code = make_in_a_child(impl, interner)
    finally:
        Blocking.release.set()
        holder.join()
    assert code == 0
    assert keep.value is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_can_make_while_a_parent_thread_held_the_window_lock(
    variant: Variant, impl: Implementation, interner: intern.Interner[Any]
) -> None:
    # The pure-Python windows' lock: a thread in a window when another forks
    # leaves it held in the child, where that thread does not exist.
    if variant.name != "python":
        pytest.skip("the C implementation takes no lock of its own under the GIL")
    locks = [
        interner._tables.lock,  # pyright: ignore[reportPrivateUsage]
        impl.default._tables.lock,  # pyright: ignore[reportPrivateUsage]
    ]
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks[0], locks[1]:
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10)
        code = make_in_a_child(impl, interner)
    finally:
        release.set()
        holder.join()
    assert code == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_can_construct_interned_instances_while_a_parent_thread_held_a_class_lock() -> None:
    @intern.interned
    @dataclass(frozen=True)
    class Point:
        x: int

    lock = vars(Point)["__intern_instances__"].lock
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10)
        pid = os.fork()
        if pid == 0:  # the child: a miss takes the class's lock
            status = 1
            try:
                status = 0 if Point(1) is Point(1) else 1
            finally:
                os._exit(status)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, wait_status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the child hung: a class's lock held at fork was still held")
    finally:
        release.set()
        holder.join()
    assert os.waitstatus_to_exitcode(wait_status) == 0


EXIT_SCRIPT = """
import gc, os, collections, dataclasses, intern

interner = intern.Interner()
make = intern.make

class Node:
    def __init__(self, name):
        self.name = name
        self.handle = make(self)
    def __hash__(self):
        return hash(self.name)
    def __eq__(self, other):
        return isinstance(other, Node) and other.name == self.name

@intern.interned
@dataclasses.dataclass(frozen=True)
class Point:
    x: object
    box: list = dataclasses.field(default_factory=list, compare=False, hash=False)

class Finalizer:
    def __init__(self, tag):
        self.tag = tag
        self.me = self
    def __del__(self):
        assert make(("finalized", self.tag)).value == ("finalized", self.tag)
        assert interner.make(("finalized", self.tag)).value == ("finalized", self.tag)
        assert make(Node(self.tag)).value.name == self.tag
        assert Point(self.tag) is Point(self.tag)
        assert Point(Node(self.tag)) is Point(Node(self.tag))

live = [make(f"live {number}") for number in range(100)]
live += [interner.make((number, "interner")) for number in range(100)]
cycles = [Node(f"cycle {number}") for number in range(100)]
finalizers = [Finalizer(number) for number in range(5)]
points = [Point(number) for number in range(100)]
for point in points[::10]:
    point.box.append(point)  # cycles, left for shutdown
os._intern_test_finalizer = Finalizer("os")
collections._intern_test_finalizer = Finalizer("collections")
Finalizer("garbage")  # a cycle: finalized by a collection, or at exit
gc.disable()  # leave the cycles for interpreter shutdown
print("ok")
"""


def test_interpreter_exit_with_live_handles_cycles_and_finalizers_is_quiet(
    impl: Implementation, variant: Variant
) -> None:
    script = f"import intern\nassert intern.implementation == {variant.name!r}\n" + EXIT_SCRIPT
    result = run_python(script, variant)
    assert result.stderr == ""
    assert result.stdout == "ok\n"
    assert result.returncode == 0
