{{
    config(
        materialized='incremental',
        incremental_strategy='sum_changes',
        change_source='int_sessions_aggregated',
        unique_key=['date_day', 'device_type', 'country', 'channel', 'is_bot'],
        post_hook="{{ record_changes_watermark() }}",
        indexes=[{'columns': ['date_day']}],
    )
}}

-- the funnel stages are per-session measures of int_sessions_aggregated (docs: metric_funnel)
with

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

daily as (
    select
        started_at::date as date_day,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign) as sessions,
        coalesce(sum(_change_sign) filter (where product_views > 0), 0) as product_view_sessions,
        coalesce(sum(_change_sign) filter (where add_to_carts > 0), 0) as add_to_cart_sessions,
        coalesce(sum(_change_sign) filter (where checkouts > 0), 0) as checkout_sessions,
        coalesce(sum(_change_sign) filter (where purchase_events > 0), 0) as purchase_sessions,
        coalesce(sum(_change_sign) filter (where closed_funnel_stage >= 1), 0) as closed_product_view_sessions,
        coalesce(sum(_change_sign) filter (where closed_funnel_stage >= 2), 0) as closed_add_to_cart_sessions,
        coalesce(sum(_change_sign) filter (where closed_funnel_stage >= 3), 0) as closed_checkout_sessions,
        coalesce(sum(_change_sign) filter (where closed_funnel_stage >= 4), 0) as closed_purchase_sessions
    from session_changes
    group by 1, 2, 3, 4, 5
)

select * from daily
