"""GIVEN a warehouse built from simulated traffic (clickstream-simulate -> clickstream-load -> dbt build)
WHEN the dashboards run against it with the read-only reporting role, in Debian's chromium
THEN every page loads, the KPIs equal the same figures computed by SQL straight from the marts, filters
change the numbers (to the right ones), tooltips say what dbt says, and tables download as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import psycopg
import pytest
import yaml
from dashboard_support import ARTIFACTS, PAGES, REPO_ROOT, running_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DBT_MODELS = REPO_ROOT / "dbt" / "models"


# --- the oracle: SQL straight from the marts (bots are already excluded there) ---------------------------------

SESSION_FIGURES = """
select
    count(*) as sessions,
    sum(page_views)::float8 / nullif(count(*), 0) as pages_per_session,
    sum(duration_s)::float8 / nullif(count(*), 0) as avg_duration_s,
    (count(*) filter (where is_engaged))::float8 / nullif(count(*), 0) as engagement_rate,
    (count(*) filter (where is_bounced))::float8 / nullif(count(*), 0) as bounce_rate,
    (count(*) filter (where is_converted))::float8 / nullif(count(*), 0) as conversion_rate,
    coalesce(sum(revenue), 0)::float8 as revenue
from marts.fct_sessions
where session_date between %(start)s and %(end)s
  and (%(device)s::text is null or device_type = %(device)s)
"""

VISITOR_FIGURES = """
with sessions as (
    select session_date, visitor_id from marts.fct_sessions
    where %(devices)s::text[] is null or device_type = any(%(devices)s::text[])
)

select
    (select count(*) from (
        select distinct session_date, visitor_id from sessions
        where session_date between %(start)s and %(end)s
    ) as daily)::float8 / %(days)s as dau,
    (select count(distinct visitor_id) from sessions
     where session_date between %(end)s::date - 6 and %(end)s) as wau,
    (select count(distinct visitor_id) from sessions
     where session_date between %(end)s::date - 29 and %(end)s) as mau
"""

PRODUCT_VIEWS = """
select count(*) from marts.fct_events
where event_type = 'view' and product_id is not null and event_date between %(start)s and %(end)s
"""


# Product views by the session's dimensions, as the report models attribute them.
PRODUCT_VIEWS_IN = """
select count(*) from marts.fct_events as events
inner join marts.fct_sessions as sessions on events.session_id = sessions.session_id
where events.event_type = 'view' and events.product_id is not null
  and events.event_date between %(start)s and %(end)s
  and (%(devices)s::text[] is null or sessions.device_type = any(%(devices)s::text[]))
  and (%(countries)s::text[] is null or sessions.country = any(%(countries)s::text[]))
