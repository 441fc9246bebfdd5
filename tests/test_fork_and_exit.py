"""Fork while another thread holds the table lock, and a quiet interpreter exit."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

import intern
from tests.helpers import Implementation, Variant, run_python


class Blocking:
    """Its __eq__ waits for an event: make() holds the table lock meanwhile."""

    entered = threading.Event()
    release = threading.Event()

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        Blocking.entered.set()
        Blocking.release.wait(10)
        return self is other


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_child_can_make_while_a_parent_thread_held_the_lock(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    keep = interner.make(Blocking())
    Blocking.entered.clear()
    Blocking.release.clear()
    holder = threading.Thread(target=interner.make, args=(Blocking(),))
    holder.start()
    try:
        assert Blocking.entered.wait(10), "the holder thread never took the lock"
        pid = os.fork()
        if pid == 0:  # the child: only this thread exists, the lock looks held
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
        _, wait_status = os.waitpid(pid, 0)
    finally:
        Blocking.release.set()
        holder.join()
    assert os.waitstatus_to_exitcode(wait_status) == 0
    assert keep.value is not None


EXIT_SCRIPT = """
import gc, os, collections, intern

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

class Finalizer:
    def __init__(self, tag):
        self.tag = tag
        self.me = self
    def __del__(self):
        assert make(("finalized", self.tag)).value == ("finalized", self.tag)
        assert interner.make(("finalized", self.tag)).value == ("finalized", self.tag)
        assert make(Node(self.tag)).value.name == self.tag

live = [make(f"live {number}") for number in range(100)]
live += [interner.make((number, "interner")) for number in range(100)]
cycles = [Node(f"cycle {number}") for number in range(100)]
finalizers = [Finalizer(number) for number in range(5)]
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
