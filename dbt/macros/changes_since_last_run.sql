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
    {#- One query: a model asks this up to four times a run (its SQL, the strategy, its hooks), and each query
        costs dbt more Python than the database time. -#}
    {%- set source_name = source.include(database=false) -%}
    {%- set window_sql -%}
        select
            (select coalesce(max(_sessionized_at), '-infinity'::timestamptz)::text from {{ source }}) as until,
            {%- if is_incremental() %}
            watermark.since,
            case
                when watermark.since is not null and watermark.source_oid = '{{ source_name }}'::regclass::oid::text
                    then watermark.since::timestamptz >= '{{ run_started_at }}'::timestamptz
                        - interval '{{ var("clickstream__replaced_rows_kept_days") | int }} days'
                    and exists (select 1 from {{ source }} where _sessionized_at <= watermark.since::timestamptz)
                else false
            end as is_usable,
            {%- else %}
            null as since,
            false as is_usable,
            {%- endif %}
            '{{ source_name }}'::regclass::oid::text as source_oid,
            {#- asked of the database: the source may have made it in this very run, after dbt cached the catalog #}
            to_regclass('{{ replaced_rows_relation(source).include(database=false) }}') is not null as has_replaced_rows
        {%- if is_incremental() %}
        from (
            select
                nullif(split_part(comment, 'changes applied through ', 2), '') as since,
                substring(comment from 'table oid ([0-9]+)') as source_oid
            from (select obj_description('{{ this.include(database=false) }}'::regclass, 'pg_class') as comment) as table_comment
        ) as watermark
        {%- endif %}
    {%- endset -%}
    {%- set found = run_query(window_sql).rows[0] -%}
    {%- set mode = 'full' if not is_incremental() else ('delta' if found[2] else 'rebuild') -%}
    {%- do return({'mode': mode, 'source': source, 'since': found[1], 'until': found[0],
                   'source_oid': found[3], 'has_replaced_rows': found[4]}) -%}
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
        {%- if window.has_replaced_rows %}
        union all
        select
            {%- for column in columns %}
            replaced_rows.{{ column }},
            {%- endfor %}
            -1 as _change_sign
        from {{ replaced_rows_relation(window.source) }} as replaced_rows
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
    comment on table {{ this }}
    is 'Sums {{ window.source.identifier }} (table oid {{ window.source_oid }}): changes applied through {{ window.until }}'
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
