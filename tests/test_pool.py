"""Pool: a scoped, strong holder of canonical values."""

from __future__ import annotations

import collections
import csv
import gc
import io
import json
import sys
from collections.abc import Iterator
from typing import Any, ClassVar, TypeGuard

import pytest

import intern
from tests.helpers import Implementation, call_in_threads, collect


def fresh(text: str) -> str:
    return "".join(list(text))


def test_value_returns_one_object_for_equal_values(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    first = pool.value(fresh("GET"))
    assert pool.value(fresh("GET")) is first
    assert pool.value(fresh("PUT")) is not first
    assert len(pool) == 2


def test_the_pool_keeps_values_canonical(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    value = pool.value(fresh("kept by the pool"))
    assert interner.make(fresh("kept by the pool")).value is value
    handle = pool.make(fresh("a handle"))
    assert interner.get(fresh("a handle")) is handle
    assert len(pool) == 2


def test_rows_keep_their_values_after_the_pool_is_closed(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    rows = [["GET", "/", "200"], ["GET", "/about", "200"], ["POST", "/", "302"]]
    parsed = [[fresh(field) for field in row] for row in rows]
    with impl.Pool(interner) as pool:
        records = [tuple(pool.value(field) for field in row) for row in parsed]
        assert len(pool) == 6
    assert len(pool) == 0
    assert len(interner) == 0  # the pool let go; the values live on in the rows
    assert records[0][0] is records[1][0]
    assert records[0][2] is records[1][2]
    assert records == [tuple(row) for row in rows]


def test_leaving_the_block_by_an_exception_clears_too(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)

    def use_and_fail() -> None:
        with pool:
            pool.value(fresh("x"))
            raise LookupError

    with pytest.raises(LookupError):
        use_and_fail()
    assert len(pool) == 0
    assert len(interner) == 0


def test_clear_lets_the_handles_go(impl: Implementation, interner: intern.Interner[Any]) -> None:
    pool = impl.Pool(interner)
    for number in range(100):
        pool.value(("row", number))
    assert len(interner) == 100
    pool.clear()
    assert len(interner) == 0
    assert len(pool) == 0
    pool.value("usable after clear")
    assert len(pool) == 1


def test_value_deep_makes_every_part_canonical(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    with impl.Pool(interner) as pool:
        first = pool.value_deep((fresh("GET"), (fresh("agent"), fresh("os"))))
        second = pool.value_deep((fresh("PUT"), (fresh("agent"), fresh("os"))))
        assert first[1] is second[1]
        assert pool.value(fresh("agent")) is first[1][0]


def test_pool_uses_the_default_interner_unless_given_one(impl: Implementation) -> None:
    pool = impl.Pool()
    value = pool.value(fresh("default pool value"))
    assert impl.make(fresh("default pool value")).value is value
    own = impl.Pool(impl.Interner())
    assert own.value(fresh("default pool value")) is not value


def test_unhashable_values_are_refused(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    with pytest.raises(TypeError, match="hashable"):
        pool.value([1])  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match=r"value\[0\]"):
        pool.value_deep(([1],))
    assert len(pool) == 0


def test_threads_sharing_a_pool_get_one_object_per_value(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)

    def work(index: int) -> list[str]:
        return [pool.value(fresh(f"field-{number % 50}")) for number in range(2000)]

    outcomes = call_in_threads(8, work)
    results = [outcome for outcome in outcomes if isinstance(outcome, list)]
    assert len(results) == 8
    assert all(all(a is b for a, b in zip(result, results[0], strict=True)) for result in results)
    assert len(pool) == 50


def test_repr_says_how_many_handles_it_holds(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    pool.value("a")
    assert repr(pool) == "<Pool holding 1 handles>"


# ---------------------------------------------------------------- row


def test_row_returns_the_canonical_fields_as_a_tuple(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    first = pool.row([fresh("GET"), fresh("/"), 200])
    second = pool.row((fresh("GET"), fresh("/about"), 200))
    assert type(first) is tuple
    assert first == ("GET", "/", 200)
    assert second[0] is first[0]
    assert len(pool) == 4
    assert pool.row([]) == ()


def test_row_returns_the_given_tuple_when_its_fields_are_canonical(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    row = pool.row((fresh("GET"), 200, None))
    assert pool.row(row) is row
    assert pool.row((fresh("GET"), 200, None)) is not row


def test_row_reads_any_iterable_and_keeps_types_apart(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    row = pool.row(field for field in [1, 1.0, True, fresh("1"), b"1", None, (1, 2)])
    assert [type(field) for field in row] == [int, float, bool, str, bytes, type(None), tuple]
    again = pool.row(iter([1, 1.0, True]))
    assert all(a is b for a, b in zip(again, row, strict=False))


def test_row_of_csv_reader_rows_shares_fields(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    text = "method,path,status\nGET,/,200\nGET,/about,200\nPOST,/,302\n"
    pool = impl.Pool(interner)
    rows = [pool.row(row) for row in csv.reader(io.StringIO(text))]
    assert rows[1][0] is rows[2][0]
    assert rows[1][2] is rows[2][2]
    assert rows[1][1] is rows[3][1]
    assert rows[1:] == [("GET", "/", "200"), ("GET", "/about", "200"), ("POST", "/", "302")]
    pool.clear()
    assert rows[1] == ("GET", "/", "200")  # rows stay valid after the pool lets go


def test_row_of_a_non_iterable_is_a_type_error(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    with pytest.raises(TypeError, match="not iterable"):
        pool.row(12)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert len(pool) == 0
    assert pool.stats() == intern.PoolStats(0, 0, 0, 0)


class Boom(Exception):
    pass


class RaisingHash:
    def __hash__(self) -> int:
        raise Boom


def test_row_stops_at_a_failing_field_and_holds_only_those_before(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    with pytest.raises(TypeError, match="unhashable"):
        pool.row([fresh("a"), [1], fresh("b")])  # pyright: ignore[reportArgumentType]
    with pytest.raises(Boom):
        pool.row([fresh("c"), RaisingHash(), fresh("d")])

    def failing() -> Iterator[str]:
        yield fresh("e")
        raise Boom

    with pytest.raises(Boom):
        pool.row(failing())
    assert len(pool) == len(interner) == 2  # a and c; the iterable failed before e was made
    assert [interner.get(text) is not None for text in "abcde"] == [1, 0, 1, 0, 0]
    assert pool.stats().values == 2


# ---------------------------------------------------------------- dedup


RECORDS = [
    '{"carrier": "AA", "origin": "JFK", "delay": 12, "on_time": false, "gate": null,'
    ' "price": 199.5, "tags": ["red-eye", "domestic"], "crew": {"pilot": "Kim", "id": 123456789}}',
    '{"carrier": "AA", "origin": "LAX", "delay": 12, "on_time": true, "gate": null,'
    ' "price": 199.5, "tags": ["domestic"], "crew": {"pilot": "Kim", "id": 123456789}}',
]


def test_dedup_makes_json_records_share_keys_and_values(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    parsed = [json.loads(line) for line in RECORDS]
    records = [pool.dedup(record) for record in parsed]
    assert records[0] is parsed[0]  # in place
    assert records == [json.loads(line) for line in RECORDS]
    first, second = records
    assert list(first) == list(json.loads(RECORDS[0]))  # order kept
    assert all(a is b for a, b in zip(first, second, strict=True))  # the keys
    for key in ["carrier", "delay", "price", "gate"]:
        assert first[key] is second[key]
    assert first["tags"][1] is second["tags"][0]
    assert first["crew"]["id"] is second["crew"]["id"]
    assert first["crew"] is not second["crew"]  # equal dicts are not merged


def test_dedup_of_every_json_scalar(impl: Implementation, interner: intern.Interner[Any]) -> None:
    pool = impl.Pool(interner)
    line = '[1, -7, 12345678901234567890, 1.5, -0.0, 1e300, "", "é", "🐍", true, false, null]'
    values = [pool.dedup(json.loads(line)) for _ in range(2)]
    assert values[0] == json.loads(line)
    assert [type(item) for item in values[0]] == [type(item) for item in json.loads(line)]
    assert all(a is b for a, b in zip(*values, strict=True))


def test_dedup_of_a_scalar_or_a_tuple_returns_the_canonical_one(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    text = pool.dedup(fresh("alone"))
    assert pool.dedup(fresh("alone")) is text
    row = pool.dedup((fresh("a"), 1, None))
    again = pool.dedup((fresh("a"), 1, None))
    assert again is row
    assert pool.dedup(fresh("a")) is row[0]
    nested = pool.dedup((fresh("x"), (fresh("a"), 2)))
    assert nested == ("x", ("a", 2))
    assert nested[1][0] is row[0]
    assert pool.dedup((fresh("x"), (fresh("a"), 2))) is nested


def test_dedup_leaves_what_is_not_a_value_as_it_is(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    inner_set, buffer = {1, 2}, bytearray(b"raw")
    data = {"set": inner_set, "buffer": buffer, "frozen": frozenset({fresh("f")})}
    assert pool.dedup(data) is data
    assert data["set"] is inner_set
    assert data["buffer"] is buffer
    assert pool.dedup(inner_set) is inner_set
    assert pool.value(frozenset({"f"})) is data["frozen"]


def test_dedup_visits_shared_and_cyclic_containers_once(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    shared: list[Any] = [fresh("s"), fresh("t")]
    data: dict[str, Any] = {"one": shared, "two": shared, "copy": [fresh("s")]}
    data["self"] = data
    shared.append(shared)
    shared.append(data)
    assert pool.dedup(data) is data
    assert data["self"] is data
    assert shared[2] is shared
    assert data["copy"][0] is shared[0]
    # keys one, two, copy, self; items s, t of shared, once; s of copy
    assert pool.stats().values == 4 + 2 + 1


def test_dedup_goes_100000_levels_deep(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    top: list[Any] = []
    inner = top
    for level in range(100_000):
        child: dict[str, Any] = {fresh("level"): [fresh("x"), level]}
        inner.append(child)
        inner = child["level"]
    assert pool.dedup(top) is top
    assert len(pool) == 2 + 100_000  # "level", "x" and each level number
    probe = top[0]["level"][2]["level"]
    assert probe[0] is top[0]["level"][0]


def test_dedup_of_csv_dict_reader_rows(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    text = "method,path,status\nGET,/,200\nGET,/about,200\n"
    pool = impl.Pool(interner)
    rows = [pool.dedup(row) for row in csv.DictReader(io.StringIO(text))]
    assert rows == [
        {"method": "GET", "path": "/", "status": "200"},
        {"method": "GET", "path": "/about", "status": "200"},
    ]
    assert rows[0]["method"] is rows[1]["method"]
    assert all(a is b for a, b in zip(rows[0], rows[1], strict=True))


def test_dedup_of_rows_from_a_generator(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)

    def rows() -> Iterator[list[Any]]:
        for number in range(100):
            yield [fresh("row"), number % 3, fresh(f"k{number % 5}")]

    table = pool.dedup(list(rows()))
    assert len({id(row[0]) for row in table}) == 1
    assert len({id(row[2]) for row in table}) == 5
    assert len(pool) == 1 + 3 + 5


def test_dedup_keeps_dict_subclasses_and_their_order(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    ordered = collections.OrderedDict([(fresh("b"), fresh("1")), (fresh("a"), fresh("2"))])
    counts = collections.defaultdict(list, {fresh("b"): [fresh("1")]})
    data = pool.dedup([ordered, counts])
    assert type(data[0]) is collections.OrderedDict
    assert list(data[0].items()) == [("b", "1"), ("a", "2")]
    assert type(data[1]) is collections.defaultdict
    assert next(iter(data[1])) is next(iter(data[0]))
    assert data[1]["b"][0] is data[0]["b"]
    ordered.move_to_end("b")  # its links still work after the keys were replaced
    assert list(ordered) == ["a", "b"]


def test_dedup_never_merges_keys_that_were_distinct(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    nan, other_nan = float("nan"), float("nan")
    data = {nan: 1, other_nan: 2, 1: fresh("int"), 1.5: fresh("float"), fresh("1"): 3}
    pool.dedup(data)
    assert len(data) == 5
    assert list(data.values())[:2] == [1, 2]


class Fickle:
    """Equal by name, and also to any other Fickle once both are in ``merged``."""

    merged: ClassVar[set[int]] = set()

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fickle):
            return NotImplemented
        both = id(self) in Fickle.merged and id(other) in Fickle.merged
        return self.name == other.name or both

    def __repr__(self) -> str:
        return f"Fickle({self.name!r})"


def test_dedup_refuses_keys_that_would_merge(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    one, two = pool.value(Fickle("a")), pool.value(Fickle("b"))
    copies = {Fickle("a"): fresh("1"), Fickle("b"): fresh("2")}
    Fickle.merged.update({id(one), id(two)})  # the canonical keys now equal each other
    try:
        with pytest.raises(ValueError, match="contradicts itself"):
            pool.dedup(copies)
    finally:
        Fickle.merged.clear()
    assert len(copies) == 2
    assert [key.name for key in copies] == ["a", "b"]
    assert all(key is not one and key is not two for key in copies)


class ReadOnly(dict[Any, Any]):
    """A dict subclass that refuses ``__setitem__`` but not ``clear``."""

    def __setitem__(self, key: Any, value: Any) -> None:
        raise Boom


class ReadOnlyOrdered(collections.OrderedDict[Any, Any]):
    def __setitem__(self, key: Any, value: Any) -> None:
        raise Boom


@pytest.mark.parametrize("kind", [ReadOnly, ReadOnlyOrdered])
def test_dedup_restores_a_dict_whose_setitem_fails(
    impl: Implementation, interner: intern.Interner[Any], kind: type[dict[Any, Any]]
) -> None:
    pool = impl.Pool(interner)
    pool.value(fresh("key b"))
    keys = [fresh("key a"), fresh("key b")]
    mapping = kind()
    base = collections.OrderedDict if issubclass(kind, collections.OrderedDict) else dict
    for key in keys:
        vars(base)["__setitem__"](mapping, key, fresh("value"))  # as a parser filling it would
    with pytest.raises(Boom):
        pool.dedup(mapping)
    assert list(mapping.items()) == [("key a", "value"), ("key b", "value")]
    assert all(map(_same, mapping, keys))
    assert vars(dict)["__len__"](mapping) == 2


def _same(left: object, right: object) -> bool:
    return left is right


class ItemsOf(dict[Any, Any]):
    """A dict subclass whose ``items()`` returns what it was given."""

    listed: ClassVar[list[Any]] = []

    def items(self) -> Any:
        return list(ItemsOf.listed)


@pytest.mark.parametrize("listed", [[("a", 1, 2)], [["a", 1]], ["ab"]], ids=repr)
def test_dedup_refuses_a_dict_whose_items_are_not_pairs(
    impl: Implementation, interner: intern.Interner[Any], listed: list[Any]
) -> None:
    pool = impl.Pool(interner)
    ItemsOf.listed = listed
    with pytest.raises(TypeError, match="must be pairs"):
        pool.dedup(ItemsOf(a=1))


class LyingLength(dict[Any, Any]):
    def __len__(self) -> int:
        return 99


class LyingList(list[Any]):
    """A list subclass whose reading methods lie; dedup reads what it stores."""

    def __iter__(self) -> Iterator[Any]:
        return iter([fresh("other")])

    def __getitem__(self, index: Any) -> Any:
        return fresh("other")

    def __len__(self) -> int:
        return 0


def test_dedup_reads_what_a_subclass_stores_not_what_it_says(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    key, item = pool.value(fresh("key")), pool.value(fresh("item"))
    mapping = LyingLength({fresh("key"): fresh("item")})
    items = LyingList([fresh("item"), fresh("item")])
    pool.dedup([mapping, items])
    assert next(iter(mapping)) is key
    assert mapping[key] is item
    stored: list[Any] = vars(list)["copy"](items)
    assert all(each is item for each in stored)


class Unprintable:
    def __repr__(self) -> str:
        raise Boom


def test_dedup_keeps_its_error_when_a_key_on_the_path_cannot_be_shown(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    with pytest.raises(TypeError, match="unhashable") as raised:
        pool.dedup({fresh("a"): {Unprintable(): (1, [2])}})
    assert raised.value.__notes__ == ["(in Pool.dedup, at obj['a'][?])"]
    # Deeper than make_deep takes (the recursion limit), not so deep that building
    # the dict (which hashes the key) overflows where CPython checks its C stack.
    deep: tuple[Any, ...] = ()
    for _ in range(sys.getrecursionlimit() + 1000):
        deep = (deep,)
    with pytest.raises(RecursionError, match="make_deep") as raised_deep:
        pool.dedup({deep: 1})
    # The key is shown as ? where its repr is too deep, in full where it is not.
    (note,) = raised_deep.value.__notes__
    assert note.startswith("(in Pool.dedup, at obj[")


def test_dedup_of_an_unhashable_item_in_a_tuple_names_where(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    data = {"rows": [(fresh("a"), 1), (fresh("b"), [2])]}
    with pytest.raises(TypeError, match="unhashable") as raised:
        pool.dedup(data)
    assert "obj['rows'][1]" in "\n".join(getattr(raised.value, "__notes__", []))
    assert data["rows"][1] == ("b", [2])


def test_dedup_passes_on_a_failing_hash_with_its_place_and_holds_nothing_of_it(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    bad = RaisingHash()
    data = {"ok": fresh("fine"), "bad": [fresh("before"), bad]}
    with pytest.raises(Boom) as raised:
        pool.dedup(data)
    assert raised.value.__notes__ == ["(in Pool.dedup, at obj['bad'][1])"]
    assert data["bad"][1] is bad
    assert interner.get("fine") is not None
    assert all(handle.value is not bad for handle in _held(pool))


def _held(pool: intern.Pool) -> list[intern.Handle[Any]]:
    return [pool.make(value) for value in ("fine", "before", "ok", "bad")]


class Mutating:
    """A key whose __eq__ changes the dict it is a key of."""

    def __init__(self, target: dict[Any, Any]) -> None:
        self.target = target

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        self.target[fresh("added")] = 1
        return self is other


def test_dedup_of_a_dict_changed_meanwhile_raises_and_loses_nothing(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    target: dict[Any, Any] = {}
    pool.make(Mutating(target))  # a candidate of the same hash: comparing runs __eq__
    key = Mutating(target)
    target[key] = fresh("value")
    pool.value(fresh("value"))  # so that dedup has a value to replace, and checks the dict
    with pytest.raises(RuntimeError, match="changed"):
        pool.dedup(target)
    assert set(target) == {key, "added"}


class Growing:
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __hash__(self) -> int:
        return 11

    def __eq__(self, other: object) -> bool:
        self.items.insert(0, fresh("new"))
        return self is other


def test_dedup_of_a_list_changed_meanwhile_loses_nothing(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    items: list[Any] = []
    pool.make(Growing(items))
    grower = Growing(items)
    canonical_a = pool.value(fresh("a"))
    pool.value(fresh("b"))
    items.extend([fresh("a"), grower, fresh("b")])
    pool.dedup(items)
    # Only identity and str comparisons here: comparing with grower inserts again.
    texts = [item for item in items if type(item) is str]
    assert len(texts) == len(items) - 1
    assert any(item is grower for item in items)
    assert texts[-2:] == ["a", "b"]
    assert set(texts[:-2]) == {"new"}  # each insertion kept, none overwritten
    assert texts[-2] is canonical_a  # replaced before the list moved
    # b moved before it was replaced: left as it was, rather than written over grower.


def test_dedup_survives_collections_and_drops_mid_walk(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    class Collecting:
        def __hash__(self) -> int:
            gc.collect()
            return 5

    pool = impl.Pool(interner)
    data: list[Any] = [json.loads(RECORDS[0]), Collecting(), json.loads(RECORDS[1])]
    pool.dedup(data)
    first, second = data[0], data[2]
    del data
    pool.clear()
    collect()
    assert first["carrier"] is second["carrier"]
    assert first == json.loads(RECORDS[0])
    assert len(interner) == 0


# ---------------------------------------------------------------- stats


def test_stats_count_values_replacements_and_bytes(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    assert pool.stats() == intern.PoolStats(values=0, distinct=0, deduplicated=0, bytes_saved=0)
    first = fresh("a rather long string value")
    copy = fresh("a rather long string value")
    assert pool.value(first) is first
    assert pool.value(copy) is first
    big = 12345678901
    pool.row([fresh("é-text"), fresh("é-text"), big, big + int("0")])
    record = pool.dedup(json.loads(RECORDS[0]))
    again = json.loads(RECORDS[0])
    # The canonical objects are record's; what again holds apart from them is replaced.
    leaves = list(_leaves(again))
    replaced = [new for new, old in zip(leaves, _leaves(record), strict=True) if new is not old]
    assert len(replaced) > 10
    pool.dedup(again)
    stats = pool.stats()
    assert stats.values == 2 + 4 + 2 * len(leaves)
    assert stats.distinct == len(pool)
    assert stats.deduplicated == 1 + 2 + len(replaced)
    saved = sys.getsizeof(copy) + sys.getsizeof("é-text") + sys.getsizeof(big)
    assert stats.bytes_saved == saved + sum(map(sys.getsizeof, replaced))
    pool.clear()
    assert pool.stats() == stats._replace(distinct=0)


def _leaves(obj: object) -> Iterator[Any]:
    """Every key, value and item below ``obj``, depth first."""
    if _is_dict(obj):
        for key, value in obj.items():
            yield key
            yield from _leaves(value)
    elif _is_list(obj):
        for item in obj:
            yield from _leaves(item)
    else:
        yield obj


def _is_dict(value: object) -> TypeGuard[dict[Any, Any]]:
    return isinstance(value, dict)


def _is_list(value: object) -> TypeGuard[list[Any]]:
    return isinstance(value, list)


def test_stats_are_exact_under_threads(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)

    def work(index: int) -> list[Any]:
        return [pool.dedup(json.loads(RECORDS[number % 2])) for number in range(300)]

    outcomes = call_in_threads(6, work)
    results = [outcome for outcome in outcomes if isinstance(outcome, list)]
    assert len(results) == 6
    firsts = {id(result[0]["carrier"]) for result in results}
    assert len(firsts) == 1
    leaves = sum(len(list(_leaves(json.loads(line)))) for line in RECORDS)
    assert pool.stats().values == 6 * 150 * leaves
    assert pool.stats().distinct == len(pool)


def test_dedup_compares_tuples_as_make_does_and_keeps_the_types_of_list_items(
    impl: Implementation, interner: intern.Interner[Any]
) -> None:
    pool = impl.Pool(interner)
    tuples = pool.dedup([(False, None), (0, None)])
    assert tuples[1] is tuples[0]  # make's rule: items compare by ordinary equality
    rows: list[list[int | None]] = [[False, None], [0, None]]
    lists = pool.dedup(rows)
    assert [type(row[0]) for row in lists] == [bool, int]
    assert [type(field) for field in pool.row([0, None])] == [int, type(None)]
