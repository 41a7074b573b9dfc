{# Rows int_events_sessionized (re)stamped after the newest _sessionized_at this model holds; all on a full build. #}
{% macro sessionized_since_last_run(column='_sessionized_at') -%}
    {#- The stamp is looked up first and written in as a literal, so PostgreSQL estimates the batch from its
        statistics and reads it through the _sessionized_at index (see incremental_window). -#}
    {%- if is_incremental() -%}
        {%- set newest_sql -%}
            select coalesce(max(watermark._sessionized_at), '-infinity'::timestamptz)::text
            from {{ this }} as watermark
        {%- endset -%}
        {%- if execute -%}
            {{ column }} > '{{ run_query(newest_sql).columns[0].values()[0] }}'::timestamptz
        {%- else -%}
            {{ column }} > ({{ newest_sql }})
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
