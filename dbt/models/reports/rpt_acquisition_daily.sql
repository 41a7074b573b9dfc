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
    {{ acquisition_day_sums('session_changes') }}
)

select * from daily
