"""Every SQL statement the dashboards run. They read only the dbt report models (reports.rpt_*), with
parameters bound by psycopg, through the shared cache keyed by (query, parameters, data version).

Report models hold additive measures only: rates are computed here as ratios of sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from shared import (
    CATEGORY_FILTER,
    DIMENSION_FILTER,
    DIMENSION_VALUES_FILTER,
    Filters,
    fetch,
    rollup_filter,
    total,
)

# The one cheap poll. rpt_freshness is one row rebuilt by every dbt run (built_at) saying what the newest
# loaded event is (last_loaded_at: NULL = nothing loaded yet = an empty warehouse). dbt updates report
# tables one by one: a rebuilt table is a new table (a new oid), an incrementally updated one writes its new
# watermark into its table comment in the same transaction. Both are part of the version, so it keeps
# changing until the last report of a build is in place, and a result cached half-way through a build is
# never served under the final version. Catalog reads only: cheap.
DATA_VERSION = """
select freshness.built_at::text || ' ' || report_tables.states
from reports.rpt_freshness as freshness
cross join (
    select string_agg(
        tables.oid::text || coalesce(':' || obj_description(tables.oid, 'pg_class'), ''), '.' order by tables.oid
    ) as states
    from pg_catalog.pg_class as tables
    where tables.relnamespace = 'reports'::regnamespace and tables.relkind in ('r', 'p', 'm', 'v')
) as report_tables
where freshness.last_loaded_at is not null
"""

# Date bounds and the filter choices (cheap: daily grain tables).
DATE_BOUNDS = "select min(date_day) as first_day, max(date_day) as last_day from reports.rpt_traffic_daily"

DIMENSION_VALUES = """
select 'device_type' as dimension, device_type as value from reports.rpt_traffic_daily
union
select 'country', country from reports.rpt_traffic_daily
union
select 'channel', channel from reports.rpt_traffic_daily
union
select 'category', category from reports.rpt_product_daily
union
select 'category', category_level_1 from reports.rpt_product_daily
order by 1, 2
"""


def date_bounds(version: str) -> pd.DataFrame:
    return fetch(DATE_BOUNDS, version=version)


def dimension_values(version: str) -> dict[str, list[str]]:
    frame = fetch(DIMENSION_VALUES, version=version)
    return {dim: [v for v in group["value"] if v is not None] for dim, group in frame.groupby("dimension")}


# --- Traffic & Engagement -------------------------------------------------------------------------------------

TRAFFIC_DAILY = f"""
select
    date_day,
    sum(sessions) as sessions,
    sum(engaged_sessions) as engaged_sessions,
    sum(bounced_sessions) as bounced_sessions,
    sum(converted_sessions) as converted_sessions,
    sum(new_visitor_sessions) as new_visitor_sessions,
    sum(page_views) as page_views,
    sum(session_duration_s) as session_duration_s,
    sum(orders) as orders,
    sum(revenue) as revenue
from reports.rpt_traffic_daily
where {DIMENSION_FILTER}
group by date_day
order by date_day
"""

def traffic_daily(f: Filters, version: str) -> pd.DataFrame:
    return fetch(TRAFFIC_DAILY, f.params(), version=version)


# Active visitors (distinct counts, so not additive over dimensions) come from a rollup when each dimension
# filter holds at most one value: rpt_active_visitor_counts_daily has, per day and filter combination (NULL =
# all values), the day's visitors and the visitors of the 7 and 30 days ending that day. The daily rows give
# DAU (their average over the period); WAU and MAU are those of the period's last day, read from the latest
# row on or before it (a combination has rows only on days its counts change). A few rows, by index.
VISITOR_COUNTS_DAILY = """
select date_day, visitors
from reports.rpt_active_visitor_counts_daily
where {dimensions} and date_day between %(start)s and %(end)s and visitors > 0
order by date_day
"""

VISITOR_COUNTS_LATEST = """
select weekly_visitors, monthly_visitors
from reports.rpt_active_visitor_counts_daily
where {dimensions} and date_day <= %(end)s
order by date_day desc
limit 1
"""

# Several values in one dimension filter: distinct visitors from the one-row-per-day-x-visitor-x-dimensions
# table, in one scan: daily (the series, and DAU), the last 7 days (WAU) and the last 30 days (MAU) of the
# period. group by rather than count(distinct): a hash aggregate, about twice as fast here.
ACTIVE_VISITORS = f"""
with filtered as materialized (
    select date_day, visitor_id
    from reports.rpt_active_visitors_daily
    where {DIMENSION_FILTER}
),

