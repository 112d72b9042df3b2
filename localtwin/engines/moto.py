"""The AWS APIs that have no local engine (Glue, IAM, STS, SNS…) on loopback: moto in server mode, a child process."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from localtwin.engines.process import ManagedProcess, free_port


class MotoServer:
    def __init__(self, work_dir: Path, startup_timeout_s: float = 60.0) -> None:
        self.port = free_port()
        self.startup_timeout_s = startup_timeout_s
        self.process = ManagedProcess(
            "AWS API server (moto)",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            work_dir / "s3.log",
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()

    def wait_ready(self) -> None:
        self.process.wait_ready(self._answers, self.startup_timeout_s)

    def stop(self) -> None:
        self.process.stop(grace_s=5.0)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
