"""The examples in the docstrings and in the documentation run, and say what they print."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from intern import _pure

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "intern",
    "intern._pure",
    "intern._cache",
    "intern._cleanup",
    "intern._deep",
    "intern._duplicates",
    "intern._pool",
    "intern._stats",
    "intern._checks",
]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run(test: doctest.DocTest) -> str:
    """Run one doctest; return the report of its failures, or ''."""
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test, out=report.append)
    return "".join(report)


def docstring_tests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder()
    found: list[doctest.DocTest] = []
    for name in MODULES:
        found += finder.find(importlib.import_module(name))
    # The default interner's make says it is intern.make, so the finder does not
    # take it for one of intern._pure's functions.
    found += finder.find(_pure.make, "intern._pure.make", globs={})
    return [test for test in found if test.examples]


@pytest.mark.parametrize("test", docstring_tests(), ids=lambda test: test.name)
def test_a_docstring_example_prints_what_it_says(test: doctest.DocTest) -> None:
    assert run(test) == ""


def test_the_public_api_has_examples() -> None:
    named = {test.name for test in docstring_tests()}
    names = ("make", "Handle", "Interner", "make_deep", "WeakCache", "add_cleanup", "Pool")
    for name in (*names, "duplicates", "interned"):
        assert any(test.endswith(f".{name}") for test in named), name


PYCON = re.compile(r"^```pycon\n(.*?)^```", re.DOTALL | re.MULTILINE)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def page_test(page: Path) -> doctest.DocTest:
    """The ``pycon`` blocks of a page, as one doctest: later blocks see earlier names."""
    source = "\n".join(PYCON.findall(page.read_text(encoding="utf-8")))
    return doctest.DocTestParser().get_doctest(source, {}, page.name, str(page), 0)


@pytest.mark.skipif(not (ROOT / "docs").is_dir(), reason="needs the source tree")
@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_a_page_example_prints_what_it_says(page: Path) -> None:
    assert run(page_test(page)) == ""
