{# Models that sum the rows of another model (config change_source) apply only its changes since their last run. #}

{#- How far this model got, and whether it can add changes or must be made again:
    {'mode': 'full' | 'rebuild' | 'delta', 'source': relation, 'since': stamp text, 'until': stamp text}.
    A model's watermark is the source's newest _sessionized_at it has summed, kept in its table comment
    (record_changes_watermark), with the source table's oid. It is rebuilt from the whole source when it has
    no watermark, when the source was built again since (another table, or no row of it as old as the
    watermark) or when it has not run for longer than clickstream__replaced_rows_kept_days (the rows it would
    have to take back are gone). -#}
{% macro change_window(source=none) -%}
    {%- if not execute -%}
        {%- do return({'mode': 'full', 'source': source, 'since': none, 'until': none}) -%}
    {%- endif -%}
    {#- the strategy and the post_hook find the source by the model's config change_source -#}
    {%- if source is none -%}
        {%- set source = ref(config.require('change_source')) -%}
    {%- elif source.identifier != config.require('change_source') -%}
        {%- do exceptions.raise_compiler_error(
            this.identifier ~ ": config change_source must name " ~ source.identifier ~ ", the model it sums") -%}
    {%- endif -%}
    {%- set until = run_query(
        "select coalesce(max(_sessionized_at), '-infinity'::timestamptz)::text from " ~ source
    ).columns[0].values()[0] -%}
    {%- if not is_incremental() -%}
        {%- do return({'mode': 'full', 'source': source, 'since': none, 'until': until}) -%}
    {%- endif -%}
    {%- set since_sql -%}
        select
            nullif(split_part(watermark.comment, 'changes applied through ', 2), ''),
            substring(watermark.comment from 'table oid ([0-9]+)') = '{{ source.include(database=false) }}'::regclass::oid::text
        from (select obj_description('{{ this.include(database=false) }}'::regclass, 'pg_class') as comment) as watermark
    {%- endset -%}
    {%- set watermark = run_query(since_sql).rows[0] -%}
    {%- set since = watermark[0] -%}
    {%- set mode = 'rebuild' -%}
    {%- if since and watermark[1] -%}
        {%- set usable_sql -%}
            select
                '{{ since }}'::timestamptz >= '{{ run_started_at }}'::timestamptz
                    - interval '{{ var("clickstream__replaced_rows_kept_days") | int }} days'
                and exists (select 1 from {{ source }} where _sessionized_at <= '{{ since }}'::timestamptz)
        {%- endset -%}
        {%- if run_query(usable_sql).columns[0].values()[0] -%}
            {%- set mode = 'delta' -%}
        {%- endif -%}
    {%- endif -%}
    {%- do return({'mode': mode, 'source': source, 'since': since, 'until': until}) -%}
{%- endmacro %}

{# The source's rows to sum, each with _change_sign: +1 to add, -1 to take back. #}
{% macro changes_since_last_run(source=none) -%}
    {#- On a full build or a rebuild: every row, +1. Otherwise the rows stamped since the watermark (+1) and the
        rows replace_visitors replaced since then that this model had summed before (-1, kept in
        <source>__replaced; missing until the source's first incremental run, when none was replaced). -#}
    {%- if not execute -%}
    (select *, 1 as _change_sign from {{ source or ref(config.require('change_source')) }})
    {%- else -%}
    {%- set window = change_window(source) -%}
    {%- if window.mode == 'delta' -%}
        {%- set columns = adapter.get_columns_in_relation(window.source) | map(attribute='quoted') | list -%}
    (
        select
            {%- for column in columns %}
            current_rows.{{ column }},
            {%- endfor %}
            1 as _change_sign
        from {{ window.source }} as current_rows
        where
            current_rows._sessionized_at > '{{ window.since }}'::timestamptz
            and current_rows._sessionized_at <= '{{ window.until }}'::timestamptz
        {%- set replaced = replaced_rows_relation(window.source) %}
        {#- asked of the database: the source may have made it in this very run, after dbt cached the catalog #}
        {%- if run_query("select to_regclass('" ~ replaced.include(database=false) ~ "') is not null").columns[0].values()[0] %}
        union all
        select
            {%- for column in columns %}
            replaced_rows.{{ column }},
            {%- endfor %}
            -1 as _change_sign
        from {{ replaced }} as replaced_rows
        where
            replaced_rows._replaced_at > '{{ window.since }}'::timestamptz
            and replaced_rows._replaced_at <= '{{ window.until }}'::timestamptz
            and replaced_rows._sessionized_at <= '{{ window.since }}'::timestamptz
        {%- endif %}
    )
    {%- else -%}
    (
        select
            current_rows.*,
            1 as _change_sign
        from {{ window.source }} as current_rows
        where current_rows._sessionized_at <= '{{ window.until }}'::timestamptz
    )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{# post_hook of a summing model: the newest source stamp it now holds, in its table comment. #}
{% macro record_changes_watermark() -%}
    {#- A full build also makes the unique index the strategy sum_changes upserts on: NULL (a rollup's "all
        values") counts as a value. The index named so still on the table it replaces goes first. -#}
    {%- if not execute -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set window = change_window() -%}
    {%- if not is_incremental() %}
    drop index if exists {{ this.schema }}.{{ this.identifier }}__unique_key;
    create unique index {{ this.identifier }}__unique_key
    on {{ this }} ({{ config.require('unique_key') | join(', ') }}) nulls not distinct;
    {%- endif %}
    {%- set source_oid = run_query(
        "select '" ~ window.source.include(database=false) ~ "'::regclass::oid::text").columns[0].values()[0] %}
    comment on table {{ this }}
    is 'Sums {{ window.source.identifier }} (table oid {{ source_oid }}): changes applied through {{ window.until }}'
{%- endmacro %}

{# pre_hook of a model rebuilt per visitor from the changes of its source: drop the rows it will write again. #}
{% macro delete_changed_visitors() -%}
    {#- Every visitor with a changed session goes, including one left with no sessions (an anonymous_id whose
        events moved to the user it logged in as); the model then appends the rows of those that remain. -#}
    {%- if is_incremental() and change_window().mode == 'delta' -%}
    delete from {{ this }}
    where visitor_id = any(array(select distinct changes.visitor_id from {{ changes_since_last_run() }} as changes))
    {%- elif is_incremental() -%}
    delete from {{ this }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
