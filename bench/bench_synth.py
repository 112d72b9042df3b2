"""Synthesis of one whole environment (all stacks, cdk-nag included) beside a one-bucket CDK app, and the fast tests.

Goal: a full environment synthesizes in <= 2x the time of a one-bucket app (jsii start-up and aws-cdk-lib's import
are the floor both pay). The two are synthesized in turn (A B A B ...) so a drifting machine load hits both; the
ratio is the median of the pairs. The lambda layers and plugin are built once beforehand (warm caches, like a
developer).
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
GOAL_RATIO = 2.0
RUNS = 3
_ONE_BUCKET_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "OneBucket")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _synth_seconds(app: list[str], branch: str) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        env = os.environ | {"CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": f'{{"branch": "{branch}"}}'}
        return _timed([sys.executable, *app], env)


def paired_synth(branch: str, baseline_app: Path) -> list[tuple[float, float]]:
    """(environment, one-bucket app) synth seconds, RUNS pairs taken in turn."""
    return [(_synth_seconds(["app.py"], branch), _synth_seconds([str(baseline_app)], branch)) for _ in range(RUNS)]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as work:
        baseline_app = Path(work) / "one_bucket_app.py"
        baseline_app.write_text(_ONE_BUCKET_APP)
        _synth_seconds(["app.py"], "main")  # warm: builds the Lambda layers and the connector plugin once
        _synth_seconds([str(baseline_app)], "main")
        rows = [(branch, paired_synth(branch, baseline_app)) for branch in ("main", "feature/bench")]
    print(f"{'what':<34} {'median s':>9} {'runs':>24}  goal")
    for branch, pairs in rows:
        environment = [full for full, _ in pairs]
        one_bucket = [bucket for _, bucket in pairs]
        ratio = statistics.median(full / bucket for full, bucket in pairs)
        verdict = "ok" if ratio <= GOAL_RATIO else "MISSED"
        for label, times in (("synth all stacks " + branch, environment), ("  one-bucket app", one_bucket)):
            runs = ", ".join(f"{t:.1f}" for t in times)
            print(f"{label:<34} {statistics.median(times):>9.1f} {runs:>24}")
        print(f"{'  ratio (median of pairs)':<34} {ratio:>9.2f} {'':>24}  <= {GOAL_RATIO:.0f}x {verdict}")
    # Printed first: the unit tests take minutes, and an interrupted bench still shows the synth result.
    sys.stdout.flush()
    unit = _timed([sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider"], dict(os.environ))
    label = 'unit tests (-m "not slow")'
    print(f"{label:<34} {unit:>9.1f} {'1':>24}  (reported)")


if __name__ == "__main__":
    main()
