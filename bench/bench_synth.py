"""Synthesis of one whole environment (all stacks, cdk-nag included) and the fast test suite, timed.

Goal: a full environment synthesizes in <= 15 s on the 2-core machine. Each measurement is the median
of a few runs; the lambda layers and plugin are built once beforehand (warm caches, like a developer).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 15.0
RUNS = 3


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def synth_seconds(branch: str) -> list[float]:
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as outdir:
            env = os.environ | {"CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": f'{{"branch": "{branch}"}}'}
            times.append(_timed([sys.executable, "app.py"], env))
    return times


def main() -> None:
    synth_seconds("main")  # warm: builds the Lambda layers and the connector plugin once
    rows = [(branch, synth_seconds(branch)) for branch in ("main", "feature/bench")]
    unit = _timed([sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider"], dict(os.environ))
    print(f"{'what':<34} {'median s':>9} {'runs':>24}  goal")
    for branch, times in rows:
        median = statistics.median(times)
        verdict = "ok" if median <= GOAL_SECONDS else "MISSED"
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(f"{'synth all stacks ' + branch:<34} {median:>9.1f} {runs:>24}  <= {GOAL_SECONDS:.0f} s {verdict}")
        print(f"{'  ratio to goal':<34} {median / GOAL_SECONDS:>9.2f}")
    label = 'unit tests (-m "not slow")'
    print(f"{label:<34} {unit:>9.1f} {'1':>24}  (reported)")


if __name__ == "__main__":
    main()
