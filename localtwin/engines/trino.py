"""Athena's engine on loopback: a single-node Trino (Athena engine version 3 is Trino) over the twin's Glue and S3.

One catalog, `awsdatacatalog` (Athena's name for the Glue Data Catalog), is the Iceberg connector on moto's Glue:
Silver and Gold are Iceberg tables there, as on Athena. Tables that are not Iceberg (the Bronze tables with
partition projection) are redirected to `hive`, the Hive connector on the same Glue catalog, so SQL names Bronze
and Gold alike by `awsdatacatalog.<database>.<table>`, as on Athena. Both read and write the S3 server.

    engines.start_trino().query("select 1")   # LocalEngines: on its moto (Glue) and S3 server, stopped with them

Configuration reference: https://trino.io/docs/476/installation/deployment.html (node, JVM, config properties),
https://trino.io/docs/476/object-storage/metastores.html (Glue), .../connector/hive.html (projection, redirection).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from localtwin.engines.errors import JavaNotFound
from localtwin.engines.process import LoopbackHttpServer
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION
from localtwin.engines.trino_fetch import TRINO_VERSION, trino_home

CATALOG = "awsdatacatalog"
HIVE_CATALOG = "hive"
TRINO_JAVA_MAJOR = 24
# Only the connectors the twin uses: Trino loads every plugin in its plugin directory at start-up.
_PLUGINS = ("hive", "iceberg")
_JVM_HOMES = Path("/usr/lib/jvm")


@dataclass(frozen=True)
class TrinoSettings:
    # Beside Kafka, Connect and dbt on 2 cores and 24 GiB; the twin's queries need far less.
    heap: str = "2G"
    query_max_memory: str = "1GB"
    startup_timeout_s: float = 240.0


@dataclass(frozen=True)
class TrinoCatalog:
    """Where the catalog's data and metadata live: the twin's S3 server and its Glue API (moto)."""

    s3_endpoint: str
    glue_endpoint: str

    def _common(self) -> dict[str, str]:
        keys = {"aws-access-key": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "aws-secret-key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip
        return {
            "hive.metastore.glue.region": LOCAL_REGION,
            "hive.metastore.glue.endpoint-url": self.glue_endpoint,
            **{f"hive.metastore.glue.{name}": value for name, value in keys.items()},
            # A schema Trino creates (dbt's test audit schema) needs a location; Glue databases from the
            # Catalog stack carry their own.
            "hive.metastore.glue.default-warehouse-dir": "s3://trino-warehouse/",
            "fs.native-s3.enabled": "true",
            "s3.endpoint": self.s3_endpoint,
            "s3.region": LOCAL_REGION,
            "s3.path-style-access": "true",
            **{f"s3.{name}": value for name, value in keys.items()},
        }

    def files(self) -> dict[str, dict[str, str]]:
        """catalog file name -> properties."""
        return {
            CATALOG: {
                "connector.name": "iceberg",
                "iceberg.catalog.type": "glue",
                "iceberg.hive-catalog-name": HIVE_CATALOG,
                # moto has no column-statistics calls; with statistics on, the planner retries for minutes.
                "iceberg.table-statistics-enabled": "false",
                # The maintenance macro's retention is the project's (dbt var); Trino's own floor is 7 days.
                "iceberg.expire-snapshots.min-retention": "0s",
                "iceberg.remove-orphan-files.min-retention": "0s",
                **self._common(),
            },
            HIVE_CATALOG: {
                "connector.name": "hive",
                "hive.metastore": "glue",
                "hive.iceberg-catalog-name": CATALOG,
                # Athena's partition projection (table parameters `projection.*`), as the Bronze tables use it.
                "hive.partition-projection-enabled": "true",
                "hive.table-statistics-enabled": "false",
                **self._common(),
            },
        }


class TrinoServer(LoopbackHttpServer):
    def __init__(self, work_dir: Path, catalog: TrinoCatalog, settings: TrinoSettings | None = None) -> None:
        self.settings = settings or TrinoSettings()
        self.home = trino_home()
        self.etc = work_dir / "etc"
        self.data = work_dir / "data"
        java_home = trino_java_home()
        super().__init__(
            f"Trino {TRINO_VERSION}",
            lambda _port: [str(self.home / "bin" / "launcher"), "run", f"--etc-dir={self.etc}",
                           f"--data-dir={self.data}"],
            work_dir / "trino.log",
            self.settings.startup_timeout_s,
            {**os.environ, "JAVA_HOME": str(java_home), "PATH": f"{java_home / 'bin'}{os.pathsep}{os.environ['PATH']}"},
        )  # fmt: skip
        self._write_configuration(work_dir, catalog)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/v1/info", timeout=2) as response:
                return not json.load(response)["starting"]
        except OSError:
            return False

    def connect(self, schema: str | None = None):  # type: ignore[no-untyped-def]
        """A DB-API connection (the `trino` client) on the `awsdatacatalog` catalog."""
        import trino

        return trino.dbapi.connect(host="127.0.0.1", port=self.port, user="keystone", catalog=CATALOG, schema=schema)

    def query(self, sql: str) -> list[tuple]:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()

    def _write_configuration(self, work_dir: Path, catalog: TrinoCatalog) -> None:
        plugins = work_dir / "plugin"
        plugins.mkdir(parents=True, exist_ok=True)
        for name in _PLUGINS:
            link = plugins / name
            if not link.exists():
                link.symlink_to(self.home / "plugin" / name, target_is_directory=True)
        _write_properties(self.etc / "node.properties", {
            "node.environment": "twin",
            "node.data-dir": str(self.data),
            # Else the coordinator announces (and polls) the machine's external address.
            "node.internal-address": "127.0.0.1",
        })  # fmt: skip
        _write_properties(self.etc / "config.properties", {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(self.port),
            "discovery.uri": self.endpoint,
            "plugin.dir": str(plugins),
            "query.max-memory": self.settings.query_max_memory,
            "query.max-memory-per-node": self.settings.query_max_memory,
        })  # fmt: skip
        (self.etc / "jvm.config").write_text(
            "\n".join([
                "-server", f"-Xmx{self.settings.heap}", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
                "-Djdk.attach.allowAttachSelf=true", "--enable-native-access=ALL-UNNAMED",
            ]) + "\n"
        )  # fmt: skip
        (self.etc / "log.properties").write_text("io.trino=WARN\n")
        for name, properties in catalog.files().items():
            _write_properties(self.etc / "catalog" / f"{name}.properties", properties)


def trino_java_home() -> Path:
    """A JDK Trino 476 runs on (24 or newer): $TRINO_JAVA_HOME, else $JAVA_HOME, else the newest under /usr/lib/jvm."""
    for variable in ("TRINO_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(variable) and (_java_major(Path(os.environ[variable])) or 0) >= TRINO_JAVA_MAJOR:
            return Path(os.environ[variable])
    candidates = sorted(
        ((_java_major(home) or 0, home) for home in _JVM_HOMES.glob("*") if home.is_dir()), reverse=True
    )
    if candidates and candidates[0][0] >= TRINO_JAVA_MAJOR:
        return candidates[0][1]
    raise JavaNotFound(
        f"Trino {TRINO_VERSION} needs Java {TRINO_JAVA_MAJOR} or newer and none was found (TRINO_JAVA_HOME, JAVA_HOME, "
        f"{_JVM_HOMES}/*): install a JDK 25 (e.g. Temurin 25) and set TRINO_JAVA_HOME to it"
    )


def _java_major(home: Path) -> int | None:
    release = home / "release"
    if not release.is_file():
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(errors="replace"), re.MULTILINE)
    return int(match.group(1)) if match else None


def _write_properties(path: Path, properties: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
