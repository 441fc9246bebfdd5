"""Staying usable while the interpreter shuts down: the rule, and its one helper.

At exit, CPython empties the globals of modules (sets them to ``None``) while
objects are still being destroyed, so ``__del__`` methods and weak reference
callbacks keep running, and may call ``intern``. Code that they can reach
therefore never reads a module global when it runs. The rule this package
follows:

- Such code is a method, and reaches its helpers through attributes of its class
  (bound when the module is imported, as ``_helper = staticmethod(helper)``) or of
  its instance. Callbacks are bound methods or instances with ``__call__``.
- The exceptions are the few public functions that must be functions, and fast:
  ``make`` and ``get`` of the pure-Python interner and ``add_cleanup``. They are
  closures, whose cells (the fastest place to read a name from) survive
  shutdown too.
- Builtins (``hash``, ``type``, ``len``...) are safe: a function keeps the builtins
  it was created with.
"""

from __future__ import annotations

import _weakref
from collections.abc import Callable
from typing import Any

remove_dead_weakref: Callable[[dict[Any, Any], object], None] = getattr(  # noqa: B009
    _weakref, "_remove_dead_weakref"
)
"""``remove_dead_weakref(table, key)``: delete ``table[key]`` if it is a dead weak
reference, atomically, in C (the helper ``weakref.WeakValueDictionary`` relies on;
private, but there since Python 3.7, and not declared by typeshed). A late
callback using it never removes a newer, live entry."""
