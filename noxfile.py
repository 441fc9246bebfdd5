"""Development sessions: `python3 -m nox` runs them all (see README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ["3.11", "3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True  # a skipped version is a failure, not a pass
nox.options.sessions = ["tests", "typing", "lint", "demo"]


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
    """Run the test suite against a real (non-editable) install of the project."""
    session.install(".", *_group("test"))
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def typing(session: nox.Session) -> None:
    """Check src/, tests/ and typings/ with mypy and pyright, both strict."""
    session.install(".", *_group("typing"))
    session.run("mypy")
    session.run("pyright")


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS[0])
def demo(session: nox.Session) -> None:
    """Run the README's quick start and its main job, the default scan, as a newcomer would."""
    session.install(".")
    session.run("python", "examples/quickstart.py")
    session.run("python", "-m", "intern", "scan")
