"""`make bench`: run every benchmark in this folder, one after the other, each in its own process.

Each benchmark measures its subject and its baseline side by side in the same run and prints the ratio;
none asserts a time. `python -m bench synth producer` runs only the named ones. `scale` (the whole pipeline up to
a million orders, tens of minutes) runs only when named: `make bench-scale`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN_ONLY_WHEN_NAMED = {"scale"}


def main(argv: list[str]) -> int:
    available = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    chosen = argv or [name for name in available if name not in RUN_ONLY_WHEN_NAMED]
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench {name} ===", flush=True)
        result = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py")], cwd=HERE.parent)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
