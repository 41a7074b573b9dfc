{# post_hook of the large incremental tables: an index over the rows that match `predicate` only, which dbt's
   `indexes` config cannot make. It costs a scan of the table, not a sort of all its rows. A full build makes it
   again: the name may still be held by the table it replaces. #}
{% macro partial_index(name, columns, predicate) -%}
    {%- if not is_incremental() %}
    drop index if exists {{ this.schema }}.{{ this.identifier }}__{{ name }};
    {%- endif %}
    create index if not exists {{ this.identifier }}__{{ name }}
    on {{ this }} ({{ columns | join(', ') }}) where {{ predicate }}
{%- endmacro %}
