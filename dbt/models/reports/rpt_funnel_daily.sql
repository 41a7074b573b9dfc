{{ config(indexes=[{'columns': ['date_day']}]) }}

-- the funnel stages are per-session measures of int_sessions_aggregated (docs: metric_funnel)
with

sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

daily as (
    select
        started_at::date as date_day,
        device_type,
        country,
        channel,
        is_bot,
        count(*) as sessions,
        count(*) filter (where product_views > 0) as product_view_sessions,
        count(*) filter (where add_to_carts > 0) as add_to_cart_sessions,
        count(*) filter (where checkouts > 0) as checkout_sessions,
        count(*) filter (where purchase_events > 0) as purchase_sessions,
        count(*) filter (where closed_funnel_stage >= 1) as closed_product_view_sessions,
        count(*) filter (where closed_funnel_stage >= 2) as closed_add_to_cart_sessions,
        count(*) filter (where closed_funnel_stage >= 3) as closed_checkout_sessions,
        count(*) filter (where closed_funnel_stage >= 4) as closed_purchase_sessions
    from sessions
    group by 1, 2, 3, 4, 5
)

select * from daily
