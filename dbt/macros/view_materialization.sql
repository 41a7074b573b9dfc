{#- The view materialization of dbt-postgres, except that a view whose SQL and grants have not changed since it
    was made is left as it is. dbt's own drops and re-creates every view on every run: 8 statements per view and
    an exclusive lock that a dashboard query on fct_events waits for, for a view that comes out the same, once an
    hour (the views were a quarter of a one-hour run: 6.3 s with them re-created vs 4.8 s without, at 2M
    events). The view's comment holds a fingerprint of what made it. A view dropped with a table it reads (a full
    refresh upstream drops it by cascade) has no fingerprint to match, so it is made again; so is every view on
    --full-refresh. Otherwise the same steps as dbt's view materialization (dbt-adapters 1.x). -#}
{%- materialization view, adapter='postgres' -%}

    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set fingerprint = 'clickstream view ' ~ local_md5(sql ~ tojson(grant_config)) -%}

    {%- set made_from_same_sql = false -%}
    {%- if existing_relation is not none and existing_relation.is_view and not should_full_refresh() -%}
        {%- call statement('main', fetch_result=true) -%}
            select coalesce(obj_description(
                to_regclass('{{ target_relation.include(database=false) }}'), 'pg_class'
            ) = '{{ fingerprint }}', false)
        {%- endcall -%}
        {%- set made_from_same_sql = load_result('main')['data'][0][0] -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if not made_from_same_sql -%}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {%- set backup_relation_type = 'view' if existing_relation is none else existing_relation.type -%}
        {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
        {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
        {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}

        {% call statement('main') -%}
            {{ get_create_view_as_sql(intermediate_relation, sql) }};
            comment on view {{ intermediate_relation }} is '{{ fingerprint }}'
        {%- endcall %}

        {%- if existing_relation is not none -%}
            {%- set existing_relation = load_cached_relation(existing_relation) -%}
            {%- if existing_relation is not none -%}
                {{ adapter.rename_relation(existing_relation, backup_relation) }}
            {%- endif -%}
        {%- endif -%}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}

        {%- do apply_grants(target_relation, grant_config, should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) -%}
        {%- do persist_docs(target_relation, model) -%}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {%- if not made_from_same_sql -%}
        {{ drop_relation_if_exists(backup_relation) }}
    {%- endif -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{%- endmaterialization -%}
