"""Generate a consistent Olist world of N orders: customers, orders, items, payments, reviews, products,
sellers, geolocation and the category translation, with the relations and rough distributions of the original.

Shapes kept from the original data set: ~97% of orders delivered, the rest shipped, canceled, unavailable,
invoiced, processing, created or approved (unavailable orders have no items); ~10% of orders have several
items, often the same product repeated; payments by card (with installments), boleto, voucher or debit card,
several vouchers or card + vouchers on some orders, summing to the order's value; ~8% of deliveries late
(and their reviews worse); review texts in Portuguese, some multi-line, some titles; a few review ids shared
by two orders; ~3% of persons (customer_unique_id) with several orders; ~1.9% of products without a
category, two categories without a translation; geolocation rows for every zip prefix used.

Geolocation is kept proportionate (a few rows per zip prefix used) rather than the original's ten rows per
order, so generation stays fast. Same seed and numpy version, same bytes: each table draws from its own
child seed, so changing one table's logic does not shift the others.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from contracts.olist import TABLES
from datagen.formats import write_table
from datagen.vocabulary import (
    CATEGORIES,
    CITIES,
    SENTENCES_BAD,
    SENTENCES_GOOD,
    SENTENCES_MIXED,
    STATE_NAMES,
    TITLES_BAD,
    TITLES_GOOD,
    TITLES_MIXED,
    UNTRANSLATED_CATEGORIES,
)

MINUTE, HOUR, DAY = 60, 3600, 86400
FIRST_PURCHASE = int(datetime(2016, 9, 4).timestamp()) // DAY * DAY
LAST_PURCHASE = int(datetime(2018, 10, 17).timestamp()) // DAY * DAY
# Share of orders by purchase hour (people buy in the evening).
HOUR_WEIGHTS = np.array([3, 2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 11, 10, 10, 10, 10, 10, 9, 9, 9, 10, 10, 9, 6], float)
STATUSES = ("delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved")
STATUS_SHARES = np.array([0.9702, 0.0111, 0.0063, 0.0061, 0.0032, 0.0030, 0.00005, 0.00002])
PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
PAYMENT_SHARES = np.array([0.754, 0.195, 0.035, 0.016, 0.0])
INSTALLMENTS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 18, 24])
INSTALLMENT_SHARES = np.array([50, 12, 10, 7, 5, 4, 2, 4, 1, 4.5, 0.3, 0.1, 0.05, 0.05])
ITEMS_PER_ORDER = np.array([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 21])
ITEMS_SHARES = np.array([90.1, 7.6, 1.3, 0.45, 0.2, 0.15, 0.07, 0.05, 0.04, 0.02, 0.01, 0.01])
SCORES_ON_TIME = np.array([0.06, 0.025, 0.075, 0.21, 0.63])
SCORES_LATE = np.array([0.45, 0.10, 0.12, 0.13, 0.20])
SCORES_NOT_DELIVERED = np.array([0.70, 0.08, 0.08, 0.06, 0.08])
LATE_SHARE = 0.081


@dataclass(frozen=True)
class GeneratorConfig:
    orders: int = 100_000
    seed: int = 7

    def __post_init__(self) -> None:
        if self.orders < 1:
            raise ValueError(f"orders must be at least 1, got {self.orders}")


def generate(config: GeneratorConfig, out_dir: Path, tables: Collection[str] | None = None) -> dict[str, Path]:
    """Write the 9 files (or the named `tables`) into `out_dir` under their original names; returns name -> path.

    A table's bytes do not depend on which other tables are written with it.
    """
    wanted = list(TABLES) if tables is None else list(tables)
    unknown = sorted(set(wanted) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown tables {unknown}; known: {', '.join(TABLES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    world = _World(config)
    paths = {}
    for name in wanted:
        paths[name] = out_dir / TABLES[name].file_name
        write_table(name, world.columns(name), paths[name])
    return paths


class _World:
    """The generated entities, each drawn on first use from its own child seed."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.orders_count = config.orders
        streams = np.random.SeedSequence(config.seed).spawn(8)
        names = ("sellers", "products", "customers", "orders", "items", "payments", "reviews", "geolocation")
        self.rng = {name: np.random.default_rng(stream) for name, stream in zip(names, streams, strict=True)}

    @cached_property
    def sellers(self) -> _Sellers:
        return _sellers(self.rng["sellers"], max(5, round(self.orders_count * 0.031)))

    @cached_property
    def products(self) -> _Products:
        return _products(self.rng["products"], max(30, round(self.orders_count * 0.33)), self.sellers.count)

    @cached_property
    def customers(self) -> _Customers:
        return _customers(self.rng["customers"], self.orders_count)

    @cached_property
    def orders(self) -> _Orders:
        return _orders(self.rng["orders"], self.orders_count)

    @cached_property
    def items(self) -> _Items:
        return _items(self.rng["items"], self.orders, self.products, self.sellers.count)

    def columns(self, table: str) -> dict[str, list[str]]:
        match table:
            case "orders":
                return self.orders.columns(self.customers.ids)
            case "order_items":
                return self.items.columns(self.orders.ids, self.products.ids, self.sellers.ids)
            case "order_payments":
                return _payments(self.rng["payments"], self.orders, self.items)
            case "order_reviews":
                return _reviews(self.rng["reviews"], self.orders)
            case "customers":
                return self.customers.columns(self.rng["customers"])
            case "geolocation":
                return _geolocation(self.rng["geolocation"], self.customers, self.sellers)
            case "products":
                return self.products.columns()
            case "sellers":
                return self.sellers.columns()
            case "product_category_name_translation":
                return {
                    "product_category_name": [pt for pt, _, _ in CATEGORIES],
                    "product_category_name_english": [en for _, en, _ in CATEGORIES],
                }
        raise ValueError(f"unknown table {table!r}")


