"""Small UI pieces every page uses: KPI boxes with deltas and tooltips, the friendly notice, plotly output."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import plotly
from htmltools import HTMLDependency
from shiny import ui
from shiny.module import resolve_id
from shiny.render.renderer import Jsonifiable, Renderer
from shiny.types import SilentException

from shared import WarehouseUnavailable, classify, definition

HERE = Path(__file__).parent

# plotly.js ships inside the plotly wheel: served locally, loaded once per page, no CDN. The output binding
# (www/plotly-output.js) draws a figure spec with Plotly.react, which updates a chart in place.
PLOTLY_JS = HTMLDependency(
    "plotly",
    plotly.__version__,
    source={"subdir": str(Path(plotly.__file__).parent / "package_data")},
    script={"src": "plotly.min.js"},
)
PLOTLY_OUTPUT_JS = HTMLDependency(
    "clickstream-plotly-output",
    "1.0",
    source={"subdir": str(HERE / "www")},
    script={"src": "plotly-output.js"},
)
KPI_OUTPUT_JS = HTMLDependency(
    "clickstream-kpi-output",
    "1.0",
    source={"subdir": str(HERE / "www")},
    script={"src": "kpi-output.js"},
)


def output_plotly(id: str, height: str = "320px") -> ui.TagList:
    """Where a render_plotly output draws its chart."""
    return ui.TagList(
        PLOTLY_JS,
        PLOTLY_OUTPUT_JS,
        ui.div(id=resolve_id(id), class_="plotly-output", style=f"height: {height}; width: 100%;"),
    )


class render_plotly(Renderer[dict]):
    """Render a plotly figure spec (plots.py: a dict of data + layout) into output_plotly."""

    def auto_output_ui(self) -> ui.TagList:
        return output_plotly(self.output_id)

    async def transform(self, value: dict) -> Jsonifiable:
        return value


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


@dataclass(frozen=True)
class Kpi:
    """A KPI box: key (its output), label, metric (whose definition the tooltip shows, see
    shared.definition), whether up is good, and whether it compares with the previous period."""

    key: str
    label: str
    metric: str
    good_when_up: bool = True
    compare: bool = True


def table_card(title: str | ui.Tag, output_id: str, download_id: str = "download") -> ui.Tag:
    """A card holding one HTML table output, its title (text or a control) and Download CSV in the header."""
    return ui.card(
        ui.card_header(title, ui.download_button(download_id, "Download CSV", class_="btn-sm")),
        ui.output_ui(output_id, class_="table-output"),
    )


def kpi_row(kpis: list[Kpi], width: str = "220px", id: str = "kpis") -> ui.Tag:
    """The boxes are static UI (title and tooltip drawn once). One output fills all their values and deltas
    (www/kpi-output.js): one render and one message per filter change, not one per box."""
    boxes = [
        ui.value_box(
            metric_label(k.label, k.metric),
            ui.div(class_="kpi-output", data_kpi_key=k.key),
            class_="kpi",
            data_kpi=slug(k.label),
            min_height="110px",
        )
        for k in kpis
    ]
    return ui.div(
        KPI_OUTPUT_JS,
        ui.layout_column_wrap(*boxes, width=width, fill=False),
        id=resolve_id(id),
        class_="kpi-row-output",
    )


class render_kpi_row(Renderer[dict]):
    """Render {key: {value, delta, tone}} (see kpi_value) into a kpi_row."""

    async def transform(self, value: dict) -> Jsonifiable:
        return value


def render_kpis(output, kpis: list[Kpi], values: Callable[[], dict[str, tuple[str, float | None]]],
                id: str = "kpis") -> None:
    """Register the one output of a kpi_row; values() maps key -> (shown value, change vs previous period)."""

    @output(id=id)
    @render_kpi_row
    def _():
        shown = values()
        return {k.key: kpi_value(*shown[k.key], good_when_up=k.good_when_up, compare=k.compare) for k in kpis}


def kpi_value(value: str, delta: float | None, *, good_when_up: bool = True, compare: bool = True) -> dict:
    """A KPI's value for the selected period and its change against the previous period."""
    if not compare:
        delta_text, tone = "", "neutral"
    elif delta is None:
        delta_text, tone = "no previous period data", "neutral"
    else:
        arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "■")
        delta_text = f"{arrow} {delta:+.1%} vs previous period"
        tone = "neutral" if delta == 0 else ("good" if (delta > 0) == good_when_up else "bad")
    return {"value": value, "delta": delta_text, "tone": tone}


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


def table(frame, max_rows: int = 500) -> ui.Tag:
    """A plain HTML table (cheap to build and to draw; the full data is in the CSV download). Built by hand:
    DataFrame.to_html costs tens of milliseconds even for a few rows."""
    shown = frame.head(max_rows)
    head = "".join(f"<th>{escape(str(column))}</th>" for column in shown.columns)
    cells = [[_cell(v) for v in shown[column].tolist()] for column in shown.columns]
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in zip(*cells))
    html = (f'<table class="table table-sm table-hover data-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")
    note = f"First {max_rows} of {len(frame)} rows; download the CSV for all." if len(frame) > max_rows else None
    return ui.div(ui.HTML(html), ui.p(note, class_="text-muted small") if note else None, class_="table-scroll")


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return escape(str(value))


def download_csv(frame) -> str:
    return frame.to_csv(index=False)
