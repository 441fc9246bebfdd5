"""python -m intern scan on pickles: values read from the opcodes, none loaded, nothing run."""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import sys
import warnings
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from intern import _scan
from intern._lines import InputError
from intern._pickles import VALUE_OPCODES
from tests.helpers import run_cli, scan_report
from tests.test_cli_scan_errors import assert_bad_input, write_bytes

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


class Record:
    """A class of this module: pickles name it with strings that are not values."""

    def __init__(self, name: str) -> None:
        self.name = name


class Explosive:
    """Loading its pickle would run a command; scanning must not."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))  # pyright: ignore[reportDeprecated]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_value_memoised_and_referred_to_again_is_one_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], protocol: int
) -> None:
    shared = "".join(["shared-", "value"])
    path = write_bytes(tmp_path / "shared.pkl", pickle.dumps([shared] * 100, protocol=protocol))
    report = scan_report(capsys, path)
    assert (report["values"], report["distinct"]) == (100, 1)
    assert (report["bytes_as_parsed"], report["bytes_saved"]) == (sys.getsizeof(shared), 0)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_equal_values_written_separately_are_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], protocol: int
) -> None:
    values: list[object] = ["".join(["copy-", "value"]) for _ in range(10)]
    values += [10**30 + 0 * index for index in range(5)] + [float(index % 2) for index in range(4)]
    expected = {"str": (10, 1), "int": (5, 1), "float": (4, 2)}
    if protocol >= 3:  # before 3, bytes are pickled as a call taking a str
        values += [bytes(bytearray(b"xyz")) for _ in range(3)]
        expected["bytes"] = (3, 1)
    path = write_bytes(tmp_path / "copies.pkl", pickle.dumps(values, protocol=protocol))
    report = scan_report(capsys, path)
    assert report["values"] == len(values)
    columns = {
        column["name"]: (column["values"], column["distinct"]) for column in report["columns"]
    }
    assert columns == expected
    assert report["columns"][0]["name"] == "str"
    assert report["columns"][0]["bytes_saved"] == 9 * sys.getsizeof(values[0])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_names_of_classes_are_not_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], protocol: int
) -> None:
    path = write_bytes(tmp_path / "object.pkl", pickle.dumps(Record("value"), protocol=protocol))
    report = scan_report(capsys, path)
    assert report["values"] == 2  # the attribute's name and its value
    assert [column["name"] for column in report["columns"]] == ["str"]


def test_each_pickle_in_a_file_is_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"".join(pickle.dumps(["first", index], protocol=index) for index in PROTOCOLS)
    report = scan_report(capsys, write_bytes(tmp_path / "many.pickle", data))
    assert (report["records"], report["values"]) == (len(PROTOCOLS), 2 * len(PROTOCOLS))


def test_scanning_a_pickle_runs_nothing_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "exploded"
    path = write_bytes(tmp_path / "explosive.pkl", pickle.dumps(Explosive(marker)))
    report = scan_report(capsys, path)
    assert report["values"] == 1  # the command line, a str
    assert not marker.exists()


def test_a_pickle_on_standard_input_is_recognised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pickle.dumps(["a", "bc"]))))
    outcome = run_cli(capsys, "scan", "--json", "-")
    assert outcome.status == 0
    assert outcome.err.startswith(
        "python -m intern scan: reading standard input as pickle, guessed from its first bytes;"
    )


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (pickle.dumps(["x" * 40])[:-6], "malformed pickle: "),
        (b"\x80\x04\xff", "malformed pickle: "),
        (pickle.dumps("fine") + b"\x80\x04K", "malformed pickle: "),
        (
            b"\x80\x05\x8d" + (2**62).to_bytes(8, "little"),
            "a value of 4,611,686,018,427,387,904 bytes",
        ),
        (b"\x80\x02h\x07.", "malformed pickle: memo key 7 has never been stored into"),
    ],
    ids=["truncated", "unknown opcode", "second one cut short", "huge length", "memo unknown"],
)
def test_a_malformed_pickle_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, what: str
) -> None:
    path = write_bytes(tmp_path / "bad.pkl", data)
    outcome = run_cli(capsys, "scan", path)
    assert_bad_input(outcome, path, what)
    assert "(at byte " in outcome.err


def test_skip_bad_counts_a_malformed_pickle_and_keeps_those_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = pickle.dumps(["kept"]) + pickle.dumps(["lost", "too"])[:-3]
    report = scan_report(capsys, "--skip-bad", write_bytes(tmp_path / "partly.pkl", data))
    assert (report["records"], report["bad_records"], report["values"]) == (1, 1, 1)


def test_a_value_longer_than_the_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "long.pkl", pickle.dumps("y" * 100, protocol=0))
    outcome = run_cli(capsys, "scan", "--max-line-length", "50", path)
    assert_bad_input(outcome, path, "a line longer than 50 bytes; see --max-line-length")
    path = write_bytes(tmp_path / "long4.pkl", pickle.dumps("y" * 100, protocol=4))
    outcome = run_cli(capsys, "scan", "--max-line-length", "50", path)
    assert_bad_input(outcome, path, "a value of 100 bytes, longer than 50; see --max-line-length")


def _pickles() -> st.SearchStrategy[bytes]:
    scalars = st.one_of(st.text(), st.binary(), st.integers(), st.floats(allow_nan=False))
    values = st.recursive(
        scalars, lambda inner: st.lists(inner) | st.tuples(inner, inner), max_leaves=8
    )
    return st.builds(_dumps, values, st.sampled_from(PROTOCOLS))


def _dumps(value: object, protocol: int) -> bytes:
    return pickle.dumps(value, protocol=protocol)


@settings(max_examples=200, deadline=None)
@given(_pickles(), st.data())
def test_any_damage_to_a_pickle_is_bad_input_never_a_crash(
    data: bytes, draw: st.DataObject
) -> None:
    position = draw.draw(st.integers(0, len(data)))
    damaged = data[:position] + draw.draw(st.binary(max_size=6)) + data[position + 1 :]
    source = _scan.Source("damaged.pkl", "pickle")
    problems: list[str] = []

    def open_damaged(_: _scan.Source) -> io.BytesIO:
        return io.BytesIO(damaged)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_scan.Source, "open", open_damaged)
        try:
            _scan.scan([source], _scan.Options(max_line_length=1 << 16))
        except InputError as error:  # the one failure allowed: bad input, said in a line
            problems.append(str(error))
    assert all(problem.startswith("damaged.pkl: ") for problem in problems)
    assert all("\n" not in problem for problem in problems)


def test_pickletools_still_names_every_value_opcode_we_read() -> None:
    names = {opcode.name for opcode in pickletools.opcodes}
    assert set(VALUE_OPCODES) <= names


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"I5\np-1\n.", "negative memo key -1"),
        (b"I5\np0\ng-1\n.", "memo key -1 has never been stored into"),
    ],
    ids=["negative put", "negative get"],
)
def test_a_negative_memo_key_is_malformed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, what: str
) -> None:
    path = write_bytes(tmp_path / "negative.pkl", data)
    assert_bad_input(run_cli(capsys, "scan", path), path, what)


def test_memo_keys_out_of_order_are_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    puts = b"".join(b"r" + (2 * index + 1).to_bytes(4, "little") for index in range(5000))
    path = write_bytes(tmp_path / "sparse.pkl", b"\x80\x04N" + puts + b".")
    outcome = run_cli(capsys, "scan", "--max-line-length", "1000", path)
    assert_bad_input(outcome, path, "more than 1,024 memo keys out of order")
    report = scan_report(capsys, path)  # the default limit, 1 MiB: 16,384 keys
    assert report["records"] == 1


def test_a_bad_escape_in_a_python_2_string_is_read_as_is_and_warns_of_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bytes(tmp_path / "escape.pkl", b"S'a\\qb'\np0\n.")  # genops warns of \q
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filters = list(warnings.filters)
        report = scan_report(capsys, path)
        assert warnings.filters == filters  # the scan's own filter is gone with it
    assert (report["values"], report["columns"][0]["name"]) == (1, "str")
