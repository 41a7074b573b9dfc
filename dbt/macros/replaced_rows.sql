{# Where replace_visitors keeps the rows it replaces: <model>__replaced, the model's columns plus _replaced_at. #}
{% macro replaced_rows_relation(relation) -%}
    {%- do return(api.Relation.create(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier ~ '__replaced',
        type='table',
    )) -%}
{%- endmacro %}

{# SQL that readies <model>__replaced for this run's replaced rows (config keep_replaced_rows=true). #}
{% macro prepare_replaced_rows(target_relation) -%}
    {#- Models that sum over the model (changes_since_last_run) subtract what they once added from these rows.
        A row is kept for clickstream__replaced_rows_kept_days; a summing model that has not run for that long
        rebuilds itself. The table is made again when the model's columns changed (after a full refresh). -#}
    {%- set replaced = replaced_rows_relation(target_relation) -%}
    {%- set expected = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list
        + ['_replaced_at'] -%}
    {%- set exists = run_query(
        "select to_regclass('" ~ replaced.include(database=false) ~ "') is not null").columns[0].values()[0] -%}
    {%- if not exists or (adapter.get_columns_in_relation(replaced) | map(attribute='name') | list) != expected %}
    drop table if exists {{ replaced }};
    create table {{ replaced }} as
    select target.*, null::timestamptz as _replaced_at
    from {{ target_relation }} as target
    with no data;
    create index on {{ replaced }} (_replaced_at);
    {%- else %}
    delete from {{ replaced }}
    where _replaced_at < '{{ run_started_at }}'::timestamptz
        - interval '{{ var("clickstream__replaced_rows_kept_days") | int }} days';
    {%- endif %}
{%- endmacro %}
