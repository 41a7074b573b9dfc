"""Traffic & Engagement: active visitors (DAU/WAU/MAU), sessions, pages per session, duration, bounce and
engagement rate, and their daily trends against the previous period."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, column, fmt_float, fmt_int, fmt_pct, fmt_seconds, rate, ratio, total


Kpi = components.Kpi
KPIS = [
    Kpi("dau", "Daily active visitors", "active_visitors"),
    Kpi("wau", "Weekly active visitors", "active_visitors"),
    Kpi("mau", "Monthly active visitors", "active_visitors"),
    Kpi("sessions", "Sessions", "session"),
    Kpi("pages_per_session", "Pages per session", "pages_per_session"),
    Kpi("average_session_duration", "Avg. session duration", "average_session_duration"),
    Kpi("engagement_rate", "Engagement rate", "engagement_rate"),
    Kpi("bounce_rate", "Bounce rate", "bounce_rate", good_when_up=False),
]


@module.ui
def traffic_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            components.kpi_row(KPIS),
            ui.layout_columns(
                ui.card(components.output_plotly("sessions_trend")),
                ui.card(components.output_plotly("visitors_trend")),
                col_widths=[6, 6],
            ),
            components.table_card("Daily traffic", "daily_table"),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="traffic",
    )


def summarize(daily: pd.DataFrame) -> dict[str, float | None]:
    """Totals and rates of the period, rates as ratios of sums."""
    t = {name: total(daily, name) for name in ["sessions", "page_views", "session_duration_s", "engaged_sessions",
                                               "bounced_sessions", "converted_sessions", "revenue"]}
    sessions = t["sessions"]
    return {
        "sessions": sessions,
        "pages_per_session": ratio(t["page_views"], sessions),
        "average_session_duration": ratio(t["session_duration_s"], sessions),
        "engagement_rate": ratio(t["engaged_sessions"], sessions),
        "bounce_rate": ratio(t["bounced_sessions"], sessions),
        "conversion_rate": ratio(t["converted_sessions"], sessions),
        "revenue": t["revenue"],
    }


def daily_rows(daily: pd.DataFrame, visitors: pd.DataFrame) -> pd.DataFrame:
    """The daily table: the day's sums, its active visitors and its rates."""
    visitors_by_day = dict(zip(visitors["date_day"].tolist(), visitors["visitors"].tolist()))
    sessions = column(daily, "sessions")
    out = {
        "date_day": daily["date_day"].tolist(),
        "visitors": [visitors_by_day.get(day) for day in daily["date_day"].tolist()],
    }
    for name in ["sessions", "engaged_sessions", "bounced_sessions", "converted_sessions", "new_visitor_sessions",
                 "page_views"]:
        out[name] = daily[name].tolist()
    out["pages_per_session"] = rate(column(daily, "page_views"), sessions, 2)
    out["avg_session_duration_s"] = rate(column(daily, "session_duration_s"), sessions, 1)
    out["engagement_rate"] = rate(column(daily, "engaged_sessions"), sessions)
    out["bounce_rate"] = rate(column(daily, "bounced_sessions"), sessions)
    out["conversion_rate"] = rate(column(daily, "converted_sessions"), sessions)
    out["orders"] = daily["orders"].tolist()
    out["revenue"] = np.round(column(daily, "revenue"), 2)
    return pd.DataFrame(out)


def load(f: Filters, v: str) -> dict:
    """Everything the page shows for filters f at data version v (the benchmark calls this too)."""
    active, active_previous = queries.active_visitors(f, v), queries.active_visitors(f.previous(), v)
    return {
        "daily": queries.traffic_daily(f, v),
        "previous": queries.traffic_daily(f.previous(), v),
        "active": active.totals,
        "active_previous": active_previous.totals,
        "visitors_daily": active.daily,
        "visitors_previous": active_previous.daily,
    }


@module.server
def traffic_server(input, output, session, filters: Callable[[], Filters], version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        return components.attempt(lambda: load(filters(), ok_version(version())))

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @reactive.calc
    def kpi_values():
        data = ready(page())
        now, before = summarize(data["daily"]), summarize(data["previous"])
        active, active_before = data["active"], data["active_previous"]
        d = components.delta
        return {
            "dau": (fmt_float(active["dau"], 1), d(active["dau"], active_before["dau"])),
            "wau": (fmt_int(active["wau"]), d(active["wau"], active_before["wau"])),
            "mau": (fmt_int(active["mau"]), d(active["mau"], active_before["mau"])),
            "sessions": (fmt_int(now["sessions"]), d(now["sessions"], before["sessions"])),
            "pages_per_session": (fmt_float(now["pages_per_session"]),
                                  d(now["pages_per_session"], before["pages_per_session"])),
            "average_session_duration": (fmt_seconds(now["average_session_duration"]),
                                         d(now["average_session_duration"], before["average_session_duration"])),
            "engagement_rate": (fmt_pct(now["engagement_rate"]), d(now["engagement_rate"], before["engagement_rate"])),
            "bounce_rate": (fmt_pct(now["bounce_rate"]), d(now["bounce_rate"], before["bounce_rate"])),
        }

    components.render_kpis(output, KPIS, kpi_values)

    @components.render_plotly
    def sessions_trend():
        data = ready(page())
        return plots.trend(data["daily"], data["previous"], "sessions", "Sessions per day", "Sessions")

    @components.render_plotly
    def visitors_trend():
        data = ready(page())
        return plots.trend(data["visitors_daily"], data["visitors_previous"], "visitors", "Active visitors per day",
                           "Visitors")

    @reactive.calc
    def table():
        data = ready(page())
        return daily_rows(data["daily"], data["visitors_daily"])

    @render.ui
    def daily_table():
        return components.table(table())

    @render.download_button(filename=lambda: f"traffic_{filters().start}_{filters().end}.csv")
    def download():
        yield components.download_csv(table())
