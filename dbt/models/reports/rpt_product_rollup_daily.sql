{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_session_products',
        unique_key=['product_id', 'date_day', 'device_type', 'country', 'channel', 'is_bot'],
        recomputed_columns=['product_name', 'category', 'category_level_1'],
        post_hook=["{{ refresh_product_attributes() }}", "{{ record_changes_watermark() }}"],
        indexes=[{'columns': ['device_type', 'channel', 'country', 'is_bot', 'date_day']}],
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

-- the product measures of rpt_product_daily summed over the dimensions a dashboard filter leaves open (NULL =
-- all values): every combination of device, channel and human/bot, and country alone. The measures are
-- additive, so a filter with several values sums the rows of each value; a filter on country and device or
-- channel together reads rpt_product_daily itself.
rolled_up as (
    select
        date_day,
        product_id,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign * product_views)::bigint as product_views,
        sum(_change_sign * add_to_carts)::bigint as add_to_carts,
        sum(_change_sign * remove_from_carts)::bigint as remove_from_carts,
        sum(_change_sign * order_lines)::bigint as order_lines,
        sum(_change_sign * units_purchased)::bigint as units_purchased,
        sum(_change_sign * revenue)::numeric(16, 2) as revenue,
        coalesce(sum(_change_sign) filter (where product_views > 0), 0)::bigint as view_sessions,
        coalesce(sum(_change_sign) filter (where add_to_carts > 0), 0)::bigint as add_to_cart_sessions,
        coalesce(sum(_change_sign) filter (where order_lines > 0), 0)::bigint as purchase_sessions
    from product_changes
    group by
        date_day,
        product_id,
        {{ dashboard_filter_grouping_sets() }}
),

-- the product's current name and category (refresh_product_attributes updates the rows no change touched)
final as (
    select
        rolled_up.date_day,
        rolled_up.product_id,
        {{ product_attributes('products', 'rolled_up') }},
        rolled_up.device_type,
        rolled_up.country,
        rolled_up.channel,
        rolled_up.is_bot,
        rolled_up.product_views,
        rolled_up.add_to_carts,
        rolled_up.remove_from_carts,
        rolled_up.order_lines,
        rolled_up.units_purchased,
        rolled_up.revenue,
        rolled_up.view_sessions,
        rolled_up.add_to_cart_sessions,
        rolled_up.purchase_sessions
    from rolled_up
    left join products on rolled_up.product_id = products.product_id
)

-- a full build stores it in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from final
order by device_type, channel, country, is_bot, date_day, product_id
