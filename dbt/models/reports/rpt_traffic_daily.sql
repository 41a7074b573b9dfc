{{ config(indexes=[{'columns': ['date_day']}]) }}

with

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

daily as (
    select
        started_at::date as date_day,
        device_type,
        country,
        channel,
        is_bot,
        count(*) as sessions,
        count(*) filter (where is_engaged) as engaged_sessions,
        count(*) filter (where is_bounced) as bounced_sessions,
        count(*) filter (where is_converted) as converted_sessions,
        count(*) filter (where is_first_session) as new_visitor_sessions,
        sum(page_views) as page_views,
        sum(events) as events,
        sum(duration_s)::numeric(16, 3) as session_duration_s,
        sum(orders) as orders,
        sum(revenue)::numeric(16, 2) as revenue
    from sessions
    group by 1, 2, 3, 4, 5
)

select * from daily
