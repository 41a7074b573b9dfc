"""Acquisition: where sessions come from (channel, referrer, campaign, device, country) and how they convert:
sessions, conversion rate, revenue."""

from __future__ import annotations

from typing import Callable

import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, fmt_int, fmt_money, fmt_pct, ratio

MEASURES = ["sessions", "engaged_sessions", "converted_sessions", "orders", "revenue"]
BREAKDOWNS = {
    "channel": "Channel",
    "source_medium": "Source / medium",
    "referrer_host": "Referrer",
    "campaign": "Campaign",
    "device_type": "Device",
    "country": "Country",
}


@module.ui
def acquisition_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            ui.output_ui("kpis"),
            ui.layout_columns(
                ui.card(ui.output_ui("channel_chart")),
                ui.card(ui.output_ui("conversion_chart")),
                col_widths=[6, 6],
            ),
            ui.card(
                ui.card_header(
                    ui.input_radio_buttons("breakdown", None, BREAKDOWNS, selected="channel", inline=True),
                    ui.download_button("download", "Download CSV", class_="btn-sm"),
                ),
                ui.output_data_frame("breakdown_table"),
            ),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="acquisition",
    )


def breakdown(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    grouped = frame.groupby(dimension, as_index=False, dropna=False)[MEASURES].sum()
    sessions = grouped["sessions"].astype(float).where(grouped["sessions"] > 0)
    grouped["engagement_rate"] = (grouped["engaged_sessions"].astype(float) / sessions).round(4)
    grouped["conversion_rate"] = (grouped["converted_sessions"].astype(float) / sessions).round(4)
    grouped["revenue"] = grouped["revenue"].astype(float).round(2)
    grouped["revenue_per_session"] = (grouped["revenue"] / sessions).round(2)
    return grouped.sort_values("sessions", ascending=False)


@module.server
def acquisition_server(input, output, session, filters: Callable[[], Filters],
                       version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        def load():
            v = ok_version(version())
            f = filters()
            return {"current": queries.acquisition(f, v), "previous": queries.acquisition(f.previous(), v)}

        return components.attempt(load)

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @render.ui
    def kpis():
        data = ready(page())

        def total(frame, column):
            return float(frame[column].sum()) if len(frame) else 0.0

        now = {m: total(data["current"], m) for m in MEASURES}
        before = {m: total(data["previous"], m) for m in MEASURES}
        d = components.delta
        return ui.layout_column_wrap(
            components.kpi("Sessions", "session", fmt_int(now["sessions"]), d(now["sessions"], before["sessions"])),
            components.kpi("Conversion rate", "conversion_rate",
                           fmt_pct(ratio(now["converted_sessions"], now["sessions"]), 2),
                           d(ratio(now["converted_sessions"], now["sessions"]),
                             ratio(before["converted_sessions"], before["sessions"]))),
            components.kpi("Revenue", "revenue", fmt_money(now["revenue"]), d(now["revenue"], before["revenue"])),
            components.kpi("Revenue per session", "revenue",
                           fmt_money(ratio(now["revenue"], now["sessions"])),
                           d(ratio(now["revenue"], now["sessions"]), ratio(before["revenue"], before["sessions"]))),
            width="220px",
            fill=False,
        )

    @render.ui
    def channel_chart():
        channels = breakdown(ready(page())["current"], "channel")
        return components.plot(plots.bars(channels, "channel", {"sessions": "Sessions"}, "Sessions by channel"))

    @render.ui
    def conversion_chart():
        channels = breakdown(ready(page())["current"], "channel")
        return components.plot(
            plots.bars(channels, "channel", {"conversion_rate": "Conversion rate"}, "Conversion rate by channel")
        )

    @reactive.calc
    def table():
        return breakdown(ready(page())["current"], input.breakdown())

    @render.data_frame
    def breakdown_table():
        return render.DataGrid(table(), height="360px")

    @render.download_button(filename=lambda: f"acquisition_{input.breakdown()}_{filters().start}_{filters().end}.csv")
    def download():
        yield components.download_csv(table())
