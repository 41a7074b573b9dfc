{{
    config(
        materialized='incremental',
        post_hook="{{ refresh_statistics() }}",
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        indexes=[
            {'columns': ['anonymous_id'], 'unique': true},
            {'columns': ['user_id']},
        ],
    )
}}

with

logged_in_events as (
    select
        anonymous_id,
        user_id,
        event_at,
        event_id,
        _loaded_at
    from {{ ref('int_events_deduped') }}
    where
        user_id is not null
    {% if is_incremental() %}
    -- recompute every browser that logged in since the last run, over its whole login history
    and anonymous_id in (
        select recent.anonymous_id
        from {{ ref('int_events_deduped') }} as recent
        where
            recent.user_id is not null
            and {{ incremental_window('recent._loaded_at', '_last_loaded_at') }}
    )
    {% endif %}
),

-- the user an anonymous_id logged in as most recently wins (a shared computer follows its last login)
latest_logins as (
    select distinct on (anonymous_id)
        anonymous_id,
        user_id
    from logged_in_events
    order by anonymous_id asc, event_at desc, event_id desc
),

login_spans as (
    select
        anonymous_id,
        min(event_at) as first_logged_in_at,
        max(event_at) as last_logged_in_at,
        count(*) as logged_in_events,
        max(_loaded_at) as _last_loaded_at
    from logged_in_events
    group by anonymous_id
),

stitched as (
    select
        latest_logins.anonymous_id,
        latest_logins.user_id,
        login_spans.first_logged_in_at,
        login_spans.last_logged_in_at,
        login_spans.first_logged_in_at
        - interval '{{ var("clickstream__restatement_window_days") | int }} days' as restated_from_at,
        login_spans.logged_in_events,
        login_spans._last_loaded_at
    from latest_logins
    inner join login_spans on latest_logins.anonymous_id = login_spans.anonymous_id
)

select * from stitched
