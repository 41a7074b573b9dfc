{# The one late-data rule: take rows loaded since the newest one held, minus clickstream__lookback_hours. #}
{% macro incremental_window(column, watermark_column=none) -%}
    {#- Loader runs stamp _loaded_at when their transaction starts, so a long or concurrent load can commit rows
        older than the current high-water mark: reprocessing a few hours catches them, and every incremental
        model here is idempotent over its batch. -#}
    {{ column }} >= (
        select coalesce(max({{ watermark_column or column }}), '-infinity'::timestamptz)
        from {{ this }}
    ) - interval '{{ var("clickstream__lookback_hours") | int }} hours'
{%- endmacro %}
