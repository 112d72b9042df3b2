"""The AWS APIs that have no local engine (Glue, IAM, STS, SNS…) on loopback: moto in server mode, a child process."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from localtwin.engines.process import LoopbackHttpServer


class MotoServer(LoopbackHttpServer):
    def __init__(self, work_dir: Path, startup_timeout_s: float = 60.0) -> None:
        super().__init__(
            "AWS API server (moto)",
            lambda port: [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            work_dir / "moto.log",
            startup_timeout_s,
        )

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
