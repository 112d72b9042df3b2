"""`make synth`: check the branch, then replace cdk.out/ with its synthesized environment (`--paused`: the paused
environment of `make pause`, into cdk.out.paused/, which `make cost` prices beside the running one)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from deployment.branch import deploy_context, describe_environment, environment_or_exit

CDK_OUT = Path("cdk.out")
PAUSED_CDK_OUT = Path("cdk.out.paused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paused", action="store_true", help="the paused environment, into cdk.out.paused/")
    paused = parser.parse_args().paused
    outdir = PAUSED_CDK_OUT if paused else CDK_OUT
    environment = environment_or_exit()  # an unusable branch stops here, with the earlier cdk.out intact
    from stacks.application import create_app  # imported after the check: starting jsii takes seconds

    shutil.rmtree(outdir, ignore_errors=True)
    context = deploy_context() | {"branch": environment.branch, "paused": str(paused).lower()}
    app, _environment, _lakehouse = create_app(context, outdir=str(outdir))
    app.synth()
    print(describe_environment(environment))
    for template in sorted(outdir.glob("*.template.json")):
        print(template)


if __name__ == "__main__":
    main()
