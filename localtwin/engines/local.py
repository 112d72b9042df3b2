"""`LocalEngines`: Kafka broker, Kafka Connect worker (with the S3 sink plugin), an S3 server (versitygw) and
moto for the AWS APIs without a local engine (Glue, IAM, STS…), together.

    with LocalEngines() as engines:
        engines.bootstrap_servers, engines.connect_url, engines.aws_endpoints.s3, engines.aws_endpoints.other

Everything runs on 127.0.0.1 on free ports, in a work directory of its own, and is stopped on exit,
exceptions included: each engine runs in its own process group and the whole group is stopped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar

from connector.build import PluginArtifact, install_plugin
from connector.s3_sink import S3SinkSettings, connector_config, worker_properties
from environments.profiles import LOCAL_TWIN_FRESHNESS
from localtwin.engines.errors import PortConflict
from localtwin.engines.fetch import KAFKA_VERSION, java_binary, kafka_libs
from localtwin.engines.kafka import ConnectWorker, JvmSettings, KafkaBroker
from localtwin.engines.moto import MotoServer
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION, S3Server
from localtwin.engines.trino import TrinoCatalog, TrinoServer

_PORT_ATTEMPTS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class EngineSettings:
    kafka_version: str = KAFKA_VERSION
    heap: str = "512m"
    # Connect commits sink offsets this often; short locally so tests see objects committed quickly.
    offset_flush_interval_ms: int = 2_000
    with_connect: bool = True
    with_s3: bool = True
    with_moto: bool = True


@dataclass(frozen=True)
class AwsEndpoints:
    """Where the twin's AWS APIs answer: S3 on its own server, every other service on moto (None: not started)."""

    s3: str
    other: str | None

    def environment(self) -> dict[str, str]:
        """AWS SDK endpoint variables: the service-specific one wins over the general one."""
        general = {"AWS_ENDPOINT_URL": self.other} if self.other else {}
        return {**general, "AWS_ENDPOINT_URL_S3": self.s3}


