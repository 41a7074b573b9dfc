{# Incremental strategy replace_visitors: delete every row of the visitors a batch touches, insert the batch. #}
{% macro get_incremental_replace_visitors_sql(arg_dict) -%}
    {#- The batch holds every row of each visitor it recomputes. A visitor can also vanish: when an
        anonymous_id logs in, its anonymous events move to the user, so rows keyed on the anonymous_id
        must go too. The column (or set-returning expression) `visitor_members` names, per batch row,
        the anonymous_ids whose former rows it replaces. -#}
    {%- set target_relation = arg_dict["target_relation"] -%}
    {%- set temp_relation = arg_dict["temp_relation"] -%}
    {%- set members = config.get("visitor_members", "anonymous_id") -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    -- the batch is a fresh temp table: statistics let the delete use the visitor_id index
    analyze {{ temp_relation }};

    delete from {{ target_relation }}
    where visitor_id in (
        select batch.visitor_id from {{ temp_relation }} as batch
        union
        select {{ members }} from {{ temp_relation }} as batch
    );

    insert into {{ target_relation }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ temp_relation }}
{%- endmacro %}
