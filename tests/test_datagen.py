"""datagen: deterministic, in the original format, consistent relations, and clean against the contracts."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.olist import TABLES
from contracts.validation import parse_row, read_csv_records
from datagen import GeneratorConfig, generate
from datagen.vocabulary import UNTRANSLATED_CATEGORIES
from lambdas.ingestion.cli import ingest_directory
from lambdas.ingestion.storage import LocalBronze

ORDERS = 3000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("olist")
    generate(GeneratorConfig(orders=ORDERS, seed=11), out)
    return out


def rows(directory: Path, table: str) -> list[dict[str, str]]:
    with open(directory / TABLES[table].file_name, newline="", encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_other_seed_other_bytes(generated: Path, tmp_path: Path) -> None:
    generate(GeneratorConfig(orders=ORDERS, seed=11), tmp_path / "again")
    generate(GeneratorConfig(orders=ORDERS, seed=12), tmp_path / "other")
    assert digests(tmp_path / "again") == digests(generated)
    other = digests(tmp_path / "other")
    assert other.keys() == digests(generated).keys()
    assert other["olist_orders_dataset.csv"] != digests(generated)["olist_orders_dataset.csv"]


def test_writes_the_nine_original_file_names(generated: Path) -> None:
    assert sorted(p.name for p in generated.iterdir()) == sorted(t.file_name for t in TABLES.values())


def test_every_row_passes_the_contracts(generated: Path) -> None:
    for table in TABLES.values():
        count = 0
        for _, raw in read_csv_records(generated / table.file_name, table):
            parse_row(table, raw)
            count += 1
        assert count > 0, table.name


def test_ingestion_quarantines_nothing(generated: Path, tmp_path: Path) -> None:
    report = ingest_directory(generated, LocalBronze(tmp_path / "bronze"))
    assert report.ok
    for summary in report.by_table().values():
        assert summary.rows_quarantined == 0 and summary.rows_loaded == summary.rows_read > 0, summary


def test_headers_line_endings_and_bom_follow_the_original(generated: Path) -> None:
    for table in TABLES.values():
        data = (generated / table.file_name).read_bytes()
        if table.name == "product_category_name_translation":
            assert data.startswith(b"\xef\xbb\xbfproduct_category_name,product_category_name_english\r\n")
            assert not data.endswith(b"\n") and b"\r\n" in data
        elif table.name == "order_reviews":
            assert data.startswith(b'"review_id","order_id","review_score",')
            assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")
        else:
            header = ",".join(f'"{name}"' for name in table.column_names).encode()
            assert data.startswith(header + b"\n") and data.endswith(b"\n") and b"\r" not in data


def test_value_quoting_rules(generated: Path) -> None:
    orders = (generated / TABLES["orders"].file_name).read_text().splitlines()[1:200]
    for line in orders:
        order_id = line.split(",")[0]
        assert order_id.startswith('"') == order_id.strip('"')[0].isdigit(), line
        assert not any(field.startswith('"') for field in line.split(",")[2:])  # status and timestamps never quoted
    customers = (generated / TABLES["customers"].file_name).read_text().splitlines()[1:]
    assert all(line.split(",")[2].startswith('"') for line in customers)  # zip prefixes start with a digit
    reviews = (generated / TABLES["order_reviews"].file_name).read_bytes().decode()
    records = list(csv.reader(io.StringIO(reviews, newline="")))[1:]
    always_quoted = re.findall(r'(?m)^"[0-9a-f]{32}","[0-9a-f]{32}",[1-5],', reviews)
    assert len(always_quoted) == len(records)
    digit_texts = [text for r in records for text in r[3:5] if text[:1].isdigit() and not set(text) & set(',"\r\n')]
    assert digit_texts
    for text in digit_texts:
        assert f",{text}," in reviews  # free text is not quoted just for a leading digit
    assert any("," in r[4] for r in records) and any('"' in r[4] for r in records)


def test_reviews_hold_multiline_portuguese_text(generated: Path) -> None:
    reviews = rows(generated, "order_reviews")
    messages = [r["review_comment_message"] for r in reviews if r["review_comment_message"]]
    multiline = [m for m in messages if "\r\n" in m]
    assert multiline and all("\n" not in m.replace("\r\n", "") for m in multiline)
    assert any(char in "".join(messages) for char in "ãçéêó")
    assert 0.3 < len(messages) / len(reviews) < 0.6
    assert sum(1 for r in reviews if r["review_comment_title"]) > 0


def test_relations_hold(generated: Path) -> None:
    orders = rows(generated, "orders")
    order_ids = {o["order_id"] for o in orders}
    customers = rows(generated, "customers")
    assert {c["customer_id"] for c in customers} == {o["customer_id"] for o in orders}
    assert len(customers) == len(orders)
    products = {p["product_id"] for p in rows(generated, "products")}
    sellers = {s["seller_id"] for s in rows(generated, "sellers")}
    items = rows(generated, "order_items")
    assert all(i["order_id"] in order_ids and i["product_id"] in products and i["seller_id"] in sellers for i in items)
    assert [(i["order_id"], int(i["order_item_id"])) for i in items] == sorted(
        (i["order_id"], int(i["order_item_id"])) for i in items
    )
    payments = rows(generated, "order_payments")
    assert {p["order_id"] for p in payments} == order_ids
    item_totals: Counter[str] = Counter()
    for item in items:
        item_totals[item["order_id"]] += Decimal(item["price"]) + Decimal(item["freight_value"])
    paid: Counter[str] = Counter()
    for payment in payments:
        paid[payment["order_id"]] += Decimal(payment["payment_value"])
    assert all(paid[order] == total for order, total in item_totals.items())
    assert {r["order_id"] for r in rows(generated, "order_reviews")} <= order_ids
    zips = {g["geolocation_zip_code_prefix"] for g in rows(generated, "geolocation")}
    assert {c["customer_zip_code_prefix"] for c in customers} <= zips


def test_distributions_look_like_olist(generated: Path) -> None:
    orders = rows(generated, "orders")
    statuses = Counter(o["order_status"] for o in orders)
    assert statuses["delivered"] / len(orders) > 0.9 and len(statuses) >= 4
    delivered = [o for o in orders if o["order_delivered_customer_date"]]
    late = [o for o in delivered if o["order_delivered_customer_date"][:10] > o["order_estimated_delivery_date"][:10]]
    assert 0.03 < len(late) / len(delivered) < 0.15
    items_per_order = Counter(Counter(i["order_id"] for i in rows(generated, "order_items")).values())
    assert items_per_order[1] > items_per_order[2] > 0 and max(items_per_order) >= 3
    payments = rows(generated, "order_payments")
    assert {p["payment_type"] for p in payments} >= {"credit_card", "boleto", "voucher", "debit_card"}
    assert max(int(p["payment_sequential"]) for p in payments) >= 2
    assert max(int(p["payment_installments"]) for p in payments) >= 6
    persons = Counter(c["customer_unique_id"] for c in rows(generated, "customers"))
    assert max(persons.values()) >= 2
    products = rows(generated, "products")
    assert any(not p["product_category_name"] for p in products)
    translated = {t["product_category_name"] for t in rows(generated, "product_category_name_translation")}
    untranslated = {p["product_category_name"] for p in products} - translated - {""}
    assert untranslated == {name for name, _ in UNTRANSLATED_CATEGORIES}
    assert any("," in s["seller_city"] for s in rows(generated, "sellers"))
    review_ids = Counter(r["review_id"] for r in rows(generated, "order_reviews"))
    assert max(review_ids.values()) >= 2


def test_rejects_a_non_positive_order_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GeneratorConfig(orders=0)


def test_one_order_is_enough(tmp_path: Path) -> None:
    generate(GeneratorConfig(orders=1, seed=1), tmp_path)
    report = ingest_directory(tmp_path, LocalBronze(tmp_path / "bronze"))
    assert report.ok and all(s.rows_quarantined == 0 for s in report.by_table().values())
