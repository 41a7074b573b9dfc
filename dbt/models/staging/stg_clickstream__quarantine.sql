with

source as (
    select * from {{ source('clickstream', 'quarantine') }}
),

renamed as (
    select
        md5(_source_key || ':' || _line_no::text) as quarantined_line_key,
        reason as quarantine_reason,
        raw_line,
        _load_id,
        _loaded_at,
        _source_key,
        _line_no
    from source
)

select * from renamed
