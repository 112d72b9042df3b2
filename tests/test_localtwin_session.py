"""`make up` / `make down`: the engines stay up after the run, a second `up` is refused, `down` stops exactly them."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from localtwin import session
from localtwin.engines.process import port_open
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION
from localtwin.pipeline import RunSettings, run


@pytest.fixture
def up_file(tmp_path, monkeypatch):
    path = tmp_path / "up.json"
    monkeypatch.setattr(session, "UP_FILE", path)
    return path


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _alive(pid: int) -> bool:
    return session._cmdline(pid) != []


@pytest.mark.slow
def test_up_keeps_the_engines_reachable_until_down_stops_exactly_them(up_file, tmp_path):
    run_dir = tmp_path / "run"
    settings = RunSettings(run_dir, run_dir / "warehouse.duckdb", orders=50, keep=True)
    try:
        result = run(settings)
        assert result.ok
        up = session.load()
        assert up is not None and {p.name for p in up.alive()} == {p.name for p in up.processes}
        # The S3 server, moto, Kafka, Connect, and Airflow's api-server, scheduler and dag-processor.
        assert len(up.processes) == 7
        with urllib.request.urlopen(f"{up.airflow_url}/api/v2/monitor/health", timeout=10) as response:
            assert response.status == 200
        port = int(up.bootstrap_servers.rsplit(":", 1)[1])
        assert port_open(port)
        with urllib.request.urlopen(f"{up.connect_url}/connectors", timeout=10) as response:
            assert b"bronze-sink" in response.read()
        s3 = boto3.client("s3", endpoint_url=up.s3_endpoint, region_name=LOCAL_REGION, **_credentials())
        assert "Buckets" in s3.list_buckets()
        assert up.other_aws_endpoint is not None
        with urllib.request.urlopen(f"{up.other_aws_endpoint}/moto-api/", timeout=10) as response:
            assert response.status == 200

        with pytest.raises(session.AlreadyUp, match="make down"):
            run(RunSettings(tmp_path / "second", tmp_path / "second.duckdb", orders=50, keep=True))
        assert not (tmp_path / "second" / "engines").exists(), "the refused run started engines"
    finally:
        stopped = session.down()
    assert sorted(stopped) == sorted(p.name for p in up.processes)
    assert not any(_alive(p.pid) for p in up.processes)
    assert not up_file.exists()
    assert session.down() == []


def test_down_after_a_crash_stops_the_recorded_process_group(up_file):
    """The run that recorded them is gone (crashed); the engines it left, and their children, are stopped."""
    child_and_wait = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    engine = subprocess.Popen([sys.executable, "-c", child_and_wait], start_new_session=True)
    try:
        session.record(
            session.Session("run", "w.duckdb", "bronze", "127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", [
                session.EngineProcess("engine", engine.pid, session._cmdline(engine.pid))
            ])
        )  # fmt: skip
        assert session.down() == ["engine"]
        assert engine.wait(timeout=10) is not None
        time.sleep(0.2)
        group = subprocess.run(["ps", "-o", "stat=", "-g", str(engine.pid)], capture_output=True, text=True).stdout
        # A container's init may leave the orphaned child a zombie: dead, only not yet reaped.
        assert [state for state in group.split() if not state.startswith("Z")] == [], "a child outlived the engine"
    finally:
        engine.kill()


def test_a_pid_reused_by_another_program_is_never_signalled(up_file):
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        recorded = session.EngineProcess("Kafka broker", bystander.pid, ["/usr/bin/java", "kafka.Kafka"])
        session.record(session.Session("run", "w", "b", "k", "c", "s", [recorded]))
        session.refuse_if_up()  # nothing of ours is alive: a new `make up` may start
        assert session.down() == []
        assert bystander.poll() is None, "down signalled a process that is not the recorded engine"
    finally:
        bystander.kill()
