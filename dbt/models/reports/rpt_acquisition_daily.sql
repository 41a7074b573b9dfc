{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_sessions_aggregated',
        unique_key=['date_day', 'channel', 'source', 'medium', 'campaign', 'referrer_host', 'device_type', 'country', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['date_day']}, {'columns': ['channel']}],
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
        channel,
        coalesce(utm_source, '(none)') as source,
        coalesce(utm_medium, '(none)') as medium,
        coalesce(utm_campaign, '(none)') as campaign,
        coalesce(referrer_host, '(none)') as referrer_host,
        device_type,
        country,
        is_bot,
        sum(_change_sign) as sessions,
        coalesce(sum(_change_sign) filter (where is_engaged), 0) as engaged_sessions,
        coalesce(sum(_change_sign) filter (where is_converted), 0) as converted_sessions,
        coalesce(sum(_change_sign) filter (where is_first_session), 0) as new_visitor_sessions,
        sum(_change_sign * orders) as orders,
        sum(_change_sign * revenue)::numeric(16, 2) as revenue
    from session_changes
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9
)

select * from daily
