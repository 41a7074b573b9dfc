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


@module.ui
def reliability_ui():
    def table_card(title: str, output_id: str, download_id: str):
        return ui.card(
            ui.card_header(title, ui.download_button(download_id, "Download CSV", class_="btn-sm")),
            ui.output_data_frame(output_id),
        )

    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            ui.output_ui("kpis"),
            ui.layout_columns(
                ui.card(ui.output_ui("runs_chart")),
                ui.card(ui.output_ui("daily_chart")),
                col_widths=[6, 6],
            ),
            ui.layout_columns(
                table_card("Recent load runs", "runs_table", "download_runs"),
                table_card("dbt tests (latest run)", "tests_table", "download_tests"),
                col_widths=[6, 6],
            ),
            table_card("Pipeline health per day", "health_table", "download_health"),
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


@module.server
def reliability_server(input, output, session, filters: Callable[[], Filters],
                       version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        def load():
            v = ok_version(version())
            return {
                "freshness": queries.freshness(v),
                "health": queries.pipeline_health(filters(), v),
                "runs": queries.load_runs(v),
                "tests": queries.dbt_tests(v),
            }

        return components.attempt(load)

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @render.ui
    def kpis():
        data = ready(page())
        reactive.invalidate_later(60)  # ages move with the clock, not with the data
        now = datetime.now(timezone.utc)
        fresh = data["freshness"].iloc[0] if len(data["freshness"]) else pd.Series(dtype=object)
        runs, tests = data["runs"], data["tests"]
        total = {m: float(data["health"][m].sum()) if len(data["health"]) else 0.0 for m in HEALTH_MEASURES}
        last_run = runs.iloc[0] if len(runs) else None
        failing = int(tests["node_status"].isin(FAILING).sum()) if len(tests) else 0
        last_load = "–" if last_run is None else f"{last_run['load_status']}, {age(last_run['started_at'], now)}"

        def kpi(label: str, metric: str, value: str):  # the pipeline's state now: no period comparison
            return components.kpi(label, metric, value, None, compare=False)

        return ui.layout_column_wrap(
            kpi("Data freshness", "rpt_freshness.last_loaded_at", age(fresh.get("last_loaded_at"), now)),
            kpi("Last load", "rpt_load_runs.load_status", last_load),
            kpi("Avg. load lag", "load_lag", fmt_seconds(ratio(total["load_lag_s"], total["events"]))),
            kpi("Events loaded", "rpt_pipeline_health.events", fmt_int(total["events"])),
            kpi("Rejected events", "rpt_pipeline_health.rejected_events", fmt_int(total["rejected_events"])),
            kpi("Quarantined lines", "rpt_pipeline_health.quarantined_lines", fmt_int(total["quarantined_lines"])),
            kpi("SDK-dropped events", "rpt_pipeline_health.sdk_dropped_events", fmt_int(total["sdk_dropped_events"])),
            kpi("dbt tests failing", "rpt_dbt_tests.node_status",
                f"{failing} of {len(tests)}" if len(tests) else "no test results recorded"),
            kpi("Sessions merging client sessions", "client_session_disagreement",
                fmt_pct(ratio(total["sessions_merging_client_sessions"], total["sessions"]), 2)),
            kpi("Client sessions split", "client_session_disagreement",
                fmt_pct(ratio(total["client_sessions_split"], total["client_sessions"]), 2)),
            width="200px",
            fill=False,
        )

    @render.ui
    def runs_chart():
        runs = ready(page())["runs"].sort_values("started_at")
        return components.plot(plots.bars(runs, "started_at", {"rows_loaded": "Rows loaded",
                                                                "rows_quarantined": "Quarantined",
                                                                "rows_rejected": "Rejected"},
                                          "Rows per load run", stacked=True))

    @render.ui
    def daily_chart():
        health = ready(page())["health"]
        return components.plot(plots.lines(
            health, {"events": "Events", "rejected_events": "Rejected", "quarantined_lines": "Quarantined",
                     "late_events": "Late (> 1 h)"},
            "Events per received day",
        ))

    @reactive.calc
    def runs():
        return ready(page())["runs"]

    @reactive.calc
    def tests():
        return ready(page())["tests"]

    @reactive.calc
    def health():
        return ready(page())["health"]

    @render.data_frame
    def runs_table():
        return render.DataGrid(runs(), height="320px")

    @render.data_frame
    def tests_table():
        return render.DataGrid(tests(), height="320px")

    @render.data_frame
    def health_table():
        return render.DataGrid(health(), height="320px")

    @render.download_button(filename="load_runs.csv")
    def download_runs():
        yield components.download_csv(runs())

    @render.download_button(filename="dbt_tests.csv")
    def download_tests():
        yield components.download_csv(tests())

    @render.download_button(filename=lambda: f"pipeline_health_{filters().start}_{filters().end}.csv")
    def download_health():
        yield components.download_csv(health())
