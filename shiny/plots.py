"""Plotting: pure functions from query results (pandas) to plotly figure specs (plain dicts: data + layout).

Plain dicts rather than plotly.graph_objects: building a validated go.Figure costs ~10-30 ms per chart,
a dict costs microseconds, and plotly.js validates in the browser anyway (Plotly.react). Fixed margins
rather than automargin: automargin makes plotly.js lay a chart out twice whenever its tick labels change
width, i.e. on most filter changes. No I/O, no Shiny.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

COLORS = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899"]
Figure = dict[str, Any]


def values(series: pd.Series) -> list:
    """JSON-ready values: dates as ISO strings, numbers (Decimal, numpy) as floats, missing as None."""
    out = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif hasattr(v, "isoformat"):  # date, datetime, pd.Timestamp
            out.append(v.isoformat())
        elif isinstance(v, str):
            out.append(v)
        else:
            out.append(float(v))
    return out


def _layout(title: str, *, legend: bool = True, **extra) -> dict[str, Any]:
    layout = {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "margin": {"l": 70, "r": 20, "t": 45, "b": 50},
        "colorway": COLORS,
        "showlegend": legend,
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {"gridcolor": "#eef0f3"},
        "yaxis": {"gridcolor": "#eef0f3", "zerolinecolor": "#d1d5db"},
        "height": 320,
    }
    layout.update(extra)
    return layout


def empty(title: str) -> Figure:
    layout = _layout(title, legend=False)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"] = [{"text": "No data for these filters", "showarrow": False, "font": {"size": 14}}]
    return {"data": [], "layout": layout}


def trend(current: pd.DataFrame, previous: pd.DataFrame, column: str, title: str, label: str) -> Figure:
    """A daily series for the selected period, the previous period overlaid on the same day offsets."""
    if current.empty:
        return empty(title)
    data = [{"type": "scatter", "mode": "lines+markers", "name": label,
             "x": values(current["date_day"]), "y": values(current[column])}]
    if not previous.empty:
        # Shift the previous period onto the current dates so the two lines compare day by day.
        offset = pd.Timestamp(current["date_day"].min()) - pd.Timestamp(previous["date_day"].min())
        shifted = pd.to_datetime(previous["date_day"]) + offset
        data.append({"type": "scatter", "mode": "lines", "name": f"{label} (previous period)",
                     "x": values(shifted), "y": values(previous[column]),
                     "line": {"dash": "dot", "color": "#9ca3af"}})
    return {"data": data, "layout": _layout(title)}


def lines(frame: pd.DataFrame, columns: dict[str, str], title: str) -> Figure:
    """Several daily series (column -> label) on one chart."""
    if frame.empty:
        return empty(title)
    data = [{"type": "scatter", "mode": "lines", "name": label, "x": values(frame["date_day"]),
             "y": values(frame[column])} for column, label in columns.items()]
    return {"data": data, "layout": _layout(title)}


def funnel(stages: list[str], counts: list[float], title: str) -> Figure:
    if not any(counts):
        return empty(title)
    data = [{"type": "funnel", "y": stages, "x": [float(c) for c in counts],
             "textinfo": "value+percent initial+percent previous", "marker": {"color": COLORS[0]}}]
    return {"data": data, "layout": _layout(title, legend=False, hovermode="closest")}


def bars(frame: pd.DataFrame, x: str, columns: dict[str, str], title: str, *, horizontal: bool = False,
         stacked: bool = False) -> Figure:
    if frame.empty:
        return empty(title)
    data = []
    for column, label in columns.items():
        if horizontal:
            data.append({"type": "bar", "orientation": "h", "name": label, "y": values(frame[x]),
                         "x": values(frame[column])})
        else:
            data.append({"type": "bar", "name": label, "x": values(frame[x]), "y": values(frame[column])})
    layout = _layout(title, legend=len(columns) > 1, hovermode="closest", barmode="stack" if stacked else "group")
    if horizontal:  # category labels on the left: room for them, long ones shortened (in full on hover)
        labels = data[0]["y"] if data else []
        layout["yaxis"] = {**layout["yaxis"], "autorange": "reversed", "tickmode": "array", "tickvals": labels,
                           "ticktext": [str(label)[:27] + "…" if len(str(label)) > 28 else label for label in labels]}
        layout["margin"] = {**layout["margin"], "l": 190}
    return {"data": data, "layout": layout}
