"""Small UI pieces every page uses: KPI boxes with deltas and tooltips, the friendly notice, plotly output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import plotly
import plotly.graph_objects as go
from htmltools import HTMLDependency
from shiny import ui
from shiny.types import SilentException

from shared import WarehouseUnavailable, classify, definition

# plotly.js ships inside the plotly wheel: served locally, loaded once per page, no CDN.
PLOTLY_JS = HTMLDependency(
    "plotly",
    plotly.__version__,
    source={"subdir": str(Path(plotly.__file__).parent / "package_data")},
    script={"src": "plotly.min.js"},
)


def metric_label(label: str, metric: str) -> ui.Tag:
    """A metric name with an info mark whose tooltip is the metric's dbt definition."""
    return ui.tooltip(
        ui.span(label, " ", ui.span("i", class_="metric-info", aria_label=f"Definition of {label}")),
        definition(metric),
        placement="bottom",
        data_metric=metric,
    )


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def kpi(label: str, metric: str, value: str, delta: float | None, *, good_when_up: bool = True,
        compare: bool = True) -> ui.Tag:
    """A KPI box: the value for the selected period and its change against the previous period.

    metric names the definition shown in the tooltip (see shared.definition)."""
    if not compare:
        delta_text, tone = "", "neutral"
    elif delta is None:
        delta_text, tone = "no previous period data", "neutral"
    else:
        arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "■")
        delta_text = f"{arrow} {delta:+.1%} vs previous period"
        tone = "neutral" if delta == 0 else ("good" if (delta > 0) == good_when_up else "bad")
    return ui.value_box(
        metric_label(label, metric),
        ui.span(value, class_="kpi-value"),
        ui.span(delta_text, class_=f"kpi-delta kpi-delta-{tone}"),
        class_="kpi",
        data_kpi=slug(label),
        min_height="110px",
    )


def delta(current: Any, previous: Any) -> float | None:
    """Relative change; None when there is nothing to compare with."""
    try:
        current, previous = float(current), float(previous)
    except (TypeError, ValueError):
        return None
    if previous != previous or current != current or previous == 0:  # NaN or no previous
        return None
    return current / previous - 1


_NOTICES = {
    "down": (
        "The warehouse is not reachable",
        "The dashboard cannot connect to PostgreSQL right now. It keeps trying: the page fills in by itself "
        "once the database is back. Check that the server runs and that PGHOST/PGPORT (or --dsn) point to it.",
    ),
    "missing": (
        "The report tables are not built yet",
        "The warehouse answers, but the dbt report models are missing. Run the pipeline once "
        "(clickstream-load, then dbt build) and this page fills in by itself.",
    ),
    "empty": (
        "No data yet",
        "The warehouse is set up but holds no events yet. Send events to the collector, run clickstream-load "
        "and dbt build: new loads appear here without a restart.",
    ),
    "forbidden": (
        "The dashboard's role cannot read the reports",
        "Grant the role the dashboard connects with membership in clickstream_reporting "
        "(read-only on the marts and reports schemas).",
    ),
    "error": (
        "This view could not be computed",
        "The warehouse returned an error for this view. The other pages may still work.",
    ),
}


def notice(problem: WarehouseUnavailable | None) -> ui.Tag | None:
    """A friendly explanation in place of a traceback."""
    if problem is None:
        return None
    title, text = _NOTICES.get(problem.kind, _NOTICES["error"])
    return ui.div(
        ui.h4(title),
        ui.p(text),
        ui.tags.details(ui.tags.summary("Details"), ui.tags.code(problem.detail)) if problem.detail else None,
        class_=f"alert alert-{'info' if problem.kind == 'empty' else 'warning'} warehouse-notice",
        role="status",
        data_notice=problem.kind,
    )


def attempt(load: Callable[[], Any]) -> Any:
    """Run a page's loader; a warehouse problem comes back as a value the page explains."""
    try:
        return load()
    except SilentException:
        raise  # an input not ready yet: Shiny keeps the output blank
    except Exception as exc:  # every failure becomes a notice; nothing reaches the browser as a traceback
        return classify(exc)


def plot(fig: go.Figure) -> ui.TagList:
    """A plotly figure as HTML (rendered by plotly.js in the browser)."""
    html = fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        config={"displayModeBar": False, "responsive": True},
        default_height="320px",
    )
    return ui.TagList(PLOTLY_JS, ui.HTML(html))


def download_csv(frame) -> str:
    return frame.to_csv(index=False)
