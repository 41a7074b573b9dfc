{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_sessions_aggregated',
        unique_key=['date_day', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['date_day']}],
    )
}}

with

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

daily as (
    select
        started_at::date as date_day,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign) as sessions,
        coalesce(sum(_change_sign) filter (where is_engaged), 0) as engaged_sessions,
        coalesce(sum(_change_sign) filter (where is_bounced), 0) as bounced_sessions,
        coalesce(sum(_change_sign) filter (where is_converted), 0) as converted_sessions,
        coalesce(sum(_change_sign) filter (where is_first_session), 0) as new_visitor_sessions,
        sum(_change_sign * page_views) as page_views,
        sum(_change_sign * events) as events,
        sum(_change_sign * duration_s)::numeric(16, 3) as session_duration_s,
        sum(_change_sign * orders) as orders,
        sum(_change_sign * revenue)::numeric(16, 2) as revenue
    from session_changes
    group by 1, 2, 3, 4, 5
)

select * from daily
