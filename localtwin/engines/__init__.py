"""Local engines for tests and the local run: Apache Kafka (KRaft), Kafka Connect and an S3-compatible server."""

from localtwin.engines.errors import (
    EngineError,
    EngineStartupError,
    FetchError,
    JavaNotFound,
    PortConflict,
    StartupTimeout,
)
from localtwin.engines.fetch import KAFKA_VERSION, kafka_libs
from localtwin.engines.local import EngineSettings, LocalEngines

__all__ = [
    "KAFKA_VERSION",
    "EngineError",
    "EngineSettings",
    "EngineStartupError",
    "FetchError",
    "JavaNotFound",
    "LocalEngines",
    "PortConflict",
    "StartupTimeout",
    "kafka_libs",
]
