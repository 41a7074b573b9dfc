"""Product Performance: views, add-to-carts, purchases, revenue and rates per product and category, top and
bottom products, top searches."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from shiny import module, reactive, render, ui

import components
import plots
import queries
from modules.common import ok_version, problem_of, ready
from shared import DataVersion, Filters, column, fmt_int, fmt_money, fmt_pct, group_sum, rate, ratio, total

MEASURES = ["product_views", "add_to_carts", "units_purchased", "revenue", "view_sessions", "add_to_cart_sessions",
            "purchase_sessions"]
TOP_N = 10


KPIS = [
    components.Kpi("product_views", "Product views", "rpt_product_daily.product_views"),
    components.Kpi("add_to_carts", "Add-to-carts", "rpt_product_daily.add_to_carts"),
    components.Kpi("units_purchased", "Units purchased", "rpt_product_daily.units_purchased"),
    components.Kpi("revenue", "Product revenue", "rpt_product_daily.revenue"),
    components.Kpi("view_to_cart_rate", "View-to-cart rate", "view_to_cart_rate"),
    components.Kpi("cart_to_purchase_rate", "Cart-to-purchase rate", "cart_to_purchase_rate"),
]


@module.ui
def products_ui():
    return ui.div(
        ui.output_ui("notice"),
        ui.div(
            components.kpi_row(KPIS, width="200px"),
            ui.layout_columns(
                ui.card(components.output_plotly("category_chart")),
                ui.card(components.output_plotly("top_chart")),
                col_widths=[6, 6],
            ),
            ui.layout_columns(
                components.table_card("Top products by revenue", "top_table", "download_top"),
                components.table_card("Bottom products by views", "bottom_table", "download_bottom"),
                col_widths=[6, 6],
            ),
            ui.layout_columns(
                components.table_card("Categories", "category_table", "download_categories"),
                components.table_card("Top searches", "search_table", "download_searches"),
                col_widths=[6, 6],
            ),
            class_="page-body",
        ),
        class_="dashboard-page",
        data_page="products",
    )


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """View-to-cart and cart-to-purchase rates in sessions, as ratios of sums (see the dbt definitions)."""
    out = {name: frame[name].tolist() for name in frame.columns}
    out["view_to_cart_rate"] = rate(column(frame, "add_to_cart_sessions"), column(frame, "view_sessions"))
    out["cart_to_purchase_rate"] = rate(column(frame, "purchase_sessions"), column(frame, "add_to_cart_sessions"))
    out["revenue"] = np.round(column(frame, "revenue"), 2)
    return pd.DataFrame(out)


def by_category(frame: pd.DataFrame, level: str = "category") -> pd.DataFrame:
    """Sums and rates per category (level: category, the full path, or category_level_1, its top level)."""
    grouped = with_rates(group_sum(frame, [level], MEASURES)).rename(columns={level: "category"})
    return grouped.sort_values("revenue", ascending=False, kind="stable")


def load(f: Filters, v: str) -> dict[str, pd.DataFrame]:
    """Everything the page shows for filters f at data version v (the benchmark calls this too)."""
    return {
        "current": with_rates(queries.products(f, v)),
        "previous": queries.product_totals(f.previous(), v),
        "searches": queries.search_terms(f, v),
    }


@module.server
def products_server(input, output, session, filters: Callable[[], Filters], version: Callable[[], DataVersion]):
    @reactive.calc
    def page():
        return components.attempt(lambda: load(filters(), ok_version(version())))

    @render.ui
    def notice():
        return components.notice(problem_of(page()))

    @reactive.calc
    def kpi_values():
        data = ready(page())
        now, before = data["current"], data["previous"]
        d = components.delta
        out = {
            column: (fmt(total(now, column)), d(total(now, column), total(before, column)))
            for column, fmt in [("product_views", fmt_int), ("add_to_carts", fmt_int),
                                ("units_purchased", fmt_int), ("revenue", fmt_money)]
        }
        for key, numerator, denominator in [("view_to_cart_rate", "add_to_cart_sessions", "view_sessions"),
                                            ("cart_to_purchase_rate", "purchase_sessions", "add_to_cart_sessions")]:
            rate = ratio(total(now, numerator), total(now, denominator))
            out[key] = (fmt_pct(rate), d(rate, ratio(total(before, numerator), total(before, denominator))))
        return out

    components.render_kpis(output, KPIS, kpi_values)

    @components.render_plotly
    def category_chart():
        top_level = by_category(ready(page())["current"], "category_level_1")
        return plots.bars(top_level, "category", {"revenue": "Revenue"}, "Revenue by top-level category")

    @components.render_plotly
    def top_chart():
        top = ready(page())["current"].sort_values(["revenue", "product_id"], ascending=[False, True]).head(TOP_N)
        labels = pd.DataFrame({
            "label": [name or product for name, product in zip(top["product_name"].tolist(), top["product_id"].tolist())],
            "revenue": top["revenue"].tolist(),
        })
        return plots.bars(labels, "label", {"revenue": "Revenue"}, f"Top {TOP_N} products by revenue", horizontal=True)

    @reactive.calc
    def top():
        frame = ready(page())["current"]
        return frame.sort_values(["revenue", "product_views", "product_id"], ascending=[False, False, True]).head(TOP_N)

    @reactive.calc
    def bottom():
        frame = ready(page())["current"]
        return frame.sort_values(["product_views", "revenue", "product_id"]).head(TOP_N)

    @reactive.calc
    def categories():
        return by_category(ready(page())["current"])

    @reactive.calc
    def searches():
        return ready(page())["searches"]

    @render.ui
    def top_table():
        return components.table(top())

    @render.ui
    def bottom_table():
        return components.table(bottom())

    @render.ui
    def category_table():
        return components.table(categories())

    @render.ui
    def search_table():
        return components.table(searches())

    def stem(name: str) -> str:
        return f"{name}_{filters().start}_{filters().end}.csv"

    @render.download_button(filename=lambda: stem("products_top"))
    def download_top():
        yield components.download_csv(top())

    @render.download_button(filename=lambda: stem("products_bottom"))
    def download_bottom():
        yield components.download_csv(bottom())

    @render.download_button(filename=lambda: stem("categories"))
    def download_categories():
        yield components.download_csv(categories())

    @render.download_button(filename=lambda: stem("searches"))
    def download_searches():
        yield components.download_csv(searches())
