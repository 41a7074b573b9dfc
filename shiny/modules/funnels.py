"""Funnels: sessions that viewed a product -> added to cart -> checked out -> purchased, with stage
conversion and drop-off, overall and by device and channel."""

from __future__ import annotations

from typing import Callable

import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, fmt_int, fmt_pct, ratio

STAGE_COLUMNS = [column for _, _, column in queries.FUNNEL_STAGES]


@module.ui
def funnels_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            ui.output_ui("kpis"),
            ui.layout_columns(
                ui.card(ui.output_ui("funnel_chart")),
                ui.card(ui.output_ui("by_device_chart")),
                col_widths=[6, 6],
            ),
            ui.card(
                ui.card_header(
                    "Funnel by device and channel",
                    ui.download_button("download", "Download CSV", class_="btn-sm"),
                ),
                ui.output_data_frame("breakdown_table"),
            ),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="funnels",
    )


def totals(frame: pd.DataFrame) -> dict[str, float]:
    return {column: float(frame[column].sum()) if len(frame) else 0.0 for column in ["sessions", *STAGE_COLUMNS]}


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Stage-to-stage conversion and overall conversion, as ratios of the summed stage counts."""
    out = frame.copy()
    for (_, _, prev), (stage, _, column) in zip(queries.FUNNEL_STAGES, queries.FUNNEL_STAGES[1:]):
        denominator = out[prev].astype(float).where(out[prev] > 0)
        out[f"{stage}_stage_conversion"] = (out[column].astype(float) / denominator).round(4)
    first = out[STAGE_COLUMNS[0]].astype(float).where(out[STAGE_COLUMNS[0]] > 0)
    out["view_to_purchase"] = (out[STAGE_COLUMNS[-1]].astype(float) / first).round(4)
    return out


@module.server
def funnels_server(input, output, session, filters: Callable[[], Filters], version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        def load():
            v = ok_version(version())
            f = filters()
            return {
                "current": queries.funnel_by_device_channel(f, v),
                "previous": queries.funnel_by_device_channel(f.previous(), v),
            }

        return components.attempt(load)

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @render.ui
    def kpis():
        data = ready(page())
        now, before = totals(data["current"]), totals(data["previous"])
        d = components.delta
        boxes = []
        for (stage, label, column), prev in zip(queries.FUNNEL_STAGES, [None, *STAGE_COLUMNS]):
            boxes.append(components.kpi(f"Sessions: {label.lower()}", f"funnel_{stage}_sessions",
                                        fmt_int(now[column]), d(now[column], before[column])))
        boxes.append(components.kpi(
            "View-to-purchase conversion", "funnel_conversion_rate",
            fmt_pct(ratio(now[STAGE_COLUMNS[-1]], now[STAGE_COLUMNS[0]]), 2),
            d(ratio(now[STAGE_COLUMNS[-1]], now[STAGE_COLUMNS[0]]),
              ratio(before[STAGE_COLUMNS[-1]], before[STAGE_COLUMNS[0]])),
        ))
        return ui.layout_column_wrap(*boxes, width="220px", fill=False)

    @render.ui
    def funnel_chart():
        now = totals(ready(page())["current"])
        return components.plot(plots.funnel(
            [label for _, label, _ in queries.FUNNEL_STAGES], [now[c] for c in STAGE_COLUMNS],
            "Funnel (sessions reaching each stage)",
        ))

    @render.ui
    def by_device_chart():
        frame = ready(page())["current"]
        by_device = with_rates(frame.groupby("device_type", as_index=False)[["sessions", *STAGE_COLUMNS]].sum())
        return components.plot(plots.bars(
            by_device, "device_type",
            {f"{stage}_stage_conversion": f"{label} (from previous stage)"
             for stage, label, _ in queries.FUNNEL_STAGES[1:]},
            "Stage conversion by device",
        ))

    @reactive.calc
    def table():
        return with_rates(ready(page())["current"])

    @render.data_frame
    def breakdown_table():
        return render.DataGrid(table(), height="360px")

    @render.download_button(filename=lambda: f"funnel_{filters().start}_{filters().end}.csv")
    def download():
        yield components.download_csv(table())
