"""Engine processes: each in its own process group, so stopping it stops everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from localtwin.engines.errors import EngineError, EngineStartupError, PortConflict, StartupTimeout

_BIND_FAILURES = ("Address already in use", "BindException", "address already in use")
# SIGKILL cannot be caught: what outlives this is stuck in the kernel (uninterruptible I/O).
_EXIT_AFTER_SIGKILL_S = 30.0


def free_port() -> int:
    """A loopback port free right now (the engine binds it moments later; a lost race is a PortConflict)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def running_in_group(pgid: int) -> list[int]:
    """The processes of process group `pgid` that have not exited (a zombie has: only its exit status is left)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        # A process may exit while being read.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            state, _parent, group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                members.append(int(entry.name))
    return members


def wait_for_group_to_end(pgid: int, timeout_s: float) -> list[int]:
    """Wait until no process of group `pgid` runs; those still running after `timeout_s` (none: it ended)."""
    deadline = time.monotonic() + timeout_s
    while (survivors := running_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return survivors


class ManagedProcess:
    """One engine process with its log file; `stop` and `kill` act on its whole process group."""

    def __init__(self, name: str, command: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        if self.running:
            raise EngineStartupError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def wait_ready(self, probe: Callable[[], bool], timeout_s: float) -> None:
        """Poll `probe` until true; raise with the log tail if the process dies or the time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise self._startup_error(f"{self.name} exited with code {code} while starting")
            if probe():
                return
            if time.monotonic() > deadline:
                error = self._startup_error(f"{self.name} was not ready after {timeout_s:.0f} s", timeout=True)
                self.kill()
                raise error
            time.sleep(0.2)

    def wait(self, timeout_s: float) -> int:
        """Wait for a process meant to finish by itself; its exit code."""
        if self._process is None:
            raise EngineStartupError(f"{self.name} was never started")
        try:
            return self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise StartupTimeout(f"{self.name} did not finish in {timeout_s:.0f} s", self.log_tail()) from None

    def new_log_text(self) -> str:
        """The log written since the last start (a restarted engine appends to the same file)."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.new_log_text().splitlines()[-lines:])

    def terminate(self) -> None:
        """SIGTERM the process group without waiting (to stop several engines at once before `stop`)."""
        if self._process is not None:
            self._signal_group(signal.SIGTERM)

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
        if self._process is None:
            return
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=grace_s)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the process group at once (a crash, as far as the engine can tell), and return once every process
        in it has ended: the leader is reaped at once, but its children are orphans still exiting."""
        if self._process is None:
            return
        self._signal_group(signal.SIGKILL)
        self._process.wait()
        if survivors := wait_for_group_to_end(self._process.pid, _EXIT_AFTER_SIGKILL_S):
            raise EngineError(
                f"{self.name}: processes {survivors} of its group still run {_EXIT_AFTER_SIGKILL_S} s after SIGKILL"
            )

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)

    def _startup_error(self, message: str, timeout: bool = False) -> EngineStartupError:
        tail = self.log_tail()
        hint = f"; full log: {self.log_path}"
        if any(marker in tail for marker in _BIND_FAILURES):
            return PortConflict(f"{message}: a port it needs is taken by another process{hint}", tail)
        if timeout:
            return StartupTimeout(message + hint, tail)
        return EngineStartupError(message + hint, tail)


class LoopbackHttpServer:
    """A server child process on a free loopback port, ready when `answers()` says so."""

    def __init__(self, name: str, command_for_port: Callable[[int], Sequence[str]], log_path: Path,
                 startup_timeout_s: float, env: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.startup_timeout_s = startup_timeout_s
        self.process = ManagedProcess(name, command_for_port(self.port), log_path, env)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()

    def wait_ready(self) -> None:
        self.process.wait_ready(self.answers, self.startup_timeout_s)

    def stop(self) -> None:
        self.process.stop(grace_s=5.0)

    def answers(self) -> bool:
        raise NotImplementedError
