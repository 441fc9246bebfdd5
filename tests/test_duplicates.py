"""intern.duplicates: exact counts of known duplication, places, and looking without touching."""

from __future__ import annotations

import collections
import dataclasses
import gc
import inspect
import json
import sys
import threading
import types
import typing
import uuid
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import intern
import intern._duplicates
from intern._duplicates import Duplicate, DuplicateReport
from tests.helpers import Implementation

COPIES = 50


def copy(text: str) -> str:
    """A new str object equal to ``text`` (CPython would share a literal)."""
    return "".join(list(text))


def unique(name: str) -> str:
    """A value no other part of the process holds."""
    return f"{name}-{uuid.uuid4().hex[:12]}"


def row_for(report: DuplicateReport, value: object) -> Duplicate:
    (row,) = [row for row in report.rows if type(row.value) is type(value) and row.value == value]
    return row


class Holder:
    def __init__(self, index: dict[str, list[str]]) -> None:
        self.index = index


class Slotted:
    __slots__ = ("code", "spare")

    def __init__(self, code: str) -> None:
        self.code = code


@dataclasses.dataclass
class Flight:
    origin: str
    number: int


def test_copies_in_a_list_inside_a_dict_attribute_are_counted_exactly() -> None:
    value = unique("carrier")
    holder = Holder({"names": [copy(value) for _ in range(COPIES)]})
    report = intern.duplicates(holder)
    row = row_for(report, value)
    size = sys.getsizeof(value)
    assert (row.type, row.copies, row.wasted_bytes, row.held_by) == (
        str,
        COPIES,
        (COPIES - 1) * size,
        ("list",),
    )
    assert row.value is holder.index["names"][0] or row.value in holder.index["names"]
    assert (report.values, report.distinct) == (COPIES + 1, 2)  # and the key "names"
    assert report.wasted_bytes == row.wasted_bytes
    assert report.rows == (row,)


def test_interned_copies_are_one_object_not_copies(impl: Implementation) -> None:
    value = unique("interned")
    handles = [impl.make(copy(value)) for _ in range(COPIES)]
    shared = [handle.value for handle in handles]
    report = intern.duplicates(shared, handles)
    assert report.rows == ()
    assert (report.values, report.distinct, report.wasted_bytes) == (1, 1, 0)


def test_a_copy_beside_an_interned_value_is_found_in_the_handle_too(impl: Implementation) -> None:
    value = unique("beside")
    handle = impl.make(copy(value))
    report = intern.duplicates([handle, copy(value)])
    row = row_for(report, value)
    assert row.copies == 2
    assert set(row.held_by) <= {"list", "Handle.value"}
    assert row.held_by


def test_the_same_object_held_many_times_counts_once() -> None:
    value = unique("shared")
    data = {"list": [value] * COPIES, "tuple": (value,) * 3, "key": {value: value}}
    report = intern.duplicates(data)
    assert report.rows == ()
    assert report.distinct == report.values


def test_values_held_in_slots_are_named_by_the_slot() -> None:
    value = unique("slot")
    report = intern.duplicates([Slotted(copy(value)) for _ in range(COPIES)])
    row = row_for(report, value)
    assert (row.copies, row.held_by) == (COPIES, ("Slotted.code",))


def test_tuples_of_duplicates_count_as_values_and_so_do_their_items() -> None:
    first, second = unique("first"), unique("second")
    pairs = [(copy(first), copy(second)) for _ in range(COPIES)]
    report = intern.duplicates(pairs)
    pair = row_for(report, (first, second))
    assert (pair.copies, pair.wasted_bytes) == (COPIES, (COPIES - 1) * sys.getsizeof(pairs[0]))
    assert pair.held_by == ("list",)
    assert row_for(report, first).held_by == ("tuple[0]",)
    assert row_for(report, second).held_by == ("tuple[1]",)
    assert (report.values, report.distinct) == (3 * COPIES, 3)


