{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        change_source='int_sessions_aggregated',
        unique_key=['visitor_id'],
        pre_hook="{{ delete_changed_visitors() }}",
        post_hook="{{ record_changes_watermark() }}",
    )
}}

{#- An incremental run redoes the visitors whose sessions changed since the last run; the pre_hook has deleted
    their rows (and those of visitors left without sessions). -#}
{%- set changes = change_window(ref('int_sessions_aggregated')) %}

with

sessions as (
    select * from {{ ref('fct_sessions') }}
    {%- if changes.mode == 'delta' %}
    where
        visitor_id = any(array(
            select distinct session_changes.visitor_id
            from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as session_changes
        ))
    {%- endif %}
),

visitors as (
    select
        visitor_id,
        max(user_id) as user_id,
        max(user_id) is not null as is_identified,
        min(started_at) as first_seen_at,
        max(ended_at) as last_seen_at,
        count(*) as sessions,
        sum(page_views) as page_views,
        sum(orders) as orders,
        sum(revenue)::numeric(14, 2) as revenue,
        count(*) filter (where is_converted) as converted_sessions
    from sessions
    group by visitor_id
),

first_sessions as (
    select
        visitor_id,
        channel as first_channel,
        device_type as first_device_type,
        country as first_country
    from sessions
    where is_first_session
),

final as (
    select
        visitors.*,
        first_sessions.first_channel,
        first_sessions.first_device_type,
        first_sessions.first_country
    from visitors
    left join first_sessions on visitors.visitor_id = first_sessions.visitor_id
)

select * from final
