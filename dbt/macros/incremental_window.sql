{# The one late-data rule: take rows loaded since the newest one held, minus clickstream__lookback_hours. #}
{% macro incremental_window(column, watermark_column=none, newest_rows_filter=none) -%}
    {#- Loader runs stamp _loaded_at when their transaction starts, so a long or concurrent load can commit rows
        older than the current high-water mark: reprocessing a few hours catches them, and every incremental
        model here is idempotent over its batch. The bound is looked up before the model runs and written in as
        a literal: PostgreSQL then estimates the batch from its statistics (a handful of rows, read through the
        index) instead of guessing a third of the table for a subquery it cannot see into. newest_rows_filter
        narrows where the high-water mark is looked for, when an index finds those rows and none finds it. -#}
    {%- set since_sql -%}
        select (
            coalesce(max({{ watermark_column or column.split('.')[-1] }}), '-infinity'::timestamptz)
            - interval '{{ var("clickstream__lookback_hours") | int }} hours'
        )::text
        from {{ this }}
        {%- if newest_rows_filter %}
        where {{ newest_rows_filter }}
        {%- endif %}
    {%- endset -%}
    {%- if execute -%}
        {{ column }} >= '{{ run_query(since_sql).columns[0].values()[0] }}'::timestamptz
    {%- else -%}
        {{ column }} >= ({{ since_sql }})
    {%- endif -%}
{%- endmacro %}
