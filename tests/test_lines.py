"""intern._lines: decoding as input streams, and lines split and bounded piece by piece."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from intern._lines import InputError, decoded, lines, peek

TEXT = "a\r\nb\rc\n\r\rd\u00e9\ne\r\n\nf\rg"


def in_pieces(data: bytes, size: int) -> Iterator[bytes]:
    return iter([data[start : start + size] for start in range(0, len(data), size)])


def split(data: bytes, piece: int, max_length: int = 1 << 20, universal: bool = False) -> list[str]:
    text = decoded(in_pieces(data, piece), "x", "utf-8", "strict", universal=universal)
    return list(lines(text, max_length, refuse, universal=universal))


def refuse(line: int) -> None:
    raise AssertionError(f"line {line} is not too long")


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1 << 16])
def test_lines_are_split_as_open_splits_them_however_the_input_comes_in_pieces(
    piece: int,
) -> None:
    data = TEXT.encode()
    assert split(data, piece, universal=True) == io.StringIO(TEXT, newline="").readlines()
    assert split(data, piece) == io.StringIO(TEXT, newline="\n").readlines()


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1 << 16])
def test_a_line_too_long_is_reported_and_only_its_end_kept_so_later_lines_keep_their_numbers(
    piece: int,
) -> None:
    text = "ok\r\n12345\r\n1234\rlonger one\nx\n123456789"
    reported: list[int] = []
    pieces = (text[start : start + piece] for start in range(0, len(text), piece))
    got = list(lines(pieces, 4, reported.append, universal=True))
    assert got == ["ok\r\n", "\r\n", "1234\r", "\n", "x\n"]
    assert reported == [2, 4, 6]


def test_a_line_too_long_is_reported_before_the_rest_of_it_is_read() -> None:
    read = 0

    def endless() -> Iterator[str]:
        nonlocal read
        while True:
            read += 1
            yield "\0" * 1000

    def too_long(line: int) -> None:
        raise InputError("endless", line, "too long")

    with pytest.raises(InputError) as caught:
        list(lines(endless(), 10_000, too_long))
    assert (caught.value.line, read) == (1, 11)


def test_a_line_too_long_that_never_ends_is_dropped_piece_by_piece() -> None:
    def pieces() -> Iterator[str]:
        yield "first\n"
        for _ in range(1000):
            yield "x" * 1000
        yield "\nlast\n"

    reported: list[int] = []
    assert list(lines(pieces(), 100, reported.append)) == ["first\n", "\n", "last\n"]
    assert reported == [2]


def test_a_line_of_exactly_the_limit_is_kept() -> None:
    text = "1234\r\n" * 2 + "1234"
    got = list(lines(iter([text]), 4, refuse, universal=True))
    assert got == ["1234\r\n", "1234\r\n", "1234"]


@pytest.mark.parametrize("piece", [1, 2, 5])
def test_undecodable_bytes_name_the_line_lines_would_give_them(piece: int) -> None:
    data = b"a\r\nb\rc\n\r\xffz"
    with pytest.raises(InputError) as caught:
        split(data, piece, universal=True)
    assert caught.value.line == 5
    with pytest.raises(InputError) as caught:
        split(data, piece)
    assert caught.value.line == 3


def test_peek_gives_the_first_bytes_and_the_pieces_that_hold_them() -> None:
    rest = in_pieces(b"0123456789", 3)
    assert peek(rest, 4) == (b"0123", [b"012", b"345"])
    assert list(rest) == [b"678", b"9"]
    assert peek(in_pieces(b"01", 3), 4) == (b"01", [b"01"])
