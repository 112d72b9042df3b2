"""`python -m localtwin.engines fetch` (jars, S3 server binary into .cache) or `up` (run engines until Ctrl-C)."""

from __future__ import annotations

import argparse
import signal
import sys

from connector.build import build_plugin
from localtwin.engines.errors import EngineError
from localtwin.engines.fetch import KAFKA_VERSION, kafka_libs
from localtwin.engines.local import LocalEngines
from localtwin.engines.versitygw import versitygw_binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localtwin.engines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="fetch Kafka + Connect jars, build versitygw and the plugin")
    fetch.add_argument("--kafka-version", default=KAFKA_VERSION)
    commands.add_parser("up", help="start broker, Connect, S3 server and moto; print their endpoints; stop on Ctrl-C")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(kafka_libs(args.kafka_version))
            print(versitygw_binary())
            artifact = build_plugin()
            print(f"{artifact.sha256}  {artifact.zip_path}")
            return 0
        with LocalEngines(plugin=build_plugin()) as engines:
            print(f"bootstrap_servers={engines.bootstrap_servers}")
            print(f"connect_url={engines.connect_url}")
            print(f"s3_endpoint={engines.s3_endpoint}")
            print(f"other_aws_endpoint={engines.aws_endpoints.other}")
            print(f"work_dir={engines.work_dir}", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            signal.pause()
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
