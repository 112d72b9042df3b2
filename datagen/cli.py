"""`python -m datagen --orders N --seed S --out DIR`: write the 9 Olist CSV files.

Every option is checked before anything is written: a bad value ends with `error: <option>=<value>: <why>`, exit 2.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from contracts.olist import TABLES
from contracts.settings import BadSetting, folder_to_create, non_negative_int, positive_int, setting
from contracts.settings import report as report_bad_setting
from datagen.generator import GeneratorConfig, generate


def _tables(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TABLES]
    if unknown or not names:
        raise ValueError(f"unknown tables {unknown}; choose from {', '.join(TABLES)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__)
    parser.add_argument("--orders", help="number of orders (default 100000)")
    parser.add_argument("--seed", help="random seed; same seed, same bytes (default 7)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--tables", help="comma-separated table names to write (default: all 9)")
    args = parser.parse_args(argv)
    try:
        orders = setting(args.orders, "--orders", positive_int, default="100000")
        seed = setting(args.seed, "--seed", non_negative_int, default="7")
        out = setting(args.out, "--out", folder_to_create)
        tables = setting(args.tables, "--tables", _tables) if args.tables is not None else None
    except BadSetting as error:
        return report_bad_setting(error)
    started = time.perf_counter()
    files = generate(GeneratorConfig(orders=orders, seed=seed), out, tables)
    elapsed = time.perf_counter() - started
    for table, path in files.items():
        print(f"{table:<36} {path.stat().st_size:>12,} bytes  {path}")
    print(f"{orders:,} orders in {elapsed:.2f} s")
    return 0
