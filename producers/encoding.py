"""Event envelopes of a whole file's rows at once, as Arrow columns: the producer's fast path.

The values are, byte for byte, `orjson.dumps` of the envelopes `producers.events` defines (`order_events`,
`entity_event`); tests/test_producer_encoding.py holds the two together on the real sample and on random orders.
The JSON is joined by Arrow's C++ kernels, column by column; Python only hashes the event ids and escapes the few
texts that need it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from contracts.envelope import ENTITY_EVENT_TYPES, SCHEMA_VERSION
from contracts.olist import ORDERS, ColumnType, TableContract
from producers.events import LIFECYCLE

# The columns of an encoded file: the replay's sort key (replay time, row, step), the Kafka key and value.
ENCODED_SCHEMA = pa.schema(
    [
        ("replay_time", pa.string()),
        ("row", pa.int64()),
        ("seq", pa.int8()),
        ("key", pa.string()),
        ("value", pa.string()),
    ]
)
Columns = Mapping[str, pa.Array]
Piece = pa.Array | str
# What JSON cannot hold as it is: control characters, the quote and the backslash.
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
_NULL = "null"
_STATUS_COLUMN = "order_status"
# An event id ends with its step as two digits; a single `-0` plus the step's digit is that while steps < 10.
assert len(LIFECYCLE) + 1 < 10


def encode_entities(
    table: TableContract, rows: pa.Array, columns: Columns, event_time: pa.Array, replay_time: pa.Array
) -> pa.Table:
    """The one event of each order item, payment or review row (`entity_event`), keyed by order id."""
    return _events(
        table,
        _Envelopes(_id_stems(table, rows), rows, _zeros(len(rows)), f'"{ENTITY_EVENT_TYPES[table.name]}"', event_time),
        replay_time,
        columns["order_id"],
        _payload(table, _json(table, columns)),
    )


def encode_orders(rows: pa.Array, columns: Columns) -> pa.Table:
    """Each order's lifecycle events (`order_events`): one per step present, then one for a status reached after."""
    stems = _id_stems(ORDERS, rows)
    json = _json(ORDERS, columns)
    order_id = columns["order_id"]
    encoded = []
    seq = _zeros(len(rows))  # the steps present so far, i.e. the seq of the next one
    latest = pa.nulls(len(rows), pa.string())  # the latest timestamp of the steps so far
    last_status = pa.nulls(len(rows), pa.string())
    for step, (event_type, status, column) in enumerate(LIFECYCLE):
        present = pc.is_valid(columns[column])
        # Event times never go back within an order; "" while no step has a time.
        latest = pc.max_element_wise(latest, columns[column], skip_nulls=True)
        time = pc.fill_null(latest, "")
        # The order as known at this step: its status then, and not yet the timestamps of the steps to come.
        known = {**json, _STATUS_COLUMN: f'"{status}"', **{later: _NULL for _, _, later in LIFECYCLE[step + 1 :]}}
        envelopes = _Envelopes(stems, rows, seq, f'"{event_type}"', time)
        encoded.append(_events(ORDERS, envelopes, time, order_id, _payload(ORDERS, known), where=present))
        seq = pc.add(seq, pc.cast(present, pa.int8()))
        last_status = pc.if_else(present, status, last_status)
    status = columns[_STATUS_COLUMN]
    moved_on = pc.fill_null(pc.not_equal(status, last_status), True)
    envelopes = _Envelopes(stems, rows, seq, pc.binary_join_element_wise('"order_', status, '"', ""), time)
    encoded.append(_events(ORDERS, envelopes, time, order_id, _payload(ORDERS, json), where=moved_on))
    return pa.concat_tables(encoded)


def json_strings(text: pa.Array, may_need_escape: bool = True) -> pa.Array:
    """Each value as a JSON string literal, `null` for null, escaped exactly as orjson escapes it."""
    quoted = pc.binary_join_element_wise('"', text, '"', "")
    if may_need_escape:
        needs_escape = pc.fill_null(pc.match_substring_regex(text, _NEEDS_ESCAPE), False)
        if needs_escape.true_count:
            escaped = [orjson.dumps(value).decode() for value in pc.filter(text, needs_escape).to_pylist()]
            quoted = pc.replace_with_mask(quoted, needs_escape, pa.array(escaped, pa.string()))
    return pc.fill_null(quoted, _NULL)


def _json(table: TableContract, columns: Columns) -> dict[str, pa.Array]:
    # The values of accepted rows are valid for their column: numbers, timestamps and allowed values are plain
    # text; only free strings (ids included) may hold a quote, a backslash or a control character.
    return {
        column.name: json_strings(columns[column.name], column.type is ColumnType.STRING and not column.allowed_values)
        for column in table.columns
    }


def _payload(table: TableContract, json: Mapping[str, Piece]) -> list[Piece]:
    """The pieces of `{"column":value,...}` in contract order."""
    pieces: list[Piece] = []
    for position, name in enumerate(table.column_names):
        pieces += [("{" if position == 0 else ",") + orjson.dumps(name).decode() + ":", json[name]]
    return [*pieces, "}"]


@dataclass(frozen=True)
class _Envelopes:
    """What an envelope holds besides its payload, per row; `event_type` is a JSON string literal already."""

    stems: pa.Array
    rows: pa.Array
    seq: pa.Array
    event_type: Piece
    event_time: pa.Array


def _events(
    table: TableContract,
    envelopes: _Envelopes,
    replay_time: pa.Array,
    key: pa.Array,
    payload: list[Piece],
    where: pa.Array | None = None,
) -> pa.Table:
    """The encoded events of the rows `where` is true (all rows when None); only those are joined into JSON."""

    def kept(piece: Piece) -> Piece:
        return piece if where is None or isinstance(piece, str) else pc.filter(piece, where)

    stems, rows, seq, event_type, event_time, replay_time, key = map(
        kept,
        (envelopes.stems, envelopes.rows, envelopes.seq, envelopes.event_type, envelopes.event_time, replay_time, key),
    )
    source_file = orjson.dumps(table.file_name).decode()
    pieces: list[Piece] = [
        '{"event_id":"', stems, pc.binary_join_element_wise("-0", pc.cast(seq, pa.string()), ""),
        '","event_type":', event_type, ',"event_time":"', event_time,
        f'","schema_version":{SCHEMA_VERSION},"source":{{"file":{source_file},"row":', pc.cast(rows, pa.string()),
        '},"payload":', *map(kept, payload), "}",
    ]  # fmt: skip
    values = pc.binary_join_element_wise(*pieces, "")
    return pa.Table.from_arrays([replay_time, rows, seq, key, values], schema=ENCODED_SCHEMA)


def _id_stems(table: TableContract, rows: pa.Array) -> pa.Array:
    """`producers.events.event_id` without its step suffix, for each row number."""
    seed = f"{table.name}|{table.file_name}|".encode()
    sha256 = hashlib.sha256
    return pa.array([sha256(b"%s%d" % (seed, row)).hexdigest()[:24] for row in rows.to_pylist()], pa.string())


def _zeros(length: int) -> pa.Array:
    return pa.repeat(pa.scalar(0, pa.int8()), length)