class LocalEngines:
    """Start on `__enter__` (or `start()`), stop everything on `__exit__` (or `stop()`)."""

    def __init__(
        self,
        plugin: PluginArtifact | None = None,
        work_dir: Path | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.plugin = plugin
        self.settings = settings or EngineSettings()
        self._own_work_dir = work_dir is None
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="nexus-engines-"))
        self.broker: KafkaBroker | None = None
        self.connect: ConnectWorker | None = None
        self.s3: S3Server | None = None
        self.moto: MotoServer | None = None
        self.trino: TrinoServer | None = None

    @property
    def bootstrap_servers(self) -> str:
        return self._require(self.broker, "Kafka broker").bootstrap_servers

    @property
    def connect_url(self) -> str:
        return self._require(self.connect, "Connect worker").url

    @property
    def s3_endpoint(self) -> str:
        return self._require(self.s3, "S3 server").endpoint

    @property
    def aws_endpoints(self) -> AwsEndpoints:
        return AwsEndpoints(self.s3_endpoint, self.moto.endpoint if self.moto is not None else None)

    @property
    def region(self) -> str:
        return LOCAL_REGION

    @property
    def aws_environment(self) -> dict[str, str]:
        """Environment variables under which AWS SDKs reach the local AWS endpoints (merge into os.environ)."""
        return {**LOCAL_CREDENTIALS, "AWS_REGION": LOCAL_REGION, **self.aws_endpoints.environment()}

    def s3_client(self):  # type: ignore[no-untyped-def]
        """A boto3 S3 client on the local S3 server."""
        return self.client("s3")

    def client(self, service: str):  # type: ignore[no-untyped-def]
        """A boto3 client of `service` on the twin: S3 on the S3 server, any other on moto."""
        import boto3

        environment = self.aws_environment
        endpoint = self.s3_endpoint if service == "s3" else self._require(self.moto, "AWS API server (moto)").endpoint
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )

    def __enter__(self) -> LocalEngines:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every engine that was started (Connect first, it depends on the broker); never raises early."""
        for engine in (self.trino, self.connect, self.broker, self.s3, self.moto):
            if engine is not None:
                engine.stop()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def start_s3_sink(self, name: str, topics: tuple[str, ...], bucket: str, **settings: int) -> None:
        """Run the S3 sink connector (config from `connector.s3_sink`) into `bucket` on the local S3 server.

        The bucket is created when missing; `settings` override `S3SinkSettings` defaults such as
        `max_records_per_object`; `rotate_interval_ms` defaults to the twin's (`LOCAL_TWIN_FRESHNESS`).
        """
        settings.setdefault("rotate_interval_ms", LOCAL_TWIN_FRESHNESS.sink_rotate_interval_ms)
        s3 = self.s3_client()
        if bucket not in {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}:
            s3.create_bucket(Bucket=bucket)
        config = connector_config(
            S3SinkSettings(topics, bucket, LOCAL_REGION, endpoint_url=self.s3_endpoint, **settings)
        )
        connect = self._require(self.connect, "Connect worker")
        connect.put_connector(name, config)
        connect.wait_running(name)

    def start_trino(self) -> TrinoServer:
        """Trino on the twin's Glue (moto) and S3 server, started once and stopped with the other engines."""
        if self.trino is None:
            endpoints = self.aws_endpoints
            if endpoints.other is None:
                raise RuntimeError("Trino reads the Glue catalog: start LocalEngines with moto (with_moto=True)")
            self.trino = _start_together(
                [lambda: TrinoServer(self.work_dir / "trino", TrinoCatalog(endpoints.s3, endpoints.other))]
            )[0]  # type: ignore[assignment]
        return self.trino

    def restart_broker(self, hard: bool = True) -> None:
        """Kill (or stop) the broker and start it again with its data: a crash and recovery."""
        broker = self._require(self.broker, "Kafka broker")
        broker.kill() if hard else broker.stop()
        broker.start()
        broker.wait_ready()

    def restart_connect(self, hard: bool = True) -> None:
        """Kill (or stop) the Connect worker and start it again: its connectors resume from committed offsets."""
        connect = self._require(self.connect, "Connect worker")
        connect.process.kill() if hard else connect.stop()
        connect.start()
        connect.wait_ready()

    def restart_s3(self, hard: bool = True, outage_s: float = 0.0) -> None:
        """Kill (or stop) the S3 server, keep it down `outage_s`, start it again on the same port and directory."""
        s3 = self._require(self.s3, "S3 server")
        s3.kill() if hard else s3.stop()
        time.sleep(outage_s)
        s3.start()
        s3.wait_ready()

    def _start(self) -> None:
        java = java_binary()
        libs = kafka_libs(self.settings.kafka_version)
        makers: list[Callable[[], Engine]] = []
        if self.settings.with_s3:
            makers.append(lambda: S3Server(self.work_dir / "s3"))
        if self.settings.with_moto:
            makers.append(lambda: MotoServer(self.work_dir / "moto"))
        makers.append(lambda: KafkaBroker(JvmSettings(java, libs, self.settings.heap), self.work_dir / "broker"))
        # The AWS servers and the broker start side by side; Connect needs the broker.
        started = _start_together(makers)
        self.s3 = next((engine for engine in started if isinstance(engine, S3Server)), None)
        self.moto = next((engine for engine in started if isinstance(engine, MotoServer)), None)
        self.broker = next(engine for engine in started if isinstance(engine, KafkaBroker))
        if self.settings.with_connect:
            plugin_path = self.work_dir / "plugins"
            plugin_path.mkdir(parents=True, exist_ok=True)
            if self.plugin is not None:
                install_plugin(self.plugin, plugin_path)
            env = {**os.environ, **(self.aws_environment if self.s3 is not None else {})}
            broker = self.broker
            connect = _start_together(
                [
                    lambda: ConnectWorker(
                        JvmSettings(java, libs, self.settings.heap, quick_start=True),
                        self.work_dir / "connect",
                        broker.bootstrap_servers,
                        plugin_path,
                        worker_properties(self.settings.offset_flush_interval_ms),
                        env,
                    )
                ]
            )
            self.connect = connect[0]  # type: ignore[assignment]

    @staticmethod
    def _require(engine: T | None, what: str) -> T:
        if engine is None:
            raise RuntimeError(f"the {what} is not running (LocalEngines not started, or started without it)")
        return engine


class Engine(Protocol):
    def start(self) -> None: ...
    def wait_ready(self) -> None: ...
    def stop(self) -> None: ...


def _start_together(makers: list[Callable[[], Engine]]) -> list[Engine]:
    """Start engines concurrently and wait for each; one that lost its port to another process gets new ones."""
    engines = [make() for make in makers]
    ready: list[Engine] = []
    try:
        for engine in engines:
            engine.start()
        for index, engine in enumerate(engines):
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                try:
                    engine.wait_ready()
                    break
                except PortConflict:
                    engine.stop()
                    if attempt == _PORT_ATTEMPTS:
                        raise
                    engines[index] = engine = makers[index]()
                    engine.start()
            ready.append(engine)
    except BaseException:
        for engine in [*ready, *engines]:
            engine.stop()
        raise
    return ready
