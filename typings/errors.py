"""What checkers must reject: each line names the error it expects.

The subclass of Handle comes last: mypy takes code after it as unreachable.
"""

from __future__ import annotations

import intern
from intern import Handle, Interner


def wants_text(handle: Handle[str]) -> str:
    return handle.value


wants_text(intern.make(1))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

intern.make([1, 2])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
intern.make({"a": 1})  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]

methods = Interner[str]()
methods.make(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
methods.get(b"GET")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

handle = intern.make("GET")
handle.value = "PUT"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
wrong: Handle[int] = handle  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

stats = intern.stats()
stats.live = 0  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


def close_descriptor(fd: int) -> None:
    pass


class Resource:
    pass


resource = Resource()
intern.add_cleanup(resource, close_descriptor, "3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
intern.add_cleanup(resource, close_descriptor)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
intern.add_cleanup(obj=resource, fn=print, arg=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
cleanup = intern.add_cleanup(resource, print, "x")
cleanup.pending = False  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


class MyHandle(Handle[str]):  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
    pass