visitor_days as (
    select date_day, visitor_id from filtered where date_day >= %(period_start)s group by date_day, visitor_id
),

daily as (
    select date_day, count(*) as visitors from visitor_days group by date_day
),

visitors as (
    select visitor_id, max(date_day) as last_day from filtered group by visitor_id
),

totals as (
    select
        (select count(*) from visitors where last_day >= %(wau_start)s) as wau,
        (select count(*) from visitors where last_day >= %(mau_start)s) as mau
)

select daily.date_day, daily.visitors, totals.wau, totals.mau
from totals
left join daily on true
order by daily.date_day
"""


@dataclass(frozen=True)
class ActiveVisitors:
    totals: dict[str, float]  # dau (average daily visitors over the period), wau, mau (at the period's end)
    daily: pd.DataFrame  # date_day, visitors: the days with any


# rpt_active_visitor_counts_daily has rows for every combination of its four dimensions (a cube).
VISITOR_COUNTS_SETS = {
    frozenset(name for name, bit in zip(("device_type", "country", "channel", "is_bot"), f"{mask:04b}") if bit == "1")
    for mask in range(16)
}


def active_visitors(f: Filters, version: str) -> ActiveVisitors:
    """DAU over the period, WAU and MAU of the 7 and 30 days ending on its last day, visitors per day."""
    # Distinct counts do not add up over several values of a dimension: those filters scan the visitor rows.
    single = all(len(values) <= 1 for values in (f.devices, f.countries, f.channels))
    dimensions = rollup_filter(f, VISITOR_COUNTS_SETS) if single else None
    if dimensions is not None:
        daily = fetch(VISITOR_COUNTS_DAILY.format(dimensions=dimensions), f.params(), version=version)
        latest = fetch(VISITOR_COUNTS_LATEST.format(dimensions=dimensions), f.params(), version=version)
        wau, mau = latest.iloc[0].tolist() if len(latest) else (0, 0)
        return ActiveVisitors({"dau": total(daily, "visitors") / f.days, "wau": wau, "mau": mau}, daily)
    params = f.params()
    params.update(
        start=min(f.start, f.end - timedelta(days=29)),
        period_start=f.start,
        wau_start=f.end - timedelta(days=6),
        mau_start=f.end - timedelta(days=29),
    )
    frame = fetch(ACTIVE_VISITORS, params, version=version)
    first = frame.iloc[0]
    daily = frame.loc[frame["date_day"].notna(), ["date_day", "visitors"]]
    return ActiveVisitors({"dau": total(daily, "visitors") / f.days, "wau": first["wau"], "mau": first["mau"]},
                          daily)


# --- Funnels --------------------------------------------------------------------------------------------------

# (stage, label, open-funnel column, closed-funnel column)
FUNNEL_STAGES = [
    ("product_view", "Viewed a product", "product_view_sessions", "closed_product_view_sessions"),
    ("add_to_cart", "Added to cart", "add_to_cart_sessions", "closed_add_to_cart_sessions"),
    ("checkout", "Checked out", "checkout_sessions", "closed_checkout_sessions"),
    ("purchase", "Purchased", "purchase_sessions", "closed_purchase_sessions"),
]

FUNNEL_BY = f"""
select
    device_type,
    channel,
    sum(sessions) as sessions,
    sum(product_view_sessions) as product_view_sessions,
    sum(add_to_cart_sessions) as add_to_cart_sessions,
    sum(checkout_sessions) as checkout_sessions,
    sum(purchase_sessions) as purchase_sessions,
    sum(closed_product_view_sessions) as closed_product_view_sessions,
    sum(closed_add_to_cart_sessions) as closed_add_to_cart_sessions,
    sum(closed_checkout_sessions) as closed_checkout_sessions,
    sum(closed_purchase_sessions) as closed_purchase_sessions
