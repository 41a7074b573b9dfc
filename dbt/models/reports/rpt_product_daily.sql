{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['category']}]) }}

with

session_products as (
    select * from {{ ref('int_session_products') }}
),

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

daily as (
    select
        session_products.date_day,
        session_products.product_id,
        sessions.device_type,
        sessions.country,
        sessions.channel,
        sessions.is_bot,
        sum(session_products.product_views) as product_views,
        sum(session_products.add_to_carts) as add_to_carts,
        sum(session_products.remove_from_carts) as remove_from_carts,
        sum(session_products.order_lines) as order_lines,
        sum(session_products.units_purchased) as units_purchased,
        sum(session_products.revenue)::numeric(16, 2) as revenue,
        count(*) filter (where session_products.product_views > 0) as view_sessions,
        count(*) filter (where session_products.add_to_carts > 0) as add_to_cart_sessions,
        count(*) filter (where session_products.order_lines > 0) as purchase_sessions
    from session_products
    inner join sessions on session_products.session_id = sessions.session_id
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
