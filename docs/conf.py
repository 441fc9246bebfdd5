"""Sphinx configuration for intern's documentation (``nox -s docs`` builds it).

Sphinx, not MkDocs: its autodoc builds the API reference from the docstrings,
which are already written in its markup (``double backticks``), so nothing is
written twice; MyST lets the guide pages be Markdown, as README.md is. The
reference documents the pure-Python implementation, whose docstrings carry the
examples (``nox -s docs`` sets ``INTERN_PURE_PYTHON=1``); the C one has the same API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _write_command_help() -> None:
    """Write what ``python -m intern`` prints for the ``--help`` of each command.

    The command line's reference is its help, written once, in ``_cli.py``: the
    documentation includes it as the command prints it (docs/_generated/).
    """
    generated = Path(__file__).parent / "_generated"
    generated.mkdir(exist_ok=True)
    for command in ("scan", "duplicates", "bench"):
        printed = subprocess.run(  # noqa: S603 -- this Python, on its own command line
            [sys.executable, "-m", "intern", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "COLUMNS": "88"},  # argparse wraps to the terminal's width
        )
        (generated / f"{command}-help.txt").write_text(printed.stdout, encoding="utf-8")


_write_command_help()

project = "intern"
author = "The intern developers"
copyright = "2026, the intern developers"

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated"]
myst_heading_anchors = 3  # links to sections of a page, as on GitHub

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "furo"
html_title = "intern"
html_static_path = ["_static"]
