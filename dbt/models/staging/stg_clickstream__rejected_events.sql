with

source as (
    select * from {{ source('clickstream', 'rejected_events') }}
),

renamed as (
    select
        md5(_source_key || ':' || _line_no::text) as rejected_event_key,
        received_at,
        request_id,
        reason as rejected_reason,
        error as rejected_error,
        event_index,
        event_id as claimed_event_id,
        payload,
        _load_id,
        _loaded_at,
        _source_key,
        _line_no
    from source
)

select * from renamed
