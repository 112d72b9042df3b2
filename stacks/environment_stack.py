"""The base of every lakehouse stack: one environment's stack of one component, named from the environment."""

from __future__ import annotations

from typing import ClassVar

import aws_cdk as cdk
from constructs import Construct

from environments import Environment


class EnvironmentStack(cdk.Stack):
    """Construct id, stack name, account, region and description all come from `environment`.

    Each stack derives its physical names inside itself from `environment` (`resource_name`, `bucket_name`,
    `glue_database`), so no name is passed between stacks.
    """

    COMPONENT: ClassVar[str]
    DESCRIPTION: ClassVar[str]

    def __init__(self, scope: Construct, environment: Environment) -> None:
        name = environment.stack_name(self.COMPONENT)
        super().__init__(
            scope,
            name,
            stack_name=name,
            description=f"{self.DESCRIPTION} ({environment.branch})",
            env=cdk.Environment(account=environment.account, region=environment.region),
        )
