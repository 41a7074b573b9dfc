{{ config(indexes=[{'columns': ['date_day']}]) }}

with

session_searches as (
    select * from {{ ref('int_session_searches') }}
),

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

daily as (
    select
        session_searches.date_day,
        session_searches.search_term,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        sum(session_searches.searches) as searches,
        count(*) as search_sessions,
        count(*) filter (where sessions.is_converted) as converted_search_sessions
    from session_searches
    inner join sessions on session_searches.session_id = sessions.session_id
    group by 1, 2, 3, 4, 5, 6
)

select * from daily