"""

TOP_COUNTRY = """
select country from marts.fct_sessions where session_date between %(start)s and %(end)s
group by country order by count(*) desc, country limit 1
"""


def marts(dsn: str, query: str, **params) -> dict:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, {"device": None, "devices": None, "countries": None, **params})
        return cur.fetchone()


# The formats the page shows (written out here, independently of the app's own formatting helpers).
def as_int(x) -> str:
    return f"{round(float(x)):,}"


def as_pct(x, digits=1) -> str:
    return f"{100 * float(x):.{digits}f}%"


def as_duration(x) -> str:
    s = round(float(x))
    return f"{s // 60}m {s % 60:02d}s"


# --- the page -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(built_warehouse):
    with running_dashboard(built_warehouse.reader_dsn, log=ARTIFACTS / "dashboard-built.log") as url:
        yield url


def open_tab(page, title: str):
    page.get_by_role("tab", name=title).click()
    pane = page.locator(".tab-pane.active")
    pane.locator(".kpi .kpi-value").first.wait_for(state="visible")
    wait_idle(page)
    return pane


def wait_idle(page):
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')")


def kpi_text(page, label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return page.locator(f".tab-pane.active .kpi[data-kpi='{slug}'] .kpi-value").inner_text().strip()


def wait_kpi_change(page, label: str, before: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    page.wait_for_function(
        "([slug, before]) => { const el = document.querySelector(`.tab-pane.active .kpi[data-kpi='${slug}'] .kpi-value`);"
        " return el && el.innerText.trim() !== before; }",
        arg=[slug, before],
    )
    wait_idle(page)
    return kpi_text(page, label)


def shown_dates(page) -> tuple[date, date]:
    values = page.locator("#dates input").evaluate_all("els => els.map(e => e.value)")
    return date.fromisoformat(values[0]), date.fromisoformat(values[1])


@pytest.fixture
def dashboard(page, app_url):
    page.goto(app_url)
    open_tab(page, "Traffic & Engagement")
    return page


# --- tests --------------------------------------------------------------------------------------------------


def test_every_page_loads_with_charts_tables_and_no_errors(dashboard):
    page = dashboard
    nav = [t.strip() for t in page.locator(".navbar .nav-link").all_inner_texts()]
    assert nav == PAGES
    for title in PAGES:
        pane = open_tab(page, title)
        assert pane.locator("[data-notice]").count() == 0, pane.locator("[data-notice]").first.inner_text()
        assert pane.locator(".kpi").count() >= 4
        pane.locator(".js-plotly-plot").first.wait_for(state="visible")
        pane.locator("table.data-table").first.wait_for(state="visible")
        assert page.locator(".shiny-output-error").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"page-{title.split()[0].lower()}.png"), full_page=True)


def dbt_definitions() -> tuple[dict[str, str], dict[str, str]]:
    """Docs blocks and '<model>.<column>' YAML descriptions, read straight from the dbt project."""
    blocks = {}
    for path in DBT_MODELS.rglob("*.md"):
        blocks.update(re.findall(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", path.read_text(), re.S))
    columns = {}
    for path in DBT_MODELS.rglob("_*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            for column in model.get("columns") or []:
                text = re.sub(r"{{\s*doc\('(\w+)'\)\s*}}", lambda m: blocks[m.group(1)], column.get("description", ""))
                columns[f"{model['name']}.{column['name']}"] = text
    return blocks, columns


def words(text: str) -> str:
    return " ".join(re.sub(r"[*`]", "", text).split())


def test_every_kpi_tooltip_is_the_dbt_definition(dashboard):
    page = dashboard
    blocks, columns = dbt_definitions()
    checked = 0
    for title in PAGES:
        pane = open_tab(page, title)
        tooltips = pane.locator(".kpi bslib-tooltip")
        assert tooltips.count() == pane.locator(".kpi").count()
        for i in range(tooltips.count()):
            tooltip = tooltips.nth(i)
            metric = tooltip.get_attribute("data-metric")
            expected = columns[metric] if "." in metric else blocks[f"metric_{metric}"]
            shown = tooltip.evaluate("el => el.firstElementChild.textContent")
            assert words(shown) == words(expected), metric
            checked += 1
        # And it really shows on hover.
        tooltips.first.locator(".metric-info").hover()
        page.locator(".tooltip.show .tooltip-inner").wait_for(state="visible")
        page.mouse.move(0, 0)
    assert checked >= 25


def test_traffic_kpis_equal_sql_on_the_marts(dashboard, built_warehouse):
    page = dashboard
    start, end = shown_dates(page)
    figures = marts(built_warehouse.dsn, SESSION_FIGURES, start=start, end=end)
    visitors = marts(built_warehouse.dsn, VISITOR_FIGURES, start=start, end=end, days=(end - start).days + 1)
    assert figures["sessions"] > 50, "the simulated warehouse should hold sessions in the default range"
    assert kpi_text(page, "Sessions") == as_int(figures["sessions"])
    assert kpi_text(page, "Pages per session") == f"{figures['pages_per_session']:,.2f}"
    assert kpi_text(page, "Avg. session duration") == as_duration(figures["avg_duration_s"])
    assert kpi_text(page, "Engagement rate") == as_pct(figures["engagement_rate"])
    assert kpi_text(page, "Bounce rate") == as_pct(figures["bounce_rate"])
    assert kpi_text(page, "Daily active visitors") == f"{visitors['dau']:,.1f}"
    assert kpi_text(page, "Weekly active visitors") == as_int(visitors["wau"])
    assert kpi_text(page, "Monthly active visitors") == as_int(visitors["mau"])


def test_other_pages_kpis_equal_sql_on_the_marts(dashboard, built_warehouse):
    page = dashboard
    start, end = shown_dates(page)
    figures = marts(built_warehouse.dsn, SESSION_FIGURES, start=start, end=end)
    open_tab(page, "Acquisition")
    assert kpi_text(page, "Sessions") == as_int(figures["sessions"])
    assert kpi_text(page, "Conversion rate") == as_pct(figures["conversion_rate"], 2)
    assert kpi_text(page, "Revenue") == f"${figures['revenue']:,.2f}"
    open_tab(page, "Funnels")
    assert kpi_text(page, "Conversion rate") == as_pct(figures["conversion_rate"], 2)
    open_tab(page, "Product Performance")
    views = marts(built_warehouse.dsn, PRODUCT_VIEWS, start=start, end=end)["count"]
    assert views > 0
    assert kpi_text(page, "Product views") == as_int(views)


BOT_SESSIONS = """
select coalesce(sum(sessions), 0) as sessions from reports.rpt_traffic_daily
where is_bot and date_day between %(start)s and %(end)s
"""


def test_filters_change_the_numbers_to_the_right_ones(dashboard, built_warehouse):
    page = dashboard
    start, end = shown_dates(page)
    humans = kpi_text(page, "Sessions")
    assert humans == as_int(marts(built_warehouse.dsn, SESSION_FIGURES, start=start, end=end)["sessions"])

    # Human/bot switch: the marts leave bots out, the reports keep them; humans + bots = both.
    page.get_by_label("Bots").check()
    bots = wait_kpi_change(page, "Sessions", humans)
    assert bots == as_int(marts(built_warehouse.dsn, BOT_SESSIONS, start=start, end=end)["sessions"])
    assert int(bots.replace(",", "")) > 0, "the simulator sends bots: some should be in the default range"
    page.get_by_label("Both").check()
    both = wait_kpi_change(page, "Sessions", bots)
    assert int(both.replace(",", "")) == int(humans.replace(",", "")) + int(bots.replace(",", ""))
    page.get_by_label("Humans").check()
    assert wait_kpi_change(page, "Sessions", both) == humans

    # Device: pick "mobile" in the selectize box like a user.
    page.locator("#devices + .selectize-control input").click()
    page.locator("#devices + .selectize-control .option[data-value='mobile']").click()
    page.keyboard.press("Escape")
    mobile = wait_kpi_change(page, "Sessions", humans)
    expected = marts(built_warehouse.dsn, SESSION_FIGURES, start=start, end=end, device="mobile")
    assert mobile == as_int(expected["sessions"])
    assert kpi_text(page, "Engagement rate") == as_pct(expected["engagement_rate"])

    # Dates: one week instead of the default range, typed into the start date box.
    week_start = end - timedelta(days=6)
    first = page.locator("#dates input").first
    first.click()
    first.press("Control+a")
    first.press_sequentially(week_start.isoformat())
    first.press("Enter")
    first.press("Tab")
    week = wait_kpi_change(page, "Sessions", mobile)
    expected = marts(built_warehouse.dsn, SESSION_FIGURES, start=week_start, end=end, device="mobile")
    assert week == as_int(expected["sessions"])


def pick(page, box: str, value: str) -> None:
    """Pick a value in a sidebar selectize box like a user."""
    page.locator(f"#{box} + .selectize-control input").click()
    page.locator(f"#{box} + .selectize-control .option[data-value='{value}']").click()
    page.keyboard.press("Escape")


def test_active_visitors_equal_distinct_counts_on_the_marts_under_filters(dashboard, built_warehouse):
    """DAU/WAU/MAU come from a rollup for one value per filter and from the visitor rows for several: both
    must be the distinct counts of the marts."""
    page = dashboard
    start, end = shown_dates(page)
    days = (end - start).days + 1
    shown = kpi_text(page, "Daily active visitors")
    for devices in (["mobile"], ["mobile", "desktop"]):
        pick(page, "devices", devices[-1])
        shown = wait_kpi_change(page, "Daily active visitors", shown)
        expected = marts(built_warehouse.dsn, VISITOR_FIGURES, start=start, end=end, days=days, devices=devices)
        assert shown == f"{expected['dau']:,.1f}", devices
        assert kpi_text(page, "Weekly active visitors") == as_int(expected["wau"]), devices
        assert kpi_text(page, "Monthly active visitors") == as_int(expected["mau"]), devices


def test_product_views_equal_the_marts_under_filters(dashboard, built_warehouse):
    """Products read a rollup for device (and for country alone), rpt_product_daily for country and device
    together: both must equal the marts."""
    page = dashboard
    start, end = shown_dates(page)
    open_tab(page, "Product Performance")
    country = marts(built_warehouse.dsn, TOP_COUNTRY, start=start, end=end)["country"]
    shown = kpi_text(page, "Product views")
    for box, value, devices, countries in [("devices", "mobile", ["mobile"], None),
                                           ("countries", country, ["mobile"], [country])]:
        pick(page, box, value)
        shown = wait_kpi_change(page, "Product views", shown)
        expected = marts(built_warehouse.dsn, PRODUCT_VIEWS_IN, start=start, end=end, devices=devices,
                         countries=countries)["count"]
        assert shown == as_int(expected), (devices, countries)


def test_table_downloads_as_csv_matching_the_kpi(dashboard):
    page = dashboard
    with page.expect_download() as info:
        page.locator(".tab-pane.active").get_by_role("link", name="Download CSV").click()
    download = info.value
    text = open(download.path(), encoding="utf-8").read()
    (ARTIFACTS / download.suggested_filename).write_text(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "sessions" in rows[0]
    assert as_int(sum(int(r["sessions"]) for r in rows)) == kpi_text(page, "Sessions")
