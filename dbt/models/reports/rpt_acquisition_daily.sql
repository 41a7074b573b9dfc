{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['channel']}]) }}

with

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
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
        count(*) as sessions,
        count(*) filter (where is_engaged) as engaged_sessions,
        count(*) filter (where is_converted) as converted_sessions,
        count(*) filter (where is_first_session) as new_visitor_sessions,
        sum(orders) as orders,
        sum(revenue)::numeric(16, 2) as revenue
    from sessions
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9
)

select * from daily
