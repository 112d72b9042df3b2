"""The Trino server is fetched through Maven (~/.m2 is the persistent cache) and unpacked once into `.cache/`."""

import pytest

from localtwin.engines.trino_fetch import trino_home


@pytest.mark.slow
def test_trino_unpacks_once_with_a_completion_marker():
    home = trino_home()
    assert (home / "bin" / "launcher").is_file()
    assert (home / ".complete").read_text().strip() == "476"
    assert trino_home() == home
