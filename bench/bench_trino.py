"""The cost of Athena's engine in the twin (issue 15 item 7): Trino's start-up time and peak RSS, beside the Kafka
broker's measured in the same run (the twin's other JVM); Trino's RSS after an Iceberg CTAS of 100k rows and a query
on the Glue catalog (moto) and the S3 server.

    python bench/bench_trino.py [--runs 2]

Start-up = process start to `/v1/info` reporting `starting: false` (Trino) or the port answering (Kafka); peak RSS is
the kernel's VmHWM of the JVM. Runs alternate so a drifting machine load hits both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_scale import peak_rss_kb
from localtwin.engines.fetch import java_binary, kafka_libs
from localtwin.engines.kafka import JvmSettings, KafkaBroker
from localtwin.engines.local import EngineSettings, LocalEngines
from localtwin.engines.trino import TrinoCatalog, TrinoServer

WORKLOAD = (
    "create schema if not exists awsdatacatalog.bench with (location = 's3://trino-warehouse/bench/')",
    "create or replace table awsdatacatalog.bench.numbers as "
    "select a.n * 10000 + b.n as n from unnest(sequence(0, 9)) as a(n) cross join unnest(sequence(1, 10000)) as b(n)",
    "select count(*), sum(n) from awsdatacatalog.bench.numbers",
)


def _trino(work: Path, catalog: TrinoCatalog) -> tuple[float, float]:
    server = TrinoServer(work, catalog)
    started = time.perf_counter()
    server.start()
    try:
        server.wait_ready()
        startup = time.perf_counter() - started
        for sql in WORKLOAD:
            server.query(sql)
        return startup, _rss_mb(server.process.pid)
    finally:
        server.stop()


def _kafka(work: Path) -> tuple[float, float]:
    broker = KafkaBroker(JvmSettings(java_binary(), kafka_libs(), EngineSettings().heap), work)
    started = time.perf_counter()
    broker.start()
    try:
        broker.wait_ready()
        return time.perf_counter() - started, _rss_mb(broker.process.pid)
    finally:
        broker.stop()


def _rss_mb(pid: int | None) -> float:
    sampled = peak_rss_kb(pid) if pid is not None else None
    return sampled[1] / 1024 if sampled else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    trino, kafka = [], []
    with tempfile.TemporaryDirectory(prefix="bench-trino-") as directory:
        work = Path(directory)
        settings = EngineSettings(with_connect=False)
        with LocalEngines(work_dir=work / "engines", settings=settings) as engines:
            engines.s3_client().create_bucket(Bucket="trino-warehouse")
            catalog = TrinoCatalog(engines.aws_endpoints.s3, engines.aws_endpoints.other or "")
            for run in range(args.runs):
                trino.append(_trino(work / f"trino-{run}", catalog))
                kafka.append(_kafka(work / f"kafka-{run}"))
    for name, runs in (("Trino", trino), ("Kafka broker", kafka)):
        startup = statistics.median(run[0] for run in runs)
        rss = max(run[1] for run in runs)
        print(f"{name:<13} start-up median {startup:6.1f} s   peak RSS {rss:7.0f} MB   ({len(runs)} runs)")
    ratio = statistics.median(t[0] / k[0] for t, k in zip(trino, kafka, strict=True))
    print(f"Trino start-up / Kafka broker start-up: {ratio:.1f}x (median of pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
