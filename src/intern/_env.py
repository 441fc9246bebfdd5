"""How the implementation is chosen: environment variables, read in one place.

``setup.py`` loads this file by path (the package cannot be imported while it is
being built), so it imports nothing from the package.
"""

from __future__ import annotations

import os
import sys

PURE_PYTHON = "INTERN_PURE_PYTHON"
"""Set (to anything but empty or ``0``): build no extension, and import none."""

REQUIRE_EXTENSION = "INTERN_REQUIRE_EXTENSION"
"""Set (likewise): a failed build of the extension fails the install, and the
test suite fails where the C implementation is missing."""


def flag(name: str) -> bool:
    """Say whether the environment variable ``name`` is set to anything but empty or ``0``."""
    return os.environ.get(name, "") not in {"", "0"}


def pure_python_chosen() -> bool:
    """Say whether the pure-Python implementation is chosen: asked for, or not CPython."""
    return flag(PURE_PYTHON) or sys.implementation.name != "cpython"


def running_python_m_intern() -> bool:
    """Say whether the process is ``python -m intern``, starting.

    True only while ``-m`` imports the package to find its ``__main__`` module:
    then ``sys.argv[0]`` is ``"-m"``, as the documentation of ``-m`` says.
    """
    if sys.argv[:1] != ["-m"]:
        return False
    arguments = iter(sys.orig_argv[1:])
    for argument in arguments:
        if argument.startswith("-m"):
            return (argument[2:] or next(arguments, "")) == "intern"
    return False
