"""The command line's plain text: sizes in binary units."""

from __future__ import annotations

import pytest

from intern._text import format_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (-2048, "-2.0 KiB"),
        (1024**2, "1.0 MiB"),
        (3 * 1024**2, "3.0 MiB"),
        (5 * 1024**3, "5.0 GiB"),
        (2 * 1024**4, "2.0 TiB"),
        (2048 * 1024**4, "2,048.0 TiB"),  # no larger unit
    ],
)
def test_a_size_is_said_in_the_largest_binary_unit_that_keeps_it_at_least_1(
    count: int, text: str
) -> None:
    assert format_bytes(count) == text
