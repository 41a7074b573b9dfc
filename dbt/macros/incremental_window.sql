{# The one late-data rule: take rows loaded since the newest one held, minus clickstream__lookback_hours. #}
{% macro incremental_window(column, watermark_column=none, newest_rows_filter=none) -%}
    {#- Loader runs stamp _loaded_at when their transaction starts, so a long or concurrent load can commit rows
        older than the current high-water mark: reprocessing a few hours catches them, and every incremental
        model here is idempotent over its batch. The bound is a looked-up literal (looked_up_literal).
        newest_rows_filter narrows where the high-water mark is looked for, when an index finds those rows and
        none finds it. -#}
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
    {{ column }} >= {{ looked_up_literal(since_sql, 'timestamptz') }}
{%- endmacro %}
