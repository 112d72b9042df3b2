"""Airflow DAG `olist_replay`: start a producer replay of the Olist order activity at the chosen speed.

Locally the producer CLI replays the CSVs of `input_dir` into the local broker and the task waits for it; on AWS
the producer function is invoked asynchronously on the CSVs under `source` (a prefix of the landing bucket's
`replay/`). Triggered by hand (no schedule) with the speed as a param.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task
from keystone_dags.defaults import default_args

from contracts.replay_request import SPEED_PATTERN


@dag(
    dag_id="olist_replay",
    description="Replay Olist order activity into Kafka (producer) at a chosen speed",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=default_args(execution_timeout=timedelta(hours=3, minutes=30)),
    params={
        "speed": Param(
            "max",
            type="string",
            pattern=SPEED_PATTERN,
            description="max, <N>x historical speed, or <N>/s events per second",
        ),
        "tables": Param(
            None, type=["null", "array"], description="subset of orders, order_items, order_payments, order_reviews"
        ),
        "input_dir": Param(None, type=["null", "string"], description="local only: folder of Olist CSVs to replay"),
        "source": Param(
            None,
            type=["null", "string"],
            description="AWS only: landing prefix to replay, e.g. replay/2026-11-25/",
        ),
    },
    tags=["keystone", "streaming"],
)
def olist_replay() -> None:
    @task(retries=0)
    def start_replay(params: dict[str, Any]) -> dict[str, Any]:
        """Not retried: a replay that failed half-way is re-run by hand (event ids are deterministic)."""
        from keystone_dags import replay, settings

        config = settings.load()
        return replay.start_replay(config, params["speed"], params["tables"], params["input_dir"], params["source"])

    start_replay()


olist_replay()
