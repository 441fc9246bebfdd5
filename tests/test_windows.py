"""The pure-Python tables' windows call nothing and allocate nothing.

An insertion checks and stores under a lock in a *window* (see ``intern._pure``;
the tables of interned classes, ``intern._interned``, do the same): code in which
nothing can run in between, not a garbage collection's finalizers nor a signal
handler nor another thread, because it makes no call and allocates no object that
the collector tracks. Only its very last statement may call (a list's
``append``): what runs after it finds the store done. This reads the source of
every ``with ... lock:`` block, so that a change that breaks the rule fails here
rather than in a rare interleaving.
"""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

from intern import _buckets, _interned, _pure

# What a window may not contain: calls, and displays and expressions that
# build objects the collector tracks (or run code: f-strings, lambdas).
FORBIDDEN = (
    ast.Call,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.JoinedStr,
    ast.Lambda,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.NamedExpr,
    ast.Starred,
)


def windows(module: ModuleType) -> list[ast.With]:
    """Every ``with`` block of ``module`` over the interner's window lock."""
    found: list[ast.With] = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.With):
            for item in node.items:
                lock = item.context_expr
                name = lock.attr if isinstance(lock, ast.Attribute) else getattr(lock, "id", "")
                if name == "lock":
                    found.append(node)
    return found


def final_statements(statement: ast.stmt) -> list[ast.stmt]:
    """The statements that may run last when ``statement`` runs: through each branch of an if."""
    if not isinstance(statement, ast.If):
        return [statement]
    finals = final_statements(statement.body[-1])
    if statement.orelse:
        finals += final_statements(statement.orelse[-1])
    return finals


def offences(window: ast.With) -> list[str]:
    """Say what in ``window`` breaks the rule, by line."""
    # A statement that runs last may be one call: the store that ends the window.
    allowed = {
        id(statement.value)
        for statement in final_statements(window.body[-1])
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
    }
    problems: list[str] = []
    for statement in window.body:
        for node in ast.walk(statement):
            if id(node) in allowed:
                continue
            if isinstance(node, FORBIDDEN):
                problems.append(f"line {node.lineno}: {type(node).__name__}")
            if isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load):
                problems.append(f"line {node.lineno}: a tuple is built")
    return problems


def test_the_pure_python_windows_are_found() -> None:
    # make_scalar's and make's windows, make's snapshot, the two that count the
    # insertions under way, the creation of a table and the pruning of one.
    assert len(windows(_pure)) >= 7


def test_the_window_that_takes_a_reference_out_of_its_bucket_is_found() -> None:
    # Both kinds of table take their references out of buckets with it.
    assert len(windows(_buckets)) == 1


def test_the_interned_classes_windows_are_found() -> None:
    # The counters read, the snapshot and the store of an insertion, a dropped
    # reference kept, and the callback's count.
    assert len(windows(_interned)) >= 5


@pytest.mark.parametrize(
    "window",
    [*windows(_pure), *windows(_interned), *windows(_buckets)],
    ids=lambda window: f"line {window.lineno}",
)
def test_a_window_calls_nothing_but_its_final_store(window: ast.With) -> None:
    assert offences(window) == []


def test_the_rule_catches_a_call_in_the_middle() -> None:
    source = (
        "with self.lock:\n    if key not in plain:\n        note(key)\n        plain[key] = ref\n"
    )
    [window] = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.With)]
    assert offences(window) == ["line 3: Call"]


def test_the_rule_allows_one_final_call_and_catches_allocations() -> None:
    source = (
        "with lock:\n"
        "    plain_log[value_hash] = serial\n"
        "    fresh = [ref]\n"
        "    buckets[value_hash].append(ref)\n"
    )
    [window] = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.With)]
    assert offences(window) == ["line 3: List"]
