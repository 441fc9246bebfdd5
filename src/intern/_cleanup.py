"""Cleanups: call ``fn(arg)`` once an object has been collected (Go's ``runtime.AddCleanup``).

Each cleanup is a weak reference to the object (a ``_Watch``) whose callback is a
``_Task`` holding ``fn`` and ``arg`` (or its twin in the C accelerator,
``CleanupTask``: ``add_cleanup`` registers its common case in C, with
``CleanupRegistrar``, and every other case here, where all refusal checks are).
A registry maps every pending watch to its task: it keeps the watch alive (a weak
reference that is itself collected never calls back), and it decides who wins
between the callback and ``Cleanup.stop()``.

- Whoever pops the watch from the registry runs or cancels the task; the other finds
  nothing. ``dict.pop`` is atomic and watches hash and compare by identity, so this
  takes no lock and runs no user code: it is safe from a garbage collection at any
  allocation, from any thread, and in a child process after ``os.fork()``.
- ``fn(arg)`` runs in the weak reference callback, so an exception it raises goes to
  ``sys.unraisablehook``, never into the code that dropped the last reference. The
  report names the callback, a ``_Task`` whose repr shows ``fn``: as its object up to
  Python 3.13, in its message from 3.14.
- At interpreter exit an ``atexit`` handler empties the registry: a cleanup whose object
  is still alive then (or is collected during shutdown) is not run. Its object was never
  collected, so running it would break the contract and could free a resource that code
  run during shutdown still uses; the operating system reclaims memory maps and file
  descriptors of the exiting process anyway.
- What runs from a callback or from ``__del__`` during shutdown (``_Task.__call__``,
  ``Cleanup``'s methods and ``add_cleanup``) follows ``intern._shutdown``:
  ``add_cleanup`` is a closure, the rest reach their helpers through attributes.
"""

from __future__ import annotations

import atexit
import functools
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast, final

from intern._env import pure_python_chosen

S = TypeVar("S")


class _Watch(weakref.ref[Any]):
    """The weak reference to a watched object; hashes and compares by identity.

    A plain ``weakref.ref`` hashes like its object, which may be unhashable, run user
    code, or be gone; the registry needs a key that does none of these.
    """

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__


class _Task:
    """The callback of a watch: calls ``fn(arg)`` unless the cleanup was stopped first."""

    __slots__ = ("arg", "fn")

    pending: ClassVar[dict[_Watch, _Task]]  # the registry's, set below: one for all tasks

    def __init__(self, fn: Callable[[Any], object], arg: object) -> None:
        self.fn: Callable[[Any], object] | None = fn
        self.arg: object = arg

    def __call__(self, watch: _Watch) -> None:
        if self.pending.pop(watch, None) is None:
            return  # stopped, or dropped at interpreter exit
        fn, arg = self.fn, self.arg
        if fn is not None:  # always, as only the winner of the pop releases the task
            fn(arg)  # an exception goes to sys.unraisablehook, naming this task

    def release(self) -> None:
        """Let go of ``fn`` and ``arg`` once the task will never run."""
        self.fn = self.arg = None

    def __repr__(self) -> str:
        return f"<intern cleanup {self.fn!r}>"


class _Registry:
    """The pending cleanups, and whether the interpreter has begun to exit."""

    __slots__ = ("closed", "pending")

    def __init__(self) -> None:
        self.pending: dict[_Watch, _Task] = {}
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.pending.clear()


_registry = _Registry()
atexit.register(_registry.close)
_Task.pending = _registry.pending


@final
class Cleanup:
    """A cleanup registered by :func:`intern.add_cleanup`; ``stop()`` cancels it.

    ``pending`` is true until the cleanup function has been called, has been
    stopped, or was dropped at interpreter exit. Not constructible directly.

    >>> import intern
    >>> class Resource:
    ...     pass
    >>> resource = Resource()
    >>> cleanup = intern.add_cleanup(resource, print, "released")
    >>> cleanup.pending
    True
    >>> cleanup.stop(), cleanup.pending, cleanup.stop()
    (True, False, False)
    """

    __slots__ = ("_watch",)
    _pending: ClassVar[dict[_Watch, _Task]]  # the registry's, set below: one for all cleanups
    _watch: _Watch

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        raise TypeError("Cleanup objects are not created directly: use intern.add_cleanup()")

    @property
    def pending(self) -> bool:
        """Whether the cleanup function is still to be called."""
        return self._watch in self._pending

    def stop(self) -> bool:
        """Cancel the cleanup; return whether it was pending.

        After ``stop()`` the cleanup function is never called, and the cleanup holds
        neither it nor its argument any more. Stopping a cleanup that already ran,
        or was stopped, does nothing and returns ``False``.
        """
        task = self._pending.pop(self._watch, None)
        if task is None:
            return False
        task.release()
        return True

    def __repr__(self) -> str:
        return f"<Cleanup {'pending' if self.pending else 'not pending'}>"


