"""The documentation tells the truth: its links resolve, and the tables that restate the environment model agree
with `environments/`."""

import re
import subprocess
from pathlib import Path

import pytest

from environments.profiles import EPHEMERAL, PERSISTENT, Profile
from environments.slug import InvalidBranchName, slug_for_branch

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    REPO_ROOT / name
    for name in subprocess.run(
        ["git", "ls-files", "*.md"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
]
# [text](target) and ![alt](target); the target up to a space (a title) or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")


def _table(document: Path, *header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row starts with the cells `header`, as lists of cell texts."""
    lines = document.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| " + " | ".join(header) + " |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(document):
    targets = [target.split("#")[0] for target in LINK.findall(document.read_text())]
    local = [target for target in targets if target and not re.match(r"[a-z]+:", target)]
    missing = [target for target in local if not (document.parent / target).exists()]
    assert missing == [], f"{document.relative_to(REPO_ROOT)} links to files that do not exist"


def test_the_readme_shows_the_generated_diagram():
    assert "docs/architecture.svg" in LINK.findall((REPO_ROOT / "README.md").read_text())


def test_the_slug_examples_are_what_the_model_does():
    rows = _table(REPO_ROOT / "docs" / "environments.md", "branch", "slug")
    assert len(rows) >= 5
    for branch, slug, _why in rows:
        branch, slug = branch.strip("`"), slug.strip("`")
        if slug == "error":
            with pytest.raises(InvalidBranchName):
                slug_for_branch(branch)
        else:
            assert slug_for_branch(branch) == slug, branch


def _workers(low: int, high: int) -> str:
    return f"{low} worker" if low == high == 1 else f"{low}–{high} workers"


def _profile_cells(profile: Profile) -> dict[str, str]:
    """Each row of the profile table as its cell should begin, rendered from the profile."""
    msk, connect, mwaa = profile.msk, profile.connect, profile.mwaa
    tiering = (
        f"Standard-IA after {profile.bronze_infrequent_access_after_days} days, "
        f"Glacier IR after {profile.bronze_archive_after_days}"
        if profile.bronze_infrequent_access_after_days
        else "none"
    )
    autoscaling = "autoscaling " if connect.min_workers < connect.max_workers else ""
    web = "private web server" if mwaa.webserver_access_mode == "PRIVATE_ONLY" else "public web server"
    return {
        "data on teardown": "destroyed" if profile.destroy_on_teardown else "retained",
        "NAT gateways": str(profile.nat_gateways),
        "MSK brokers": f"{msk.broker_count} × {msk.broker_instance_type}, {msk.volume_size_gib} GiB",
        "topic partitions / replication": f"{msk.topic_partitions} / {msk.topic_replication_factor}",
        "MSK Connect": f"{connect.mcu_count} MCU, {autoscaling}{_workers(connect.min_workers, connect.max_workers)}",
        "MWAA": f"{mwaa.environment_class}, {_workers(mwaa.min_workers, mwaa.max_workers)}, {web}",
        "log retention": f"{profile.log_retention_days} days",
        "Athena bytes-scanned cutoff per query": f"{profile.athena_bytes_scanned_cutoff // 1024**3} GiB",
        "Bronze tiering": tiering,
        "query results expire": f"{profile.query_results_expire_after_days} days",
        "time to live": f"{profile.time_to_live.days} days after" if profile.time_to_live else "none",
        "paused before removal": f"{profile.paused_time_to_live.days} days" if profile.paused_time_to_live else "none",
        "freshness": f"sink rotation {profile.freshness.sink_rotate_interval.total_seconds():g} s, "
        f"transform every {profile.freshness.transform_interval_minutes} min",
    }


def test_the_profile_table_is_the_profiles():
    table = _table(REPO_ROOT / "docs" / "environments.md", "setting", "persistent (`main`)")
    rows = {setting: (persistent, ephemeral) for setting, persistent, ephemeral in table}
    assert rows.keys() == _profile_cells(PERSISTENT).keys()
    for column, profile in enumerate((PERSISTENT, EPHEMERAL)):
        for setting, cell in _profile_cells(profile).items():
            assert rows[setting][column].startswith(cell), (profile.name, setting, rows[setting][column])
