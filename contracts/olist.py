"""Contracts for the 9 Olist CSV tables, in their original Kaggle form.

Column names keep the original headers, misspellings included (`product_name_lenght`), because the
files arrive that way; renaming is Silver's job. Ingestion, the producer, the Bronze Glue tables,
the dbt sources and the data-quality suites all read these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ColumnType(Enum):
    """Logical column types, with their Glue/Athena spelling as the value."""

    STRING = "string"
    INTEGER = "int"
    BIGINT = "bigint"
    DOUBLE = "double"
    DECIMAL = "decimal(12,2)"
    TIMESTAMP = "timestamp"

    @property
    def glue_type(self) -> str:
        return self.value


# Olist writes every timestamp as `YYYY-MM-DD HH:MM:SS`.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    description: str = ""
    allowed_values: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class TableContract:
    """One Olist table: where it comes from, its columns and its key."""

    name: str
    file_name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    # The column that places a row in time; streamed tables use it as the event time.
    event_time_column: str | None = None
    # Kafka topic when the table also arrives as a stream, else None (file-borne only).
    topic: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}; columns: {', '.join(self.column_names)}")


_S = ColumnType.STRING
_I = ColumnType.INTEGER
_D = ColumnType.DOUBLE
_M = ColumnType.DECIMAL
_T = ColumnType.TIMESTAMP

ORDER_STATUSES = ("created", "approved", "invoiced", "processing", "shipped", "delivered", "canceled", "unavailable")
PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
BRAZILIAN_STATES = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB", "PE",
    "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip

_ID = 32  # Olist ids are 32 hex characters.
_TEXT = 8192  # Longest free-text field accepted; review messages in the full data set stay under 300.


def _id(name: str, description: str, nullable: bool = False) -> Column:
    return Column(name, _S, nullable=nullable, description=description, max_length=_ID)


def _zip(name: str) -> Column:
    return Column(
        name, _S, nullable=False, description="First five digits of the zip code, leading zeros kept.", max_length=5
    )


def _state(name: str) -> Column:
    return Column(name, _S, nullable=False, description="Brazilian state (UF).", allowed_values=BRAZILIAN_STATES)


ORDERS = TableContract(
    name="orders",
    file_name="olist_orders_dataset.csv",
    description="One row per order with its lifecycle timestamps.",
    columns=(
        _id("order_id", "Order identifier."),
        _id("customer_id", "Customer key of this order (one per order; see customer_unique_id)."),
        Column("order_status", _S, nullable=False, description="Current status.", allowed_values=ORDER_STATUSES),
        Column("order_purchase_timestamp", _T, nullable=False, description="When the order was placed."),
        Column("order_approved_at", _T, description="When the payment was approved."),
        Column("order_delivered_carrier_date", _T, description="When the order was handed to the carrier."),
        Column("order_delivered_customer_date", _T, description="When the customer received it."),
        Column("order_estimated_delivery_date", _T, nullable=False, description="Delivery date promised at purchase."),
    ),
    primary_key=("order_id",),
    event_time_column="order_purchase_timestamp",
    topic="olist.orders.v1",
)

ORDER_ITEMS = TableContract(
    name="order_items",
    file_name="olist_order_items_dataset.csv",
    description="One row per item of an order.",
    columns=(
        _id("order_id", "Order the item belongs to."),
        Column("order_item_id", _I, nullable=False, description="Sequence of the item within its order.", min_value=1),
        _id("product_id", "Product sold."),
        _id("seller_id", "Seller who sold it."),
        Column(
            "shipping_limit_date",
            _T,
            nullable=False,
            description="Deadline for the seller to hand over to the carrier.",
        ),
        Column("price", _M, nullable=False, description="Item price in BRL.", min_value=0),
        Column("freight_value", _M, nullable=False, description="Freight charged for the item in BRL.", min_value=0),
    ),
    primary_key=("order_id", "order_item_id"),
    event_time_column="shipping_limit_date",
    topic="olist.order_items.v1",
)

ORDER_PAYMENTS = TableContract(
    name="order_payments",
    file_name="olist_order_payments_dataset.csv",
    description="One row per payment of an order (an order may be paid in several ways).",
    columns=(
        _id("order_id", "Order paid."),
        Column(
            "payment_sequential",
            _I,
            nullable=False,
            description="Sequence of the payment within its order.",
            min_value=1,
        ),
        Column("payment_type", _S, nullable=False, description="Payment method.", allowed_values=PAYMENT_TYPES),
        Column("payment_installments", _I, nullable=False, description="Number of installments.", min_value=0),
        Column("payment_value", _M, nullable=False, description="Amount paid in BRL.", min_value=0),
    ),
    primary_key=("order_id", "payment_sequential"),
    topic="olist.order_payments.v1",
)

ORDER_REVIEWS = TableContract(
    name="order_reviews",
    file_name="olist_order_reviews_dataset.csv",
    description="Customer satisfaction reviews; free text is Portuguese and may span lines.",
    columns=(
        _id("review_id", "Review identifier (repeats across orders in the original data)."),
        _id("order_id", "Order reviewed."),
        Column("review_score", _I, nullable=False, description="Score from 1 to 5.", min_value=1, max_value=5),
        Column("review_comment_title", _S, description="Title left by the customer.", max_length=_TEXT),
        Column("review_comment_message", _S, description="Message left by the customer.", max_length=_TEXT),
        Column("review_creation_date", _T, nullable=False, description="When the survey was sent."),
        Column("review_answer_timestamp", _T, nullable=False, description="When the customer answered."),
    ),
    primary_key=("review_id", "order_id"),
    event_time_column="review_answer_timestamp",
    topic="olist.order_reviews.v1",
)

CUSTOMERS = TableContract(
    name="customers",
    file_name="olist_customers_dataset.csv",
    description="One row per customer_id (per order); customer_unique_id identifies the person.",
    columns=(
        _id("customer_id", "Customer key used by orders."),
        _id("customer_unique_id", "The person behind one or more customer_ids."),
        _zip("customer_zip_code_prefix"),
        Column("customer_city", _S, nullable=False, description="City.", max_length=256),
        _state("customer_state"),
    ),
    primary_key=("customer_id",),
)

GEOLOCATION = TableContract(
    name="geolocation",
    file_name="olist_geolocation_dataset.csv",
    description="Coordinates seen for zip code prefixes (many rows per prefix).",
    columns=(
        _zip("geolocation_zip_code_prefix"),
        Column("geolocation_lat", _D, nullable=False, description="Latitude."),
        Column("geolocation_lng", _D, nullable=False, description="Longitude."),
        Column("geolocation_city", _S, nullable=False, description="City.", max_length=256),
        _state("geolocation_state"),
    ),
    # The original has no key and repeats rows; Bronze keeps them all.
    primary_key=(),
)

PRODUCTS = TableContract(
    name="products",
    file_name="olist_products_dataset.csv",
    description="Product catalogue; names and descriptions are only given as lengths.",
    columns=(
        _id("product_id", "Product identifier."),
        Column(
            "product_category_name", _S, description="Category in Portuguese; empty for some products.", max_length=256
        ),
        Column(
            "product_name_lenght", _I, description="Characters in the product name (original misspelling).", min_value=0
        ),
        Column(
            "product_description_lenght",
            _I,
            description="Characters in the description (original misspelling).",
            min_value=0,
        ),
        Column("product_photos_qty", _I, description="Number of photos.", min_value=0),
        Column("product_weight_g", _I, description="Weight in grams.", min_value=0),
        Column("product_length_cm", _I, description="Length in cm.", min_value=0),
        Column("product_height_cm", _I, description="Height in cm.", min_value=0),
        Column("product_width_cm", _I, description="Width in cm.", min_value=0),
    ),
    primary_key=("product_id",),
)

SELLERS = TableContract(
    name="sellers",
    file_name="olist_sellers_dataset.csv",
    description="One row per seller.",
    columns=(
        _id("seller_id", "Seller identifier."),
        _zip("seller_zip_code_prefix"),
        Column("seller_city", _S, nullable=False, description="City.", max_length=256),
        _state("seller_state"),
    ),
    primary_key=("seller_id",),
)

CATEGORY_TRANSLATION = TableContract(
    name="product_category_name_translation",
    file_name="product_category_name_translation.csv",
    description="Portuguese product category names with their English translation.",
    columns=(
        Column("product_category_name", _S, nullable=False, description="Category in Portuguese.", max_length=256),
        Column("product_category_name_english", _S, nullable=False, description="Category in English.", max_length=256),
    ),
    primary_key=("product_category_name",),
)

TABLES: dict[str, TableContract] = {
    table.name: table
    for table in (
        ORDERS, ORDER_ITEMS, ORDER_PAYMENTS, ORDER_REVIEWS,
        CUSTOMERS, GEOLOCATION, PRODUCTS, SELLERS, CATEGORY_TRANSLATION,
    )
}  # fmt: skip

STREAMED_TABLES: tuple[TableContract, ...] = tuple(table for table in TABLES.values() if table.topic)


def contract_for_file(file_name: str) -> TableContract:
    """The contract of an original Olist file name, e.g. `olist_orders_dataset.csv`."""
    for table in TABLES.values():
        if table.file_name == file_name:
            return table
    known = ", ".join(sorted(table.file_name for table in TABLES.values()))
    raise KeyError(f"{file_name!r} is not an Olist file; expected one of: {known}")