def test_attributes_are_read_without_giving_the_instance_a_dict() -> None:
    value = unique("origin")
    flights = [Flight(copy(value), 100_000 + index % 2) for index in range(COPIES)]
    report = intern.duplicates(flights)
    assert row_for(report, value).held_by == ("Flight.origin",)
    assert row_for(report, 100_000).copies == COPIES // 2
    assert row_for(report, 100_000).held_by == ("Flight.number",)
    if sys.version_info < (3, 13):  # from 3.13, a dict made shares the values: not seen here
        assert not any(type(referent) is dict for referent in gc.get_referents(flights[-1]))


def test_dict_keys_and_values_are_named_by_the_key() -> None:
    key, value = unique("carrier"), unique("origin")
    rows = [{copy(key): copy(value)} for _ in range(COPIES)]
    report = intern.duplicates(rows)
    assert row_for(report, key).held_by == (f"dict key {key!r}",)
    assert row_for(report, value).held_by == (f"value of dict key {key!r}",)


def test_up_to_three_places_are_named() -> None:
    value = unique("everywhere")
    data = [
        [copy(value)],
        (copy(value),),
        {"a": copy(value)},
        {"b": copy(value)},
        Slotted(copy(value)),
    ]
    row = row_for(intern.duplicates(data), value)
    assert row.copies == 5
    assert len(row.held_by) == 3
    assert set(row.held_by) < {
        "list",
        "tuple[0]",
        "value of dict key 'a'",
        "value of dict key 'b'",
        "Slotted.code",
    }


def test_a_place_holding_many_copies_is_found_after_thousands_in_another() -> None:
    value = unique("status")
    data = [[Flight(copy(value), 1) for _ in range(5000)], [{"status": copy(value)}] * 1]
    data.append([{"status": copy(value)} for _ in range(200)])
    row = row_for(intern.duplicates(data), value)
    assert row.copies == 5201
    assert set(row.held_by) == {"Flight.origin", "value of dict key 'status'"}


def test_a_root_is_an_argument() -> None:
    value = unique("root")
    row = row_for(intern.duplicates(copy(value), copy(value)), value)
    assert (row.copies, row.held_by) == (2, ("argument 1",))


def test_equal_values_of_different_types_are_different_values() -> None:
    data = [copy("x" * 3) for _ in range(2)]
    numbers: list[object] = [
        int("100000"),
        int("100000"),
        float("100000"),
        float("100000"),
        True,
        True,
    ]
    tuples = [(int("100000"), 2), (int("100000"), 2), (float("100000"), 2)]
    report = intern.duplicates(data, numbers, tuples)
    assert row_for(report, 100_000).copies == 4  # two in numbers, two in the tuples
    assert row_for(report, 100_000.0).copies == 3
    assert row_for(report, (100_000, 2)).copies == 2
    assert not [row for row in report.rows if row.type is bool]


class Name(str):
    """A str subclass whose comparison and hashing must never be called."""

    calls = 0

    def __eq__(self, other: object) -> bool:
        Name.calls += 1
        raise AssertionError("__eq__ was called")

    def __hash__(self) -> int:
        Name.calls += 1
        raise AssertionError("__hash__ was called")


def test_subclasses_are_kept_apart_and_their_code_never_runs() -> None:
    value = unique("name")
    names = [Name(value) for _ in range(3)]
    report = intern.duplicates(names, [copy(value), copy(value)])
    by_type = {row.type: row.copies for row in report.rows}
    assert by_type == {Name: 3, str: 2}
    assert Name.calls == 0


class Watched:
    """Attributes behind a property and __getattr__: reading them would run code."""

    def __init__(self, value: str) -> None:
        self.value = value

    @property
    def computed(self) -> str:
        raise AssertionError("a property was read")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"__getattr__ was called for {name}")


def test_looking_runs_no_property_or_getattr() -> None:
    value = unique("watched")
    report = intern.duplicates([Watched(copy(value)) for _ in range(3)])
    assert row_for(report, value).held_by == ("Watched.value",)


