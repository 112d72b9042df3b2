"""The Trino server is fetched through Maven (~/.m2 is the persistent cache) and unpacked once into `.cache/`."""

import pytest

from localtwin.engines.trino_fetch import trino_home


@pytest.mark.slow
def test_trino_unpacks_once_with_a_completion_marker():
    home = trino_home()
    assert (home / "bin" / "launcher").is_file()
    assert (home / ".complete").read_text().strip() == "476"
    # The plugins hard-link their jars to lib/; an unpacker that drops links leaves them empty (Maven's did).
    assert not [jar.name for jar in (home / "plugin" / "hive").glob("*.jar") if jar.stat().st_size == 0]
    assert trino_home() == home
