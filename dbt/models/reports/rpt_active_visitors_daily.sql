{{ config(indexes=[{'columns': ['date_day']}]) }}

with

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
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
        count(*) as sessions,
        sum(page_views) as page_views
    from sessions
    group by 1, 2, 3, 4, 5, 6
)

select * from visitor_days
