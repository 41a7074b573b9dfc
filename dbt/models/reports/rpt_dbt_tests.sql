{{ config(indexes=[{'columns': ['started_at']}]) }}

with

invocations as (
    select * from {{ ref('stg_ops__dbt_invocations') }}
),

node_results as (
    select * from {{ ref('stg_ops__dbt_node_results') }}
),

tests as (
    select
        node_results.node_result_key,
        node_results.invocation_id,
        invocations.started_at,
        invocations.started_at::date as date_day,
        invocations.dbt_command,
        node_results.node_unique_id,
        node_results.resource_type,
        node_results.node_status,
        coalesce(node_results.failures, 0) as failures,
        node_results.node_message,
        node_results.execution_time_s
    from node_results
    inner join invocations on node_results.invocation_id = invocations.invocation_id
    where node_results.resource_type in ('test', 'unit_test')
)

select * from tests
