{{ config(indexes=[{'columns': ['date_day']}]) }}

with

searches as (
    select
        session_id,
        event_at::date as date_day,
        -- one spelling per term: trimmed, lower-cased, inner whitespace collapsed
        lower(regexp_replace(btrim(search_query), '\s+', ' ', 'g')) as search_term
    from {{ ref('int_events_sessionized') }}
    where event_type = 'search' and nullif(btrim(search_query), '') is not null
),

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

daily as (
    select
        searches.date_day,
        searches.search_term,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        count(*) as searches,
        count(distinct searches.session_id) as search_sessions,
        count(distinct searches.session_id) filter (where sessions.is_converted) as converted_search_sessions
    from searches
    inner join sessions on searches.session_id = sessions.session_id
    group by 1, 2, 3, 4, 5, 6
)

select * from daily
