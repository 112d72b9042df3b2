"""The producer against an address where no broker listens fails at once, naming it (issue 14, item 4).

Before the connection check the producer queued every event and gave up only when `message.timeout.ms` (5 minutes)
expired, printing hundreds of librdkafka lines meanwhile. Now `AdminClient.list_topics(timeout=...)` asks for
metadata first (confluent-kafka docs: "list_topics ... timeout: The maximum response time before timing out"), and
the client's log goes through the `logger` configuration property to a file, not the console.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from datagen import GeneratorConfig, generate
from tests.fixtures.olist_data import REPO_ROOT


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_producer_against_a_closed_port_fails_fast_naming_the_address(tmp_path: Path) -> None:
    source = tmp_path / "csv"
    generate(GeneratorConfig(orders=50, seed=1), source, ["orders"])
    port = closed_port()
    # TMPDIR: where the client's log goes by default (tempfile.gettempdir()).
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "producers", "produce", "--input", str(source), "--no-progress"]
    command += ["--bootstrap-servers", f"127.0.0.1:{port}"]
    # The timeout only guards against the old five-minute wait; the check itself gives up after 10 s.
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    client_log = tmp_path / "nexus-kafka-client.log"
    [line] = result.stderr.strip().splitlines()  # one line: no client log noise on the console
    assert result.returncode == 2, result
    assert line.startswith(f"error: --bootstrap-servers=127.0.0.1:{port}: no Kafka broker answered within 10 s ")
    assert f"Connect to ipv4#127.0.0.1:{port} failed: Connection refused" in line
    assert line.endswith(f"; the client's log: {client_log}")
    assert "Connection refused" in client_log.read_text()
    assert not result.stdout  # nothing was read or sent
