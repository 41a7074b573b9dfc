{{
    config(
        materialized='incremental',
        post_hook="{{ refresh_statistics() }}",
        incremental_strategy='replace_visitors',
        visitor_members='unnest(batch.anonymous_ids)',
        visitor_time_column='started_at',
        keep_replaced_rows=true,
        indexes=[
            {'columns': ['session_id'], 'unique': true},
            {'columns': ['visitor_id', 'started_at']},
            {'columns': ['started_at']},
            {'columns': ['_sessionized_at']},
        ],
    )
}}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
    -- int_events_sessionized re-stamps every event of each visitor it redoes, from a session start on
    where {{ sessionized_since_last_run() }}
),

channel_rules as (
    select * from {{ ref('channel_rules') }}
),

-- the event a session was entered through: its first page view (else its first event)
landings as (
    select distinct on (session_id)
        session_id,
        page_path as landing_page_path,
        -- a referrer on the shop itself (a session resumed after a timeout) is no acquisition source
        case when page_host is null or referrer_host <> page_host then referrer_host end as referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        coalesce(device_type, 'unknown') as device_type,
        coalesce(country, 'unknown') as country,
        browser,
        os
    from events
    order by session_id asc, (page_url is null) asc, event_at asc, event_id asc
),

exits as (
    select distinct on (session_id)
        session_id,
        page_path as exit_page_path
    from events
    where event_type = 'view'
    order by session_id asc, event_at desc, event_id desc
),

-- the first matching rule (lowest rule_priority) names the channel; no match is direct
channels as (
    select distinct on (landings.session_id)
        landings.session_id,
        coalesce(channel_rules.channel, 'direct') as channel
    from landings
    left join channel_rules
        -- an empty regex matches anything; a set one must match (a null field never does)
        on
            (
                coalesce(channel_rules.utm_medium_regex, '') = ''
                or landings.utm_medium ~* channel_rules.utm_medium_regex
            )
            and (
                coalesce(channel_rules.utm_source_regex, '') = ''
                or landings.utm_source ~* channel_rules.utm_source_regex
            )
            and (
                coalesce(channel_rules.referrer_host_regex, '') = ''
                or landings.referrer_host ~* channel_rules.referrer_host_regex
            )
    order by landings.session_id, channel_rules.rule_priority nulls last
),

-- a purchase sent twice (same order_id) counts once, in the session of its first copy
first_order_events as (
    {{ first_order_copies('events') }}
),

-- closed funnel (docs: metric_funnel): each stage counts only once the previous one was reached, in order.
-- One window pass per stage over each session's funnel events: no self-join that a low row estimate of an
-- incremental batch can turn into a nested loop over the whole batch.
funnel_events as (
    select
        session_id,
        event_type,
        event_at,
        min(event_at) filter (where event_type = 'view') over session_funnel as product_viewed_at
    from events
    where
        (event_type = 'view' and product_id is not null)
        or event_type in ('add_to_cart', 'checkout', 'purchase')
    window session_funnel as (partition by session_id)
),

carted_after_view as (
    select
        *,
        min(event_at) filter (
            where event_type = 'add_to_cart' and event_at >= product_viewed_at
        ) over session_funnel as carted_at
    from funnel_events
    window session_funnel as (partition by session_id)
),

checked_out_after_cart as (
    select
        *,
        min(event_at) filter (
            where event_type = 'checkout' and event_at >= carted_at
        ) over session_funnel as checked_out_at
    from carted_after_view
    window session_funnel as (partition by session_id)
),

funnel_stages as (
    select
        session_id,
        case
            when bool_or(event_type = 'purchase' and event_at >= checked_out_at) then 4
            when max(checked_out_at) is not null then 3
            when max(carted_at) is not null then 2
            when max(product_viewed_at) is not null then 1
            else 0
        end as closed_funnel_stage
    from checked_out_after_cart
    group by session_id
),

session_orders as (
    select
        session_id,
        count(*) as orders,
        sum(order_revenue) as revenue
    from first_order_events
    group by session_id
),

session_events as (
    select
        session_id,
        min(visitor_id) as visitor_id,
        min(visitor_session_number) as visitor_session_number,
        array_agg(distinct anonymous_id order by anonymous_id) as anonymous_ids,
        max(user_id) as user_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as events,
        count(*) filter (where event_type = 'view') as page_views,
        count(*) filter (where event_type = 'view' and product_id is not null) as product_views,
        count(*) filter (where event_type = 'search') as searches,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'checkout') as checkouts,
        count(*) filter (where event_type = 'purchase') as purchase_events,
        count(distinct client_session_id) as client_sessions,
        array_agg(distinct client_session_id) filter (where client_session_id is not null) as client_session_ids,
        min(client_session_id) as first_client_session_id,
        bool_or(is_bot) as is_bot,
        min(_resessionized_from_at) as _resessionized_from_at,
        max(_sessionized_at) as _sessionized_at
    from events
    group by session_id
),

joined as (
    select
        session_events.session_id,
        session_events.visitor_id,
        session_events.visitor_session_number,
        session_events.anonymous_ids,
        session_events.user_id,
        session_events.started_at,
        session_events.ended_at,
        extract(epoch from session_events.ended_at - session_events.started_at)::numeric(12, 3)
            as duration_s,
        session_events.events,
        session_events.page_views,
        session_events.product_views,
        session_events.searches,
        session_events.add_to_carts,
        session_events.checkouts,
        session_events.purchase_events,
        coalesce(session_orders.orders, 0) as orders,
        coalesce(session_orders.revenue, 0)::numeric(14, 2) as revenue,
        session_events.purchase_events > 0 as is_converted,
        coalesce(funnel_stages.closed_funnel_stage, 0) as closed_funnel_stage,
        landings.landing_page_path,
        exits.exit_page_path,
        channels.channel,
        landings.referrer_host,
        landings.utm_source,
        landings.utm_medium,
        landings.utm_campaign,
        landings.device_type,
        landings.country,
        landings.browser,
        landings.os,
        session_events.client_sessions,
        session_events.client_session_ids,
        session_events.first_client_session_id,
        session_events.is_bot,
        session_events._resessionized_from_at,
        session_events._sessionized_at
    from session_events
    inner join landings on session_events.session_id = landings.session_id
    inner join channels on session_events.session_id = channels.session_id
    left join exits on session_events.session_id = exits.session_id
    left join session_orders on session_events.session_id = session_orders.session_id
    left join funnel_stages on session_events.session_id = funnel_stages.session_id
),

-- the metric definitions, in one place (docs: metric_engaged_session, metric_bounce_rate)
engagement as (
    select
        *,
        duration_s >= {{ var('clickstream__engaged_min_seconds') }}
        or page_views >= {{ var('clickstream__engaged_min_page_views') }}
        or is_converted as is_engaged
    from joined
),

sessions as (
    select
        session_id,
        visitor_id,
        visitor_session_number,
        visitor_session_number = 1 as is_first_session,
        anonymous_ids,
        user_id,
        started_at,
        ended_at,
        duration_s,
        events,
        page_views,
        product_views,
        searches,
        add_to_carts,
        checkouts,
        purchase_events,
        orders,
        revenue,
        is_converted,
        is_engaged,
        not is_engaged as is_bounced,
        closed_funnel_stage,
        landing_page_path,
        exit_page_path,
        channel,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country,
        browser,
        os,
        client_sessions,
        client_session_ids,
        first_client_session_id,
        client_sessions > 1 as has_client_session_mismatch,
        is_bot,
        _resessionized_from_at,
        _sessionized_at
    from engagement
)

select * from sessions
