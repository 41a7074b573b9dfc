{# Incremental strategy sum_changes: add each batch row's measures onto the row with the same unique_key. #}
{% macro get_incremental_sum_changes_sql(arg_dict) -%}
    {#- The batch holds signed sums (changes_since_last_run); every column but the unique_key and the
        `recomputed_columns` (config: kept as they are on an existing row, a post_hook keeps them right) is a
        measure. A row whose measures all come to zero holds nothing and goes, so the table equals a full
        build. On a rebuild (change_window) the table is emptied first. -#}
    {%- set target_relation = arg_dict["target_relation"] -%}
    {%- set temp_relation = arg_dict["temp_relation"] -%}
    {%- set keys = config.require("unique_key") -%}
    {%- set recomputed = config.get("recomputed_columns", []) -%}
    {%- set columns = arg_dict["dest_columns"] | map(attribute="name") | list -%}
    {%- set measures = columns | reject("in", keys) | reject("in", recomputed) | list -%}
    {%- set assignments = [] -%}
    {%- for column in measures -%}
        {%- do assignments.append(column ~ " = target." ~ column ~ " + excluded." ~ column) -%}
    {%- endfor -%}
    {%- set emptied = make_temp_relation(target_relation, "__emptied") -%}
    {%- if change_window().mode == 'rebuild' %}
    delete from {{ target_relation }};
    {%- endif %}
    -- made by a full build (record_changes_watermark); here for a table built before it was
    create unique index if not exists {{ target_relation.identifier }}__unique_key
    on {{ target_relation }} ({{ keys | join(", ") }}) nulls not distinct;

    drop table if exists {{ emptied }};
    create temporary table {{ emptied }} (row_ctid tid);

    with upserted as (
        insert into {{ target_relation }} as target ({{ columns | join(", ") }})
        select {{ columns | join(", ") }}
        from {{ temp_relation }}
        -- a session taken back and added again unchanged (its visitor was redone) changes nothing
        where not (
            {%- for column in measures %}
            {{ column }} = 0{{ " and" if not loop.last }}
            {%- endfor %}
        )
        on conflict ({{ keys | join(", ") }}) do update set
            {{ assignments | join(",\n            ") }}
        returning
            target.ctid as row_ctid,
            {%- for column in measures %}
            target.{{ column }} = 0{{ " and" if not loop.last }}
            {%- endfor %} as is_empty
    )
    insert into {{ emptied }}
    select row_ctid from upserted
    where is_empty;

    delete from {{ target_relation }}
    where ctid = any(array(select row_ctid from {{ emptied }}))
{%- endmacro %}
