"""`make down` after a crash: it stops exactly the recorded engines, whatever they became since, and nothing else.

The whole `make up` / `make down` round (engines and Airflow reachable, a second `up` refused) is tests/test_explore.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localtwin import session


@pytest.fixture
def up_file(tmp_path, monkeypatch):
    path = tmp_path / "up.json"
    monkeypatch.setattr(session, "UP_FILE", path)
    return path


def test_down_after_a_crash_stops_the_recorded_process_group(up_file):
    """The run that recorded them is gone (crashed); the engines it left, and their children, are stopped."""
    child_and_wait = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    engine = subprocess.Popen([sys.executable, "-c", child_and_wait], start_new_session=True)
    try:
        session.record(
            session.Session("run", "w.duckdb", "bronze", "127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", [
                session.EngineProcess("engine", engine.pid, session.started_at(engine.pid))
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


def test_down_kills_a_child_that_outlives_its_engine_and_ignores_sigterm(up_file, monkeypatch):
    """The engine exits on SIGTERM at once; its child does not: the group is killed once the grace is over."""
    monkeypatch.setattr(session, "_STOP_GRACE_S", 1.0)
    child = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); time.sleep(300)"
    engine_code = (
        f"import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', {child!r}], "
        "stdout=subprocess.PIPE); child.stdout.readline(); print(child.pid, flush=True); time.sleep(300)"
    )
    engine = subprocess.Popen([sys.executable, "-c", engine_code], start_new_session=True, stdout=subprocess.PIPE)
    try:
        assert engine.stdout is not None
        child_pid = int(engine.stdout.readline())
        recorded = session.EngineProcess("engine", engine.pid, session.started_at(engine.pid))
        session.record(session.Session("run", "w", "b", "k", "c", "s", [recorded]))
        assert session.down() == ["engine"]
        assert session.started_at(child_pid) is None, "the child that ignores SIGTERM still runs"
    finally:
        engine.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(engine.pid, signal.SIGKILL)


def test_a_pid_reused_by_another_program_is_never_signalled(up_file):
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        started = session.started_at(bystander.pid)
        assert started is not None
        recorded = session.EngineProcess("Kafka broker", bystander.pid, started - 1)  # the same pid, earlier
        session.record(session.Session("run", "w", "b", "k", "c", "s", [recorded]))
        session.refuse_if_up()  # nothing of ours is alive: a new `make up` may start
        assert session.down() == []
        assert bystander.poll() is None, "down signalled a process that is not the recorded engine"
    finally:
        bystander.kill()


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def test_down_stops_an_engine_that_rewrote_its_command_line_since_it_was_recorded(up_file):
    """Airflow's api-server retitles itself (`airflow api_server -- host:...`) once it runs."""
    engine = subprocess.Popen(["sh", "-c", "sleep 0.5; exec sleep 300"], start_new_session=True)
    try:
        recorded = session.EngineProcess("airflow api-server", engine.pid, session.started_at(engine.pid))
        session.record(session.Session("run", "w", "b", "k", "c", "s", [recorded]))
        before = _cmdline(engine.pid)
        deadline = time.monotonic() + 10
        while _cmdline(engine.pid) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _cmdline(engine.pid) != before
        assert session.down() == ["airflow api-server"]
        assert engine.wait(timeout=10) is not None
    finally:
        engine.kill()


def test_down_after_a_crash_stops_what_airflow_started_in_sessions_of_its_own(up_file, tmp_path):
    """Cosmos runs each dbt command in a new session (`os.setsid`): no signal to a recorded group reaches it, its
    AIRFLOW_HOME does."""
    home = tmp_path / "airflow-home"
    dbt = subprocess.Popen(["sleep", "300"], start_new_session=True, env={**os.environ, "AIRFLOW_HOME": str(home)})
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True, env={**os.environ, "AIRFLOW_HOME": "/x"})
    try:
        session.record(session.Session("run", "w", "b", "k", "c", "s", [], airflow_home=str(home)))
        session.down()
        assert dbt.wait(timeout=10) is not None
        assert bystander.poll() is None, "down stopped a process of another Airflow home"
    finally:
        dbt.kill()
        bystander.kill()
