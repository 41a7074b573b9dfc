with

source as (
    select * from {{ source('ops', 'load_runs') }}
),

renamed as (
    select
        load_id,
        started_at,
        finished_at,
        status as load_status,
        source_uri,
        since_at,
        until_at,
        objects as objects_loaded,
        rows as rows_loaded,
        bytes as bytes_loaded,
        quarantined as rows_quarantined,
        rejected as rows_rejected,
        failed_objects,
        error as load_error
    from source
)

select * from renamed
