"""Local engines: clear errors (Java, ports, timeouts with the log tail) and nothing left running afterwards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from localtwin.engines import (
    EngineSettings,
    EngineStartupError,
    JavaNotFound,
    LocalEngines,
    PortConflict,
    StartupTimeout,
)
from localtwin.engines.fetch import java_binary
from localtwin.engines.process import ManagedProcess


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its (re)parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def python_process(tmp_path: Path, code: str) -> ManagedProcess:
    return ManagedProcess("probe", [sys.executable, "-c", code], tmp_path / "probe.log")


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(JavaNotFound, match="Java 17 or newer"):
        java_binary()


def test_an_engine_that_dies_while_starting_shows_its_log_tail(tmp_path: Path) -> None:
    process = python_process(tmp_path, "import sys; print('config error: no log.dirs', flush=True); sys.exit(3)")
    process.start()
    with pytest.raises(EngineStartupError, match="exited with code 3") as error:
        process.wait_ready(lambda: False, timeout_s=30)
    assert "config error: no log.dirs" in str(error.value)


def test_a_taken_port_is_reported_as_a_port_conflict(tmp_path: Path) -> None:
    process = python_process(tmp_path, "print('java.net.BindException: Address already in use', flush=True)")
    process.start()
    with pytest.raises(PortConflict, match="port it needs is taken"):
        process.wait_ready(lambda: False, timeout_s=30)


def test_a_startup_timeout_kills_the_engine_and_shows_its_log_tail(tmp_path: Path) -> None:
    process = python_process(tmp_path, "import time; print('still loading', flush=True); time.sleep(60)")
    process.start()
    with pytest.raises(StartupTimeout, match="not ready after 1 s") as error:
        process.wait_ready(lambda: False, timeout_s=1)
    assert "still loading" in str(error.value)
    assert process.pid is not None and not alive(process.pid)


def test_stop_returns_only_once_the_whole_process_group_has_ended(tmp_path: Path) -> None:
    """A killed process is still running while the kernel frees its memory, and an orphan is nobody's to wait for:
    the child holds 1 GiB, so it is still exiting when its parent has been reaped (the work directory an engine
    writes to is deleted right after `stop`)."""
    child_pid_file = tmp_path / "child.pid"
    child_code = (
        "import os, time; memory = b'x' * (1 << 30); "
        f"open({str(child_pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child_code!r}]); time.sleep(60)"
    process = python_process(tmp_path, code)
    process.start()
    process.wait_ready(lambda: child_pid_file.exists() and child_pid_file.read_text() != "", timeout_s=30)
    child = int(child_pid_file.read_text())
    process.stop(grace_s=5)
    assert process.pid is not None and not alive(process.pid)
    assert not alive(child)


@pytest.mark.slow
def test_engines_stop_even_when_the_block_raises() -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        LocalEngines(settings=EngineSettings(with_connect=False, with_s3=False)) as engines,
    ):
        broker = engines.broker
        assert broker is not None and broker.process.pid is not None
        pid, work_dir = broker.process.pid, engines.work_dir
        raise RuntimeError("boom")
    assert not alive(pid)
    assert not work_dir.exists()


def test_cluster_ids_never_look_like_a_command_line_flag():
    from localtwin.engines.kafka import random_cluster_id

    ids = {random_cluster_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert not any(cluster_id.startswith("-") for cluster_id in ids)
