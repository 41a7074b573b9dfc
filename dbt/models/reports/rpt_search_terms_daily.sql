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
    {{ search_term_day_sums('search_changes') }}
)

select * from daily
