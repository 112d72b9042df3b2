"""One janitor run: passes over every Keystone environment until nothing is left to do or time runs out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lambdas.janitor import drain, leftovers
from lambdas.janitor.inventory import keystone_stacks, physical_resources, stack_dependencies
from lambdas.janitor.logs import logger
from lambdas.janitor.order import deletion_waves
from lambdas.janitor.records import EnvironmentRecord, StackRecord, Verdict, group_environments


@dataclass(frozen=True)
class Clients:
    cloudformation: Any
    s3: Any
    logs: Any
    ec2: Any
    cloudwatch: Any


@dataclass(frozen=True)
class Settings:
    # Deletes go through this role (CDK's CloudFormation execution role), so the janitor itself needs no
    # permission on the resources inside the stacks. None: the role the stack already has.
    cloudformation_role_arn: str | None = None
    # How far back deleted stacks are looked at for leftovers.
    sweep_lookback: timedelta = timedelta(days=7)
    # Wait between passes while stack deletions run.
    poll_seconds: float = 30.0
    # How long a stack holding subnets or security groups waits for Lambda to release its network interfaces,
    # counted from the environment's expiry or its latest stack deletion (Lambda takes up to ~20 minutes).
    eni_wait: timedelta = timedelta(minutes=45)
    # What a pause removes (`stacks.lakehouse.COMPUTE_COMPONENTS`, handed over by the janitor stack); empty: this
    # janitor cannot pause, and an environment asking for it is reported, not touched.
    compute_components: tuple[str, ...] = ()
    # How recent the sink's latest consumer-lag datapoint must be to count (MSK publishes one a minute).
    sink_lag_freshness: timedelta = timedelta(minutes=5)
    # How long after its expiry a pause may wait for the sink to drain before each run reports it as an error; the
    # compute stacks stay until it drains or the environment's destroy-at comes.
    drain_wait: timedelta = timedelta(hours=2)


@dataclass
class Report:
    kept: dict[str, str] = field(default_factory=dict)
    deletes_started: list[str] = field(default_factory=list)
    deleting: list[str] = field(default_factory=list)
    deleted_buckets: list[str] = field(default_factory=list)
    emptied_buckets: list[str] = field(default_factory=list)
    deleted_log_groups: list[str] = field(default_factory=list)
    deleted_enis: list[str] = field(default_factory=list)
    waiting_for_enis: list[str] = field(default_factory=list)
    waiting_for_drain: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Janitor:
    def __init__(self, clients: Clients, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._clients = clients
        self._settings = settings
        self._clock = clock
        self._attempted: set[str] = set()

    def run(self, seconds_left: Callable[[], float], sleep: Callable[[float], None]) -> Report:
        """Pass until no deletion is pending, or until the next pass might not finish in time."""
        report = Report()
        while True:
            started = seconds_left()
            pending = self.pass_once(report)
            took = started - seconds_left()
            if not pending or seconds_left() < self._settings.poll_seconds + 2 * took + 30:
                return report
            sleep(self._settings.poll_seconds)

    def pass_once(self, report: Report) -> bool:
        """One look at every environment; True while stack deletions it started are still running."""
        now = self._clock()
        stacks = keystone_stacks(self._clients.cloudformation, deleted_since=now - self._settings.sweep_lookback)
        pending = False
        for environment in group_environments(stacks):
            verdict = environment.verdict(now)
            if verdict is Verdict.EXPIRED:
                pending |= self._advance_teardown(environment, environment.live_stacks, report)
            elif verdict is Verdict.PAUSE:
                pending |= self._advance_pause(environment, now, report)
            elif verdict is Verdict.GONE:
                self._sweep(environment, report)
            else:
                report.kept[environment.slug] = verdict.value
        return pending

    def _advance_pause(self, environment: EnvironmentRecord, now: datetime, report: Report) -> bool:
        """Delete the compute stacks (in the teardown's order) once the sink has drained; keep the rest."""
        slug = environment.slug
        if not self._settings.compute_components:
            report.errors.append(f"{slug}: asks to be paused, but this janitor was given no COMPUTE_COMPONENTS")
            return False
        compute = [
            stack
            for stack in environment.stacks
            if any(stack.is_component(slug, component) for component in self._settings.compute_components)
        ]
        live_compute = [stack for stack in compute if not stack.deleted]
        if not live_compute:
            report.kept[slug] = "paused"
            return False
        begun = any(stack.deleted or stack.deleting for stack in compute)
        try:
            reasons = [] if begun else self._sink_not_drained(environment, now)
        except Exception as error:  # reported and retried next run; other environments go on
            report.errors.append(f"{slug}: cannot read the sink's consumer lag: {error}")
            logger.error("sink_lag_unreadable", env=slug, error=str(error))
            return False
        if reasons:
            report.waiting_for_drain[slug] = reasons
            expired_at = max(stack.expires_at for stack in environment.live_stacks if stack.expires_at)
            if now - expired_at > self._settings.drain_wait:
                report.errors.append(
                    f"{slug}: not paused: the S3 sink has not drained {_minutes(now - expired_at)} after the "
                    f"environment expired ({'; '.join(reasons)}); is the connector running? "
                    "(`aws kafkaconnect describe-connector`)"
                )
            logger.info("waiting_for_sink_drain", env=slug, reasons=reasons)
            return False
        return self._advance_teardown(environment, live_compute, report)

    def _sink_not_drained(self, environment: EnvironmentRecord, now: datetime) -> list[str]:
        """Why the environment's sink may still hold events Bronze lacks (asked before its pause begins)."""
        sinks = [
            sink
            for stack in environment.live_stacks
            if (sink := drain.SinkLag.from_outputs(stack.name, stack.outputs)) is not None
        ]
        if not sinks:
            return [
                f"no stack of {environment.slug} names its sink's consumer lag (outputs {drain.OUTPUT_CLUSTER}, "
                f"{drain.OUTPUT_CONSUMER_GROUP}, {drain.OUTPUT_TOPICS}), so whether it drained cannot be known: "
                "deploy the branch again"
            ]
        return [
            reason
            for sink in sinks
            for reason in drain.undrained(self._clients.cloudwatch, sink, now, self._settings.sink_lag_freshness)
        ]

    def _advance_teardown(self, environment: EnvironmentRecord, stacks: list[StackRecord], report: Report) -> bool:
        """Delete the next wave of `stacks` (those nothing left in `stacks` imports from)."""
        live = {stack.stack_id: stack for stack in stacks}
        depends_on = stack_dependencies(self._clients.cloudformation, list(live.values()))
        first_wave = deletion_waves(live, depends_on)[0]
        pending = False
        for stack in live.values():
            if stack.deleting:
                report.deleting.append(stack.name)
                pending = True
            elif stack.stack_id in first_wave and stack.stack_id not in self._attempted:
                pending |= self._delete_stack(environment, stack, report)
        return pending

    def _delete_stack(self, environment: EnvironmentRecord, stack: StackRecord, report: Report) -> bool:
        slug = environment.slug
        expires_at = stack.expires_at.isoformat() if stack.expires_at else None
        try:
            resources = physical_resources(self._clients.cloudformation, stack.stack_id)
            for bucket in resources.get("AWS::S3::Bucket", []):
                if leftovers.bucket_exists(self._clients.s3, bucket):
                    leftovers.check_bucket_belongs_to(self._clients.s3, bucket, slug)
                    leftovers.empty_bucket(self._clients.s3, bucket)
                    report.emptied_buckets.append(bucket)
            report.deleted_enis += leftovers.delete_detached_lambda_enis(
                self._clients.ec2, resources.get("AWS::EC2::SecurityGroup", [])
            )
            held = leftovers.lambda_enis(
                self._clients.ec2,
                security_group_ids=resources.get("AWS::EC2::SecurityGroup", []),
                subnet_ids=resources.get("AWS::EC2::Subnet", []),
            )
            if held:
                return self._wait_for_enis(environment, stack, held, report)
            self._attempted.add(stack.stack_id)
            arguments = {"StackName": stack.stack_id}
            if self._settings.cloudformation_role_arn:
                arguments["RoleARN"] = self._settings.cloudformation_role_arn
            self._clients.cloudformation.delete_stack(**arguments)
        except Exception as error:  # one stack's failure must not stop the others; it is logged and retried next run
            self._attempted.add(stack.stack_id)
            report.errors.append(f"{stack.name}: {error}")
            logger.error("stack_delete_failed", env=slug, stack=stack.name, error=str(error))
            return False
        report.deletes_started.append(stack.name)
        logger.info("stack_delete_started", env=slug, stack=stack.name, status=stack.status, expires_at=expires_at)
        return True

    def _wait_for_enis(
        self, environment: EnvironmentRecord, stack: StackRecord, held: list[dict], report: Report
    ) -> bool:
        """Leave the stack for a later pass while Lambda still holds interfaces in it; give up after the bound."""
        since = max(
            [stack.expires_at or self._clock()]
            + [other.deleted_at for other in environment.stacks if other.deleted and other.deleted_at]
        )
        waited = self._clock() - since
        enis = leftovers.describe_enis(held)
        if waited > self._settings.eni_wait:
            self._attempted.add(stack.stack_id)  # not again this run; the next scheduled run checks again
            message = (
                f"{stack.name}: not deleted: Lambda network interfaces {enis} still hold its subnets or security "
                f"groups {_minutes(waited)} after the environment's other stacks went (Lambda releases them within "
                f"about 20 minutes); a function outside this environment may use them: find it with "
                f"`aws ec2 describe-network-interfaces --network-interface-ids <id>`"
            )
            report.errors.append(message)
            logger.error("lambda_enis_wait_exceeded", env=environment.slug, stack=stack.name, enis=enis)
            return False
        report.waiting_for_enis.append(stack.name)
        logger.info(
            "waiting_for_lambda_enis",
            env=environment.slug,
            stack=stack.name,
            enis=enis,
            waited=_minutes(waited),
            limit=_minutes(self._settings.eni_wait),
        )
        return True

    def _sweep(self, environment: EnvironmentRecord, report: Report) -> None:
        for stack in environment.deleted_ephemeral_stacks:
            try:
                self._sweep_stack(environment.slug, stack, report)
            except Exception as error:  # logged and retried next run; other stacks still get swept
                report.errors.append(f"{stack.name}: {error}")
                logger.error("sweep_failed", env=environment.slug, stack=stack.name, error=str(error))

    def _sweep_stack(self, slug: str, stack: StackRecord, report: Report) -> None:
        resources = physical_resources(self._clients.cloudformation, stack.stack_id)
        for bucket in resources.get("AWS::S3::Bucket", []):
            if leftovers.bucket_exists(self._clients.s3, bucket):
                leftovers.check_bucket_belongs_to(self._clients.s3, bucket, slug)
                leftovers.delete_bucket(self._clients.s3, bucket)
                report.deleted_buckets.append(bucket)
                logger.info("retained_bucket_deleted", env=slug, stack=stack.name, bucket=bucket)
        log_groups = [
            name for env in resources.get("AWS::MWAA::Environment", []) for name in leftovers.mwaa_log_groups(env)
        ]
        log_groups += [leftovers.lambda_log_group(name) for name in resources.get("AWS::Lambda::Function", [])]
        for name in leftovers.delete_log_groups(self._clients.logs, log_groups):
            report.deleted_log_groups.append(name)
            logger.info("log_group_deleted", env=slug, stack=stack.name, log_group=name)


def _minutes(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 60:.0f} min"