from reports.rpt_funnel_daily
where {DIMENSION_FILTER}
group by device_type, channel
order by device_type, channel
"""


def funnel_by_device_channel(f: Filters, version: str) -> pd.DataFrame:
    return fetch(FUNNEL_BY, f.params(), version=version)


# --- Product Performance --------------------------------------------------------------------------------------

# Per product, from the rollup when it has rows for the filters' combination of dimensions (see
# shared.rollup_filter), else from rpt_product_daily (a filter on country together with device or channel).
PRODUCTS = """
select
    product_id,
    max(product_name) as product_name,
    max(category) as category,
    max(category_level_1) as category_level_1,
    sum(product_views) as product_views,
    sum(add_to_carts) as add_to_carts,
    sum(units_purchased) as units_purchased,
    sum(revenue) as revenue,
    sum(view_sessions) as view_sessions,
    sum(add_to_cart_sessions) as add_to_cart_sessions,
    sum(purchase_sessions) as purchase_sessions
from reports.{table}
where date_day between %(start)s and %(end)s and {dimensions} {categories}
group by product_id
"""

# The previous period only feeds the KPI deltas: totals, no per-product grouping.
PRODUCT_TOTALS = """
select
    coalesce(sum(product_views), 0) as product_views,
    coalesce(sum(add_to_carts), 0) as add_to_carts,
    coalesce(sum(units_purchased), 0) as units_purchased,
    coalesce(sum(revenue), 0) as revenue,
    coalesce(sum(view_sessions), 0) as view_sessions,
    coalesce(sum(add_to_cart_sessions), 0) as add_to_cart_sessions,
    coalesce(sum(purchase_sessions), 0) as purchase_sessions
from reports.{table}
where date_day between %(start)s and %(end)s and {dimensions} {categories}
"""

SEARCH_TERMS = """
select
    search_term,
    sum(searches) as searches,
    sum(search_sessions) as search_sessions,
    sum(converted_search_sessions) as converted_search_sessions
from reports.{table}
where date_day between %(start)s and %(end)s and {dimensions}
group by search_term
order by searches desc, search_term
limit 20
"""

# The dimensions a row of the rollups (rpt_product_rollup_daily, rpt_search_terms_rollup_daily,
# rpt_acquisition_rollup_daily) can be specific to (the others are NULL: summed over).
PRODUCT_ROLLUP_SETS = {
    frozenset(dimensions) for dimensions in [
        ("device_type", "channel", "is_bot"), ("device_type", "channel"), ("device_type", "is_bot"), ("device_type",),
        ("channel", "is_bot"), ("channel",), ("is_bot",), (), ("country", "is_bot"), ("country",),
    ]
}


def from_rollup(query: str, f: Filters, daily: str, rollup: str, **extra: str) -> str:
    """query over the rollup when it has rows for these filters, else over the daily report it sums."""
    dimensions = rollup_filter(f, PRODUCT_ROLLUP_SETS)
    if dimensions is None:
        return query.format(table=daily, dimensions=DIMENSION_VALUES_FILTER, **extra)
    return query.format(table=rollup, dimensions=dimensions, **extra)


def product_query(query: str, f: Filters) -> str:
    return from_rollup(query, f, "rpt_product_daily", "rpt_product_rollup_daily", categories=CATEGORY_FILTER)


def products(f: Filters, version: str) -> pd.DataFrame:
    return fetch(product_query(PRODUCTS, f), f.params(), version=version)


def product_totals(f: Filters, version: str) -> pd.DataFrame:
    return fetch(product_query(PRODUCT_TOTALS, f), f.params(), version=version)


def search_terms(f: Filters, version: str) -> pd.DataFrame:
    query = from_rollup(SEARCH_TERMS, f, "rpt_search_terms_daily", "rpt_search_terms_rollup_daily")
    return fetch(query, f.params(), version=version)


# --- Acquisition ----------------------------------------------------------------------------------------------

# Sessions broken down by one dimension (channel, source_medium, campaign, referrer_host, device_type or
# country): from rpt_acquisition_rollup_daily, which holds every breakdown per filter combination, else
# (country filtered together with device or channel) from rpt_acquisition_daily.
ACQUISITION_ROLLUP = """
select
    breakdown_value as {breakdown},
    sum(sessions) as sessions,
    sum(engaged_sessions) as engaged_sessions,
    sum(converted_sessions) as converted_sessions,
    sum(orders) as orders,
    sum(revenue) as revenue
