"""Synthesis of one whole environment (all stacks, cdk-nag included) beside a one-bucket CDK app, and the fast tests.

Goal: a full environment synthesizes in <= 2x the time of a one-bucket app (jsii start-up and aws-cdk-lib's import
are the floor both pay). They are synthesized in turn (A B C A B C ...) so a drifting machine load hits all; each
ratio is the median of the runs' ratios. The lambda layers and plugin are built once beforehand (warm caches, like
a developer).

The environment's app turns CDK's built-in CloudFormation validation off (cfn-lint is the gate's template check,
stacks/synth_context.py), which a one-bucket app with CDK's defaults runs: the goal is judged against that app, and
the ratio to a one-bucket app with the validation off as well (what the environment's own constructs cost over the
floor) is shown beside it.
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
import sys

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App(builtin_cloud_formation_validation=sys.argv[1:] != ["--no-validation"])
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


def runs_in_turn(branch: str, baseline_app: Path) -> list[tuple[float, float, float]]:
    """(environment, one-bucket app, one-bucket app without validation) synth seconds, RUNS times in turn."""
    return [
        (
            _synth_seconds(["app.py"], branch),
            _synth_seconds([str(baseline_app)], branch),
            _synth_seconds([str(baseline_app), "--no-validation"], branch),
        )
        for _ in range(RUNS)
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as work:
        baseline_app = Path(work) / "one_bucket_app.py"
        baseline_app.write_text(_ONE_BUCKET_APP)
        _synth_seconds(["app.py"], "main")  # warm: builds the Lambda layers and the connector plugin once
        _synth_seconds([str(baseline_app)], "main")
        rows = [(branch, runs_in_turn(branch, baseline_app)) for branch in ("main", "feature/bench")]
    print(f"{'what':<44} {'median s':>9} {'runs':>18}  goal")
    for branch, runs in rows:
        environment, default, unvalidated = zip(*runs, strict=True)
        ratio = statistics.median(full / bucket for full, bucket, _ in runs)
        like_for_like = statistics.median(full / bucket for full, _, bucket in runs)
        verdict = "ok" if ratio <= GOAL_RATIO else "MISSED"
        for label, times in (
            ("synth all stacks " + branch, environment),
            ("  one-bucket app (CDK defaults)", default),
            ("  one-bucket app, built-in validation off", unvalidated),
        ):
            print(f"{label:<44} {statistics.median(times):>9.1f} {', '.join(f'{t:.1f}' for t in times):>18}")
        print(f"{'  ratio to the one-bucket app':<44} {ratio:>9.2f} {'':>18}  <= {GOAL_RATIO:.0f}x {verdict}")
        print(f"{'  ratio, both without built-in validation':<44} {like_for_like:>9.2f} {'':>18}  (reported)")
    # Printed first: the unit tests take minutes, and an interrupted bench still shows the synth result.
    sys.stdout.flush()
    unit = _timed([sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider"], dict(os.environ))
    label = 'unit tests (-m "not slow")'
    print(f"{label:<44} {unit:>9.1f} {'1':>18}  (reported)")


if __name__ == "__main__":
    main()
