{# A select of each order's first copy (the purchase event that counts) for the orders in `batch`, per visitor. #}
{% macro first_order_copies(batch) -%}
    {#- A purchase sent twice (same order_id) counts once, at its first copy by event time. An incremental batch
        holds only the redone sessions, so the first copy is looked for among all the visitor's purchases:
        it may be in an earlier session the batch did not redo (the caller then keeps only copies inside
        the batch). Read through the visitor_id index: a join alone lets the planner scan every event. -#}
    select distinct on (copies.visitor_id, copies.order_id)
        copies.event_id,
        copies.event_at,
        copies.session_id,
        copies.session_started_at,
        copies.visitor_id,
        copies.anonymous_id,
        copies.order_id,
        copies.order_revenue,
        copies.order_items,
        copies._resessionized_from_at,
        copies._sessionized_at
    {%- if is_incremental() %}
    from {{ ref('int_events_sessionized') }} as copies
    inner join (
        select distinct
            batch_purchases.visitor_id,
            batch_purchases.order_id
        from {{ batch }} as batch_purchases
        where batch_purchases.event_type = 'purchase' and batch_purchases.order_id is not null
    ) as batch_orders
        on copies.visitor_id = batch_orders.visitor_id and copies.order_id = batch_orders.order_id
    where
        copies.event_type = 'purchase'
        and copies.visitor_id = any(array(
            select batch_buyers.visitor_id from {{ batch }} as batch_buyers
            where batch_buyers.event_type = 'purchase' and batch_buyers.order_id is not null
        ))
    {%- else %}
    from {{ batch }} as copies
    where copies.event_type = 'purchase' and copies.order_id is not null
    {%- endif %}
    order by copies.visitor_id, copies.order_id, copies.event_at, copies.event_id
{%- endmacro %}
