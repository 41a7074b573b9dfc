{{
    config(
        materialized='incremental',
        post_hook="{{ refresh_statistics() }}",
        incremental_strategy='replace_visitors',
        visitor_members='unnest(batch.anonymous_ids)',
        visitor_time_column='session_started_at',
        keep_replaced_rows=true,
        indexes=[
            {'columns': ['session_id', 'product_id', 'date_day'], 'unique': true},
            {'columns': ['visitor_id', 'session_started_at']},
            {'columns': ['_sessionized_at']},
        ],
    )
}}

-- What each session did with each product, per day of the events: the narrow input of rpt_product_daily,
-- redone with the sessions int_events_sessionized re-stamps (the same strategy as int_sessions_aggregated).
with

events as (
    select
        event_id,
        event_type,
        event_at,
        session_id,
        visitor_id,
        session_started_at,
        anonymous_id,
        product_id,
        order_id,
        order_revenue,
        order_items,
        _resessionized_from_at,
        _sessionized_at
    from {{ ref('int_events_sessionized') }}
    where
        (product_id is not null or event_type = 'purchase')
        and {{ sessionized_since_last_run() }}
),

product_events as (
    select
        event_at::date as date_day,
        session_id,
        visitor_id,
        session_started_at,
        anonymous_id,
        product_id,
        event_type,
        1 as quantity,
        0::numeric(14, 2) as line_revenue,
        _resessionized_from_at,
        _sessionized_at
    from events
    where event_type in ('view', 'add_to_cart', 'remove_from_cart') and product_id is not null
),

-- purchases count per order line, once per order: at the visitor's first copy of it
first_orders as (
    {{ first_order_copies('events') }}
),

order_lines as (
    select
        first_orders.event_at::date as date_day,
        first_orders.session_id,
        first_orders.visitor_id,
        first_orders.session_started_at,
        first_orders.anonymous_id,
        item ->> 'product_id' as product_id,
        'purchase' as event_type,
        coalesce((item ->> 'qty')::integer, 1) as quantity,
        (coalesce((item ->> 'qty')::integer, 1) * (item ->> 'price')::numeric(14, 2))::numeric(14, 2)
            as line_revenue,
        first_orders._resessionized_from_at,
        first_orders._sessionized_at
    from first_orders
    cross join lateral jsonb_array_elements(first_orders.order_items) as item
    where jsonb_typeof(first_orders.order_items) = 'array' and item ->> 'product_id' is not null
),

product_activity as (
    select * from product_events
    union all
    select * from order_lines
    -- a first copy in a session this batch did not redo belongs to that session's rows, which stay (a redone
    -- session's events all carry this run's stamp: a test on the row, not a join sized by a guess)
    where {{ sessionized_since_last_run('order_lines._sessionized_at') }}
),

session_products as (
    select
        session_id,
        product_id,
        date_day,
        min(visitor_id) as visitor_id,
        min(session_started_at) as session_started_at,
        array_agg(distinct anonymous_id) as anonymous_ids,
        count(*) filter (where event_type = 'view') as product_views,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
        count(*) filter (where event_type = 'purchase') as order_lines,
        coalesce(sum(quantity) filter (where event_type = 'purchase'), 0) as units_purchased,
        coalesce(sum(line_revenue), 0)::numeric(16, 2) as revenue,
        min(_resessionized_from_at) as _resessionized_from_at,
        max(_sessionized_at) as _sessionized_at
    from product_activity
    group by session_id, product_id, date_day
),

-- with the dimensions of the session (as int_sessions_aggregated redid it in this run), so that the reports
-- summing these rows take back a row with the dimensions it was added with
final as (
    select
        session_products.session_id,
        session_products.product_id,
        session_products.date_day,
        session_products.visitor_id,
        session_products.session_started_at,
        session_products.anonymous_ids,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        session_products.product_views,
        session_products.add_to_carts,
        session_products.remove_from_carts,
        session_products.order_lines,
        session_products.units_purchased,
        session_products.revenue,
        session_products._resessionized_from_at,
        session_products._sessionized_at
    from session_products
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on session_products.session_id = sessions.session_id
)

select * from final
