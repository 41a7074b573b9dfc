{# Rows int_events_sessionized (re)stamped after the newest _sessionized_at this model holds; all on a full build. #}
{% macro sessionized_since_last_run(column='_sessionized_at') -%}
    {#- The stamp is a looked-up literal, so the batch is estimated and read through the _sessionized_at index. -#}
    {%- if is_incremental() -%}
        {%- set newest_sql -%}
            select coalesce(max(watermark._sessionized_at), '-infinity'::timestamptz)::text
            from {{ this }} as watermark
        {%- endset -%}
        {{ column }} > {{ looked_up_literal(newest_sql, 'timestamptz') }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
