"""The documented recipe: memory-mapped files shared while in use, unmapped after."""

from __future__ import annotations

import mmap
import subprocess
import sys
from pathlib import Path

import pytest

from examples.mmap_cache import MappedFile, mapped_files
from tests.helpers import call_in_threads, collect

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mmap_cache.py"


def is_closed(data: mmap.mmap) -> bool:
    """Whether the mapping is closed (a call, so that checkers do not narrow it)."""
    return data.closed


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = tmp_path / "data.bin"
    file.write_bytes(b"hello, mapped world\n")
    return str(file)


def test_one_file_is_mapped_once_while_in_use(path: str) -> None:
    first = mapped_files[path]
    second = mapped_files[path]
    assert first is second
    assert first.data[:5] == b"hello"
    assert len(mapped_files) == 1


def test_the_mapping_is_closed_once_the_last_user_drops_it(path: str) -> None:
    mapped = mapped_files[path]
    data = mapped.data  # kept to look at the mapping afterwards
    assert not is_closed(data)
    del mapped
    assert is_closed(data)
    assert path not in mapped_files


def test_a_mapping_in_a_cycle_is_closed_at_the_next_collection(path: str) -> None:
    mapped = mapped_files[path]
    data = mapped.data
    mapped.me = mapped  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    del mapped
    assert not is_closed(data)
    collect()
    assert is_closed(data)


def test_the_next_user_maps_the_file_again(path: str) -> None:
    old_data = mapped_files[path].data
    assert is_closed(old_data)
    mapped = mapped_files[path]
    assert mapped.data is not old_data
    assert mapped.data[:5] == b"hello"


def test_concurrent_users_share_one_mapping(path: str) -> None:
    users = call_in_threads(8, lambda _: mapped_files[path])
    first = users[0]
    assert isinstance(first, MappedFile)
    assert all(user is first for user in users)


def test_files_that_cannot_be_mapped_raise_and_nothing_is_cached(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="cannot mmap an empty file"):
        mapped_files[str(empty)]
    with pytest.raises(FileNotFoundError):
        mapped_files[str(tmp_path / "missing.bin")]
    assert len(mapped_files) == 0


def test_the_documentation_shows_the_recipe_from_the_example_file() -> None:
    page = (ROOT / "docs" / "caches.md").read_text(encoding="utf-8")
    assert "```{literalinclude} ../examples/mmap_cache.py" in page
    assert ":start-at: import mmap" in page
    assert ":end-before: def main()" in page
    source = EXAMPLE.read_text(encoding="utf-8")
    assert source.index("import mmap") < source.index("def main()")


def test_the_example_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False
    )
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "one mapping for both users: True",
        "contents: b'hello, mapped world'",
        "mapping closed after the last user let go: True",
        "entries left in the cache: 0",
    ]
    assert result.returncode == 0
