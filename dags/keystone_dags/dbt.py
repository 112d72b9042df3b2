"""Cosmos configuration for the dbt project: the same DAG runs dbt-duckdb locally and dbt-athena on MWAA.

The graph comes from the project's `manifest.json` (LoadMode.DBT_MANIFEST), so parsing the DAG file runs no dbt
command; the manifest is built by `dbt parse` when the project is deployed (see the report in docs/). Which profile
target, which dbt executable (the project venv locally, the startup script's venv on MWAA) and which paths come
from dbt_settings().
"""

from __future__ import annotations

from typing import Any

from keystone_dags import settings
from keystone_dags.full_scan import FULL_SCAN_SELECTOR


def cosmos_configs() -> dict[str, Any]:
    from cosmos import ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior, TestIndirectSelection

    dbt = settings.dbt_settings()
    return {
        "project_config": ProjectConfig(
            dbt_project_path=dbt.project_dir, manifest_path=dbt.manifest, project_name="keystone"
        ),
        "profile_config": profile_config(),
        "execution_config": ExecutionConfig(
            dbt_executable_path=str(dbt.executable),
            invocation_mode=InvocationMode.SUBPROCESS,
            # A model's task runs only the tests on that model alone; tests spanning several models (relationships,
            # reconciliations) run in the `dbt_tests` task once every model is built.
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # Each model is built and tested in one task (`dbt build --select <model>`): a failing test fails the
            # task, so nothing downstream (Gold) is built from a model that broke its tests.
            test_behavior=TestBehavior.BUILD,
            source_rendering_behavior=SourceRenderingBehavior.NONE,
            select=_split(dbt.select),
            exclude=_split(dbt.exclude),
        ),
        "operator_args": operator_args(),
    }


def full_scan_test_selection() -> dict[str, Any]:
    """What the daily test task selects: the `full_scan_tests` selector; with dbt_select or dbt_exclude set, every
    test of the selected models alone. dbt 1.11 cannot intersect a YAML selector with `--select` (the `selector:`
    method comes with 1.12), and a test reading a model outside the selection would fail on a table never built."""
    dbt = settings.dbt_settings()
    if not (dbt.select or dbt.exclude):
        return {"selector": FULL_SCAN_SELECTOR}
    return {"select": dbt.select, "exclude": dbt.exclude, "indirect_selection": "cautious"}


def profile_config() -> Any:
    from cosmos import ProfileConfig

    dbt = settings.dbt_settings()
    return ProfileConfig(profile_name="keystone", target_name=dbt.target, profiles_yml_filepath=dbt.profiles_yml)


def operator_args() -> dict[str, Any]:
    """dbt's subprocess environment: every keystone setting as KEYSTONE_* (what profiles.yml reads)."""
    return {
        "env": {**settings.keystone_environment(), "KEYSTONE_DBT_TARGET": settings.dbt_settings().target},
        "append_env": True,
        "install_deps": False,
    }


def _split(value: str | None) -> list[str]:
    return value.split() if value else []
