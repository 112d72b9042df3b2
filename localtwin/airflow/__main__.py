"""Local Airflow from the command line.

python -m localtwin.airflow setup                  # create or refresh .venv-airflow; prints its python
python -m localtwin.airflow dags-test DAG_ID [--conf JSON] [--env KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from localtwin.airflow.home import AirflowHome, dag_run_failed
from localtwin.airflow.venv import AirflowSetupError, ensure_venv


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localtwin.airflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create or refresh .venv-airflow (offline-reproducible, see EXCLUDE_NEWER)")
    test = commands.add_parser("dags-test", help="airflow dags test in a throwaway AIRFLOW_HOME")
    test.add_argument("dag_id")
    test.add_argument("--conf", default=None, help="DAG run conf as JSON (DAG params)")
    test.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="KEYSTONE_* setting")
    test.add_argument("--s3-endpoint", help="local S3 server endpoint, e.g. http://127.0.0.1:PORT")
    args = parser.parse_args(argv)
    conf = None
    if args.command == "dags-test":
        malformed = [item for item in args.env if "=" not in item]
        if malformed:
            parser.error(f"--env takes KEY=VALUE, got {', '.join(map(repr, malformed))}")
        try:
            conf = json.loads(args.conf) if args.conf else None
        except json.JSONDecodeError as error:
            parser.error(f"--conf is not valid JSON ({error}): {args.conf!r}")
    try:
        python = ensure_venv()
        if args.command == "setup":
            print(python)
            return 0
        settings = dict(item.split("=", 1) for item in args.env)
        with tempfile.TemporaryDirectory(prefix="airflow-home-") as home:
            airflow = AirflowHome(Path(home), settings=settings, s3_endpoint=args.s3_endpoint)
            airflow.migrate()
            result = airflow.dags_test(args.dag_id, conf)
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
        return 1 if dag_run_failed(result) else 0
    except AirflowSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
