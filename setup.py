"""Build the optional C accelerator, intern._speedups.

Everything else is configured in pyproject.toml. The extension is skipped when
INTERN_PURE_PYTHON is set (to anything but 0) or off CPython; if it fails to
compile (no compiler, no Python headers), the install goes on with the
pure-Python implementation and says so, unless INTERN_REQUIRE_EXTENSION is set
(CI and release builds).
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

BUILD_ERRORS = (CCompilerError, ExecError, PlatformError, OSError)


class OptionalBuildExt(build_ext):
    """Build extensions when possible; otherwise warn and leave them out."""

    def run(self) -> None:
        """Build every extension, or warn and go on without them."""
        try:
            super().run()
        except BUILD_ERRORS as error:
            self.skip(error)

    def build_extension(self, ext: Extension) -> None:
        """Build one extension, or warn and go on without it."""
        try:
            super().build_extension(ext)
        except BUILD_ERRORS as error:
            self.skip(error)

    def skip(self, error: Exception) -> None:
        """Say loudly that the accelerator is left out, unless it is required."""
        if _flag("INTERN_REQUIRE_EXTENSION"):
            raise error
        print(
            "\n" + "=" * 74 + "\n"
            f"WARNING: intern's C accelerator could not be built ({error}).\n"
            "intern is installed with its pure-Python implementation, which is\n"
            "correct but several times slower; `import intern` will warn too.\n"
            "Install a C compiler and the Python headers, then reinstall.\n" + "=" * 74,
            file=sys.stderr,
        )


def _flag(name: str) -> bool:
    """Say whether the environment variable ``name`` is set to anything but empty or 0."""
    return os.environ.get(name, "") not in ("", "0")


def extensions() -> list[Extension]:
    """List the C accelerator, unless pure Python is asked for or this is not CPython."""
    if _flag("INTERN_PURE_PYTHON") or sys.implementation.name != "cpython":
        return []
    return [Extension("intern._speedups", ["src/intern/_speedups.c"])]


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
