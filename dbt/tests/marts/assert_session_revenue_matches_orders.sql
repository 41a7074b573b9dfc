-- Assert that the revenue of all sessions equals the revenue of all orders (no order is counted twice).
with

session_revenue as (
    select coalesce(sum(revenue), 0) as revenue from {{ ref('fct_sessions') }}
),

order_revenue as (
    select coalesce(sum(revenue), 0) as revenue from {{ ref('fct_orders') }}
),

differences as (
    select
        session_revenue.revenue as session_revenue,
        order_revenue.revenue as order_revenue
    from session_revenue
    cross join order_revenue
    where session_revenue.revenue <> order_revenue.revenue
)

select * from differences
