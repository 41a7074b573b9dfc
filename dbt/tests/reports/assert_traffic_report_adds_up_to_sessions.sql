-- Assert that rpt_traffic_daily adds up to the sessions, page views and revenue of int_sessions_aggregated.
with

report as (
    select
        coalesce(sum(sessions), 0) as sessions,
        coalesce(sum(engaged_sessions + bounced_sessions), 0) as engaged_plus_bounced,
        coalesce(sum(page_views), 0) as page_views,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('rpt_traffic_daily') }}
),

sessions as (
    select
        count(*) as sessions,
        count(*) as engaged_plus_bounced,
        coalesce(sum(page_views), 0) as page_views,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('int_sessions_aggregated') }}
),

differences as (
    select *
    from report
    except
    select *
    from sessions
)

select * from differences
