{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_session_searches',
        unique_key=['date_day', 'search_term', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['date_day']}],
    )
}}

with

-- session searches added (+1) and taken back (-1) since the last run; all of them on a full build
search_changes as (
    select * from {{ changes_since_last_run(ref('int_session_searches')) }} as session_searches
),

daily as (
    select
        date_day,
        search_term,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign * searches) as searches,
        sum(_change_sign) as search_sessions,
        coalesce(sum(_change_sign) filter (where is_converted_session), 0) as converted_search_sessions
    from search_changes
    group by 1, 2, 3, 4, 5, 6
)

select * from daily
