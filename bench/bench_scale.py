"""The scaling curve (issue 18 item 3): the whole local pipeline at growing order counts, side by side in one run.

    python bench/bench_scale.py [--orders 10000 100000 1000000] [--chart docs/scaling.svg]

Each size runs `python -m localtwin --orders N --run-dir ...` in its own process. While it runs, every process
below it is sampled from /proc (peak RSS is the kernel's VmHWM, read until the process ends) and grouped by
role: Kafka, Connect, S3 server, dbt, the twin itself. Stage times are the run's own (report.md's timings), not
measured again. Rows/s per stage = source rows of the run / stage seconds; the growth factor between sizes is
time(next) / time(previous) beside the size factor: a stage whose growth exceeds the size factor grows worse than
linearly and is flagged.
"""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Role of a process, by a fragment of its command line; first match wins.
ROLES = (
    ("Connect", "ConnectDistributed"),
    ("Connect", "ConnectStandalone"),
    ("Kafka", "kafka.Kafka"),
    ("S3 server", "moto"),
    ("S3 server", "versitygw"),
    ("dbt", "dbt"),
)
SAMPLE_EVERY_S = 0.5


@dataclass
class ScaleRun:
    orders: int
    wall_s: float
    timings: dict[str, float]
    source_rows: int
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    ok: bool = True


def role_of(cmdline: str) -> str:
    return next((role for role, fragment in ROLES if fragment in cmdline), "twin (python)")


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def peak_rss_kb(pid: int) -> tuple[str, int] | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # ended between listing and reading
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return (cmdline, int(match.group(1))) if match else None


def sample_until_done(process: subprocess.Popen[bytes], peaks: dict[int, tuple[str, int]]) -> None:
    while process.poll() is None:
        for pid in descendants(process.pid):
            sampled = peak_rss_kb(pid)
            if sampled is not None:
                peaks[pid] = (sampled[0], max(sampled[1], peaks.get(pid, ("", 0))[1]))
        time.sleep(SAMPLE_EVERY_S)


def report_timings(report: str) -> dict[str, float]:
    section = report.split("## Timings", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^\| ([^|]+?) \| ([\d.]+) \|$", section, re.MULTILINE)}


def report_source_rows(report: str) -> int:
    section = report.split("## Rows per entity", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| [^|]+ \| [^|]+ \| (\d+) \|", section, re.MULTILINE)
    return sum(int(count) for count in rows)


def run_size(orders: int, run_dir: Path) -> ScaleRun:
    command = [sys.executable, "-m", "localtwin", "--orders", str(orders), "--run-dir", str(run_dir)]
    log = run_dir.with_suffix(".log")
    peaks: dict[int, tuple[str, int]] = {}
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
        sampler = threading.Thread(target=sample_until_done, args=(process, peaks))
        sampler.start()
        process.wait()
        sampler.join()
    wall_s = time.perf_counter() - started
    report_path = run_dir / "report.md"
    if not report_path.exists():
        raise RuntimeError(f"{orders:,} orders: the run wrote no report (exit {process.returncode}); see {log}")
    report = report_path.read_text()
    by_role: dict[str, float] = {}
    for cmdline, kb in peaks.values():
        role = role_of(cmdline)
        by_role[role] = max(by_role.get(role, 0.0), kb / 1024)
    return ScaleRun(
        orders, wall_s, report_timings(report), report_source_rows(report), by_role, process.returncode == 0
    )


def table(runs: list[ScaleRun]) -> list[str]:
    sizes = "".join(f"{run.orders:>14,}" for run in runs)
    lines = [f"{'orders':<30}{sizes}", "seconds (rows/s) per stage:"]
    stages = list(dict.fromkeys(stage for run in runs for stage in run.timings))
    for stage in [*stages, "wall time"]:
        cells = ""
        for run in runs:
            seconds = run.wall_s if stage == "wall time" else run.timings.get(stage)
            rate = f"({run.source_rows / seconds:,.0f})" if seconds else ""
            cells += f"{seconds:>6.1f} {rate:>7}" if seconds is not None else f"{'—':>14}"
        lines.append(f"  {stage:<28}{cells}")
    lines.append("peak RSS (MB) per process role (largest process of the role):")
    roles = sorted({role for run in runs for role in run.peak_rss_mb})
    for role in roles:
        lines.append(f"  {role:<28}" + "".join(f"{run.peak_rss_mb.get(role, 0):>14.0f}" for run in runs))
    lines.append("growth between sizes (time factor / size factor; > 1.0 is worse than linear):")
    for before, after in itertools.pairwise(runs):
        size_factor = after.orders / before.orders
        for stage in [*stages, "wall time"]:
            t0 = before.wall_s if stage == "wall time" else before.timings.get(stage)
            t1 = after.wall_s if stage == "wall time" else after.timings.get(stage)
            if not t0 or t1 is None:
                continue
            factor = t1 / t0
            flag = "  WORSE THAN LINEAR" if factor > size_factor * 1.1 else ""
            lines.append(
                f"  {before.orders:,} -> {after.orders:,} {stage:<26}x{factor:>7.2f} of x{size_factor:.0f}"
                f"  ({factor / size_factor:.2f}){flag}"
            )
    return lines


def chart(runs: list[ScaleRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = list(dict.fromkeys(stage for run in runs for stage in run.timings))
    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.5))
    orders = [run.orders for run in runs]
    for stage in stages:
        times.plot(orders, [run.timings.get(stage, float("nan")) for run in runs], marker="o", label=stage)
    times.plot(orders, [run.wall_s for run in runs], marker="s", color="black", label="wall time")
    times.set(xscale="log", yscale="log", xlabel="generated orders", ylabel="seconds", title="time per stage")
    times.legend(fontsize=7)
    for role in sorted({role for run in runs for role in run.peak_rss_mb}):
        memory.plot(orders, [run.peak_rss_mb.get(role, 0) for run in runs], marker="o", label=role)
    memory.set(xscale="log", xlabel="generated orders", ylabel="MB", title="peak RSS per process role")
    memory.legend(fontsize=7)
    figure.suptitle("Local twin scaling (2 cores, 24 GiB, machine shared with other work while measured)", fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--chart", type=Path, default=REPO_ROOT / "docs" / "scaling.svg")
    parser.add_argument("--keep-runs", type=Path, help="keep each run's folder here (default: a temporary one)")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        base = args.keep_runs or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        for orders in sorted(args.orders):
            print(f"--> {orders:,} orders", flush=True)
            runs.append(run_size(orders, base / f"orders-{orders}"))
            print("\n".join(table(runs)), flush=True)
    chart(runs, args.chart)
    print(f"\nchart: {args.chart}")
    failed = [run.orders for run in runs if not run.ok]
    if failed:
        print(f"runs that failed reconciliation or exited non-zero: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
