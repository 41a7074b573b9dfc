{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_sessions_aggregated',
        unique_key=['date_day', 'breakdown', 'breakdown_value', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['breakdown', 'device_type', 'channel', 'country', 'is_bot', 'date_day']}],
    )
}}

with

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

acquisition_days as (
    {{ acquisition_day_sums('session_changes') }}
),

-- the sessions of each row once per dimension the Acquisition page breaks them down by
breakdown_days as (
    {%- set breakdowns = {
        'channel': 'channel',
        'source_medium': "source || ' / ' || medium",
        'campaign': 'campaign',
        'referrer_host': 'referrer_host',
        'device_type': 'device_type',
        'country': 'country',
    } %}
    {%- for breakdown, value in breakdowns.items() %}
    select
        date_day,
        '{{ breakdown }}' as breakdown,
        {{ value }} as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- summed over the dimensions a dashboard filter leaves open (NULL = all values), in the combinations of
-- rpt_product_rollup_daily: every combination of device, channel and human/bot, and country alone
rolled_up as (
    select
        date_day,
        breakdown,
        breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sum(sessions)::bigint as sessions,
        sum(engaged_sessions)::bigint as engaged_sessions,
        sum(converted_sessions)::bigint as converted_sessions,
        sum(orders)::bigint as orders,
        sum(revenue)::numeric(16, 2) as revenue
    from breakdown_days
    group by
        date_day,
        breakdown,
        breakdown_value,
        {{ dashboard_filter_grouping_sets() }}
)

-- a full build stores it in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from rolled_up
order by breakdown, device_type, channel, country, is_bot, date_day, breakdown_value
