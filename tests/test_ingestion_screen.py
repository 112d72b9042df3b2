"""The vectorised screen never lets through a value `parse_row` rejects, and types what it lets through the same way.

This is what allows the ingestion to judge only the screen's suspects with `parse_row`.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.arrow.screen import screen
from contracts.olist import TABLES, Column, TableContract
from contracts.validation import RowRejected, parse_value

COLUMNS = {
    "integer": TABLES["order_items"].column("order_item_id"),
    "nullable_integer": TABLES["products"].column("product_weight_g"),
    "score": TABLES["order_reviews"].column("review_score"),
    "decimal": TABLES["order_items"].column("price"),
    "double": TABLES["geolocation"].column("geolocation_lat"),
    "timestamp": TABLES["orders"].column("order_purchase_timestamp"),
    "nullable_timestamp": TABLES["orders"].column("order_approved_at"),
    "status": TABLES["orders"].column("order_status"),
    "zip": TABLES["customers"].column("customer_zip_code_prefix"),
}

timestamps = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")
)
# Mutations of valid shapes: the near misses a vectorised check is most likely to get wrong.
near_misses = st.text(alphabet="0123456789-+:. TZe,x٣", min_size=0, max_size=22)
values = st.one_of(
    st.none(),
    st.integers(-(2**40), 2**40).map(str),
    st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    timestamps,
    timestamps.map(lambda text: text.replace(" ", "T")),
    timestamps.map(lambda text: text[:-2] + "60"),
    st.sampled_from(["delivered", "Delivered", "lost", "01151", "1151", "123456", "-0", "1e3", "0x10", "+5"]),
    near_misses,
)


def single_column(column: Column) -> TableContract:
    return TableContract(name="t", file_name="t.csv", description="", columns=(column,), primary_key=())


@settings(max_examples=300, deadline=None)
@given(column_name=st.sampled_from(sorted(COLUMNS)), texts=st.lists(values, min_size=1, max_size=40))
def test_screen_only_passes_values_parse_row_accepts(column_name: str, texts: list[str | None]) -> None:
    column = COLUMNS[column_name]
    texts = [text or None for text in texts]  # the readers hand empty fields over as null
    screened = screen(single_column(column), [pa.array(texts, pa.string())])
    typed = screened.columns[0].to_pylist()
    for text, suspect, value in zip(texts, screened.suspect.to_pylist(), typed, strict=True):
        if suspect:
            continue
        try:
            expected = parse_value(column, text)
        except RowRejected as rejected:
            raise AssertionError(f"screen let {text!r} through for {column.name}: {rejected.reason}") from rejected
        assert value == expected, (text, value, expected)