def test_bytes_complex_and_frozensets_are_values() -> None:
    data = [
        bytes(bytearray(b"payload-bytes")),
        bytes(bytearray(b"payload-bytes")),
        complex("1+2j"),
        complex("1+2j"),
        frozenset({copy("member")}),
        frozenset({copy("member")}),
    ]
    report = intern.duplicates(data)
    assert {row.type: row.copies for row in report.rows} == {
        bytes: 2,
        complex: 2,
        frozenset: 2,
        str: 2,
    }


def test_containers_that_are_not_values_are_walked_through() -> None:
    value = unique("deep")
    data = collections.deque[object](
        [{copy(value)}, [copy(value)], collections.OrderedDict[str, str](a=copy(value))]
    )
    row = row_for(intern.duplicates(data), value)
    assert row.copies == 3


def test_cycles_and_deep_nesting_end() -> None:
    value = unique("cycle")
    looped: list[object] = [copy(value)]
    looped.append(looped)
    nested: list[object] = [copy(value)]
    for _ in range(100_000):
        nested = [nested]
    deep_tuple: tuple[object, ...] = (copy(value),)
    for _ in range(1_000):
        deep_tuple = (deep_tuple,)
    report = intern.duplicates(looped, nested, deep_tuple)
    assert row_for(report, value).copies == 3


def test_top_limits_rows_not_totals() -> None:
    data = [[copy(unique("a"))] * 1 for _ in range(3)]
    data += [[copy(value) for _ in range(3)] for value in (unique("b"), unique("c"))]
    everything = intern.duplicates(data)
    one = intern.duplicates(data, top=1)
    none = intern.duplicates(data, top=0)
    assert len(everything.rows) == 2
    assert one.rows == everything.rows[:1]
    assert none.rows == ()
    assert one.wasted_bytes == none.wasted_bytes == everything.wasted_bytes
    assert one.values == everything.values


def test_rows_are_ordered_by_bytes_wasted() -> None:
    short, long = unique("s"), unique("long" * 20)
    report = intern.duplicates([copy(short) for _ in range(5)], [copy(long) for _ in range(3)])
    assert [row.value for row in report.rows] == [long, short]
    wasted = [row.wasted_bytes for row in report.rows]
    assert wasted == sorted(wasted, reverse=True)


@pytest.mark.parametrize(
    ("top", "error"),
    [(-1, ValueError), ("3", TypeError), (2.0, TypeError), (True, TypeError)],
)
def test_a_bad_top_is_refused(top: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="top"):
        intern.duplicates([], top=top)


def test_only_the_reported_values_are_kept_alive() -> None:
    value = unique("kept")
    copies = [copy(value) for _ in range(4)]
    holders = [[item] for item in copies]
    before = [sys.getrefcount(item) for item in copies]
    report = intern.duplicates(holders)
    after = [sys.getrefcount(item) for item in copies]
    kept = row_for(report, value).value
    assert [a - b for a, b in zip(after, before, strict=True)] == [
        1 if item is kept else 0 for item in copies
    ]


