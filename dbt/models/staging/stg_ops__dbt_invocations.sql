with

source as (
    select * from {{ source('ops', 'dbt_invocations') }}
),

renamed as (
    select
        invocation_id,
        load_id,
        command as dbt_command,
        started_at,
        finished_at,
        success as is_success,
        error as invocation_error
    from source
)

select * from renamed
