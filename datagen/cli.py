"""`python -m datagen --orders N --seed S --out DIR`: write the 9 Olist CSV files."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from datagen.generator import GeneratorConfig, generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000, help="number of orders (default 100000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, same bytes (default 7)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    parser.add_argument("--tables", help="comma-separated table names to write (default: all 9)")
    args = parser.parse_args(argv)
    tables = args.tables.split(",") if args.tables else None
    started = time.perf_counter()
    files = generate(GeneratorConfig(orders=args.orders, seed=args.seed), args.out, tables)
    elapsed = time.perf_counter() - started
    for table, path in files.items():
        print(f"{table:<36} {path.stat().st_size:>12,} bytes  {path}")
    print(f"{args.orders:,} orders in {elapsed:.2f} s")
    return 0
