"""Every SQL statement the dashboards run. They read only the dbt report models (reports.rpt_*), with
parameters bound by psycopg, through the shared cache keyed by (query, parameters, data version).

Report models hold additive measures only: rates are computed here as ratios of sums.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from shared import CATEGORY_FILTER, DIMENSION_FILTER, Filters, fetch

# The one cheap poll: when the report models were last rebuilt and what load they reflect. It changes
# exactly when dbt has rebuilt the reports, so cached results are reused until then.
DATA_VERSION = """
select max(reports_built_at)::text || '/' || coalesce(max(last_load_id)::text, '-')
from reports.rpt_pipeline_health
"""

# Date bounds and the filter choices (cheap: daily grain tables).
DATE_BOUNDS = "select min(date_day) as first_day, max(date_day) as last_day from reports.rpt_traffic_daily"

DIMENSION_VALUES = """
select 'device_type' as dimension, device_type as value from reports.rpt_traffic_daily group by 2
union all
select 'country', country from reports.rpt_traffic_daily group by 2
union all
select 'channel', channel from reports.rpt_traffic_daily group by 2
union all
select 'category', category from reports.rpt_product_daily group by 2
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
    sum(converted_sessions) as converted_sessions,
    sum(page_views) as page_views,
    sum(session_duration_s) as session_duration_s
from reports.rpt_traffic_daily
where {DIMENSION_FILTER}
group by date_day
order by date_day
"""

# Distinct visitors: daily (DAU, averaged over the period), the last 7 days (WAU) and the last 30 days (MAU)
# of the period. The table has one row per day x visitor x dimensions.
ACTIVE_VISITORS = f"""
with filtered as (
    select date_day, visitor_id
    from reports.rpt_active_visitors_daily
    where {DIMENSION_FILTER}
),

daily as (
    select date_day, count(distinct visitor_id) as visitors
    from filtered
    where date_day >= %(period_start)s
    group by date_day
)

select
    (select coalesce(sum(visitors), 0) from daily)::float8 / %(period_days)s as dau,
    (select count(distinct visitor_id) from filtered where date_day >= %(wau_start)s) as wau,
    (select count(distinct visitor_id) from filtered) as mau
"""

ACTIVE_VISITORS_DAILY = f"""
select date_day, count(distinct visitor_id) as visitors
from reports.rpt_active_visitors_daily
where {DIMENSION_FILTER}
group by date_day
order by date_day
"""


def traffic_daily(f: Filters, version: str) -> pd.DataFrame:
    return fetch(TRAFFIC_DAILY, f.params(), version=version)


def active_visitors(f: Filters, version: str) -> pd.DataFrame:
    # MAU looks at the 30 days ending on the period's last day, WAU at the last 7, DAU at the period itself.
    params = f.params()
    params.update(
        start=min(f.start, f.end - timedelta(days=29)),
        period_start=f.start,
        period_days=f.days,
        wau_start=f.end - timedelta(days=6),
    )
    return fetch(ACTIVE_VISITORS, params, version=version)


def active_visitors_daily(f: Filters, version: str) -> pd.DataFrame:
    return fetch(ACTIVE_VISITORS_DAILY, f.params(), version=version)


# --- Funnels --------------------------------------------------------------------------------------------------

FUNNEL_STAGES = [
    ("view", "Viewed a product", "sessions_with_product_view"),
    ("add_to_cart", "Added to cart", "sessions_with_add_to_cart"),
    ("checkout", "Checked out", "sessions_with_checkout"),
    ("purchase", "Purchased", "sessions_with_purchase"),
]

FUNNEL_BY = f"""
select
    device_type,
    channel,
    sum(sessions) as sessions,
    sum(sessions_with_product_view) as sessions_with_product_view,
    sum(sessions_with_add_to_cart) as sessions_with_add_to_cart,
    sum(sessions_with_checkout) as sessions_with_checkout,
    sum(sessions_with_purchase) as sessions_with_purchase
from reports.rpt_funnel_daily
where {DIMENSION_FILTER}
group by device_type, channel
order by device_type, channel
"""


def funnel_by_device_channel(f: Filters, version: str) -> pd.DataFrame:
    return fetch(FUNNEL_BY, f.params(), version=version)


# --- Product Performance --------------------------------------------------------------------------------------

PRODUCTS = f"""
select
    product_id,
    max(product_name) as product_name,
    category,
    sum(product_views) as product_views,
    sum(add_to_carts) as add_to_carts,
    sum(purchases) as purchases,
    sum(quantity) as quantity,
    sum(revenue) as revenue
from reports.rpt_product_daily
where {DIMENSION_FILTER} {CATEGORY_FILTER}
group by product_id, category
"""

SEARCH_TERMS = f"""
select
    search_query,
    sum(searches) as searches,
    sum(searching_sessions) as searching_sessions
from reports.rpt_search_terms_daily
where {DIMENSION_FILTER}
group by search_query
order by searches desc, search_query
limit 20
"""


def products(f: Filters, version: str) -> pd.DataFrame:
    return fetch(PRODUCTS, f.params(), version=version)


def search_terms(f: Filters, version: str) -> pd.DataFrame:
    return fetch(SEARCH_TERMS, f.params(), version=version)


# --- Acquisition ----------------------------------------------------------------------------------------------

ACQUISITION = f"""
select
    channel,
    coalesce(referrer_host, '(direct)') as referrer_host,
    coalesce(utm_campaign, '(none)') as utm_campaign,
    device_type,
    country,
    sum(sessions) as sessions,
    sum(converted_sessions) as converted_sessions,
    sum(revenue) as revenue
from reports.rpt_acquisition_daily
where {DIMENSION_FILTER}
group by 1, 2, 3, 4, 5
"""


def acquisition(f: Filters, version: str) -> pd.DataFrame:
    return fetch(ACQUISITION, f.params(), version=version)


# --- Reliability ----------------------------------------------------------------------------------------------

PIPELINE_HEALTH = "select * from reports.rpt_pipeline_health"
LOAD_RUNS = "select * from reports.rpt_load_runs order by started_at desc limit 48"
DBT_TESTS = "select * from reports.rpt_dbt_tests order by status, unique_id"


def pipeline_health(version: str) -> pd.DataFrame:
    return fetch(PIPELINE_HEALTH, version=version)


def load_runs(version: str) -> pd.DataFrame:
    return fetch(LOAD_RUNS, version=version)


def dbt_tests(version: str) -> pd.DataFrame:
    return fetch(DBT_TESTS, version=version)
