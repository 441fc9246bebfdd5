"""Plain text for the command line: tables, sizes and a progress line."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TextIO


def render_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None
) -> list[str]:
    """Lay out rows under a header, in columns two spaces apart.

    ``align`` has one letter per column, ``l`` (left) or ``r`` (right); by default
    the first column is left-aligned and the others right-aligned, as for numbers.
    """
    align = align or "l" + "r" * (len(header) - 1)
    table = [header, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    return [
        "  ".join(
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align, strict=True)
        ).rstrip()
        for row in table
    ]


def format_bytes(count: float) -> str:
    """Say a number of bytes in the largest binary unit that keeps it at least 1."""
    units = ["KiB", "MiB", "GiB", "TiB"]
    if abs(count) < 1024:
        return f"{count:,.0f} bytes"
    count /= 1024
    while abs(count) >= 1024 and len(units) > 1:
        count /= 1024
        units.pop(0)
    return f"{count:,.1f} {units[0]}"


class Progress:
    """A status line on a terminal, rewritten in place.

    Callers ask ``due()`` before building a message, so that a fast loop pays for
    one clock read, and shows at most one line every ``interval`` seconds.
    """

    def __init__(self, stream: TextIO, interval: float = 0.2) -> None:
        self._stream = stream
        self._interval = interval
        self._shown_at = time.monotonic() - interval
        self._width = 0

    def due(self) -> bool:
        """Say whether ``interval`` seconds have passed since the line was last shown."""
        return time.monotonic() - self._shown_at >= self._interval

    def show(self, text: str) -> None:
        """Replace the status line with ``text``."""
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)
        self._shown_at = time.monotonic()

    def clear(self) -> None:
        """Erase the status line, leaving the cursor at its start."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
