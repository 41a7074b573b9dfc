-- Assert that, in every row of the closed funnel, no stage has more sessions than the stage before it.
with

funnel as (
    select * from {{ ref('rpt_funnel_daily') }}
),

increases as (
    select *
    from funnel
    where
        closed_product_view_sessions > sessions
        or closed_add_to_cart_sessions > closed_product_view_sessions
        or closed_checkout_sessions > closed_add_to_cart_sessions
        or closed_purchase_sessions > closed_checkout_sessions
        or purchase_sessions < closed_purchase_sessions
)

select * from increases
