"""Run the contract-derived suites over a Bronze micro-batch with Great Expectations, writing Data Docs.

One Great Expectations checkpoint per (table, kind) in the batch, all in one ephemeral context whose Data Docs
site is `docs_dir`; the outcome lists every failed expectation with its counts, sample values and the objects
(`_object_key`) holding the offending rows, so a failed batch names its bad files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from quality.batches import OBJECT_COLUMN, ROW_COLUMN
from quality.suites import SuiteSpec

# Great Expectations would otherwise try to send usage statistics (no internet here, and none wanted).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
_SAMPLE = 10


@dataclass(frozen=True)
class FailedExpectation:
    suite: str
    expectation: str
    column: str | None
    unexpected_count: int | None
    element_count: int | None
    sample_values: list[str]
    objects: list[str]


@dataclass
class CheckpointOutcome:
    success: bool = True
    suites: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: list[FailedExpectation] = field(default_factory=list)
    docs_index: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        lines = [
            f"{name}: {counts['rows']} rows, {counts['failed']}/{counts['evaluated']} expectations failed"
            for name, counts in self.suites.items()
        ]
        for failure in self.failures:
            where = f" in {', '.join(failure.objects)}" if failure.objects else ""
            lines.append(
                f"FAILED {failure.suite}: {failure.expectation}({failure.column}) "
                f"{failure.unexpected_count} of {failure.element_count} rows{where}; e.g. {failure.sample_values}"
            )
        return "\n".join(lines)


def run_checkpoint(batches: list[tuple[SuiteSpec, pd.DataFrame]], docs_dir: Path, run_name: str) -> CheckpointOutcome:
    for noisy in ("great_expectations", "great_expectations.expectations.registry"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    docs_dir.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        site_name="keystone",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    source = context.data_sources.add_pandas("bronze")
    outcome = CheckpointOutcome()
    for spec, frame in batches:
        asset = source.add_dataframe_asset(spec.name)
        batch_definition = asset.add_batch_definition_whole_dataframe("micro_batch")
        suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
        for expectation in spec.expectations:
            suite.add_expectation(getattr(gx.expectations, expectation.type)(**expectation.kwargs))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{spec.name}_checkpoint",
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["keystone"])],
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": _SAMPLE,
                    "unexpected_index_column_names": [OBJECT_COLUMN, ROW_COLUMN],
                },
            )
        )
        result = checkpoint.run(
            batch_parameters={"dataframe": frame}, run_id=gx.core.run_identifier.RunIdentifier(run_name=run_name)
        )
        _collect(outcome, spec, frame, result)
    outcome.docs_index = str(docs_dir / "index.html")
    return outcome


def _collect(outcome: CheckpointOutcome, spec: SuiteSpec, frame: pd.DataFrame, result: Any) -> None:
    failed = 0
    evaluated = 0
    for run_result in result.run_results.values():
        for expectation_result in run_result.results:
            evaluated += 1
            if expectation_result.success:
                continue
            failed += 1
            details = expectation_result.result or {}
            config = expectation_result.expectation_config
            kwargs = config.kwargs
            outcome.failures.append(
                FailedExpectation(
                    suite=spec.name,
                    expectation=config.type,
                    column=kwargs.get("column") or kwargs.get("column_A"),
                    unexpected_count=details.get("unexpected_count"),
                    element_count=details.get("element_count"),
                    sample_values=[str(value) for value in (details.get("partial_unexpected_list") or [])[:_SAMPLE]],
                    objects=_objects(details, frame),
                )
            )
    outcome.suites[spec.name] = {"rows": len(frame), "evaluated": evaluated, "failed": failed}
    outcome.success = outcome.success and failed == 0


def _objects(details: dict[str, Any], frame: pd.DataFrame) -> list[str]:
    indexes = details.get("partial_unexpected_index_list") or []
    keys = {str(item.get(OBJECT_COLUMN)) for item in indexes if isinstance(item, dict) and item.get(OBJECT_COLUMN)}
    if not keys and frame[OBJECT_COLUMN].nunique() == 1:
        keys = {str(frame[OBJECT_COLUMN].iloc[0])}
    return sorted(keys)
