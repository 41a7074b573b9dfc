{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_session_searches',
        unique_key=['date_day', 'search_term', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['device_type', 'channel', 'country', 'is_bot', 'date_day']}],
    )
}}

with

-- session searches added (+1) and taken back (-1) since the last run; all of them on a full build
search_changes as (
    select * from {{ changes_since_last_run(ref('int_session_searches')) }} as session_searches
),

search_term_days as (
    {{ search_term_day_sums('search_changes') }}
),

-- the search terms summed over the dimensions a dashboard filter leaves open (NULL = all values), in
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

-- a full build stores it in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from rolled_up
order by device_type, channel, country, is_bot, date_day, search_term
