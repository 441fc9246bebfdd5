"""The two implementations: selection, one API, and the C module's own guarantees."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import subprocess
import sys

import pytest

from tests.helpers import VARIANTS, Implementation, Variant, run_python

PUBLIC_NAMES = {"Handle", "Interner", "default", "make"}


def test_implementation_names_the_module_in_use(impl: Implementation, variant: Variant) -> None:
    result = run_python(
        "import intern; print(intern.implementation, intern.make.__module__)", variant
    )
    assert result.stdout.split() == [variant.name, "intern"]
    assert result.stderr == ""


def test_both_implementations_offer_the_same_names_and_signatures() -> None:
    modules: list[Implementation] = []
    for variant in VARIANTS:
        try:
            modules.append(variant.load())
        except ImportError:
            pytest.skip(f"the {variant.name} implementation is not available")
    for module in modules:
        assert set(vars(module)) >= PUBLIC_NAMES
    python, c = modules
    assert parameters(python.make) == parameters(c.make) == [("value", "POSITIONAL_ONLY")]
    for name in ("make", "get"):
        assert parameters(getattr(python.default, name)) == parameters(getattr(c.default, name))
    python_doc, c_doc = python.make.__doc__ or "", c.make.__doc__ or ""
    assert python_doc.split("\n")[0] == c_doc.split("\n")[0] != ""


def parameters(function: object) -> list[tuple[str, str]]:
    signature = inspect.signature(function)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    return [(parameter.name, parameter.kind.name) for parameter in signature.parameters.values()]


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["intern._speedups"], "intern._speedups"),
        (["intern._interned_speedups"], "intern._interned_speedups"),
        (["intern._speedups", "intern._interned_speedups"], "intern._speedups"),
    ],
    ids=["main", "interned", "both"],
)
def test_a_missing_extension_falls_back_to_python_with_a_warning(
    missing: list[str], named: str
) -> None:
    result = run_python(
        f"""
        import sys, warnings
        sys.modules.update(dict.fromkeys({missing!r}))  # as if not built
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import intern
        assert intern.implementation == "python", intern.implementation
        assert intern.make("x") is intern.make("x")
        [warning] = caught
        assert warning.category is RuntimeWarning
        # Pointing at the import that chose the fallback, in the user's code.
        where = (warning.filename, warning.lineno)
        assert where == ("<string>", 6), where
        print(warning.message)
        """,
        VARIANTS[1],
    )
    assert result.returncode == 0, result.stderr
    if importlib.util.find_spec("intern._speedups") is None:  # installed without a compiler
        named = "intern._speedups"
    assert "C accelerator is not available (" in result.stdout
    assert named in result.stdout.split(";")[0]  # the module that is missing
    assert "INTERN_PURE_PYTHON=1" in result.stdout


def test_forcing_pure_python_needs_no_extension_and_warns_nothing() -> None:
    result = run_python(
        """
        import sys, warnings
        warnings.simplefilter("error")
        sys.modules["intern._speedups"] = None
        import intern
        print(intern.implementation)
        """,
        VARIANTS[0],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "python\n"


@pytest.mark.parametrize(("setting", "expected"), [("1", "python"), ("0", "c"), ("", "c")])
def test_pure_python_is_forced_by_any_setting_but_empty_or_zero(
    c_impl: Implementation, setting: str, expected: str
) -> None:
    env = {**VARIANTS[1].environment(), "INTERN_PURE_PYTHON": setting}
    result = subprocess.run(
        [sys.executable, "-c", "import intern; print(intern.implementation)"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert (result.stdout, result.stderr) == (f"{expected}\n", "")


SUBINTERPRETER_SCRIPT = """
import intern._speedups as speedups
handle = speedups.make(("in", "a", "subinterpreter"))
assert speedups.make(("in", "a", "subinterpreter")) is handle
assert speedups.default.stats().live >= 1
"""


@pytest.mark.skipif(sys.version_info < (3, 12), reason="isolated subinterpreters: 3.12+")
def test_c_module_loads_in_an_isolated_subinterpreter(c_impl: Implementation) -> None:
    try:
        interpreters = importlib.import_module("_interpreters")
        interpreter = interpreters.create("isolated")
    except ModuleNotFoundError:
        interpreters = importlib.import_module("_xxsubinterpreters")
        interpreter = interpreters.create(isolated=True)
    try:
        failure = interpreters.run_string(interpreter, SUBINTERPRETER_SCRIPT)
    finally:
        interpreters.destroy(interpreter)
    assert failure is None
    assert c_impl.make(("in", "a", "subinterpreter")).value == ("in", "a", "subinterpreter")
