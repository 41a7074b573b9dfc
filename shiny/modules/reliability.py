"""Reliability: is the data fresh and complete? Freshness, last load, load lag, rows per run, quarantined and
rejected events, dbt test status, and whether client- and server-side sessions agree."""

from __future__ import annotations

from typing import Callable

from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters


@module.ui
def reliability_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            ui.output_ui("kpis"),
            ui.card(ui.output_ui("runs_chart")),
            ui.layout_columns(
                ui.card(
                    ui.card_header("Recent load runs",
                                   ui.download_button("download_runs", "Download CSV", class_="btn-sm")),
                    ui.output_data_frame("runs_table"),
                ),
                ui.card(
                    ui.card_header("dbt tests",
                                   ui.download_button("download_tests", "Download CSV", class_="btn-sm")),
                    ui.output_data_frame("tests_table"),
                ),
                col_widths=[6, 6],
            ),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="reliability",
    )


@module.server
def reliability_server(input, output, session, filters: Callable[[], Filters],
                       version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        def load():
            v = ok_version(version())
            return {
                "health": queries.pipeline_health(v),
                "runs": queries.load_runs(v),
                "tests": queries.dbt_tests(v),
            }

        return components.attempt(load)

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @render.ui
    def kpis():
        health = ready(page())["health"]
        row = health.iloc[0] if len(health) else {}
        return ui.layout_column_wrap(
            *[components.kpi(str(k), str(k), str(row[k]), None) for k in health.columns],
            width="220px", fill=False,
        )

    @render.ui
    def runs_chart():
        runs = ready(page())["runs"].sort_values("started_at")
        return components.plot(plots.bars(runs, "started_at", {"rows": "Rows"}, "Rows per load run"))

    @reactive.calc
    def runs():
        return ready(page())["runs"]

    @reactive.calc
    def tests():
        return ready(page())["tests"]

    @render.data_frame
    def runs_table():
        return render.DataGrid(runs(), height="320px")

    @render.data_frame
    def tests_table():
        return render.DataGrid(tests(), height="320px")

    @render.download_button(filename="load_runs.csv")
    def download_runs():
        yield components.download_csv(runs())

    @render.download_button(filename="dbt_tests.csv")
    def download_tests():
        yield components.download_csv(tests())
