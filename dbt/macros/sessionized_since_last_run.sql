{# Rows int_events_sessionized (re)stamped after the newest _sessionized_at this model holds; all on a full build. #}
{% macro sessionized_since_last_run(column='_sessionized_at') -%}
    {%- if is_incremental() -%}
        {{ column }} > (
            select coalesce(max(watermark._sessionized_at), '-infinity'::timestamptz)
            from {{ this }} as watermark
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
