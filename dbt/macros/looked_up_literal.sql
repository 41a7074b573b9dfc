{# The single value `sql` returns, run now and written in as a literal of `type`. #}
{% macro looked_up_literal(sql, type) -%}
    {#- A bound written in as a literal lets PostgreSQL estimate the rows it selects from its statistics and
        read them through an index; a subquery it cannot see into is guessed at a third of the table. At parse
        time (no database) the subquery itself stands in. -#}
    {%- if execute -%}
        '{{ run_query(sql).columns[0].values()[0] }}'::{{ type }}
    {%- else -%}
        ({{ sql }})::{{ type }}
    {%- endif -%}
{%- endmacro %}
