{# The orders with a purchase copy int_events_sessionized (re)stamped since fct_orders' last run, as an array. #}
{% macro resessionized_order_ids() -%}
    {#- Read through the partial index on order_id that int_events_sessionized makes (post_hook). -#}
    array(
        select distinct changed.order_id
        from {{ ref('int_events_sessionized') }} as changed
        where
            changed.event_type = 'purchase'
            and changed.order_id is not null
            and {{ sessionized_since_last_run('changed._sessionized_at') }}
    )
{%- endmacro %}