# --- shared helpers -------------------------------------------------------------------------------------------


def _hex_ids(rng: np.random.Generator, count: int) -> list[str]:
    text = rng.bytes(16 * count).hex()
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def _timestamps(seconds: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    """`YYYY-MM-DD HH:MM:SS` for each epoch second; '' where not present."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]")).astype("<U19")
    text.view("<U1").reshape(-1, 19)[:, 10] = " "
    values = text.tolist()
    if present is not None:
        for index in np.flatnonzero(~present).tolist():
            values[index] = ""
    return values


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def _ints(values: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    texts = [str(v) for v in values.tolist()]
    if present is not None:
        for index in np.flatnonzero(~present).tolist():
            texts[index] = ""
    return texts


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, size)


def _popularity(rng: np.random.Generator, count: int, offset: float, exponent: float) -> np.ndarray:
    weights = 1.0 / (np.arange(count) + offset) ** exponent
    weights = weights[rng.permutation(count)]
    return weights / weights.sum()


def _pick(rng: np.random.Generator, choices: tuple[str, ...], weights: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(choices), size=size, p=weights / weights.sum())


_CITY_WEIGHTS = np.array([city.weight for city in CITIES])
_ZIP_LOW = np.array([city.zip_low for city in CITIES])
_ZIP_HIGH = np.array([city.zip_high for city in CITIES])
_CITY_LAT = np.array([city.lat for city in CITIES])
_CITY_LNG = np.array([city.lng for city in CITIES])


@dataclass(frozen=True)
class _Places:
    city: np.ndarray
    zip: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, count: int, weights: np.ndarray) -> _Places:
        city = rng.choice(len(CITIES), size=count, p=weights / weights.sum())
        return cls(city, rng.integers(_ZIP_LOW[city], _ZIP_HIGH[city] + 1))

    def zip_texts(self) -> list[str]:
        return [f"{z:05d}" for z in self.zip.tolist()]

    def city_texts(self) -> list[str]:
        return [CITIES[c].name for c in self.city.tolist()]

    def state_texts(self) -> list[str]:
        return [CITIES[c].state for c in self.city.tolist()]


# --- sellers and products ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sellers:
    ids: list[str]
    places: _Places
    cities: list[str]

    @property
    def count(self) -> int:
        return len(self.ids)

    def columns(self) -> dict[str, list[str]]:
        return {
            "seller_id": self.ids,
            "seller_zip_code_prefix": self.places.zip_texts(),
            "seller_city": self.cities,
            "seller_state": self.places.state_texts(),
        }


def _sellers(rng: np.random.Generator, count: int) -> _Sellers:
    ids = _hex_ids(rng, count)
    # Sellers concentrate in São Paulo state even more than customers.
    weights = _CITY_WEIGHTS * np.array([2.5 if city.state == "SP" else 1.0 for city in CITIES])
    places = _Places.draw(rng, count, weights)
    cities = places.city_texts()
    # A few sellers typed their city as "city, state, brasil" (quoted in the file because of the commas).
    spelled = [0, *np.flatnonzero(rng.random(count) < 0.002).tolist()]
    for index in spelled:
        city = CITIES[places.city[index]]
        cities[index] = f"{city.name}, {STATE_NAMES.get(city.state, city.state.lower())}, brasil"
    return _Sellers(ids, places, cities)


@dataclass(frozen=True)
class _Products:
    ids: list[str]
    category: list[str]
    numbers: dict[str, np.ndarray]
    has_category: np.ndarray
    has_dimensions: np.ndarray
    price_cents: np.ndarray
    seller: np.ndarray
    popularity: np.ndarray

    @property
    def count(self) -> int:
        return len(self.ids)

    def columns(self) -> dict[str, list[str]]:
        described = ("product_name_lenght", "product_description_lenght", "product_photos_qty")
        columns = {"product_id": self.ids, "product_category_name": self.category}
        for name, values in self.numbers.items():
            columns[name] = _ints(values, self.has_category if name in described else self.has_dimensions)
        return columns


def _products(rng: np.random.Generator, count: int, seller_count: int) -> _Products:
    ids = _hex_ids(rng, count)
    names = [pt for pt, _, _ in CATEGORIES] + [pt for pt, _ in UNTRANSLATED_CATEGORIES]
    weights = np.array([w for _, _, w in CATEGORIES] + [w for _, w in UNTRANSLATED_CATEGORIES])
    chosen = rng.choice(len(names), size=count, p=weights / weights.sum())
    # Every run shows both untranslated categories, as the original does.
    chosen[0], chosen[1] = len(CATEGORIES), len(CATEGORIES) + 1
    has_category = rng.random(count) >= 0.0185
    has_category[:2] = True
    category = [names[c] if has else "" for c, has in zip(chosen.tolist(), has_category.tolist(), strict=True)]
    has_dimensions = np.ones(count, dtype=bool)
    has_dimensions[rng.integers(2, count)] = False
    numbers = {
        "product_name_lenght": np.clip(np.rint(rng.normal(48, 10, count)), 5, 76).astype(np.int64),
        "product_description_lenght": np.clip(np.rint(_lognormal(rng, 600, 0.7, count)), 4, 3992).astype(np.int64),
        "product_photos_qty": np.clip(rng.geometric(0.45, count), 1, 20),
        "product_weight_g": np.clip(np.rint(_lognormal(rng, 700, 1.2, count)), 0, 40425).astype(np.int64),
        "product_length_cm": np.clip(np.rint(_lognormal(rng, 25, 0.5, count)), 7, 105).astype(np.int64),
        "product_height_cm": np.clip(np.rint(_lognormal(rng, 12, 0.7, count)), 2, 105).astype(np.int64),
        "product_width_cm": np.clip(np.rint(_lognormal(rng, 18, 0.5, count)), 6, 118).astype(np.int64),
    }
    price_cents = np.clip(np.rint(_lognormal(rng, 75, 0.9, count) * 100), 85, 673500).astype(np.int64)
    seller = rng.choice(seller_count, size=count, p=_popularity(rng, seller_count, 3, 1.1))
    popularity = _popularity(rng, count, 5, 0.95)
    return _Products(ids, category, numbers, has_category, has_dimensions, price_cents, seller, popularity)


# --- customers and orders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Customers:
    ids: list[str]
    unique_ids: list[str]
    person: np.ndarray
    places: _Places  # per person

    def columns(self, rng: np.random.Generator) -> dict[str, list[str]]:
        order = rng.permutation(len(self.ids)).tolist()
        zips, cities, states = self.places.zip_texts(), self.places.city_texts(), self.places.state_texts()
        person = self.person.tolist()
        return {
            "customer_id": [self.ids[i] for i in order],
            "customer_unique_id": [self.unique_ids[person[i]] for i in order],
            "customer_zip_code_prefix": [zips[person[i]] for i in order],
            "customer_city": [cities[person[i]] for i in order],
            "customer_state": [states[person[i]] for i in order],
        }


def _customers(rng: np.random.Generator, count: int) -> _Customers:
    """One customer_id per order; about 3% of orders come from a person who ordered before."""
    ids = _hex_ids(rng, count)
    persons = max(1, round(count * 0.966))
    person = np.concatenate([np.arange(persons), rng.integers(0, persons, count - persons)])
    person = person[rng.permutation(count)]
    return _Customers(ids, _hex_ids(rng, persons), person, _Places.draw(rng, persons, _CITY_WEIGHTS))


@dataclass(frozen=True)
class _Orders:
    ids: list[str]
    status: np.ndarray
    payment_type: np.ndarray
    purchase: np.ndarray
    approved: np.ndarray
    carrier: np.ndarray
    delivered: np.ndarray
    estimated: np.ndarray
    has_approved: np.ndarray
    has_carrier: np.ndarray
    has_delivered: np.ndarray
    late: np.ndarray

    @property
    def count(self) -> int:
        return len(self.ids)

    def columns(self, customer_ids: list[str]) -> dict[str, list[str]]:
        return {
            "order_id": self.ids,
            "customer_id": customer_ids,
            "order_status": [STATUSES[s] for s in self.status.tolist()],
            "order_purchase_timestamp": _timestamps(self.purchase),
            "order_approved_at": _timestamps(self.approved, self.has_approved),
            "order_delivered_carrier_date": _timestamps(self.carrier, self.has_carrier),
            "order_delivered_customer_date": _timestamps(self.delivered, self.has_delivered),
            "order_estimated_delivery_date": _timestamps(self.estimated),
        }


def _orders(rng: np.random.Generator, count: int) -> _Orders:
    ids = _hex_ids(rng, count)
    days = (LAST_PURCHASE - FIRST_PURCHASE) // DAY
    # Business grew over the period: more orders later (density rising like t^0.7).
    day = np.floor(rng.power(1.7, count) * days).astype(np.int64)
    hour = rng.choice(24, size=count, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    purchase = FIRST_PURCHASE + day * DAY + hour * HOUR + rng.integers(0, HOUR, count)
    status = _pick(rng, STATUSES, STATUS_SHARES, count)
    payment_type = _pick(rng, PAYMENT_TYPES, PAYMENT_SHARES, count)
    canceled = status == STATUSES.index("canceled")
    payment_type[canceled & (rng.random(count) < 0.005)] = PAYMENT_TYPES.index("not_defined")

    boleto = payment_type == PAYMENT_TYPES.index("boleto")
    delay = np.where(boleto, _lognormal(rng, 1.2 * DAY, 0.6, count), _lognormal(rng, 15 * MINUTE, 1.0, count))
    approved = purchase + np.clip(delay, 10, 20 * DAY).astype(np.int64)
    has_approved = status != STATUSES.index("created")
    has_approved &= ~(canceled & (rng.random(count) < 0.2))
    delivered_status = status == STATUSES.index("delivered")
    has_approved &= ~(delivered_status & (rng.random(count) < 0.00015))

    shipped_or_delivered = delivered_status | (status == STATUSES.index("shipped"))
    carrier = approved + np.clip(_lognormal(rng, 2.5 * DAY, 0.6, count), HOUR, 20 * DAY).astype(np.int64)
    has_carrier = shipped_or_delivered | (canceled & (rng.random(count) < 0.1))
    has_carrier &= ~(delivered_status & (rng.random(count) < 0.00002))

    estimated = (purchase // DAY + np.clip(np.rint(rng.normal(24, 8, count)), 3, 60).astype(np.int64)) * DAY
    late = delivered_status & (rng.random(count) < LATE_SHARE)
    on_time_room = np.maximum(estimated + DAY - 1 - carrier, 4 * HOUR)
    transit = np.clip(_lognormal(rng, 6 * DAY, 0.6, count), 4 * HOUR, on_time_room).astype(np.int64)
    late_arrival = estimated + DAY + _lognormal(rng, 4 * DAY, 0.9, count).astype(np.int64)
    delivered = np.where(late, np.maximum(late_arrival, carrier + 4 * HOUR), carrier + transit)
    late = delivered_status & (delivered >= estimated + DAY)
    has_delivered = delivered_status & ~(rng.random(count) < 0.00008)
    return _Orders(
        ids, status, payment_type, purchase, approved, carrier, delivered, estimated,
        has_approved, has_carrier, has_delivered, late,
    )  # fmt: skip


# --- items, payments, reviews --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Items:
    order: np.ndarray
    item_number: np.ndarray
    product: np.ndarray
    seller: np.ndarray
    shipping_limit: np.ndarray
    price_cents: np.ndarray
    freight_cents: np.ndarray

    def columns(self, order_ids: list[str], product_ids: list[str], seller_ids: list[str]) -> dict[str, list[str]]:
        # The original items file is sorted by (order_id, order_item_id).
        keys = np.array(order_ids)[self.order]
        rows = np.argsort(keys, kind="stable")
        return {
            "order_id": keys[rows].tolist(),
            "order_item_id": _ints(self.item_number[rows]),
            "product_id": [product_ids[p] for p in self.product[rows].tolist()],
            "seller_id": [seller_ids[s] for s in self.seller[rows].tolist()],
            "shipping_limit_date": _timestamps(self.shipping_limit[rows]),
            "price": _money(self.price_cents[rows]),
            "freight_value": _money(self.freight_cents[rows]),
        }


def _items(rng: np.random.Generator, orders: _Orders, products: _Products, seller_count: int) -> _Items:
    count = orders.count
    per_order = ITEMS_PER_ORDER[rng.choice(ITEMS_PER_ORDER.size, size=count, p=ITEMS_SHARES / ITEMS_SHARES.sum())]
    status = orders.status
    no_items = (status == STATUSES.index("unavailable")) & (rng.random(count) < 0.97)
    no_items |= status == STATUSES.index("created")
    no_items |= (status == STATUSES.index("canceled")) & (rng.random(count) < 0.15)
    per_order[no_items] = 0
    order = np.repeat(np.arange(count), per_order)
    first = np.concatenate([[0], np.cumsum(per_order)[:-1]])
    item_number = np.arange(order.size) - first[order] + 1
    product = rng.choice(products.count, size=order.size, p=products.popularity)
    # Multi-item orders often buy several units of one product, each a row of its own.
    same_product = rng.random(count) < 0.6
    repeat = same_product[order]
    product[repeat] = product[first[order[repeat]]]
    seller = products.seller[product].copy()
    other_seller = rng.random(order.size) < 0.05
    seller[other_seller] = rng.integers(0, seller_count, int(other_seller.sum()))
    start = np.where(orders.has_approved, orders.approved, orders.purchase)[order]
    shipping_limit = start + 6 * DAY + rng.integers(0, DAY, order.size)
    variation = np.where(rng.random(order.size) < 0.2, rng.uniform(0.9, 1.1, order.size), 1.0)
    price_cents = np.maximum(np.rint(products.price_cents[product] * variation), 85).astype(np.int64)
    freight_cents = np.clip(np.rint(_lognormal(rng, 1600, 0.6, order.size)), 0, 40000).astype(np.int64)
    freight_cents[rng.random(order.size) < 0.003] = 0
    freight_cents[repeat] = freight_cents[first[order[repeat]]]
    return _Items(order, item_number, product, seller, shipping_limit, price_cents, freight_cents)


def _payments(rng: np.random.Generator, orders: _Orders, items: _Items) -> dict[str, list[str]]:
    count = orders.count
    value = items.price_cents + items.freight_cents
    totals = np.bincount(items.order, weights=value, minlength=count).astype(np.int64)
    empty = totals == 0
    totals[empty] = np.rint(_lognormal(rng, 9000, 0.8, int(empty.sum()))).astype(np.int64) + 100
    main = orders.payment_type
    card = main == PAYMENT_TYPES.index("credit_card")
    voucher = main == PAYMENT_TYPES.index("voucher")
    extra_vouchers = np.where(card & (rng.random(count) < 0.025), rng.integers(1, 4, count), 0)
    extra_vouchers = np.where(voucher & (rng.random(count) < 0.2), rng.integers(1, 8, count), extra_vouchers)
    installments = INSTALLMENTS[
        rng.choice(INSTALLMENTS.size, size=count, p=INSTALLMENT_SHARES / INSTALLMENT_SHARES.sum())
    ]
    installments = np.where(card, installments, 1)
    installments[card & (rng.random(count) < 0.00002)] = 0

    order_rows: list[int] = []
    types: list[int] = []
    values: list[int] = []
    counts: list[int] = []
    for index, (total, extra) in enumerate(zip(totals.tolist(), extra_vouchers.tolist(), strict=True)):
        shares = [total]
        if extra and total > 100 * (extra + 1):
            cuts = np.sort(rng.choice(np.arange(1, total), size=extra, replace=False))
            shares = np.diff(np.concatenate([[0], cuts, [total]])).tolist()
        kinds = [int(main[index])] + [PAYMENT_TYPES.index("voucher")] * (len(shares) - 1)
        order_rows.extend([index] * len(shares))
        types.extend(kinds)
        values.extend(shares)
        counts.append(len(shares))
    order_rows_array = np.array(order_rows)
    sequential = np.concatenate([np.arange(1, c + 1) for c in counts])
    types_array = np.array(types)
    installments_rows = np.where(types_array == PAYMENT_TYPES.index("credit_card"), installments[order_rows_array], 1)
    rows = rng.permutation(order_rows_array.size)
    ids = np.array(orders.ids)
    return {
        "order_id": ids[order_rows_array[rows]].tolist(),
        "payment_sequential": _ints(sequential[rows]),
        "payment_type": [PAYMENT_TYPES[t] for t in types_array[rows].tolist()],
        "payment_installments": _ints(installments_rows[rows]),
        "payment_value": _money(np.array(values, dtype=np.int64)[rows]),
    }


def _reviews(rng: np.random.Generator, orders: _Orders) -> dict[str, list[str]]:
    count = orders.count
    reviewed = np.flatnonzero(rng.random(count) < 0.992)
    second = reviewed[rng.random(reviewed.size) < 0.006]
    order = np.concatenate([reviewed, second])
    size = order.size
    review_ids = _hex_ids(rng, size)
    # A customer answering one survey for two orders: the same review_id on two different orders.
    for target in np.flatnonzero(rng.random(size) < 0.008).tolist():
        source = int(rng.integers(0, size))
        if order[source] != order[target]:
            review_ids[target] = review_ids[source]

    delivered = orders.has_delivered[order]
    late = orders.late[order]
    scores = np.empty(size, dtype=np.int64)
    for mask, shares in ((delivered & ~late, SCORES_ON_TIME), (late, SCORES_LATE), (~delivered, SCORES_NOT_DELIVERED)):
        scores[mask] = rng.choice(5, size=int(mask.sum()), p=shares) + 1

    survey_day = np.where(delivered, orders.delivered[order], orders.estimated[order]) // DAY + 1
    created = survey_day * DAY + np.where(np.arange(size) >= reviewed.size, 3 * DAY, 0)
    answered = created + np.clip(_lognormal(rng, 1.5 * DAY, 0.9, size), 10 * MINUTE, 60 * DAY).astype(np.int64)

    titles = _texts(rng, scores, np.full(size, 0.12), (TITLES_BAD, TITLES_MIXED, TITLES_GOOD), sentences=1)
    message_share = np.select([scores >= 5, scores == 4, scores == 3], [0.35, 0.45, 0.6], 0.75)
    messages = _texts(rng, scores, message_share, (SENTENCES_BAD, SENTENCES_MIXED, SENTENCES_GOOD), sentences=3)
    rows = rng.permutation(size).tolist()
    ids = [orders.ids[o] for o in order.tolist()]
    columns = {
        "review_id": review_ids,
        "order_id": ids,
        "review_score": _ints(scores),
        "review_comment_title": titles,
        "review_comment_message": messages,
        "review_creation_date": _timestamps(created),
        "review_answer_timestamp": _timestamps(answered),
    }
    return {name: [values[i] for i in rows] for name, values in columns.items()}


def _texts(
    rng: np.random.Generator,
    scores: np.ndarray,
    share: np.ndarray,
    pools: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    sentences: int,
) -> list[str]:
    """Free text for a share of reviews, from the pool matching each score; some span lines with CRLF."""
    size = scores.size
    present = rng.random(size) < share
    texts = [""] * size
    sentiment = np.select([scores <= 2, scores == 3], [0, 1], 2)
    for index in np.flatnonzero(present).tolist():
        pool = pools[sentiment[index]]
        parts = [pool[i] for i in rng.integers(0, len(pool), int(rng.integers(1, sentences + 1)))]
        text = parts[0]
        for part in parts[1:]:
            text += "\r\n" if rng.random() < 0.1 else " "
            text += part
        style = rng.random()
        if style < 0.05:
            text = text.upper()
        elif style < 0.1:
            text = text.lower()
        elif style < 0.13 and sentences > 1:
            text += "\r\n"
        texts[index] = text
    return texts


# --- geolocation ---------------------------------------------------------------------------------------------


def _geolocation(rng: np.random.Generator, customers: _Customers, sellers: _Sellers) -> dict[str, list[str]]:
    zips = np.concatenate([customers.places.zip, sellers.places.zip])
    cities = np.concatenate([customers.places.city, sellers.places.city])
    unique_zips, first = np.unique(zips, return_index=True)
    city = cities[first]
    per_zip = np.minimum(1 + rng.poisson(1.5, unique_zips.size), 6)
    zip_rows = np.repeat(unique_zips, per_zip)
    city_rows = np.repeat(city, per_zip)
    lat = _CITY_LAT[city_rows] + rng.normal(0, 0.04, zip_rows.size)
    lng = _CITY_LNG[city_rows] + rng.normal(0, 0.04, zip_rows.size)
    accented = rng.random(zip_rows.size) < 0.35
    # The original repeats some rows exactly.
    rows = np.repeat(np.arange(zip_rows.size), np.where(rng.random(zip_rows.size) < 0.03, 2, 1))
    city_list = city_rows[rows].tolist()
    return {
        "geolocation_zip_code_prefix": [f"{z:05d}" for z in zip_rows[rows].tolist()],
        "geolocation_lat": [repr(v) for v in lat[rows].tolist()],
        "geolocation_lng": [repr(v) for v in lng[rows].tolist()],
        "geolocation_city": [
            CITIES[c].accented if a else CITIES[c].name for c, a in zip(city_list, accented[rows].tolist(), strict=True)
        ],
        "geolocation_state": [CITIES[c].state for c in city_list],
    }
