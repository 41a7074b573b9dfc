-- A view: int_events_sessionized is the incremental table; this only applies the bot rule.
{{ config(materialized='view') }}

with

sessionized as (
    select * from {{ ref('int_events_sessionized') }}
),

events as (
    select
        event_id,
        event_type,
        event_at,
        event_at::date as event_date,
        session_id,
        visitor_id,
        anonymous_id,
        user_id,
        client_session_id,
        is_session_start,
        page_url,
        page_path,
        page_title,
        referrer,
        referrer_host,
        device_type,
        browser,
        os,
        country,
        utm_source,
        utm_medium,
        utm_campaign,
        product_id,
        product_name,
        product_brand,
        product_category,
        product_price,
        product_quantity,
        order_id,
        order_revenue,
        currency,
        search_query,
        is_bot,
        received_at,
        _loaded_at,
        _sessionized_at
    from sessionized
    {% if not var('clickstream__include_bots') %}
    -- the same rule as fct_sessions: a session with any bot event is a bot session
    where
        session_id in (
            select sessions.session_id
            from {{ ref('int_sessions_aggregated') }} as sessions
            where not sessions.is_bot
        )
    {% endif %}
)

select * from events