def test_with_no_roots_everything_tracked_is_seen_and_its_own_objects_are_not() -> None:
    value = unique("everywhere")
    data = {"rows": [[copy(value), copy(value)] for _ in range(COPIES // 2)]}
    everything = 10**9  # rows: in a test run, other values waste more than these
    report = intern.duplicates(top=everything)
    row = row_for(report, value)
    assert (row.copies, row.held_by) == (COPIES, ("list",))
    again = intern.duplicates(top=everything)  # the first report, alive, holds a copy
    assert row_for(again, value).copies == COPIES
    assert data


def test_a_collection_mid_walk_or_a_thread_changing_the_data_breaks_nothing() -> None:
    value = unique("busy")
    data: dict[str, Any] = {"list": [copy(value) for _ in range(1000)], "dict": {}, "set": set()}
    data["deque"] = collections.deque(range(1000))
    stop = threading.Event()

    class Mutator:
        def __del__(self) -> None:  # run by the collector, in the middle of the walk
            data["dict"][unique("del")] = copy(value)

    def churn() -> None:
        while not stop.is_set():
            data["dict"][unique("k")] = copy(value)
            data["set"].add(unique("s"))
            data["deque"].append(0)
            data["deque"].popleft()
            data["dict"].pop(next(iter(data["dict"])), None)

    thread = threading.Thread(target=churn)
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    thread.start()
    try:
        for _ in range(20):
            cycle: list[object] = [Mutator()]
            cycle.append(cycle)
            del cycle
            report = intern.duplicates(data)
            assert row_for(report, value).copies >= 1000
    finally:
        stop.set()
        thread.join()
        gc.set_threshold(*thresholds)


def test_the_report_as_json_and_as_text() -> None:
    value = unique("shown")
    data: list[object] = [copy(value), copy(value), float("nan"), float("nan")]
    data += [bytes(bytearray(b"ab" * 10)) for _ in range(2)]
    data += [int("1" + "0" * 20) for _ in range(2)]
    data += [(1, int("2")) for _ in range(2)]
    report = intern.duplicates(data)
    document = json.loads(json.dumps(report.as_json(), allow_nan=False))
    assert list(document) == ["rows", "values", "distinct", "wasted_bytes"]
    by_type = {row["type"]: row for row in document["rows"]}
    assert list(by_type["str"]) == ["type", "value", "copies", "wasted_bytes", "held_by"]
    assert by_type["str"]["value"] == value
    assert by_type["str"]["held_by"] == ["list"]
    assert by_type["bytes"]["value"] == repr(b"ab" * 10)
    assert by_type["tuple"]["value"] == "(1, 2)"
    assert by_type["int"]["value"] == 10**20
    assert "float" not in by_type  # each NaN differs from every value, itself aside
    text = str(report)
    assert text.splitlines()[0].startswith(f"{report.values:,} value objects")
    assert "held by" in text
    assert repr(value)[:30] in text
    assert str(intern.duplicates([])).endswith("no value is held as more than one object")


# What a review that tried to break it found: each now a guarantee.


def test_a_dead_or_live_weak_proxy_is_not_data_and_breaks_nothing() -> None:
    class Target(list[str]):
        pass

    live = Target([copy("ab"), copy("ab")])
    gone = Target()
    proxies = [weakref.proxy(live), weakref.proxy(gone)]
    del gone
    report = intern.duplicates(proxies)
    assert (report.values, report.rows) == (0, ())


class Liar:
    """Claims to be a str through a __class__ property, which must not be read."""

    reads = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # pyright: ignore[reportIncompatibleMethodOverride]
        Liar.reads += 1
        return str


def test_an_object_lying_about_its_class_is_not_asked() -> None:
    report = intern.duplicates([Liar(), Liar()])
    assert (report.values, Liar.reads) == (0, 0)


class Sized(str):
    def __sizeof__(self) -> int:
        raise AssertionError("__sizeof__ ran")

    def __repr__(self) -> str:
        raise AssertionError("__repr__ ran")


def test_a_subclass_is_sized_and_shown_without_its_own_methods() -> None:
    value = unique("sized")
    report = intern.duplicates([Sized(value), Sized(value)])
    (row,) = report.rows
    gc_header = sys.getsizeof([]) - [].__sizeof__()  # a str subclass has a __dict__: GC
    assert row.wasted_bytes == str.__sizeof__(Sized(value)) + gc_header
    assert repr(value) in str(report)
    assert json.loads(json.dumps(report.as_json()))["rows"][0]["value"] == repr(value)


class Tracking(dict[str, str]):
    calls: typing.ClassVar[list[str]] = []

    def __iter__(self) -> Iterator[str]:
        Tracking.calls.append("__iter__")
        return super().__iter__()

    def keys(self) -> Any:  # a dict_keys, which cannot be named
        Tracking.calls.append("keys")
        return super().keys()

    def __getitem__(self, key: str) -> str:
        Tracking.calls.append("__getitem__")
        return super().__getitem__(key)


def test_a_dict_subclass_is_read_without_its_own_methods() -> None:
    value = unique("tracked")
    report = intern.duplicates([Tracking(a=copy(value), b=copy(value))])
    assert row_for(report, value).copies == 2
    assert Tracking.calls == []


class Meta(type):
    calls: typing.ClassVar[list[str]] = []

    def __eq__(cls, other: object) -> bool:
        Meta.calls.append("__eq__")
        return type.__eq__(cls, other)

    def __hash__(cls) -> int:
        Meta.calls.append("__hash__")
        return type.__hash__(cls)

    def __getattribute__(cls, name: str) -> Any:
        Meta.calls.append(name)
        return type.__getattribute__(cls, name)


class Measured(metaclass=Meta):
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_metaclass_s_methods_never_run() -> None:
    value = unique("meta")
    records = [Measured(copy(value)), Measured(copy(value))]
    Meta.calls.clear()
    report = intern.duplicates(records)
    assert row_for(report, value).held_by == ("Measured.name",)
    assert Meta.calls == []


class Key:
    def __repr__(self) -> str:
        raise AssertionError("__repr__ ran")


def test_a_place_is_named_without_running_a_key_s_repr() -> None:
    value = unique("keyed")
    # Deeper than repr can go, not so deep that building the dict (which hashes
    # the key) overflows where CPython checks its C stack (3.15, debug builds).
    deep: tuple[object, ...] = ()
    for _ in range(sys.getrecursionlimit() + 1000):
        deep = (deep,)
    row = row_for(intern.duplicates({Key(): copy(value), deep: copy(value)}), value)
    assert set(row.held_by) <= {
        "value of dict key <Key object>",
        "value of dict key ((((...),),),)",
    }


def test_a_huge_int_is_shown_by_its_size() -> None:
    numbers = [10**5000 + 0, 10**5000 + 0]
    report = intern.duplicates(numbers)
    assert report.rows[0].copies == 2
    document = json.loads(json.dumps(report.as_json()))
    assert document["rows"][0]["value"] == f"<an int of {(10**5000).bit_length():,} bits>"
    assert "<an int of" in str(report)


class Handle:
    """Not intern's Handle: its attributes are named as any class's are."""

    __module__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

    def __init__(self, text: str) -> None:
        self.text = text


def test_only_intern_s_own_handles_are_named_as_such() -> None:
    value = unique("handle")
    row = row_for(intern.duplicates([Handle(copy(value)), Handle(copy(value))]), value)
    assert row.held_by == ("Handle.text",)


def test_parts_shared_by_many_are_keyed_once() -> None:
    shared: tuple[object, ...] = (copy("ab"),)
    for _ in range(60):  # 2**60 paths, 61 objects
        shared = (shared, shared)
    report = intern.duplicates([shared, copy("ab")])
    assert report.values == 63


def test_tuples_holding_none_and_bools_are_values() -> None:
    rows = [("GET", None, True, int("7")) for _ in range(100)]
    row = row_for(intern.duplicates(rows), ("GET", None, True, 7))
    assert row.copies == 100


def test_no_collection_runs_while_it_looks() -> None:
    collections_seen: list[str] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        frame: types.FrameType | None = inspect.currentframe()
        while frame is not None:  # a collection run from inside intern.duplicates?
            if frame.f_code.co_filename == intern._duplicates.__file__:
                collections_seen.append(phase)
                return
            frame = frame.f_back

    data = [[(str(index), index)] for index in range(5000)]
    thresholds = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(watch)
    try:
        report = intern.duplicates(data)
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*thresholds)
    assert report.values == 15_000
    assert collections_seen == []
