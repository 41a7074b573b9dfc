"""Funnels: sessions that viewed a product -> added to cart -> checked out -> purchased, with stage
conversion and drop-off, overall and by device and channel."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, column, fmt_int, fmt_pct, group_sum, rate, ratio, total

FUNNEL_KINDS = {"closed": "Closed (in order)", "open": "Open (any order)"}


def stage_columns(kind: str) -> list[str]:
    return [closed if kind == "closed" else open_ for _, _, open_, closed in queries.FUNNEL_STAGES]


ALL_STAGE_COLUMNS = stage_columns("open") + stage_columns("closed")


KPIS = [components.Kpi(stage, label, "funnel") for stage, label, *_ in queries.FUNNEL_STAGES] + [
    components.Kpi("view_to_purchase", "View-to-purchase", "funnel"),
    components.Kpi("conversion_rate", "Conversion rate", "conversion_rate"),
]


@module.ui
def funnels_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            ui.input_radio_buttons("kind", "Funnel", FUNNEL_KINDS, selected="closed", inline=True),
            components.kpi_row(KPIS, width="180px"),
            ui.layout_columns(
                ui.card(components.output_plotly("funnel_chart")),
                ui.card(components.output_plotly("by_device_chart")),
                col_widths=[6, 6],
            ),
            components.table_card("Funnel by device and channel", "breakdown_table"),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="funnels",
    )


def totals(frame: pd.DataFrame) -> dict[str, float]:
    return {name: total(frame, name) for name in ["sessions", *ALL_STAGE_COLUMNS]}


def with_rates(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Stage conversion (from the previous stage) and drop-off, as ratios of summed stage counts."""
    columns = stage_columns(kind)
    out = {name: frame[name].tolist() for name in frame.columns if name in ("device_type", "channel")}
    out.update({name: frame[name].tolist() for name in ["sessions", *columns]})
    for (stage, *_), previous, current in zip(queries.FUNNEL_STAGES[1:], columns, columns[1:]):
        conversion = rate(column(frame, current), column(frame, previous))
        out[f"{stage}_conversion"] = conversion
        out[f"{stage}_drop_off"] = np.round(1 - conversion, 4)
    out["view_to_purchase"] = rate(column(frame, columns[-1]), column(frame, columns[0]))
    return pd.DataFrame(out)


def load(f: Filters, v: str) -> dict[str, pd.DataFrame]:
    """Everything the page shows for filters f at data version v (the benchmark calls this too)."""
    return {
        "current": queries.funnel_by_device_channel(f, v),
        "previous": queries.funnel_by_device_channel(f.previous(), v),
    }


@module.server
def funnels_server(input, output, session, filters: Callable[[], Filters], version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        return components.attempt(lambda: load(filters(), ok_version(version())))

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @reactive.calc
    def kpi_values():
        data = ready(page())
        columns = stage_columns(input.kind())
        now, before = totals(data["current"]), totals(data["previous"])
        d = components.delta
        out = {stage: (fmt_int(now[column]), d(now[column], before[column]))
               for (stage, *_), column in zip(queries.FUNNEL_STAGES, columns)}
        rate = ratio(now[columns[-1]], now[columns[0]])
        out["view_to_purchase"] = (fmt_pct(rate, 2), d(rate, ratio(before[columns[-1]], before[columns[0]])))
        conversion = ratio(now["purchase_sessions"], now["sessions"])
        out["conversion_rate"] = (fmt_pct(conversion, 2),
                                  d(conversion, ratio(before["purchase_sessions"], before["sessions"])))
        return out

    components.render_kpis(output, KPIS, kpi_values)

    @components.render_plotly
    def funnel_chart():
        now = totals(ready(page())["current"])
        kind = input.kind()
        return plots.funnel(
            [label for _, label, *_ in queries.FUNNEL_STAGES], [now[c] for c in stage_columns(kind)],
            f"{FUNNEL_KINDS[kind]} funnel, in sessions",
        )

    @components.render_plotly
    def by_device_chart():
        frame = ready(page())["current"]
        kind = input.kind()
        by_device = group_sum(frame, ["device_type"], ["sessions", *ALL_STAGE_COLUMNS])
        by_device = with_rates(by_device, kind)
        return plots.bars(
            by_device, "device_type",
            {f"{stage}_conversion": label for stage, label, *_ in queries.FUNNEL_STAGES[1:]},
            "Stage conversion by device (from the previous stage)",
        )

    @reactive.calc
    def table():
        return with_rates(ready(page())["current"], input.kind())

    @render.ui
    def breakdown_table():
        return components.table(table())

    @render.download_button(filename=lambda: f"funnel_{input.kind()}_{filters().start}_{filters().end}.csv")
    def download():
        yield components.download_csv(table())
