with

source as (
    select * from {{ source('ops', 'dbt_node_results') }}
),

renamed as (
    select
        invocation_id || ':' || unique_id as node_result_key,
        invocation_id,
        unique_id as node_unique_id,
        resource_type,
        status as node_status,
        failures,
        message as node_message,
        execution_time_s
    from source
)

select * from renamed
