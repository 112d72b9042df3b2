"""DAG file parse time, per file of dags/, beside a one-task DAG parsed the same way. Goal: < 1 s per DAG file.

    python bench/bench_dag_parse.py [--repeats 5]

Runs in the Airflow venv (.venv-airflow, created if needed) with the local twin's settings and a fresh dbt
manifest. Airflow 3's DAG processor parses each file in a child of a process that has Airflow imported, so each
file gets a fresh interpreter here that imports what that child has loaded first
(`airflow.dag_processing.processor`, not counted), then parses the file: `cold` is that
first parse (the file's own imports, Cosmos included, plus building the DAG), what the DAG processor pays;
`warm` is the median of `--repeats` more parses in the same process (imports cached: the module's own cost).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from dbt_project.scripts.local_target import prepare_extension_directory  # noqa: E402
from dbt_project.scripts.manifest import parse_manifest  # noqa: E402
from localtwin.airflow.home import DAGS_FOLDER, AirflowHome  # noqa: E402
from localtwin.airflow.settings import LocalTwinSettings  # noqa: E402
from localtwin.airflow.venv import ensure_venv  # noqa: E402

GOAL_S = 1.0
_BASELINE_DAG = """
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="baseline_one_task", schedule=None, start_date=datetime(2026, 1, 1))
def baseline_one_task():
    @task
    def noop() -> None:
        return None

    noop()


baseline_one_task()
"""

_PROBE = """
import json, statistics, sys, time
# What the DAG processor's parsing child has loaded before it parses a file (airflow.models.taskinstance
# included, which Cosmos imports too): imported once, not counted.
import airflow.dag_processing.processor
from airflow.models.dagbag import DagBag

repeats, path, warm_up = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
for other in warm_up:  # parse another DAG first: Airflow's lazily imported parts are then loaded
    DagBag(dag_folder=other, include_examples=False, safe_mode=False)
times, dags, errors = [], 0, {}
for _ in range(repeats + 1):
    started = time.perf_counter()
    bag = DagBag(dag_folder=path, include_examples=False, safe_mode=False)
    times.append(time.perf_counter() - started)
    dags, errors = len(bag.dag_ids), bag.import_errors
result = {"cold": times[0], "warm": statistics.median(times[1:]), "dags": dags, "errors": len(errors)}
print("RESULT " + json.dumps(result))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    python = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="bench-dag-parse-") as work:
        work_dir = Path(work)
        baseline = work_dir / "baseline_dag.py"
        baseline.write_text(_BASELINE_DAG)
        settings = LocalTwinSettings(
            landing_bucket="landing",
            bronze_bucket="bronze",
            artifacts_dir=work_dir / "run",
            warehouse=work_dir / "warehouse.duckdb",
            duckdb_extension_dir=prepare_extension_directory(work_dir / "extensions"),
            dbt_manifest=parse_manifest(REPO_ROOT / "dbt_project", work_dir / "dbt-target"),
        )
        home = AirflowHome(work_dir / "airflow", settings=settings.environment(), python=python)
        files = [baseline, *sorted(DAGS_FOLDER.glob("*.py"))]
        script_path = work_dir / "probe.py"
        script_path.write_text(_PROBE)
        timings: dict[Path, dict] = {}
        for path in files:
            fresh = _probe(home, script_path, args.repeats, path, [])
            own = _probe(home, script_path, args.repeats, path, [baseline]) if path != baseline else fresh
            if fresh is None or own is None:
                return 1
            timings[path] = {**fresh, "own": own["cold"]}
    base = timings[baseline]["cold"]
    print("cold: first parse in a fresh interpreter; own: first parse after another DAG (the file's own imports and")
    print("DAG building); warm: median re-parse (module code only). Ratios are of `cold`.")
    header = (
        f"{'DAG file':<26} {'dags':>4} {'cold s':>7} {'own s':>7} {'warm s':>7} {'vs 1-task DAG':>14} {'vs goal':>8}"
    )
    print(header)
    worst = 0.0
    for path, timing in timings.items():
        name = "(baseline: 1-task DAG)" if path == baseline else path.name
        if path != baseline:
            worst = max(worst, timing["cold"])
        errors = f"  IMPORT ERRORS: {timing['errors']}" if timing["errors"] else ""
        print(
            f"{name:<26} {timing['dags']:>4} {timing['cold']:>7.3f} {timing['own']:>7.3f} {timing['warm']:>7.3f} "
            f"{timing['cold'] / base:>13.1f}x {timing['cold'] / GOAL_S:>7.2f}x{errors}"
        )
    verdict = "meets" if worst < GOAL_S else "MISSES"
    print(f"slowest DAG file (cold): {worst:.3f} s: {verdict} the goal of < {GOAL_S:.0f} s per DAG file")
    return 0


def _probe(home: AirflowHome, script: Path, repeats: int, path: Path, warm_up: list[Path]) -> dict | None:
    argv = ["probe", str(repeats), str(path), *map(str, warm_up)]
    result = home.python_script(
        f"import runpy, sys; sys.argv = {argv!r}; runpy.run_path({str(script)!r}, run_name='__main__')", timeout_s=300
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        print(f"parsing {path} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1][len("RESULT ") :])


if __name__ == "__main__":
    sys.exit(main())
