-- Assert that fct_orders holds each order once, with the revenue of its first purchase event, and nothing else.
with

purchases as (
    select
        order_id,
        order_revenue,
        row_number() over (partition by order_id order by event_at, event_id) as copy_number
    from {{ ref('fct_events') }}
    where event_type = 'purchase' and order_id is not null
),

expected as (
    select
        order_id,
        order_revenue as revenue
    from purchases
    where copy_number = 1
),

differences as (
    select
        coalesce(expected.order_id, orders.order_id) as order_id,
        expected.revenue as expected_revenue,
        orders.revenue as order_revenue
    from expected
    full outer join {{ ref('fct_orders') }} as orders on expected.order_id = orders.order_id
    where expected.revenue is distinct from orders.revenue
)

select * from differences
