{{
    config(
        materialized='incremental',
        post_hook="{{ refresh_statistics() }}",
        incremental_strategy='replace_visitors',
        visitor_members='unnest(batch.anonymous_ids)',
        visitor_time_column='session_started_at',
        keep_replaced_rows=true,
        indexes=[
            {'columns': ['session_id', 'search_term', 'date_day'], 'unique': true},
            {'columns': ['visitor_id', 'session_started_at']},
            {'columns': ['_sessionized_at']},
        ],
    )
}}

-- The site searches of each session, per normalized term and day of the events: the narrow input of
-- rpt_search_terms_daily, redone with the sessions int_events_sessionized re-stamps (like int_session_products).
with

searches as (
    select
        session_id,
        visitor_id,
        session_started_at,
        anonymous_id,
        event_at::date as date_day,
        -- one spelling per term: trimmed, lower-cased, inner whitespace collapsed
        lower(regexp_replace(btrim(search_query), '\s+', ' ', 'g')) as search_term,
        _resessionized_from_at,
        _sessionized_at
    from {{ ref('int_events_sessionized') }}
    where
        event_type = 'search'
        and nullif(btrim(search_query), '') is not null
        and {{ sessionized_since_last_run() }}
),

session_searches as (
    select
        session_id,
        search_term,
        date_day,
        min(visitor_id) as visitor_id,
        min(session_started_at) as session_started_at,
        array_agg(distinct anonymous_id) as anonymous_ids,
        count(*) as searches,
        min(_resessionized_from_at) as _resessionized_from_at,
        max(_sessionized_at) as _sessionized_at
    from searches
    group by session_id, search_term, date_day
),

-- with the dimensions and conversion of the session (as int_sessions_aggregated redid it in this run), so that
-- the reports summing these rows take back a row as it was added
final as (
    select
        session_searches.session_id,
        session_searches.search_term,
        session_searches.date_day,
        session_searches.visitor_id,
        session_searches.session_started_at,
        session_searches.anonymous_ids,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        sessions.is_converted as is_converted_session,
        session_searches.searches,
        session_searches._resessionized_from_at,
        session_searches._sessionized_at
    from session_searches
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on session_searches.session_id = sessions.session_id
)

select * from final
