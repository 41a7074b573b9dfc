"""Acquisition: where sessions come from (channel, referrer, campaign, device, country) and how they convert:
sessions, conversion rate, revenue."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, column, fmt_int, fmt_money, fmt_pct, rate, ratio, total

MEASURES = ["sessions", "engaged_sessions", "converted_sessions", "orders", "revenue"]
BREAKDOWNS = {
    "channel": "Channel",
    "source_medium": "Source / medium",
    "referrer_host": "Referrer",
    "campaign": "Campaign",
    "device_type": "Device",
    "country": "Country",
}


KPIS = [
    components.Kpi("sessions", "Sessions", "session"),
    components.Kpi("conversion_rate", "Conversion rate", "conversion_rate"),
    components.Kpi("revenue", "Revenue", "revenue"),
    components.Kpi("revenue_per_session", "Revenue per session", "revenue"),
]


@module.ui
def acquisition_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            components.kpi_row(KPIS),
            ui.layout_columns(
                ui.card(components.output_plotly("channel_chart")),
                ui.card(components.output_plotly("conversion_chart")),
                col_widths=[6, 6],
            ),
            components.table_card(
                ui.input_radio_buttons("breakdown", None, BREAKDOWNS, selected="channel", inline=True),
                "breakdown_table",
            ),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="acquisition",
    )


def breakdown(frame: pd.DataFrame) -> pd.DataFrame:
    """Per value of the breakdown (the frame's first column): sums and rates, most sessions first."""
    sessions = column(frame, "sessions")
    out = {name: frame[name].tolist() for name in frame.columns}
    out["engagement_rate"] = rate(column(frame, "engaged_sessions"), sessions)
    out["conversion_rate"] = rate(column(frame, "converted_sessions"), sessions)
    out["revenue"] = np.round(column(frame, "revenue"), 2)
    out["revenue_per_session"] = rate(out["revenue"], sessions, 2)
    return pd.DataFrame(out).sort_values(["sessions", frame.columns[0]], ascending=[False, True], kind="stable")


def load(f: Filters, v: str) -> dict[str, pd.DataFrame]:
    """Everything the page shows for filters f at data version v with the table broken down by channel (the
    benchmark calls this too). The KPIs are totals of the period and the previous one, read from the far
    smaller rpt_traffic_daily (the same sessions, conversions, orders and revenue, without source detail)."""
    return {
        "current": queries.traffic_daily(f, v),
        "previous": queries.traffic_daily(f.previous(), v),
        "channels": breakdown(queries.acquisition(f, "channel", v)),
    }


@module.server
def acquisition_server(input, output, session, filters: Callable[[], Filters],
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
        now = {m: total(data["current"], m) for m in MEASURES}
        before = {m: total(data["previous"], m) for m in MEASURES}
        d = components.delta
        conversion = ratio(now["converted_sessions"], now["sessions"])
        conversion_before = ratio(before["converted_sessions"], before["sessions"])
        per_session = ratio(now["revenue"], now["sessions"])
        per_session_before = ratio(before["revenue"], before["sessions"])
        return {
            "sessions": (fmt_int(now["sessions"]), d(now["sessions"], before["sessions"])),
            "conversion_rate": (fmt_pct(conversion, 2), d(conversion, conversion_before)),
            "revenue": (fmt_money(now["revenue"]), d(now["revenue"], before["revenue"])),
            "revenue_per_session": (fmt_money(per_session), d(per_session, per_session_before)),
        }

    components.render_kpis(output, KPIS, kpi_values)

    @reactive.calc
    def channels():
        return ready(page())["channels"]

    @components.render_plotly
    def channel_chart():
        return plots.bars(channels(), "channel", {"sessions": "Sessions"}, "Sessions by channel")

    @components.render_plotly
    def conversion_chart():
        channels_ = channels()
        return plots.bars(channels_, "channel", {"conversion_rate": "Conversion rate"}, "Conversion rate by channel")

    @reactive.calc
    def table():
        by = input.breakdown()
        if by == "channel":
            return channels()
        return ready(components.attempt(
            lambda: breakdown(queries.acquisition(filters(), by, ok_version(version())))))

    @render.ui
    def breakdown_table():
        return components.table(table())

    @render.download_button(filename=lambda: f"acquisition_{input.breakdown()}_{filters().start}_{filters().end}.csv")
    def download():
        yield components.download_csv(table())
