"""Settings are checked before any work starts (issue 14, item 5): every entry point, run as a user runs it.

Each case runs the real command line in a subprocess and asserts its exact error line, exit code 2, and that
nothing was started or written: for `python -m localtwin` the run folder stays absent (no generated data, no
`engines/` folder: no Kafka, Connect or S3 server was started).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.olist import TABLES
from localtwin.data import prepare_sources
from tests.fixtures.olist_data import REPO_ROOT

pytestmark = pytest.mark.slow

# Settings a user might have in their shell; each case sets its own.
_RUN_VARIABLES = ("ORDERS", "SEED", "SPEED", "DATA_DIR", "WAREHOUSE", "KEEP", "MODELS")


def run_cli(module: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in _RUN_VARIABLES}
    environment.update(env)
    environment["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    """Folders the cases point at: an empty one, one with a README only, one with a misspelt file, a file."""
    empty, readme, misspelt = tmp_path / "empty", tmp_path / "readme", tmp_path / "misspelt"
    for folder in (empty, readme, misspelt):
        folder.mkdir()
    (readme / "README.md").write_text("notes")
    (misspelt / "olist_order_dataset.csv").write_text("order_id\n")
    (tmp_path / "a-file").write_text("x")
    return {"tmp": tmp_path, "empty": empty, "readme": readme, "misspelt": misspelt, "file": tmp_path / "a-file"}


NINE = ", ".join(sorted(table.file_name for table in TABLES.values()))

# (id, module, args, environment, the exact stderr line); {name} is replaced by the path of places[name].
CASES = [
    ("orders_negative", "localtwin", ["--orders", "-5"], {}, "--orders=-5: must be a positive integer"),
    ("orders_text_env", "localtwin", [], {"ORDERS": "abc"}, "ORDERS=abc: must be a positive integer"),
    ("orders_zero_env", "localtwin", [], {"ORDERS": "0"}, "ORDERS=0: must be a positive integer"),
    ("seed_text", "localtwin", ["--seed", "x"], {}, "--seed=x: must be an integer, 0 or more"),
    ("seed_negative_env", "localtwin", [], {"SEED": "-1"}, "SEED=-1: must be an integer, 0 or more"),
    (
        "speed_zero",
        "localtwin",
        ["--speed", "0"],
        {},
        "--speed=0: invalid speed: use 'max', '<N>x' (e.g. 3600x) or '<N>/s' (e.g. 500/s)",
    ),
    ("speed_zero_x_env", "localtwin", [], {"SPEED": "0x"}, "SPEED=0x: invalid speed: must be greater than zero"),
    (
        "follow_rate",
        "localtwin",
        ["--follow", "--speed", "500/s"],
        {},
        "--speed=500/s: follow mode replays at <N>x historical speed (e.g. 3600x)",
    ),
    (
        "follow_seconds",
        "localtwin",
        ["--follow", "--follow-seconds", "0"],
        {},
        "--follow-seconds=0: must be a number greater than zero",
    ),
    ("batch_every", "localtwin", ["--follow", "--batch-every", "-1"], {}, "--batch-every=-1: must be zero or more"),
    ("data_dir_missing", "localtwin", ["--data-dir", "/nonexistent"], {}, "--data-dir=/nonexistent: no such folder"),
    ("data_dir_file_env", "localtwin", [], {"DATA_DIR": "{file}"}, "DATA_DIR={file}: is a file, not a folder"),
    (
        "data_dir_empty_env",
        "localtwin",
        [],
        {"DATA_DIR": "{empty}"},
        f"DATA_DIR={{empty}}: holds none of the 9 Olist files ({NINE}, or gzipped .csv.gz); found an empty folder",
    ),
    (
        "data_dir_readme",
        "localtwin",
        ["--data-dir", "{readme}"],
        {},
        f"--data-dir={{readme}}: holds none of the 9 Olist files ({NINE}, or gzipped .csv.gz); found README.md: not a "
        "CSV (.md); the ingestion reads .csv and .csv.gz files",
    ),
    (
        "data_dir_misspelt",
        "localtwin",
        [],
        {"DATA_DIR": "{misspelt}"},
        "DATA_DIR={misspelt}: olist_order_dataset.csv: 'olist_order_dataset.csv' is not an Olist file name (did you "
        "mean 'olist_orders_dataset.csv'?) nor under a <table>/ sub-folder",
    ),
    ("warehouse_folder_env", "localtwin", [], {"WAREHOUSE": "{tmp}"}, "WAREHOUSE={tmp}: is a folder; give a file name"),
    (
        "models_without_keep",
        "localtwin",
        [],
        {"MODELS": "+fct_orders"},
        "MODELS=+fct_orders: only the transform DAG of `make up` (--keep) takes a selection",
    ),
    ("run_dir_file", "localtwin", ["--run-dir", "{file}"], {}, "--run-dir={file}: is a file, not a folder"),
    (
        "datagen_orders",
        "datagen",
        ["--orders", "-5", "--out", "{tmp}/out"],
        {},
        "--orders=-5: must be a positive integer",
    ),
    ("datagen_seed", "datagen", ["--seed", "x", "--out", "{tmp}/out"], {}, "--seed=x: must be an integer, 0 or more"),
    (
        "datagen_tables",
        "datagen",
        ["--tables", "order", "--out", "{tmp}/out"],
        {},
        f"--tables=order: unknown tables ['order']; choose from {', '.join(TABLES)}",
    ),
    ("datagen_out_file", "datagen", ["--out", "{file}"], {}, "--out={file}: is a file, not a folder"),
    (
        "ingestion_source",
        "lambdas.ingestion",
        ["--source-dir", "/nonexistent", "--bronze-dir", "{tmp}/b"],
        {},
        "--source-dir=/nonexistent: no such folder",
    ),
    (
        "ingestion_bronze",
        "lambdas.ingestion",
        ["--source-dir", "{empty}", "--bronze", "bronze-bucket"],
        {},
        "--bronze=bronze-bucket: not an s3://bucket[/prefix] URI",
    ),
    (
        "ingestion_endpoint",
        "lambdas.ingestion",
        ["--source-dir", "{empty}", "--bronze", "s3://b-1", "--s3-endpoint", "localhost:9000"],
        {},
        "--s3-endpoint=localhost:9000: not an http(s)://host[:port] URL",
    ),
    (
        "ingestion_log_level",
        "lambdas.ingestion",
        ["--source-dir", "{empty}", "--bronze-dir", "{tmp}/b", "--log-level", "loud"],
        {},
        "--log-level=loud: not a log level; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    ),
    (
        "producer_input",
        "producers",
        ["produce", "--input", "/nonexistent", "--bootstrap-servers", "127.0.0.1:1"],
        {},
        "--input=/nonexistent: no such folder",
    ),
    (
        "producer_speed",
        "producers",
        ["produce", "--input", "{empty}", "--bootstrap-servers", "127.0.0.1:1", "--speed", "fast"],
        {},
        "--speed=fast: invalid speed: use 'max', '<N>x' (e.g. 3600x) or '<N>/s' (e.g. 500/s)",
    ),
    (
        "producer_tables",
        "producers",
        ["produce", "--input", "{empty}", "--bootstrap-servers", "127.0.0.1:1", "--tables", "orders,sellers"],
        {},
        "--tables=orders,sellers: not streamed tables: ['sellers']; choose from "
        "['order_items', 'order_payments', 'order_reviews', 'orders']",
    ),
    (
        "producer_partitions",
        "producers",
        ["create-topics", "--bootstrap-servers", "127.0.0.1:1", "--partitions", "0"],
        {},
        "--partitions=0: must be a positive integer",
    ),
    (
        "producer_bootstrap",
        "producers",
        ["create-topics", "--bootstrap-servers", "localhost"],
        {},
        "--bootstrap-servers=localhost: 'localhost' is not host:port; give host:port[,host:port...]",
    ),
    (
        "producer_iam_region",
        "producers",
        ["create-topics", "--bootstrap-servers", "b-1.msk:9098", "--auth", "iam"],
        {},
        "--auth=iam: IAM authentication to MSK needs the AWS region (--region)",
    ),
]


@pytest.mark.parametrize(("module", "args", "env", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_setting_is_named_with_its_value_before_anything_starts(
    places: dict[str, Path], module: str, args: list[str], env: dict[str, str], line: str
) -> None:
    def fill(text: str) -> str:
        return text.format(**{name: str(path) for name, path in places.items()})

    run_dir = places["tmp"] / "run"
    extra = ["--run-dir", str(run_dir)] if module == "localtwin" and "--run-dir" not in args else []
    result = run_cli(module, [fill(a) for a in args] + extra, {k: fill(v) for k, v in env.items()}, places["tmp"])
    assert (result.returncode, result.stderr.strip().splitlines()[-1:]) == (2, [f"error: {fill(line)}"]), result
    assert "Traceback" not in result.stderr
    # Nothing started: no run folder (no data generated, no engines), no generator output.
    assert not run_dir.exists() and not (places["tmp"] / "out").exists()


def test_a_gzipped_data_dir_is_decompressed_into_the_run(tmp_path: Path, olist_sample_dir: Path) -> None:
    data_dir = tmp_path / "kaggle"
    data_dir.mkdir()
    reviews, sellers = TABLES["order_reviews"], TABLES["sellers"]
    plain = (olist_sample_dir / reviews.file_name).read_bytes()
    (data_dir / f"{reviews.file_name}.gz").write_bytes(gzip.compress(plain))
    (data_dir / sellers.file_name).write_bytes((olist_sample_dir / sellers.file_name).read_bytes())
    (data_dir / "README.md").write_text("notes")
    sources = prepare_sources(data_dir, 1, 1, tmp_path / "run")
    assert sorted(sources.files) == ["order_reviews", "sellers"]
    assert sources.files["order_reviews"].read_bytes() == plain
