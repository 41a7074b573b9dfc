{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['category']}]) }}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
    where product_id is not null or event_type = 'purchase'
),

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

product_events as (
    select
        event_at::date as date_day,
        session_id,
        product_id,
        event_type,
        1 as quantity,
        0::numeric(14, 2) as line_revenue
    from events
    where event_type in ('view', 'add_to_cart', 'remove_from_cart') and product_id is not null
),

-- purchases count per order line, once per order (the first copy of a purchase sent twice)
first_orders as (
    select distinct on (order_id)
        event_at,
        session_id,
        order_items
    from events
    where event_type = 'purchase' and order_id is not null
    order by order_id, event_at, event_id
),

order_lines as (
    select
        first_orders.event_at::date as date_day,
        first_orders.session_id,
        item ->> 'product_id' as product_id,
        'purchase' as event_type,
        coalesce((item ->> 'qty')::integer, 1) as quantity,
        (coalesce((item ->> 'qty')::integer, 1) * (item ->> 'price')::numeric(14, 2))::numeric(14, 2)
            as line_revenue
    from first_orders
    cross join lateral jsonb_array_elements(first_orders.order_items) as item
    where jsonb_typeof(first_orders.order_items) = 'array' and item ->> 'product_id' is not null
),

product_activity as (
    select * from product_events
    union all
    select * from order_lines
),

daily as (
    select
        product_activity.date_day,
        product_activity.product_id,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        count(*) filter (where product_activity.event_type = 'view') as product_views,
        count(*) filter (where product_activity.event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where product_activity.event_type = 'remove_from_cart') as remove_from_carts,
        count(*) filter (where product_activity.event_type = 'purchase') as order_lines,
        coalesce(sum(product_activity.quantity) filter (where product_activity.event_type = 'purchase'), 0)
            as units_purchased,
        coalesce(sum(product_activity.line_revenue), 0)::numeric(16, 2) as revenue,
        count(distinct product_activity.session_id) filter (where product_activity.event_type = 'view')
            as view_sessions,
        count(distinct product_activity.session_id) filter (where product_activity.event_type = 'add_to_cart')
            as add_to_cart_sessions,
        count(distinct product_activity.session_id) filter (where product_activity.event_type = 'purchase')
            as purchase_sessions
    from product_activity
    inner join sessions on product_activity.session_id = sessions.session_id
    group by 1, 2, 3, 4, 5, 6
),

final as (
    select
        daily.date_day,
        daily.product_id,
        coalesce(products.product_name, daily.product_id) as product_name,
        coalesce(products.category, 'unknown') as category,
        coalesce(products.category_level_1, 'unknown') as category_level_1,
        daily.device_type,
        daily.country,
        daily.channel,
        daily.is_bot,
        daily.product_views,
        daily.add_to_carts,
        daily.remove_from_carts,
        daily.order_lines,
        daily.units_purchased,
        daily.revenue,
        daily.view_sessions,
        daily.add_to_cart_sessions,
        daily.purchase_sessions
    from daily
    left join products on daily.product_id = products.product_id
)

select * from final
