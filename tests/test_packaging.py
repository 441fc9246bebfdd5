"""The source distribution carries what its tests need."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What builds, tools and virtual environments leave in a work tree.
NOT_SOURCES = (".*", "build", "dist", "*.egg-info", "_build", "__pycache__", "*.so", "venv")


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs the source tree")
def test_the_sdist_ships_the_tests_with_their_helpers_and_examples(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="builds with the 'build' package (the test group has it)")
    # From a copy: building writes into the tree (its egg-info), which other runs
    # on the same tree, with other Pythons, may be building from at the same time.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(source)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [sdist] = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tests = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").glob("*.py")}
    examples = {path.relative_to(ROOT).as_posix() for path in (ROOT / "examples").glob("*.py")}
    assert {"tests/conftest.py", "tests/helpers.py"} <= tests
    assert tests | examples <= names
    assert {"noxfile.py", "CHANGELOG.md", "typings/README.md"} <= names
    assert not any("__pycache__" in name or name.endswith((".so", ".pyc")) for name in names)
