{# Incremental strategy replace_visitors: replace each visitor's rows from where the batch redid it. #}
{% macro get_incremental_replace_visitors_sql(arg_dict) -%}
    {#- A batch holds, per visitor it redoes, every row from _resessionized_from_at on (-infinity: the whole
        visitor); rows before that time stay. A visitor can also vanish: when an anonymous_id logs in, its
        anonymous events move to the user, so rows keyed on the anonymous_id must go too. The column (or
        set-returning expression) `visitor_members` names, per whole-visitor batch row, the anonymous_ids whose
        former rows it replaces; `visitor_time_column` is the time the cut applies to. With
        `keep_replaced_rows`, the deleted rows are kept in <model>__replaced (replaced_rows.sql). -#}
    {%- set target_relation = arg_dict["target_relation"] -%}
    {%- set temp_relation = arg_dict["temp_relation"] -%}
    {%- set members = config.get("visitor_members", "anonymous_id") -%}
    {%- set time_column = config.require("visitor_time_column") -%}
    {%- set keep_replaced = config.get("keep_replaced_rows", false) -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    -- the batch is a fresh temp table: statistics let the deletes use the visitor_id indexes
    analyze {{ temp_relation }};
    {%- if keep_replaced %}
    {{ prepare_replaced_rows(target_relation) }}
    {%- endif %}

    {%- set redone_rows_delete -%}
    delete from {{ target_relation }} as target
    using (
        select
            batch.visitor_id,
            min(batch._resessionized_from_at) as redone_from_at
        from {{ temp_relation }} as batch
        group by batch.visitor_id
    ) as redone
    where
        target.visitor_id = redone.visitor_id
        and target.{{ time_column }} >= redone.redone_from_at
    {%- endset %}
    {%- set left_members_delete -%}
    delete from {{ target_relation }} as target
    where
        target.visitor_id in (
            select {{ members }} from {{ temp_relation }} as batch
            where batch._resessionized_from_at = '-infinity'::timestamptz
        )
        -- a visitor redone from a later point keeps its earlier rows
        and not exists (
            select 1 from {{ temp_relation }} as batch
            where batch.visitor_id = target.visitor_id and batch._resessionized_from_at > '-infinity'::timestamptz
        )
    {%- endset %}
    {%- for delete_sql in [redone_rows_delete, left_members_delete] %}
    {%- if keep_replaced %}
    with replaced as (
    {{ delete_sql }}
    returning target.*
    )
    insert into {{ replaced_rows_relation(target_relation) }}
    -- replaced by the batch's rows: stamped as they are
    select replaced.*, (select max(batch._sessionized_at) from {{ temp_relation }} as batch) from replaced;
    {%- else %}
    {{ delete_sql }};
    {%- endif %}
    {%- endfor %}

    insert into {{ target_relation }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ temp_relation }}
{%- endmacro %}
