{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_session_products',
        unique_key=['product_id', 'date_day', 'device_type', 'country', 'channel', 'is_bot'],
        recomputed_columns=['product_name', 'category', 'category_level_1'],
        post_hook=["{{ refresh_product_attributes() }}", "{{ record_changes_watermark() }}"],
        indexes=[{'columns': ['date_day']}, {'columns': ['category']}],
    )
}}

with

-- session products added (+1) and taken back (-1) since the last run; all of them on a full build
product_changes as (
    select * from {{ changes_since_last_run(ref('int_session_products')) }} as session_products
),

products as (
    select * from {{ ref('dim_product') }}
),

daily as (
    select
        date_day,
        product_id,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign * product_views) as product_views,
        sum(_change_sign * add_to_carts) as add_to_carts,
        sum(_change_sign * remove_from_carts) as remove_from_carts,
        sum(_change_sign * order_lines) as order_lines,
        sum(_change_sign * units_purchased) as units_purchased,
        sum(_change_sign * revenue)::numeric(16, 2) as revenue,
        coalesce(sum(_change_sign) filter (where product_views > 0), 0) as view_sessions,
        coalesce(sum(_change_sign) filter (where add_to_carts > 0), 0) as add_to_cart_sessions,
        coalesce(sum(_change_sign) filter (where order_lines > 0), 0) as purchase_sessions
    from product_changes
    group by 1, 2, 3, 4, 5, 6
),

-- the product's current name and category (refresh_product_attributes updates the rows no change touched)
final as (
    select
        daily.date_day,
        daily.product_id,
        {{ product_attributes('products', 'daily') }},
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
