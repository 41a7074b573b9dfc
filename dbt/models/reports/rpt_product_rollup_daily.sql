{{ config(indexes=[{'columns': ['device_type', 'channel', 'country', 'is_bot', 'date_day']}]) }}

with

product_days as (
    select * from {{ ref('rpt_product_daily') }}
),

-- rpt_product_daily summed over the dimensions a dashboard filter leaves open (NULL = all values): every
-- combination of device, channel and human/bot, and country alone. The measures are additive, so a filter
-- with several values sums the rows of each value; a filter on country and device or channel together
-- reads rpt_product_daily itself.
rolled_up as (
    select
        date_day,
        product_id,
        product_name,
        category,
        category_level_1,
        device_type,
        country,
        channel,
        is_bot,
        sum(product_views)::bigint as product_views,
        sum(add_to_carts)::bigint as add_to_carts,
        sum(remove_from_carts)::bigint as remove_from_carts,
        sum(order_lines)::bigint as order_lines,
        sum(units_purchased)::bigint as units_purchased,
        sum(revenue)::numeric(16, 2) as revenue,
        sum(view_sessions)::bigint as view_sessions,
        sum(add_to_cart_sessions)::bigint as add_to_cart_sessions,
        sum(purchase_sessions)::bigint as purchase_sessions
    from product_days
    group by
        date_day,
        product_id,
        product_name,
        category,
        category_level_1,
        {{ dashboard_filter_grouping_sets() }}
)

-- stored in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from rolled_up
order by device_type, channel, country, is_bot, date_day, product_id
