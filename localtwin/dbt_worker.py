"""A warm dbt process on the local target (DuckDB): parses the project once, then runs dbt commands one at a time.

A `dbt build` process spends about 6 s importing dbt and parsing the project before it builds anything; follow mode
builds every few seconds, so it keeps one of these (`transform.DbtSession`) and sends it each build's arguments.
dbt's programmatic API takes the parsed manifest (`dbtRunner(manifest=...)`); dbt-core does not support concurrent
invocations in one process (https://docs.getdbt.com/reference/programmatic-invocations), hence one at a time.

    python -m localtwin.dbt_worker <log file> <dbt flags every command shares...>

Once parsed it writes `{"parsed": true}` (or false, then exits 2) on stdout. Then requests on stdin, one JSON list
per line (`["build", "--selector", "micro_batch"]`); for each, one line on stdout: `{"exit": <code>}`, the code the
dbt CLI would exit with (0 done, 1 errors or failing tests, 2 dbt could not run). dbt's own output goes to the log
file; the artifacts (run_results.json) to the target path, as with the CLI.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def main(argv: list[str]) -> int:
    log_file, shared = argv[0], argv[1:]
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    with open(log_file, "a", buffering=1) as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
        from dbt.cli.main import dbtRunner

        parsed = dbtRunner().invoke(["parse", *shared])
        _report(parsed.exception)
        replies.write(json.dumps({"parsed": parsed.success}) + "\n")
        if not parsed.success:
            return 2
        runner = dbtRunner(manifest=parsed.result)
        for line in sys.stdin:
            result = runner.invoke([*json.loads(line), *shared])
            _release_warehouse()
            _report(result.exception)
            code = 0 if result.success else 1 if result.exception is None else 2
            replies.write(json.dumps({"exit": code}) + "\n")
    return 0


def _release_warehouse() -> None:
    """dbt-duckdb keeps the DuckDB file open, and locked, until the process exits (its connection manager closes
    the database in an atexit hook); close it after every command, so that other processes (follow mode reading
    Gold) can open the file between builds. https://duckdb.org/docs/stable/connect/concurrency"""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()


def _report(exception: Any) -> None:
    if exception is not None:
        traceback.print_exception(exception)
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
