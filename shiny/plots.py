"""Plotting: pure functions from query results (pandas) to plotly figures. No I/O, no Shiny."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

COLORS = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899"]


def _layout(fig: go.Figure, title: str, *, legend: bool = True) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        margin={"l": 50, "r": 20, "t": 45, "b": 40},
        template="plotly_white",
        colorway=COLORS,
        showlegend=legend,
        legend={"orientation": "h", "y": -0.18},
        hovermode="x unified",
    )
    return fig


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="No data for these filters", showarrow=False, font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, legend=False)


def trend(current: pd.DataFrame, previous: pd.DataFrame, column: str, title: str, label: str) -> go.Figure:
    """A daily series for the selected period, with the previous period overlaid on the same day offsets."""
    if current.empty:
        return _empty(title)
    fig = go.Figure()
    fig.add_scatter(x=current["date_day"], y=current[column], name=label, mode="lines+markers")
    if not previous.empty and len(current):
        # Shift the previous period onto the current dates so the two lines compare day by day.
        offset = pd.Timestamp(current["date_day"].min()) - pd.Timestamp(previous["date_day"].min())
        shifted = pd.to_datetime(previous["date_day"]) + offset
        fig.add_scatter(
            x=shifted, y=previous[column], name=f"{label} (previous period)", mode="lines",
            line={"dash": "dot", "color": "#9ca3af"},
        )
    return _layout(fig, title)


def lines(frame: pd.DataFrame, columns: dict[str, str], title: str) -> go.Figure:
    """Several daily series (column -> label) on one chart."""
    if frame.empty:
        return _empty(title)
    fig = go.Figure()
    for column, label in columns.items():
        fig.add_scatter(x=frame["date_day"], y=frame[column], name=label, mode="lines")
    return _layout(fig, title)


def funnel(stages: list[str], values: list[float], title: str) -> go.Figure:
    if not any(values):
        return _empty(title)
    fig = go.Figure(go.Funnel(y=stages, x=values, textinfo="value+percent initial+percent previous"))
    fig = _layout(fig, title, legend=False)
    fig.update_layout(hovermode="closest")
    return fig


def bars(frame: pd.DataFrame, x: str, columns: dict[str, str], title: str, *, horizontal: bool = False,
         stacked: bool = False) -> go.Figure:
    if frame.empty:
        return _empty(title)
    fig = go.Figure()
    for column, label in columns.items():
        if horizontal:
            fig.add_bar(y=frame[x], x=frame[column], name=label, orientation="h")
        else:
            fig.add_bar(x=frame[x], y=frame[column], name=label)
    fig = _layout(fig, title, legend=len(columns) > 1)
    fig.update_layout(barmode="stack" if stacked else "group", hovermode="closest")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig
