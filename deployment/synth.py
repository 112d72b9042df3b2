"""`make synth`: check the branch, then replace cdk.out/ with its synthesized environment."""

from __future__ import annotations

import shutil
from pathlib import Path

from deployment.branch import deploy_context, describe_environment, environment_or_exit

CDK_OUT = Path("cdk.out")


def main() -> None:
    environment = environment_or_exit()  # an unusable branch stops here, with the earlier cdk.out intact
    from stacks.application import create_app  # imported after the check: starting jsii takes seconds

    shutil.rmtree(CDK_OUT, ignore_errors=True)
    app, _environment, _lakehouse = create_app(deploy_context() | {"branch": environment.branch}, outdir=str(CDK_OUT))
    app.synth()
    print(describe_environment(environment))
    for template in sorted(CDK_OUT.glob("*.template.json")):
        print(template)


if __name__ == "__main__":
    main()