from reports.rpt_acquisition_rollup_daily
where breakdown = %(breakdown)s and date_day between %(start)s and %(end)s and {dimensions}
group by breakdown_value
"""

ACQUISITION_DAILY = """
select
    {value} as {breakdown},
    sum(sessions) as sessions,
    sum(engaged_sessions) as engaged_sessions,
    sum(converted_sessions) as converted_sessions,
    sum(orders) as orders,
    sum(revenue) as revenue
from reports.rpt_acquisition_daily
where date_day between %(start)s and %(end)s and {dimensions}
group by 1
"""

# breakdown -> its value in rpt_acquisition_daily (constant SQL)
ACQUISITION_BREAKDOWNS = {
    "channel": "channel",
    "source_medium": "source || ' / ' || medium",
    "campaign": "campaign",
    "referrer_host": "referrer_host",
    "device_type": "device_type",
    "country": "country",
}


def acquisition(f: Filters, breakdown: str, version: str) -> pd.DataFrame:
    """Sessions, engaged and converted sessions, orders and revenue per value of the breakdown dimension."""
    value = ACQUISITION_BREAKDOWNS[breakdown]  # KeyError for anything else: never formatted into SQL
    dimensions = rollup_filter(f, PRODUCT_ROLLUP_SETS)
    if dimensions is None:
        query = ACQUISITION_DAILY.format(value=value, breakdown=breakdown, dimensions=DIMENSION_VALUES_FILTER)
    else:
        query = ACQUISITION_ROLLUP.format(breakdown=breakdown, dimensions=dimensions)
    return fetch(query, {**f.params(), "breakdown": breakdown}, version=version)


# --- Reliability ----------------------------------------------------------------------------------------------

FRESHNESS = "select * from reports.rpt_freshness"

# Per-day pipeline health over the selected dates (the other filters do not apply to the pipeline).
PIPELINE_HEALTH = """
select *
from reports.rpt_pipeline_health
where date_day between %(start)s and %(end)s
order by date_day
"""

LOAD_RUNS = """
select
    load_id, started_at, finished_at, load_status, duration_s, objects_loaded, rows_loaded, bytes_loaded,
    rows_quarantined, rows_rejected, failed_objects, load_error
from reports.rpt_load_runs
order by started_at desc
limit 48
"""

# The tests of the latest dbt invocation that ran any, failures first.
DBT_TESTS = """
with latest as (
    select invocation_id from reports.rpt_dbt_tests order by started_at desc limit 1
)

select
    tests.started_at, tests.dbt_command, tests.node_unique_id, tests.resource_type, tests.node_status,
    tests.failures, tests.node_message, tests.execution_time_s
from reports.rpt_dbt_tests as tests
inner join latest on tests.invocation_id = latest.invocation_id
order by tests.node_status = 'pass', tests.node_unique_id
"""


def freshness(version: str) -> pd.DataFrame:
    return fetch(FRESHNESS, version=version)


def pipeline_health(f: Filters, version: str) -> pd.DataFrame:
    return fetch(PIPELINE_HEALTH, {"start": f.start, "end": f.end}, version=version)


def load_runs(version: str) -> pd.DataFrame:
    return fetch(LOAD_RUNS, version=version)


def dbt_tests(version: str) -> pd.DataFrame:
    return fetch(DBT_TESTS, version=version)
