{{ config(indexes=[{'columns': ['date_day']}]) }}

with

events as (
    select
        session_id,
        event_type,
        event_at
    from {{ ref('int_events_sessionized') }}
    where
        (event_type = 'view' and product_id is not null)
        or event_type in ('add_to_cart', 'checkout', 'purchase')
),

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

-- open funnel: when a session first reached each stage, in any order
stage_firsts as (
    select
        session_id,
        min(event_at) filter (where event_type = 'view') as product_viewed_at,
        min(event_at) filter (where event_type = 'add_to_cart') as added_to_cart_at,
        min(event_at) filter (where event_type = 'checkout') as checked_out_at,
        min(event_at) filter (where event_type = 'purchase') as purchased_at
    from events
    group by session_id
),

-- closed funnel: each stage counts only after the previous stage was reached in the same session
closed_add_to_cart as (
    select
        events.session_id,
        min(events.event_at) as added_to_cart_at
    from events
    inner join stage_firsts on events.session_id = stage_firsts.session_id
    where events.event_type = 'add_to_cart' and events.event_at >= stage_firsts.product_viewed_at
    group by events.session_id
),

closed_checkout as (
    select
        events.session_id,
        min(events.event_at) as checked_out_at
    from events
    inner join closed_add_to_cart on events.session_id = closed_add_to_cart.session_id
    where events.event_type = 'checkout' and events.event_at >= closed_add_to_cart.added_to_cart_at
    group by events.session_id
),

closed_purchase as (
    select
        events.session_id,
        min(events.event_at) as purchased_at
    from events
    inner join closed_checkout on events.session_id = closed_checkout.session_id
    where events.event_type = 'purchase' and events.event_at >= closed_checkout.checked_out_at
    group by events.session_id
),

session_stages as (
    select
        sessions.started_at::date as date_day,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        stage_firsts.product_viewed_at is not null as has_product_view,
        stage_firsts.added_to_cart_at is not null as has_add_to_cart,
        stage_firsts.checked_out_at is not null as has_checkout,
        stage_firsts.purchased_at is not null as has_purchase,
        closed_add_to_cart.session_id is not null as has_closed_add_to_cart,
        closed_checkout.session_id is not null as has_closed_checkout,
        closed_purchase.session_id is not null as has_closed_purchase
    from sessions
    left join stage_firsts on sessions.session_id = stage_firsts.session_id
    left join closed_add_to_cart on sessions.session_id = closed_add_to_cart.session_id
    left join closed_checkout on sessions.session_id = closed_checkout.session_id
    left join closed_purchase on sessions.session_id = closed_purchase.session_id
),

daily as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        count(*) as sessions,
        count(*) filter (where has_product_view) as product_view_sessions,
        count(*) filter (where has_add_to_cart) as add_to_cart_sessions,
        count(*) filter (where has_checkout) as checkout_sessions,
        count(*) filter (where has_purchase) as purchase_sessions,
        count(*) filter (where has_product_view) as closed_product_view_sessions,
        count(*) filter (where has_closed_add_to_cart) as closed_add_to_cart_sessions,
        count(*) filter (where has_closed_checkout) as closed_checkout_sessions,
        count(*) filter (where has_closed_purchase) as closed_purchase_sessions
    from session_stages
    group by 1, 2, 3, 4, 5
)

select * from daily
