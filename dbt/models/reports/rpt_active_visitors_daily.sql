{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_sessions_aggregated',
        unique_key=['date_day', 'visitor_id', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['date_day']}],
    )
}}

with

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

-- one row per day, visitor and dimensions: the reader counts distinct visitor_id over any date range
visitor_days as (
    select
        started_at::date as date_day,
        visitor_id,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign) as sessions,
        sum(_change_sign * page_views) as page_views
    from session_changes
    group by 1, 2, 3, 4, 5, 6
)

select * from visitor_days
