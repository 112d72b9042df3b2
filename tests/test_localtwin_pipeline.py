"""`make run` end to end: the real sample through every stage, twice, and a Connect or S3 crash mid-stream."""

import json
import re
import shutil
import subprocess
import threading
import uuid

import duckdb
import matplotlib.image
import pytest

from contracts import TABLES
from datagen.generator import GeneratorConfig, generate
from localtwin.pipeline import RunSettings, run
from localtwin.reconcile import GOLD_MODELS
from localtwin.report import CHARTS
from localtwin.streaming import LandedEvents, replay_into_kafka, start_stream, wait_for_bronze
from producers.delivery import Speed

pytestmark = pytest.mark.slow

GOLD_MARTS = (
    "fct_orders",
    "fct_order_items",
    "dim_products",
    "dim_sellers",
    "dim_customers",
    "agg_daily_sales",
    "agg_seller_performance",
    "agg_delivery_by_state",
)
# One broken row per path: a stream row the producer rejects and a file row the ingestion quarantines.
BROKEN_ORDER = (
    "badorder000000000000000000000001,cust0000000000000000000000000001,delivered,not-a-time,,,,2018-01-01 00:00:00\n"
)
BROKEN_SELLER = 'badseller00000000000000000000001,"01001",sao paulo,XX\n'
# Headless Chromium's command line: --screenshot of the window, --dump-dom prints the DOM after the page's scripts ran
# (https://developer.chrome.com/docs/automation-and-testing/headless-cli). Debian's `chromium`; `make test` installs it.
CHROMIUM = ("--headless", "--no-sandbox", "--disable-gpu")
# Added to a copy of the page: on load, counts the images and those that did not decode (naturalWidth 0).
IMAGE_PROBE = (
    '<script>addEventListener("load", () => { const images = [...document.images]; '
    "document.body.dataset.images = images.length; "
    "document.body.dataset.broken = images.filter(i => !i.complete || i.naturalWidth === 0).length; });</script>"
)


@pytest.fixture(scope="module")
def sample_with_broken_rows(olist_sample_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("olist")
    for table in TABLES.values():
        shutil.copyfile(olist_sample_dir / table.file_name, directory / table.file_name)
    with (directory / TABLES["orders"].file_name).open("a", newline="") as orders:
        orders.write(BROKEN_ORDER)
    with (directory / TABLES["sellers"].file_name).open("a", newline="") as sellers:
        sellers.write(BROKEN_SELLER)
    return directory


@pytest.fixture(scope="module")
def two_runs(sample_with_broken_rows, tmp_path_factory):
    results = []
    for name in ("first", "second"):
        run_dir = tmp_path_factory.mktemp(name)
        results.append(run(RunSettings(run_dir, run_dir / "warehouse.duckdb", data_dir=sample_with_broken_rows)))
    return results


def test_the_real_sample_reconciles_from_source_to_gold(two_runs, olist_sample_dir):
    first, _ = two_runs
    assert set(first.entities) == set(TABLES)
    failed = [check for check in first.checks if not check.ok]
    assert failed == [], failed
    assert first.entities["orders"].source_rows == 4071 + 1
    assert first.entities["orders"].gold_rows == 4071
    assert all(first.entities[name].gold_rows for name in GOLD_MODELS)
    with duckdb.connect(str(first.run_dir / "warehouse.duckdb"), read_only=True) as warehouse:
        for mart in GOLD_MARTS:
            assert warehouse.execute(f"select count(*) from gold.{mart}").fetchone()[0] > 0, mart


def test_quarantined_rows_are_listed_with_their_reasons(two_runs):
    first, _ = two_runs
    assert first.entities["orders"].quarantined == 1
    assert first.entities["sellers"].quarantined == 1
    reasons = {(row.entity, row.row): row.reason for row in first.quarantined}
    assert set(reasons) == {("orders", 4072), ("sellers", 3096)}
    assert "order_purchase_timestamp" in reasons[("orders", 4072)]
    assert "seller_state" in reasons[("sellers", 3096)]
    report = first.report.read_text()
    assert "## Quarantined rows (2)" in report and "seller_state" in report


def test_running_twice_on_the_same_data_gives_identical_gold(two_runs):
    first, second = two_runs
    for mart in GOLD_MARTS:
        rows = []
        for result in (first, second):
            with duckdb.connect(str(result.run_dir / "warehouse.duckdb"), read_only=True) as warehouse:
                columns = [c[0] for c in warehouse.execute(f"describe gold.{mart}").fetchall()]
                stable = ", ".join(c for c in columns if not c.startswith("_"))
                rows.append(warehouse.execute(f"select {stable} from gold.{mart} order by all").fetchall())
        assert rows[0] == rows[1], mart


def test_the_report_and_its_charts_are_written(two_runs):
    first, _ = two_runs
    report = first.report.read_text()
    for section in ("## Rows per entity", "## Reconciliation", "## Timings", "## Charts"):
        assert section in report
    for chart in CHARTS:
        path = first.run_dir / chart
        assert f"]({chart})" in report
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[0] > 200 and pixels.std() > 0.05, f"{chart} looks empty"


def test_the_report_links_the_lineage_page_which_needs_no_network(two_runs):
    first, _ = two_runs
    assert "](lineage.html)" in first.report.read_text()
    page = (first.run_dir / "lineage.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?https?://""", page), "loads from the network"


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, "no chromium on PATH: `make test` installs Debian's package"
    return subprocess.run([binary, *CHROMIUM, *args], capture_output=True, text=True, timeout=120, check=True)


def test_report_html_renders_in_headless_chromium_with_no_broken_image_or_link(two_runs, tmp_path):
    first, _ = two_runs
    page = first.run_dir / "report.html"
    html = page.read_text()
    images = re.findall(r'<img src="([^"]*)"', html)
    links = re.findall(r'<a href="([^"]*)"', html)
    assert len(images) == len(CHARTS) and all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"<(link|script|iframe)\b", html), "loads something besides itself"
    assert "lineage.html" in links
    assert [href for href in links if not (first.run_dir / href).is_file()] == [], "a link to no file"

    screenshot = tmp_path / "report.png"
    _chromium(f"--screenshot={screenshot}", "--window-size=1280,2400", page.as_uri())
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (2400, 1280)
    assert (pixels[..., :3] < 0.9).any(axis=-1).mean() > 0.02, "the screenshot is blank"

    probe = tmp_path / "probe.html"  # the images are inline, so the copy needs nothing beside it
    probe.write_text(html.replace("</body>", f"{IMAGE_PROBE}</body>"))
    body = re.search(r"<body[^>]*>", _chromium("--dump-dom", probe.as_uri()).stdout)
    assert body and f'data-images="{len(CHARTS)}" data-broken="0"' in body.group(0), body


