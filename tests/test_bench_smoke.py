"""The benchmarks that measure issue 18's goals still run: each at a tiny size, end to end, printing its verdict.

They measure nothing here (a time at this size means nothing, and no test asserts one); they only prove that a
change to the code they drive has not broken them, which `make bench` would otherwise find out much later.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_bench(name: str, *args: str) -> str:
    command = [sys.executable, str(REPO_ROOT / "bench" / f"bench_{name}.py"), *args]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


def test_the_ingestion_bench_compares_every_table_with_pyarrow_and_measures_memory() -> None:
    output = run_bench("ingestion", "--orders", "2000", "--repeats", "1", "--big-mb", "1")
    for table in ("orders", "order_items", "order_reviews"):
        assert any(line.startswith(table) for line in output.splitlines()), output
    assert "ingestion peak RSS goal <= 300 MB" in output
    assert "All goals met:" in output


def test_the_producer_bench_compares_the_producer_with_a_bare_loop_on_one_broker() -> None:
    output = run_bench("producer", "--orders", "300", "--repeats", "1", "--warmup", "0")
    assert "bare confluent-kafka loop" in output
    assert "end-to-end ratio" in output and "send-only ratio" in output
