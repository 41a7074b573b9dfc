{{ config(indexes=[{'columns': ['device_type', 'channel', 'country', 'is_bot', 'date_day']}]) }}

with

search_term_days as (
    select * from {{ ref('rpt_search_terms_daily') }}
),

-- rpt_search_terms_daily summed over the dimensions a dashboard filter leaves open (NULL = all values), in
-- the same combinations as rpt_product_rollup_daily: every combination of device, channel and human/bot,
-- and country alone
rolled_up as (
    select
        date_day,
        search_term,
        device_type,
        country,
        channel,
        is_bot,
        sum(searches)::bigint as searches,
        sum(search_sessions)::bigint as search_sessions,
        sum(converted_search_sessions)::bigint as converted_search_sessions
    from search_term_days
    group by
        date_day,
        search_term,
        {{ dashboard_filter_grouping_sets() }}
)

-- stored in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from rolled_up
order by device_type, channel, country, is_bot, date_day, search_term
