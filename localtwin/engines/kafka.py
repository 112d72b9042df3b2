"""A single-node KRaft broker and a distributed Kafka Connect worker, both on loopback."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from localtwin.engines.errors import EngineError
from localtwin.engines.process import ManagedProcess, free_port, port_open

_LOG4J2 = """\
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.kafkaorg.name=org.apache.kafka
logger.kafkaorg.level=WARN
logger.connect.name=org.apache.kafka.connect
logger.connect.level=INFO
logger.config.name=org.apache.kafka.common.config.AbstractConfig
logger.config.level=WARN
logger.started.name=kafka.server.KafkaRaftServer
logger.started.level=INFO
logger.sink.name=keystone.nexus
logger.sink.level=INFO
"""
BROKER_STARTED = "Kafka Server started"


@dataclass(frozen=True)
class JvmSettings:
    java: str
    libs: Path
    heap: str = "512m"
    # C1 only: the JVMs start markedly faster on a small shared machine, at a modest cost in peak speed.
    quick_start: bool = False
    extra_options: tuple[str, ...] = field(default_factory=tuple)

    def command(self, main_class: str, *args: str, log4j_config: Path) -> list[str]:
        options = ["-Xms64m", f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
        if self.quick_start:
            options.append("-XX:TieredStopAtLevel=1")
        options.append(f"-Dlog4j2.configurationFile={log4j_config}")
        return [self.java, *options, *self.extra_options, "-cp", f"{self.libs}/*", main_class, *args]


def write_log4j_config(directory: Path) -> Path:
    path = directory / "log4j2.properties"
    path.write_text(_LOG4J2)
    return path


def _properties(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def random_cluster_id() -> str:
    """A KRaft cluster id; one starting with `-` would be read as a flag by `kafka-storage format -t`."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker:
    """Combined broker + controller (KRaft); `kill` and `start` again keep its data, ports and cluster id."""

    def __init__(self, jvm: JvmSettings, work_dir: Path, startup_timeout_s: float = 90.0) -> None:
        self.jvm = jvm
        self.work_dir = work_dir
        self.startup_timeout_s = startup_timeout_s
        work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.controller_port = free_port()
        self.config_path = work_dir / "server.properties"
        self.data_dir = work_dir / "data"
        self._log4j = write_log4j_config(work_dir)
        self.process = ManagedProcess(
            "Kafka broker",
            jvm.command("kafka.Kafka", str(self.config_path), log4j_config=self._log4j),
            work_dir / "broker.log",
        )
        self._formatted = False

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if not self._formatted:
            self._write_config()
            self._format()
        self.process.start()

    def wait_ready(self) -> None:
        self.process.wait_ready(
            lambda: BROKER_STARTED in self.process.new_log_text() and port_open(self.port), self.startup_timeout_s
        )

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    def _write_config(self) -> None:
        self.config_path.write_text(
            _properties(
                {
                    "process.roles": "broker,controller",
                    "node.id": "1",
                    "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
                    "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names": "CONTROLLER",
                    "inter.broker.listener.name": "PLAINTEXT",
                    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "log.dirs": str(self.data_dir),
                    # As on MSK: topics exist only when created on purpose.
                    "auto.create.topics.enable": "false",
                    "num.partitions": "1",
                    "offsets.topic.replication.factor": "1",
                    "offsets.topic.num.partitions": "5",
                    "transaction.state.log.replication.factor": "1",
                    "transaction.state.log.min.isr": "1",
                    "transaction.state.log.num.partitions": "5",
                    "share.coordinator.state.topic.replication.factor": "1",
                    "share.coordinator.state.topic.min.isr": "1",
                    "group.initial.rebalance.delay.ms": "0",
                    # A killed broker's old registration expires in 2 s instead of 9: quick crash recovery.
                    "broker.heartbeat.interval.ms": "500",
                    "broker.session.timeout.ms": "2000",
                    "num.network.threads": "2",
                    "num.io.threads": "2",
                    "background.threads": "2",
                }
            )
        )

    def _format(self) -> None:
        formatter = ManagedProcess(
            "Kafka storage format",
            self.jvm.command(
                "kafka.tools.StorageTool", "format", "-t", random_cluster_id(), "-c", str(self.config_path),
                log4j_config=self._log4j,
            ),
            self.work_dir / "format.log",
        )  # fmt: skip
        formatter.start()
        code = formatter.wait(timeout_s=120)
        if code != 0:
            raise EngineError(f"formatting the KRaft storage failed (exit {code}):\n{formatter.log_tail()}")
        self._formatted = True


