"""contracts.validation: CSV record reading and row parsing against the Olist contracts."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.olist import TABLES
from contracts.validation import (
    EmptyFile,
    HeaderMismatch,
    InvalidEncoding,
    MalformedCsv,
    RowRejected,
    parse_row,
    read_csv_records,
)

ORDERS = TABLES["orders"]
ITEMS = TABLES["order_items"]
REVIEWS = TABLES["order_reviews"]
SELLERS = TABLES["sellers"]
TRANSLATION = TABLES["product_category_name_translation"]

ITEMS_HEADER = b'"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"\n'
ITEM_ROW = b'"00010242fe8c5a6d1ba2dd792cb16214",1,a244733e06e7ecb4970a6e2683c13e61,b8436dade18ac8b2bce089ec2a041202,'
ITEM_ROW += b"2017-09-19 09:45:35,58.90,13.29\n"


def records(data: bytes, table=ITEMS) -> list[tuple[int, dict[str, str | None]]]:
    return list(read_csv_records(io.BytesIO(data), table))


def item(**changes: str | None) -> dict[str, str | None]:
    raw = records(ITEMS_HEADER + ITEM_ROW)[0][1]
    raw.update(changes)
    return raw


def test_items_row_is_typed() -> None:
    assert parse_row(ITEMS, item()) == {
        "order_id": "00010242fe8c5a6d1ba2dd792cb16214",
        "order_item_id": 1,
        "product_id": "a244733e06e7ecb4970a6e2683c13e61",
        "seller_id": "b8436dade18ac8b2bce089ec2a041202",
        "shipping_limit_date": datetime(2017, 9, 19, 9, 45, 35),
        "price": Decimal("58.90"),
        "freight_value": Decimal("13.29"),
    }


def test_bom_crlf_and_multiline_crlf_field_kept_exactly() -> None:
    header = ",".join(f'"{name}"' for name in REVIEWS.column_names).encode()
    row = b'"r1000000000000000000000000000001","o1000000000000000000000000000001",5,,'
    row += b'"Bom,\r\nchegou r\xc3\xa1pido ""top""",'
    row += b"2018-01-18 00:00:00,2018-01-18 21:46:59"
    rows = records(b"\xef\xbb\xbf" + header + b"\r\n" + row, REVIEWS)
    assert rows[0][0] == 1
    assert rows[0][1]["review_comment_message"] == 'Bom,\r\nchegou rápido "top"'
    assert rows[0][1]["review_comment_title"] is None


