with

source as (
    select * from {{ source('ops', 'loaded_objects') }}
),

renamed as (
    select
        source_key,
        kind as object_kind,
        partition_hour as partition_hour_at,
        etag,
        size_bytes,
        load_id,
        loaded_at,
        rows as rows_loaded,
        quarantined as rows_quarantined,
        status as object_status,
        error as object_error
    from source
)

select * from renamed
