"""intern._json_records: a JSON document's records, as its text streams in pieces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intern._json_records import MalformedJSON, json_records

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["\\", '"', "\u00e9", "\U0001f600", "\ud800"])
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


def in_pieces(text: str, size: int) -> Iterator[str]:
    return iter([text[start : start + size] for start in range(0, len(text), size)])


@given(
    documents,
    st.sampled_from([None, 0, 2]),
    st.booleans(),
    st.integers(1, 20),
    st.sampled_from(["", " ", "\n", " \r\n\t"]),
)
def test_records_are_the_elements_of_a_top_level_array_or_the_document_in_any_pieces(
    document: object, indent: int | None, ascii_only: bool, piece: int, space: str
) -> None:
    text = space + json.dumps(document, indent=indent, ensure_ascii=ascii_only) + space
    expected = cast("list[object]", document) if isinstance(document, list) else [document]
    assert list(json_records(in_pieces(text, piece), 1 << 20)) == expected


@given(documents, st.integers(1, 20), st.data())
def test_text_that_json_refuses_is_refused_in_any_pieces(
    document: object, piece: int, data: st.DataObject
) -> None:
    text = json.dumps(document)
    cut = data.draw(st.integers(0, len(text)))
    text = text[:cut] + data.draw(st.sampled_from(["", ",", "]", "}", "x", " 1"]))
    try:
        json.loads(text)
    except ValueError:
        if text.strip():
            with pytest.raises(MalformedJSON):
                list(json_records(in_pieces(text, piece), 1 << 20))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"a": [1, 2', 1, "Expecting ',' delimiter at column 12"),
        ('[{"a": 1},\n {"a" 2}]', 2, "Expecting ':' delimiter at column 7"),
        ("[1 2]", 1, "Expecting ',' delimiter at column 4"),
        ('[1,\n "x', 2, "Unterminated string starting at column 2"),
        ('{"a": 1}\n{"a": 2}\n', 2, "Extra data at column 1 after the document (JSON Lines?"),
    ],
)
def test_an_error_names_the_line_and_column_in_the_document(
    text: str, line: int, message: str
) -> None:
    for piece in [1, 3, len(text)]:
        with pytest.raises(MalformedJSON) as caught:
            list(json_records(in_pieces(text, piece), 1 << 20))
        assert caught.value.line == line
        assert caught.value.message.startswith(f"malformed JSON: {message}")


def test_an_array_is_read_element_by_element() -> None:
    read = 0

    def endless() -> Iterator[str]:
        nonlocal read
        yield "["
        while True:
            read += 1
            yield '{"a": 1}, '

    records = json_records(endless(), 100)  # an array never closed: it is never read whole
    assert [next(records) for _ in range(10_000)] == [{"a": 1}] * 10_000
    assert read < 20_000


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('[1, "' + "x" * 200 + '"]', "an element of the array"),
        ('{"a": "' + "x" * 200 + '"}', "a JSON document (not an array)"),
    ],
)
def test_a_value_parsed_whole_may_not_be_longer_than_the_limit(text: str, what: str) -> None:
    for piece in [7, len(text)]:
        with pytest.raises(MalformedJSON) as caught:
            list(json_records(in_pieces(text, piece), 100))
        assert caught.value.message.startswith(f"{what} longer than 100 characters")


def test_an_empty_document_has_no_records() -> None:
    assert list(json_records(iter([" \n", ""]), 100)) == []


@pytest.mark.parametrize(
    "rest",
    [
        pytest.param("]", id="end"),
        pytest.param("," + " " * 20 + "1]", id="comma-then-spaces"),
        pytest.param(" " * 20 + ", 1]", id="spaces-then-comma"),
    ],
)
def test_an_element_as_long_as_the_limit_is_read_wherever_a_read_ends_after_it(
    rest: str,
) -> None:
    limit = 1 << 16  # a read's size: the first piece is read alone, and ends where it is cut
    element = "x" * (limit - 2)
    text = f'["{element}"{rest}'
    for cut in range(len(text) - len(rest), len(text) + 1):
        records = list(json_records(iter([text[:cut], text[cut:]]), limit))
        assert records[0] == element, cut


def test_a_number_that_a_read_ends_in_is_read_whole() -> None:
    text = '["' + "x" * (1 << 16) + '", -12.5e+3, 7]'  # the first element fills a read
    start = text.index("-")
    for cut in range(start, text.index(",", start) + 1):
        assert list(json_records(iter([text[:cut], text[cut:]]), 1 << 17))[1:] == [-12.5e3, 7]
