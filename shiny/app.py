"""The clickstream dashboards: five pages behind one navigation bar, sharing one sidebar of filters.

Run it with `clickstream-dashboard` (or `make dashboard`); the connection comes from --dsn or libpq PG*.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from shiny import App, reactive, req, ui

import queries
from modules.acquisition import acquisition_server, acquisition_ui
from modules.funnels import funnels_server, funnels_ui
from modules.products import products_server, products_ui
from modules.reliability import reliability_server, reliability_ui
from modules.traffic import traffic_server, traffic_ui
from shared import POLL_SECONDS, TRAFFIC_CHOICES, Filters, VersionPoller, WarehouseUnavailable

HERE = Path(__file__).parent
DEFAULT_DAYS = 30

# The one cheap poll, shared by every session (see shared.VersionPoller).
poller = VersionPoller(queries.DATA_VERSION, POLL_SECONDS)

PAGES = [
    ("traffic", "Traffic & Engagement", traffic_ui, traffic_server),
    ("funnels", "Funnels", funnels_ui, funnels_server),
    ("products", "Product Performance", products_ui, products_server),
    ("acquisition", "Acquisition", acquisition_ui, acquisition_server),
    ("reliability", "Reliability", reliability_ui, reliability_server),
]


def filter_defaults() -> tuple[date, date, date | None, date | None, dict[str, list[str]]]:
    """Start, end, min, max of the date range and the choices of each dimension, from the data if any."""
    today = date.today()
    start, end, first, last, choices = today - timedelta(days=DEFAULT_DAYS - 1), today, None, None, {}
    version = poller.current()
    if version.status != "ok":
        return start, end, first, last, choices
    try:
        bounds = queries.date_bounds(version.version)
        choices = queries.dimension_values(version.version)
    except WarehouseUnavailable:
        return start, end, first, last, choices
    if len(bounds) and bounds.iloc[0]["last_day"] is not None:
        first, last = bounds.iloc[0]["first_day"], bounds.iloc[0]["last_day"]
        end, start = last, max(first, last - timedelta(days=DEFAULT_DAYS - 1))
    return start, end, first, last, choices


def sidebar(start, end, first, last, choices) -> ui.Sidebar:
    def picker(id: str, label: str, dimension: str):
        return ui.input_selectize(
            id, label, choices=choices.get(dimension, []), multiple=True,
            options={"placeholder": "All", "plugins": ["remove_button"]},
        )

    return ui.sidebar(
        ui.input_date_range("dates", "Dates", start=start, end=end, min=first, max=last),
        ui.p("Compared with the previous period of the same length.", class_="text-muted small"),
        picker("devices", "Device", "device_type"),
        picker("countries", "Country", "country"),
        picker("channels", "Channel", "channel"),
        picker("categories", "Category", "category"),
        ui.p("Category applies to Product Performance.", class_="text-muted small"),
        ui.input_radio_buttons("traffic", "Traffic", TRAFFIC_CHOICES, selected="humans", inline=True),
        id="filters",
        width="280px",
    )


def app_ui(request):
    # A function of the request: each page load picks up the current data range and dimension values.
    return ui.page_navbar(
        *[ui.nav_panel(title, page_ui(key), value=key) for key, title, page_ui, _ in PAGES],
        title="Clickstream",
        id="page",
        sidebar=sidebar(*filter_defaults()),
        window_title="Clickstream dashboards",
        header=ui.include_css(HERE / "www" / "dashboard.css"),
        navbar_options=ui.navbar_options(bg="#1e293b", theme="dark"),
    )


def server(input, output, session):
    # Each session asks the shared poller; the poller queries the warehouse at most once per interval.
    @reactive.poll(poller.current, interval_secs=min(POLL_SECONDS, 5))
    def version():
        return poller.current()

    @reactive.calc
    def filters() -> Filters:
        dates = input.dates()
        req(dates and dates[0] and dates[1])
        start, end = sorted(dates)
        return Filters(
            start=start,
            end=end,
            devices=tuple(input.devices() or ()),
            countries=tuple(input.countries() or ()),
            channels=tuple(input.channels() or ()),
            categories=tuple(input.categories() or ()),
            traffic=input.traffic(),
        )

    # A session opened before there was data got fallback dates: once data appears, move to it.
    started_with_data = poller.current().status == "ok"

    @reactive.effect
    def _follow_new_data():
        nonlocal started_with_data
        if version().status != "ok" or started_with_data:
            return
        started_with_data = True
        start, end, first, last, choices = filter_defaults()
        ui.update_date_range("dates", start=start, end=end, min=first, max=last)
        for id, dimension in [("devices", "device_type"), ("countries", "country"), ("channels", "channel"),
                              ("categories", "category")]:
            ui.update_selectize(id, choices=choices.get(dimension, []))

    for key, _, _, page_server in PAGES:
        page_server(key, filters=filters, version=version)


app = App(app_ui, server, static_assets=HERE / "www")
