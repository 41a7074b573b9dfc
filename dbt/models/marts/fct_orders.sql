-- depends_on: {{ ref('int_events_sessionized') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where order_id = any({{ resessionized_order_ids() }}){% endif %}",
        indexes=[
            {'columns': ['order_id'], 'unique': true},
            {'columns': ['ordered_at']},
            {'columns': ['_sessionized_at']},
        ],
    )
}}

with

purchases as (
    select * from {{ ref('fct_events') }}
    where
        event_type = 'purchase' and order_id is not null
        {%- if is_incremental() %}
        -- an incremental run redoes the orders with a copy (re)sessionized since the last one, from all their
        -- copies; the pre_hook deleted them (also those that are now left out, as bot orders)
        and order_id = any({{ resessionized_order_ids() }})
        {%- endif %}
),

-- a purchase sent twice counts once: the first copy by event time wins
first_purchases as (
    select distinct on (order_id)
        order_id,
        event_id as purchase_event_id,
        event_at as ordered_at,
        event_date as order_date,
        session_id,
        visitor_id,
        user_id,
        order_revenue as revenue,
        currency,
        device_type,
        country
    from purchases
    order by order_id, event_at, event_id
),

purchase_copies as (
    select
        order_id,
        count(*) as purchase_events,
        max(_sessionized_at) as _sessionized_at
    from purchases
    group by order_id
),

orders as (
    select
        first_purchases.*,
        purchase_copies.purchase_events,
        purchase_copies._sessionized_at
    from first_purchases
    inner join purchase_copies on first_purchases.order_id = purchase_copies.order_id
)

select * from orders
