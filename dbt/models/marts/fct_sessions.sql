-- A view: int_sessions_aggregated is the incremental table; this only applies the bot rule.
{{ config(materialized='view') }}

with

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
    {% if not var('clickstream__include_bots') %}
    where not is_bot
    {% endif %}
),

final as (
    select
        session_id,
        visitor_id,
        visitor_session_number,
        is_first_session,
        user_id,
        started_at,
        ended_at,
        started_at::date as session_date,
        duration_s,
        events,
        page_views,
        product_views,
        searches,
        add_to_carts,
        checkouts,
        orders,
        revenue,
        is_converted,
        is_engaged,
        is_bounced,
        landing_page_path,
        exit_page_path,
        channel,
        referrer_host,
        utm_source as source,
        utm_medium as medium,
        utm_campaign as campaign,
        device_type,
        country,
        browser,
        os,
        client_sessions,
        has_client_session_mismatch,
        is_bot
    from sessions
)

select * from final
