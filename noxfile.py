"""Development sessions: `python3 -m nox` runs them all (see README.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

PYTHONS = ["3.11", "3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")

nox.options.default_venv_backend = "venv"
# A Python that is not installed is skipped with a note locally; in CI (which sets
# CI, as .ci/run does) it is a failure, not a pass.
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))
nox.options.sessions = ["tests", "typing", "lint", "no_compiler", "demo", "docs"]

BUILD_OUTPUTS = (".git", ".nox", "build", "dist", "*.egg-info", "*.so", "__pycache__")

VALGRIND_TESTS = (
    "tests/test_make.py",
    "tests/test_handle.py",
    "tests/test_interner.py",
    "tests/test_reclaim.py",
    "tests/test_hostile.py",
    "tests/test_pool.py",
)

# The C accelerator must build, and its tests must run, wherever CI runs them.
REQUIRE_EXTENSION = {"INTERN_REQUIRE_EXTENSION": "1"}


def _pyenv_interpreters_on_path() -> None:
    """Let nox find every Python that pyenv has installed.

    pyenv's shims only resolve the selected version, so `python3.12` is not found
    on PATH unless 3.12 is selected; nox looks interpreters up on PATH.
    """
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    extra: list[str] = []
    for wanted in PYTHONS:
        for candidate in sorted(versions.glob(f"{wanted}.*/bin"), reverse=True):
            if (candidate / f"python{wanted}").exists():
                extra.append(str(candidate))
                break
    os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_pyenv_interpreters_on_path()


def _group(name: str) -> tuple[str, ...]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite on both implementations, as installed by pip."""
    session.install(".", *_group("test"), env=REQUIRE_EXTENSION)
    session.run("python", "-m", "pytest", *session.posargs, env=REQUIRE_EXTENSION)


@nox.session(python=PYTHONS[0])
def typing(session: nox.Session) -> None:
    """Check src/, tests/ and typings/ with mypy and pyright, both strict.

    stubtest then checks that the C module matches its stub.
    """
    session.install(".", *_group("typing"), env=REQUIRE_EXTENSION)
    session.run("mypy")
    session.run("pyright")
    session.run("python", "-m", "mypy.stubtest", "intern._speedups", "intern._interned_speedups")


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS[0])
def no_compiler(session: nox.Session) -> None:
    """Install without a working C compiler: pure Python, a warning, all tests pass."""
    session.install(*_group("test"))
    # Build from a clean copy, so that no object file compiled earlier is reused.
    source = Path(session.create_tmp()) / "source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(Path.cwd(), source, ignore=shutil.ignore_patterns(*BUILD_OUTPUTS))
    session.install(str(source), "--no-cache-dir", "--force-reinstall", env={"CC": "false"})
    session.run(
        "python",
        "-W",
        "error::RuntimeWarning",
        "-c",
        "import intern",
        success_codes=[1],  # the missing accelerator is reported at import
    )
    session.run(
        "python",
        "-c",
        "import intern; assert intern.implementation == 'python', intern.implementation",
        env={"INTERN_PURE_PYTHON": "1"},
    )
    session.run(
        "python", "-m", "pytest", "-q", "--implementation=python", env={"INTERN_PURE_PYTHON": "1"}
    )


@nox.session(python=PYTHONS[0])
def valgrind(session: nox.Session) -> None:
    """Run the core behaviour tests of the C module under valgrind's memcheck.

    Fails on any error valgrind reports with a frame in the extension: invalid
    reads or writes, uses of uninitialised memory, definite leaks. CPython
    itself shows a few known false positives under valgrind (its int parsing,
    glibc's vectorised compares); those are counted, not failed on.
    PYTHONMALLOC=malloc lets valgrind see every allocation.
    """
    session.install(".", *_group("test"), env=REQUIRE_EXTENSION)
    report = Path(session.create_tmp()) / "memcheck.xml"
    session.run(
        "valgrind",
        "--tool=memcheck",
        "--leak-check=full",
        "--show-leak-kinds=definite",
        "--errors-for-leak-kinds=definite",
        "--track-origins=yes",
        "--child-silent-after-fork=yes",  # forked children (fork tests) would write into the XML
        "--xml=yes",
        f"--xml-file={report}",
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--implementation=c",
        *(session.posargs or VALGRIND_TESTS),
        env={"PYTHONMALLOC": "malloc", **REQUIRE_EXTENSION},
        external=True,
    )
    ours, theirs = _memcheck_errors(report)
    session.log(f"memcheck: {len(ours)} errors in intern._speedups, {theirs} elsewhere")
    if ours:
        session.error("memcheck found errors in intern._speedups:\n" + "\n\n".join(ours))


def _memcheck_errors(report: Path) -> tuple[list[str], int]:
    """Split valgrind's XML errors into those touching the extension and the rest."""
    import xml.etree.ElementTree as ElementTree

    ours: list[str] = []
    theirs = 0
    root = ElementTree.parse(report).getroot()  # noqa: S314 -- valgrind's own output
    for error in root.iter("error"):
        frames = [
            f"  {frame.findtext('fn', '?')} ({frame.findtext('obj', '?')})"
            for frame in error.iter("frame")
        ]
        if any("_speedups" in frame for frame in frames):
            what = error.findtext("kind", "?") + ": " + error.findtext(".//text", "")
            ours.append("\n".join([what, *frames[:12]]))
        else:
            theirs += 1
    return ours, theirs


@nox.session(python=PYTHONS[0])
def mutants(session: nox.Session) -> None:
    """Sample mutants of the pure-Python modules and print how many the tests kill.

    A measurement, not a check, so not in the default run: it fails only if the
    unmutated code fails its tests. Options go to tests/mutants.py:
    `nox -s mutants -- --sample 80 --seed 1 --module _cache`.
    """
    session.install(".", *_group("test"))
    session.run("python", "tests/mutants.py", *session.posargs)


@nox.session(python=PYTHONS[0])
def docs(session: nox.Session) -> None:
    """Build the documentation site into docs/_build/html; any warning fails it.

    The API reference is generated from the docstrings of the pure-Python
    implementation (see docs/conf.py).
    """
    session.install(".", *_group("docs"))
    session.run(
        "sphinx-build",
        "--fail-on-warning",
        "--keep-going",
        "--builder",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
        env={"INTERN_PURE_PYTHON": "1"},
    )
    session.log(f"open {Path('docs/_build/html/index.html').resolve()}")


@nox.session(python=PYTHONS[0])
def demo(session: nox.Session) -> None:
    """Run the README's quick start, its recipe, its main job and its duplicates report."""
    session.install(".")
    session.run("python", "examples/quickstart.py")
    session.run("python", "examples/mmap_cache.py")
    session.run("python", "-m", "intern", "scan")
    session.run("python", "-m", "intern", "duplicates", "--top", "6", "examples/flights.py")
