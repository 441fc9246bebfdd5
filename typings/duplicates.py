"""What checkers infer for intern.duplicates and its report."""

from __future__ import annotations

from typing import assert_type

import intern
from intern import Duplicate, DuplicateReport

report = intern.duplicates([["GET", "/"]], {"a": 1}, top=5)
assert_type(report, DuplicateReport)
assert_type(intern.duplicates(), DuplicateReport)
assert_type(report.rows, tuple[Duplicate, ...])
assert_type(report.values, int)
assert_type(report.wasted_bytes, int)
assert_type(report.as_json(), dict[str, object])

for row in report.rows:
    assert_type(row.type, type)
    assert_type(row.value, object)
    assert_type(row.copies, int)
    assert_type(row.held_by, tuple[str, ...])

intern.duplicates([], top="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
report.rows[0].copies = 3  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
