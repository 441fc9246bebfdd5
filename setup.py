"""Build the optional C accelerator: intern._speedups and intern._interned_speedups.

Everything else is configured in pyproject.toml. The extension is skipped when
INTERN_PURE_PYTHON is set (to anything but 0) or off CPython; if it fails to
compile (no compiler, no Python headers), the install goes on with the
pure-Python implementation and says so, unless INTERN_REQUIRE_EXTENSION is set
(CI and release builds).
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
        if ENV.flag(ENV.REQUIRE_EXTENSION):
            raise error
        print(
            "\n" + "=" * 74 + "\n"
            f"WARNING: intern's C accelerator could not be built ({error}).\n"
            "intern is installed with its pure-Python implementation, which is\n"
            "correct but several times slower; `import intern` will warn too.\n"
            "Install a C compiler and the Python headers, then reinstall.\n" + "=" * 74,
            file=sys.stderr,
        )


def _load_env() -> ModuleType:
    """Load intern/_env.py by its path: the package cannot be imported while it is built."""
    path = Path(__file__).parent / "src" / "intern" / "_env.py"
    spec = importlib.util.spec_from_file_location("intern_env", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENV = _load_env()


def extensions() -> list[Extension]:
    """List the C accelerator, unless pure Python is asked for or this is not CPython."""
    if ENV.pure_python_chosen():
        return []
    return [
        Extension("intern._speedups", ["src/intern/_speedups.c"]),
        Extension("intern._interned_speedups", ["src/intern/_interned_speedups.c"]),
    ]


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