def test_text_stream_and_path_sources(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(ITEMS_HEADER + ITEM_ROW)
    with open(path, newline="", encoding="utf-8") as text:
        assert list(read_csv_records(text, ITEMS)) == list(read_csv_records(path, ITEMS)) == records(path.read_bytes())


def test_unquoted_translation_header_with_bom_and_no_final_newline() -> None:
    data = b"\xef\xbb\xbfproduct_category_name,product_category_name_english\r\nbeleza_saude,health_beauty"
    rows = records(data, TRANSLATION)
    assert rows == [(1, {"product_category_name": "beleza_saude", "product_category_name_english": "health_beauty"})]


def test_zip_prefix_keeps_leading_zero_and_quoted_comma_city() -> None:
    data = b'"seller_id","seller_zip_code_prefix","seller_city","seller_state"\n'
    data += b'"3442f8959a84dea7ee197c632cb2df15","01023","novo hamburgo, rio grande do sul, brasil",RS\n'
    typed = parse_row(SELLERS, records(data, SELLERS)[0][1])
    assert typed["seller_zip_code_prefix"] == "01023"
    assert typed["seller_city"] == "novo hamburgo, rio grande do sul, brasil"


def test_header_mismatch_names_expected_and_found() -> None:
    with pytest.raises(HeaderMismatch) as caught:
        records(ITEMS_HEADER.replace(b'"price"', b'"preco"') + ITEM_ROW)
    assert caught.value.found[5] == "preco"
    assert caught.value.expected == list(ITEMS.column_names)
    assert "missing columns ['price']" in str(caught.value)


def test_missing_header_is_reported_as_such() -> None:
    with pytest.raises(HeaderMismatch, match="header row is missing"):
        records(ITEM_ROW + ITEM_ROW)


def test_empty_file() -> None:
    with pytest.raises(EmptyFile):
        records(b"")


def test_header_only_yields_nothing() -> None:
    assert records(ITEMS_HEADER) == []


def test_invalid_utf8_names_line_and_byte() -> None:
    with pytest.raises(InvalidEncoding) as caught:
        records(ITEMS_HEADER + ITEM_ROW + ITEM_ROW.replace(b"00010242", b"0001\xff242"))
    assert caught.value.line == 3
    assert "invalid UTF-8" in str(caught.value)


def test_unterminated_quote_is_malformed_with_start_line() -> None:
    with pytest.raises(MalformedCsv, match="unterminated quoted field") as caught:
        records(ITEMS_HEADER + ITEM_ROW + b'"00020242fe8c5a6d1ba2dd792cb16214,1,x\n')
    assert caught.value.line == 3


def test_row_numbers_count_records_not_lines() -> None:
    header = ",".join(f'"{name}"' for name in REVIEWS.column_names).encode() + b"\r\n"
    row = b'"r1","o1",5,,"a\r\nb\r\nc",2018-01-18 00:00:00,2018-01-18 21:46:59\r\n'
    assert [number for number, _ in records(header + row + row + b"\r\n" + row, REVIEWS)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"shipping_limit_date": "2017-02-30 10:00:00"}, "shipping_limit_date", "not a valid timestamp"),
        ({"shipping_limit_date": "19/09/2017 09:45"}, "shipping_limit_date", "not a valid timestamp"),
        ({"price": "abc"}, "price", "non-numeric amount"),
        ({"price": "12,50"}, "price", "non-numeric amount"),
        ({"price": "1.999"}, "price", "does not fit decimal(12,2)"),
        ({"price": "-5.00"}, "price", "negative amount"),
        ({"order_item_id": "0"}, "order_item_id", "below the minimum 1"),
        ({"order_item_id": "1.5"}, "order_item_id", "not an integer"),
        ({"order_item_id": "99999999999"}, "order_item_id", "out of range for int"),
        ({"order_id": None}, "order_id", "missing required value"),
        ({"order_id": "x" * 33}, "order_id", "oversized value: 33 characters"),
    ],
)
def test_row_rejections_are_specific(changes: dict[str, str | None], column: str, reason: str) -> None:
    with pytest.raises(RowRejected) as caught:
        parse_row(ITEMS, item(**changes))
    assert caught.value.column == column
    assert reason in caught.value.reason


def test_extra_and_missing_columns_are_rejected() -> None:
    extra = records(ITEMS_HEADER + ITEM_ROW.rstrip(b"\n") + b",oops\n")[0][1]
    with pytest.raises(RowRejected, match=r"8 fields, the table has 7 columns .*'oops'"):
        parse_row(ITEMS, extra)
    short = records(ITEMS_HEADER + b"abc,1,def\n")[0][1]
    with pytest.raises(RowRejected, match="3 fields, the table has 7 columns") as caught:
        parse_row(ITEMS, short)
    assert caught.value.column == "seller_id"


def test_value_outside_allowed_values() -> None:
    raw = dict.fromkeys(ORDERS.column_names, "2017-10-02 10:56:33")
    raw.update(order_id="a" * 32, customer_id="b" * 32, order_status="lost")
    with pytest.raises(RowRejected, match="'lost' is not an allowed value") as caught:
        parse_row(ORDERS, raw)
    assert caught.value.column == "order_status"


def test_review_score_range() -> None:
    raw = {name: None for name in REVIEWS.column_names}
    raw.update(review_id="r", order_id="o", review_score="6")
    raw.update(review_creation_date="2018-01-18 00:00:00", review_answer_timestamp="2018-01-18 21:46:59")
    with pytest.raises(RowRejected, match="above the maximum 5"):
        parse_row(REVIEWS, raw)


def test_real_sample_parses_without_rejections_and_texts_round_trip(olist_sample_dir: Path) -> None:
    for table in TABLES.values():
        path = olist_sample_dir / table.file_name
        with open(path, newline="", encoding="utf-8-sig") as plain:
            expected = list(csv.reader(plain))[1:]
        rows = list(read_csv_records(path, table))
        assert len(rows) == len(expected), table.name
        for (_, raw), fields in zip(rows, expected, strict=True):
            typed = parse_row(table, raw)
            for column, text in zip(table.column_names, fields, strict=True):
                if table.column(column).type.value == "string":
                    assert typed[column] == (text or None)
