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

{# post_hook of int_events_sessionized: a partial index on order_id over its purchases (about one event in a
   hundred), for fct_orders' incremental runs. A full build makes it again: the name may still be held by the
   table it replaces. #}
{% macro purchase_order_id_index() -%}
    {%- if not is_incremental() %}
    drop index if exists {{ this.schema }}.{{ this.identifier }}__purchase_order_id;
    {%- endif %}
    create index if not exists {{ this.identifier }}__purchase_order_id
    on {{ this }} (order_id) where event_type = 'purchase' and order_id is not null
{%- endmacro %}
