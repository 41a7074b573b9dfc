{{
    config(
        materialized='incremental',
        incremental_strategy='replace_visitors',
        visitor_members='unnest(batch.anonymous_ids)',
        visitor_time_column='session_started_at',
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
)

select * from session_searches
