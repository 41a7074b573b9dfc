"""GIVEN a warehouse that cannot answer (no report tables yet, or no server at all)
WHEN someone opens the dashboards
THEN every page explains what is wrong in plain words, and no error or traceback reaches the browser."""

from __future__ import annotations

import pytest
from dashboard_support import ARTIFACTS, PAGES, dbt_build, running_dashboard, simulate_and_load

pytestmark = [pytest.mark.browser]


def open_page(page, url: str, title: str):
    page.goto(url)
    page.get_by_role("tab", name=title).click()
    return page.locator(".tab-pane.active")


def assert_notice_everywhere(page, url: str, kind: str, heading: str, shot_prefix: str):
    for title in PAGES:
        pane = open_page(page, url, title)
        notice = pane.locator(f"[data-notice='{kind}']")
        notice.wait_for(state="visible")
        assert heading in notice.inner_text()
        # The page body (KPI boxes, charts, tables) is hidden while the notice explains.
        assert not pane.locator(".page-body").is_visible()
        # Shiny renders failed outputs with .shiny-output-error; none may exist, and no traceback text.
        assert page.locator(".shiny-output-error").count() == 0
        body = page.content()
        assert "Traceback" not in body and "psycopg" not in body.split("<details")[0]
        page.screenshot(path=str(ARTIFACTS / f"{shot_prefix}-{title.split()[0].lower()}.png"), full_page=True)


def test_unbuilt_warehouse_explains_how_to_build(page, unbuilt_warehouse):
    with running_dashboard(unbuilt_warehouse) as url:
        assert_notice_everywhere(page, url, "missing", "The report tables are not built yet", "unbuilt")


def test_database_down_explains_and_keeps_serving(page, unreachable_dsn):
    with running_dashboard(unreachable_dsn) as url:
        assert_notice_everywhere(page, url, "down", "The warehouse is not reachable", "down")
        # The navigation and filters still work: the app itself is up.
        assert page.get_by_role("tab", name="Funnels").is_visible()


def test_empty_warehouse_says_no_data_yet_then_fills_in_without_a_restart(page, empty_warehouse,
                                                                          tmp_path_factory):
    with running_dashboard(empty_warehouse.reader_dsn) as url:
        assert_notice_everywhere(page, url, "empty", "No data yet", "empty")

        # GIVEN the page stays open, WHEN the first hour's loads and dbt build land,
        # THEN the shared poll notices the new data version and the page fills in: no restart, no reload.
        pane = page.locator(".tab-pane.active")  # still the last page opened (Reliability)
        simulate_and_load(empty_warehouse.dsn, tmp_path_factory.mktemp("raw-late"), days=2, visitors_per_day=30)
        dbt_build(empty_warehouse.dsn)
        pane.locator("[data-notice]").wait_for(state="detached", timeout=60_000)
        # (Numbers may pass through the build's intermediate versions; they must settle on the loaded data.)
        page.wait_for_function(
            "() => { const el = document.querySelector(\".tab-pane.active .kpi[data-kpi='events-loaded'] .kpi-value\");"
            " return el && parseInt(el.innerText.replace(/,/g, '')) > 0; }", timeout=60_000)
        page.get_by_role("tab", name="Traffic & Engagement").click()
        page.wait_for_function(
            "() => { const el = document.querySelector(\".tab-pane.active .kpi[data-kpi='sessions'] .kpi-value\");"
            " return el && parseInt(el.innerText.replace(/,/g, '')) > 0; }", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "empty-then-loaded.png"), full_page=True)