Cleanup._pending = _registry.pending  # pyright: ignore[reportPrivateUsage] -- its own module


_CONTAINERS: tuple[type[Any], ...] = (tuple, list, set, frozenset, dict)


def _describe_container_reference(obj: object, arg: object) -> str | None:
    """Say how ``arg``, if a tuple, list, set or dict, holds ``obj`` directly."""
    # By the real type, as the C accelerator checks: an object faking __class__
    # (a Mock with a spec, say) is no container.
    arg_type = type(arg)
    if not issubclass(arg_type, _CONTAINERS):  # most args: a path, a descriptor, a handle
        return None
    kind = f"arg, of type {arg_type.__name__!r},"  # no article to agree with the name
    if issubclass(arg_type, tuple | list):
        items = cast("tuple[object, ...] | list[object]", arg)
        for index, item in enumerate(items):
            if item is obj:
                return f"{kind} holds obj at index {index}"
    elif issubclass(arg_type, set | frozenset):
        members = cast("set[object] | frozenset[object]", arg)
        if any(member is obj for member in members):
            return f"{kind} holds obj"
    elif issubclass(arg_type, dict):
        mapping = cast("dict[object, object]", arg)
        for key, value in mapping.items():
            if key is obj:
                return f"{kind} holds obj as a key"
            if value is obj:
                return f"{kind} holds obj as a value"
    return None


def _describe_closure_reference(obj: object, fn: types.FunctionType) -> str | None:
    """Say how ``fn`` holds ``obj`` in a closure cell or a default value."""
    code = fn.__code__
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True):
        try:
            held = cell.cell_contents
        except ValueError:  # a variable not bound yet
            continue
        if held is obj:
            return f"fn's closure holds obj (in variable {name!r})"
    defaults = fn.__defaults__ or ()
    first_with_default = code.co_argcount - len(defaults)
    for offset, default in enumerate(defaults):
        if default is obj:
            name = code.co_varnames[first_with_default + offset]
            return f"fn's default for parameter {name!r} is obj"
    for name, default in (fn.__kwdefaults__ or {}).items():
        if default is obj:
            return f"fn's default for parameter {name!r} is obj"
    return None


@final
class _FunctionReference:
    """Say how ``fn`` holds ``obj`` directly: is it, is bound to it, or holds it.

    Looks through bound methods and ``functools.partial`` to the function inside.
    """

    __slots__ = ()

    # Bound here, not looked up in module globals (see intern._shutdown).
    _method_types = (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)
    _partial_type = functools.partial
    _function_type = types.FunctionType
    _describe_closure_reference = staticmethod(_describe_closure_reference)

    def __call__(self, obj: object, fn: object) -> str | None:
        for _ in range(100):  # methods and partials nest only so deep in practice
            if fn is obj:
                return "fn is obj itself"
            if type(fn) is self._function_type:  # the common case first: a plain function
                if fn.__closure__ or fn.__defaults__ or fn.__kwdefaults__:
                    return self._describe_closure_reference(obj, fn)
                return None
            if issubclass(type(fn), self._method_types):
                if getattr(fn, "__self__", None) is obj:
                    return "fn is a method bound to obj"
                fn = getattr(fn, "__func__", None)  # only Python methods have a function inside
            elif issubclass(type(fn), self._partial_type):
                partial = cast("functools.partial[object]", fn)
                if any(held is obj for held in (*partial.args, *partial.keywords.values())):
                    return "fn is a functools.partial holding obj"
                fn = partial.func
            else:
                return None
        return None


_describe_function_reference = _FunctionReference()


