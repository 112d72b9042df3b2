"""The MSK Connect plugin zip: built from Maven Central, reproducibly, and loadable by Kafka Connect."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from connector.build import PLUGIN_NAME, PluginArtifact, build_plugin
from connector.s3_sink import CONNECTOR_CLASS
from localtwin.engines import LocalEngines

pytestmark = pytest.mark.slow


def test_plugin_build_is_reproducible(tmp_path: Path, connector_plugin: PluginArtifact) -> None:
    first = build_plugin(tmp_path / "first", force=True)
    second = build_plugin(tmp_path / "second", force=True)
    assert first.sha256 == second.sha256 == connector_plugin.sha256
    with zipfile.ZipFile(first.zip_path) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert any(name.startswith(f"{PLUGIN_NAME}-") for name in first.jars)
    assert not any(name.startswith(("connect-api-", "kafka-clients-", "slf4j-api-")) for name in first.jars)


def test_connect_worker_loads_the_plugin(local_engines: LocalEngines) -> None:
    assert local_engines.connect is not None
    classes = {plugin["class"] for plugin in local_engines.connect.plugins()}
    assert CONNECTOR_CLASS in classes
