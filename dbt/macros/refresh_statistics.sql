{# post_hook of the large incremental tables: statistics for a table a full build has just made, else only for
   `columns`. The first incremental run after a full build plans its deletes and joins on them, and autovacuum
   analyzes a new table only some time later (without them, one new hour's deletes scanned whole tables). #}
{% macro refresh_statistics(columns=[]) -%}
    do $refresh_statistics$
    begin
        if (
            select coalesce(tables.last_analyze, tables.last_autoanalyze) is null
            from pg_stat_user_tables as tables
            where tables.relid = '{{ this }}'::regclass
        ) then
            analyze {{ this }};
        {%- if columns %}
        else
            analyze {{ this }} ({{ columns | join(', ') }});
        {%- endif %}
        end if;
    end
    $refresh_statistics$
{%- endmacro %}
