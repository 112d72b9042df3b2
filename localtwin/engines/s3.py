"""An S3 server on loopback: versitygw with its posix backend, so every bucket is a directory under `root`.

Its CLI: https://github.com/versity/versitygw/wiki/Quickstart (`versitygw --access --secret --port posix <dir>`).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from localtwin.engines.process import LoopbackHttpServer
from localtwin.engines.versitygw import versitygw_binary

# The root user the local server is started with; never real credentials.
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local-secret"}


class S3Server(LoopbackHttpServer):
    def __init__(self, work_dir: Path, startup_timeout_s: float = 60.0) -> None:
        self.root = work_dir / "lake"
        self.versions = work_dir / "versions"
        for directory in (self.root, self.versions):
            directory.mkdir(parents=True, exist_ok=True)
        super().__init__(
            "S3 server (versitygw)",
            lambda port: [
                str(versitygw_binary()), "--quiet", "--port", f"127.0.0.1:{port}", "--region", LOCAL_REGION,
                "--access", LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "--secret", LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                # Bucket versioning (MWAA pins object versions) needs a directory of its own, outside the buckets.
                "posix", "--versioning-dir", str(self.versions), str(self.root),
            ],
            work_dir / "s3.log",
            startup_timeout_s,
        )  # fmt: skip

    def kill(self) -> None:
        self.process.kill()

    def answers(self) -> bool:
        # An unsigned request gets an S3 error response (403): the server is up and speaking S3.
        try:
            with urllib.request.urlopen(self.endpoint, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