def _make_add_cleanup() -> Callable[..., Cleanup]:
    # add_cleanup is a closure so that a __del__ may call it during shutdown, after
    # module globals are cleared (see the module docstring).
    registry = _registry
    pending = registry.pending
    watch_type = _Watch
    task_type = _Task
    new_object = object.__new__
    cleanup_type = Cleanup
    slots = Cleanup.__dict__
    set_watch: Callable[[Cleanup, _Watch], None] = slots["_watch"].__set__
    describe_function_reference = _describe_function_reference
    describe_container_reference = _describe_container_reference
    function_type = types.FunctionType
    builtin_type = types.BuiltinFunctionType
    containers = _CONTAINERS

    def add_cleanup(obj: object, fn: Callable[[S], object], arg: S, /) -> Cleanup:
        """Call ``fn(arg)`` once, some time after ``obj`` has been collected.

        ``fn`` never receives ``obj``, so the object cannot be brought back to life.
        Several cleanups may watch one object; they run in no particular order. An
        exception raised by ``fn`` goes to ``sys.unraisablehook``, never into the
        code that dropped the last reference. Returns a :class:`Cleanup`, whose
        ``stop()`` cancels the call; the cleanup stays registered whether or not
        you keep it.

        At interpreter exit, cleanups still pending are dropped without being
        called (from the moment ``intern``'s ``atexit`` handler runs): their objects
        were never collected. Use ``atexit`` or a ``with`` block for work that must
        happen before the process ends.

        Raises ``TypeError`` if ``obj`` cannot be weakly referenced or ``fn`` is not
        callable. Raises ``ValueError`` for the mistakes that would keep ``obj``
        alive forever, so that the cleanup would never run: ``arg`` is ``obj``;
        ``fn`` is ``obj``, a method bound to ``obj`` or a ``functools.partial``
        holding it; ``obj`` is in ``fn``'s closure or defaults; ``arg`` is a tuple,
        list, set or dict directly holding ``obj``. References deeper inside ``fn``
        or ``arg`` are not detected, and keep ``obj`` alive just the same.

        >>> import intern, os, tempfile
        >>> class TempFile:
        ...     def __init__(self):
        ...         fd, self.path = tempfile.mkstemp()
        ...         os.close(fd)
        ...         intern.add_cleanup(self, os.remove, self.path)
        >>> temp = TempFile()
        >>> path = temp.path
        >>> del temp  # removes the file
        >>> os.path.exists(path)
        False
        """
        # The refusal checks' common cases inline, as each call costs what a
        # registration does: a plain function, or a builtin (os.close, os.remove),
        # that holds nothing, and an arg that is no container.
        kind = type(fn)
        if kind is function_type:
            plain = not (fn.__closure__ or fn.__defaults__ or fn.__kwdefaults__)
        elif kind is builtin_type:
            plain = getattr(fn, "__self__", None) is not obj
        elif callable(fn):
            plain = False
        else:
            raise TypeError(f"add_cleanup needs a callable fn, not {kind.__name__!r}")
        task = task_type(fn, arg)
        try:
            watch = watch_type(obj, task)
        except TypeError:
            raise TypeError(
                f"add_cleanup needs an object that can be weakly referenced, and"
                f" {type(obj).__name__!r} objects cannot be"
            ) from None
        if arg is obj:
            reason: str | None = "arg is obj itself"
        elif plain and fn is not obj and not issubclass(type(arg), containers):
            reason = None
        else:
            reason = describe_function_reference(obj, fn) or describe_container_reference(obj, arg)
        if reason is not None:
            task.release()
            raise ValueError(
                f"add_cleanup: {reason}, which would keep obj alive forever, so the cleanup"
                f" would never run; give fn what it needs to clean up (a file descriptor,"
                f" a path, a resource) as arg, never obj"
            )
        cleanup: Cleanup = new_object(cleanup_type)
        set_watch(cleanup, watch)
        pending[watch] = task
        if registry.closed:  # the interpreter is exiting: the cleanup would not run
            cleanup.stop()
        return cleanup

    add_cleanup.__module__ = "intern"
    return add_cleanup


def _make_fast_add_cleanup(checked: Callable[..., Cleanup]) -> Callable[..., Cleanup] | None:
    """Return add_cleanup on the C accelerator's registrar, or None without one.

    The registrar does the common case in C (see ``CleanupRegistrar`` in
    ``_speedups.c``) and calls ``checked``, the registration above, for the rest.
    """
    if pure_python_chosen():
        return None
    try:
        from intern._speedups import CleanupRegistrar
    except ImportError:  # intern/__init__.py warns about it
        return None
    register = CleanupRegistrar(_registry.pending, _Watch, Cleanup, _registry, checked)

    @functools.wraps(checked)
    def add_cleanup(obj: object, fn: Callable[[S], object], arg: S, /) -> Cleanup:
        return cast("Cleanup", register(obj, fn, arg))

    return add_cleanup


def implementations() -> dict[str, Callable[..., Cleanup]]:
    """Each implementation's ``add_cleanup`` that is available, by name (for tests)."""
    found = {"python": _checked_add_cleanup}
    if _fast_add_cleanup is not None:
        found["c"] = _fast_add_cleanup
    return found


_checked_add_cleanup = _make_add_cleanup()
_fast_add_cleanup = _make_fast_add_cleanup(_checked_add_cleanup)

if TYPE_CHECKING:

    def add_cleanup(obj: object, fn: Callable[[S], object], arg: S, /) -> Cleanup:
        """Call ``fn(arg)`` once, some time after ``obj`` has been collected."""
        ...

else:
    add_cleanup = _fast_add_cleanup or _checked_add_cleanup
