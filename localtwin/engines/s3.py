"""An S3-compatible server on loopback: moto in server mode, as a child process of its own."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from localtwin.engines.process import ManagedProcess, free_port

# Credentials the local server accepts (moto accepts any); never real ones.
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local-secret"}


class S3Server:
    def __init__(self, work_dir: Path, startup_timeout_s: float = 60.0) -> None:
        self.port = free_port()
        self.startup_timeout_s = startup_timeout_s
        self.process = ManagedProcess(
            "S3 server (moto)",
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