# A crash of the Connect worker (it resumes from committed offsets), or of the S3 server under the sink, kept down
# longer than the sink's 3 s rotation so that uploads fail and are retried.
@pytest.mark.parametrize(("crash", "options"), [("restart_connect", {}), ("restart_s3", {"outage_s": 8.0})])
def test_killing_an_engine_mid_stream_loses_nothing(crash, options, local_engines, local_s3, tmp_path):
    source = tmp_path / "source"
    generate(GeneratorConfig(orders=1500, seed=11), source, tables=["orders", "order_items"])
    bucket = f"kill-{crash.removeprefix('restart_')}-{uuid.uuid4().hex[:8]}"
    local_s3.create_bucket(Bucket=bucket)
    suffix = f".kill{uuid.uuid4().hex[:6]}"
    start_stream(local_engines, bucket, ["orders", "order_items"], topic_suffix=suffix)

    reports = []
    producer = threading.Thread(
        target=lambda: reports.append(
            replay_into_kafka(
                local_engines, source, ["orders", "order_items"], Speed.parse("1500/s"), suffix, progress=False
            )
        )
    )
    producer.start()
    seen = LandedEvents()
    while not seen.seen_keys:  # the sink has written something: it is mid-stream
        seen.refresh(local_s3, bucket)
    getattr(local_engines, crash)(hard=True, **options)
    producer.join()

    report = reports[0]
    assert report.exit_code == 0, report.render()
    delivered = dict(report.delivery.sent_by_topic)
    landed = wait_for_bronze(local_s3, bucket, delivered, timeout_s=120)
    for topic, count in delivered.items():
        assert landed.distinct(topic) == count, topic  # nothing lost; after dedup by event_id, no duplicates
        assert landed.lines(topic) >= count


def test_every_run_summarizes_its_gold_in_summary_json(two_runs):
    first, _ = two_runs
    summaries = [json.loads((result.run_dir / "summary.json").read_text()) for result in two_runs]
    assert summaries[0] == summaries[1]
    summary = summaries[0]
    assert summary["engine"] == "duckdb"
    assert set(GOLD_MARTS) <= summary["gold"].keys()
    with duckdb.connect(str(first.run_dir / "warehouse.duckdb"), read_only=True) as warehouse:
        for mart, figures in summary["gold"].items():
            assert figures["rows"] == warehouse.execute(f"select count(*) from gold.{mart}").fetchone()[0], mart
        orders = summary["gold"]["fct_orders"]["sums"]
        assert orders["item_count"] == warehouse.execute("select sum(item_count) from gold.fct_orders").fetchone()[0]
        assert orders["order_value"] == pytest.approx(
            float(warehouse.execute("select sum(order_value) from gold.fct_orders").fetchone()[0])
        )
        assert "order_id" not in orders and "is_late" not in orders