class ConnectError(EngineError):
    """The Connect REST API refused a request or a connector failed."""


class ConnectWorker:
    """A distributed-mode Connect worker (internal topics with replication 1) and its REST API."""

    def __init__(
        self,
        jvm: JvmSettings,
        work_dir: Path,
        bootstrap_servers: str,
        plugin_path: Path,
        worker_properties: dict[str, str],
        env: dict[str, str],
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.startup_timeout_s = startup_timeout_s
        self.config_path = work_dir / "connect.properties"
        self.config_path.write_text(
            _properties(
                {
                    "bootstrap.servers": bootstrap_servers,
                    "group.id": "nexus-connect",
                    "config.storage.topic": "_connect-configs",
                    "offset.storage.topic": "_connect-offsets",
                    "status.storage.topic": "_connect-status",
                    "config.storage.replication.factor": "1",
                    "offset.storage.replication.factor": "1",
                    "status.storage.replication.factor": "1",
                    "offset.storage.partitions": "1",
                    "status.storage.partitions": "1",
                    "listeners": f"http://127.0.0.1:{self.port}",
                    "rest.advertised.host.name": "127.0.0.1",
                    "rest.advertised.port": str(self.port),
                    "plugin.path": str(plugin_path),
                    # The plugin declares itself in META-INF/services: no classpath scan, a faster start.
                    "plugin.discovery": "service_load",
                    # One local worker: when it restarts after a crash, take its tasks back at once instead of
                    # waiting up to 5 minutes for the lost member (MSK Connect manages this itself).
                    "scheduled.rebalance.max.delay.ms": "0",
                    # Sink consumers of a killed worker are declared dead after seconds, not the 45 s default.
                    "consumer.session.timeout.ms": "6000",
                    "consumer.heartbeat.interval.ms": "2000",
                    **worker_properties,
                }
            )
        )
        log4j = write_log4j_config(work_dir)
        self.process = ManagedProcess(
            "Kafka Connect worker",
            jvm.command("org.apache.kafka.connect.cli.ConnectDistributed", str(self.config_path), log4j_config=log4j),
            work_dir / "connect.log",
            env=env,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()

    def wait_ready(self) -> None:
        self.process.wait_ready(self.healthy, self.startup_timeout_s)

    def healthy(self) -> bool:
        return self._status("/health") == 200

    def stop(self) -> None:
        self.process.stop()

    def put_connector(self, name: str, config: dict[str, str], timeout_s: float = 60.0) -> None:
        """Create or update a connector; retries while the worker is still joining its group."""
        deadline = time.monotonic() + timeout_s
        while True:
            status, body = self._request("PUT", f"/connectors/{name}/config", config)
            if status in (200, 201):
                return
            if status not in (404, 409, 500, 503) or time.monotonic() > deadline:
                raise ConnectError(f"PUT /connectors/{name}/config answered {status}: {body}")
            time.sleep(0.5)

    def wait_running(self, name: str, timeout_s: float = 60.0) -> dict[str, object]:
        """Wait until the connector and all its tasks run; a FAILED one raises with its trace."""
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            status, body = self._request("GET", f"/connectors/{name}/status")
            if status == 200 and isinstance(body, dict):
                last = body
                states = [body["connector"]["state"], *(task["state"] for task in body.get("tasks", []))]
                failed = [task for task in body.get("tasks", []) if task["state"] == "FAILED"]
                if body["connector"]["state"] == "FAILED" or failed:
                    trace = body["connector"].get("trace") or (failed[0].get("trace") if failed else "")
                    raise ConnectError(f"connector {name} failed: {trace}")
                if body.get("tasks") and all(state == "RUNNING" for state in states):
                    return body
            time.sleep(0.5)
        raise ConnectError(f"connector {name} not RUNNING after {timeout_s:.0f} s; last status: {last}")

    def delete_connector(self, name: str) -> None:
        status, body = self._request("DELETE", f"/connectors/{name}")
        if status not in (204, 404):
            raise ConnectError(f"DELETE /connectors/{name} answered {status}: {body}")

    def plugins(self) -> list[dict[str, str]]:
        status, body = self._request("GET", "/connector-plugins")
        if status != 200 or not isinstance(body, list):
            raise ConnectError(f"GET /connector-plugins answered {status}: {body}")
        return body

    def _status(self, path: str) -> int:
        try:
            return self._request("GET", path)[0]
        except OSError:
            return 0

    def _request(self, method: str, path: str, payload: object = None) -> tuple[int, object]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw.decode(errors="replace")
