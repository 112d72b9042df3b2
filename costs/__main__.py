"""`python -m costs [--cdk-out DIR] [--region R]`: itemized hourly and monthly estimate of a synthesized environment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from costs.assembly import AssemblyError, read_assembly
from costs.estimate import estimate
from costs.prices import UnknownPrice
from costs.report import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m costs", description=__doc__)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"), help="cloud assembly (default: cdk.out)")
    parser.add_argument("--region", help="price the same stacks in another region (default: the stacks' region)")
    arguments = parser.parse_args(argv)
    try:
        print(render(estimate(read_assembly(arguments.cdk_out), region=arguments.region)))
    except (AssemblyError, UnknownPrice, ValueError) as error:
        print(f"cost estimate failed: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
