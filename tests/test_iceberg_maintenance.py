"""The daily Iceberg maintenance (dbt_project/macros/maintenance.sql) on Athena's engine: small files compacted, old
snapshots expired, unreferenced files gone, rows untouched. Athena runs the same macro as OPTIMIZE and VACUUM."""

import pytest

from localtwin.transform import TrinoTarget
from tests.fixtures.dbt_cli import DbtProject

pytestmark = pytest.mark.slow

BUCKET = "keystone-maintenance-test"
DATABASES = {"bronze": "maint_bronze", "silver": "maint_silver", "gold": "maint_gold"}
TABLE = f'"{DATABASES["silver"]}"."stg_olist__sellers"'  # a Silver model the project materializes


def _data_files(s3, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", []) if "/data/" in item["Key"]]


def test_maintenance_compacts_and_expires_old_snapshots(local_engines, local_s3, tmp_path):
    trino = local_engines.start_trino()
    local_s3.create_bucket(Bucket=BUCKET)
    for database in DATABASES.values():
        trino.query(f"create schema if not exists {database} with (location = 's3://{BUCKET}/{database}/')")
    trino.query(f"create table {TABLE} (seller_id varchar, seller_state varchar)")
    for batch in range(3):  # three micro-batches, three small files, three more snapshots
        trino.query(f"insert into {TABLE} values ('s{batch}', 'SP'), ('t{batch}', 'RJ')")
    before = trino.query(f'select count(*) from "{DATABASES["silver"]}"."stg_olist__sellers$snapshots"')[0][0]
    rows = sorted(trino.query(f"select * from {TABLE}"))
    assert before >= 4 and len(_data_files(local_s3, f"{DATABASES['silver']}/")) == 3

    project = DbtProject(
        tmp_path, {**local_engines.aws_environment, **TrinoTarget(trino.port, DATABASES).environment()}
    )
    operation = project.run("run-operation", "maintain_iceberg_tables", "--target", "trino",
                            "--args", '{"retention_seconds": 0}')  # fmt: skip

    snapshots = trino.query(f'select count(*) from "{DATABASES["silver"]}"."stg_olist__sellers$snapshots"')[0][0]
    files = trino.query(f'select count(*) from "{DATABASES["silver"]}"."stg_olist__sellers$files"')[0][0]
    assert (snapshots, files) == (1, 1)
    assert sorted(trino.query(f"select * from {TABLE}")) == rows
    assert len(_data_files(local_s3, f"{DATABASES['silver']}/")) == 1  # the three small files are deleted
    assert "1 table(s) compacted and vacuumed" in operation.output
    assert "fct_orders is not built yet, skipped" in operation.output
