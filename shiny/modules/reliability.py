"""Reliability: is the data fresh and complete? Freshness, last load, load lag, rows per run, quarantined and
rejected events, dbt test status, and whether client- and server-side sessions agree."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, fmt_int, fmt_pct, fmt_seconds, ratio

HEALTH_MEASURES = [
    "raw_event_lines", "events", "bot_events", "late_events", "load_lag_s", "sdk_dropped_events",
    "rejected_events", "quarantined_lines", "sessions", "sessions_merging_client_sessions", "client_sessions",
    "client_sessions_split",
]
FAILING = ("fail", "error")


# The pipeline's state now: no previous-period comparison.
KPIS = [
    components.Kpi(key, label, metric, compare=False)
    for key, label, metric in [
        ("freshness", "Data freshness", "rpt_freshness.last_loaded_at"),
        ("last_load", "Last load", "rpt_load_runs.load_status"),
        ("load_lag", "Avg. load lag", "load_lag"),
        ("events", "Events loaded", "rpt_pipeline_health.events"),
        ("rejected", "Rejected events", "rpt_pipeline_health.rejected_events"),
        ("quarantined", "Quarantined lines", "rpt_pipeline_health.quarantined_lines"),
        ("sdk_dropped", "SDK-dropped events", "rpt_pipeline_health.sdk_dropped_events"),
        ("dbt_tests", "dbt tests failing", "rpt_dbt_tests.node_status"),
        ("merging", "Sessions merging client sessions", "client_session_disagreement"),
        ("split", "Client sessions split", "client_session_disagreement"),
    ]
]


@module.ui
def reliability_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            components.kpi_row(KPIS, width="200px"),
            ui.layout_columns(
                ui.card(components.output_plotly("runs_chart")),
                ui.card(components.output_plotly("daily_chart")),
                col_widths=[6, 6],
            ),
            ui.layout_columns(
                components.table_card("Recent load runs", "runs_table", "download_runs"),
                components.table_card("dbt tests (latest run)", "tests_table", "download_tests"),
                col_widths=[6, 6],
            ),
            components.table_card("Pipeline health per day", "health_table", "download_health"),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="reliability",
    )


def age(moment, now: datetime) -> str:
    """'12m 05s ago' for a timestamp, '–' when there is none."""
    if moment is None or pd.isna(moment):
        return "–"
    seconds = max(0, round((now - pd.Timestamp(moment).to_pydatetime()).total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h ago"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m ago"
    return f"{fmt_seconds(seconds)} ago"


def load(f: Filters, v: str) -> dict[str, pd.DataFrame]:
    """Everything the page shows for filters f at data version v (the benchmark calls this too)."""
    return {
        "freshness": queries.freshness(v),
        "health": queries.pipeline_health(f, v),
        "runs": queries.load_runs(v),
        "tests": queries.dbt_tests(v),
    }


@module.server
def reliability_server(input, output, session, filters: Callable[[], Filters],
                       version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        return components.attempt(lambda: load(filters(), ok_version(version())))

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @reactive.calc
    def kpi_values():
        data = ready(page())
        reactive.invalidate_later(60)  # ages move with the clock, not with the data
        now = datetime.now(timezone.utc)
        fresh = data["freshness"].iloc[0] if len(data["freshness"]) else pd.Series(dtype=object)
        runs, tests = data["runs"], data["tests"]
        total = {m: float(data["health"][m].sum()) if len(data["health"]) else 0.0 for m in HEALTH_MEASURES}
        last_run = runs.iloc[0] if len(runs) else None
        failing = int(tests["node_status"].isin(FAILING).sum()) if len(tests) else 0
        shown = {
            "freshness": age(fresh.get("last_loaded_at"), now),
            "last_load": "–" if last_run is None else f"{last_run['load_status']}, {age(last_run['started_at'], now)}",
            "load_lag": fmt_seconds(ratio(total["load_lag_s"], total["events"])),
            "events": fmt_int(total["events"]),
            "rejected": fmt_int(total["rejected_events"]),
            "quarantined": fmt_int(total["quarantined_lines"]),
            "sdk_dropped": fmt_int(total["sdk_dropped_events"]),
            "dbt_tests": f"{failing} of {len(tests)}" if len(tests) else "no test results recorded",
            "merging": fmt_pct(ratio(total["sessions_merging_client_sessions"], total["sessions"]), 2),
            "split": fmt_pct(ratio(total["client_sessions_split"], total["client_sessions"]), 2),
        }
        return {key: (value, None) for key, value in shown.items()}

    components.render_kpis(output, KPIS, kpi_values)

    @components.render_plotly
    def runs_chart():
        runs = ready(page())["runs"].sort_values("started_at")
        columns = {"rows_loaded": "Rows loaded", "rows_quarantined": "Quarantined", "rows_rejected": "Rejected"}
        return plots.bars(runs, "started_at", columns, "Rows per load run", stacked=True)

    @components.render_plotly
    def daily_chart():
        health = ready(page())["health"]
        return plots.lines(
            health, {"events": "Events", "rejected_events": "Rejected", "quarantined_lines": "Quarantined",
                     "late_events": "Late (> 1 h)"},
            "Events per received day",
        )

    @reactive.calc
    def runs():
        return ready(page())["runs"]

    @reactive.calc
    def tests():
        return ready(page())["tests"]

    @reactive.calc
    def health():
        return ready(page())["health"]

    @render.ui
    def runs_table():
        return components.table(runs())

    @render.ui
    def tests_table():
        return components.table(tests())

    @render.ui
    def health_table():
        return components.table(health())

    @render.download_button(filename="load_runs.csv")
    def download_runs():
        yield components.download_csv(runs())

    @render.download_button(filename="dbt_tests.csv")
    def download_tests():
        yield components.download_csv(tests())

    @render.download_button(filename=lambda: f"pipeline_health_{filters().start}_{filters().end}.csv")
    def download_health():
        yield components.download_csv(health())
