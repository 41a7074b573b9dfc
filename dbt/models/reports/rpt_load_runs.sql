{{ config(indexes=[{'columns': ['started_at']}]) }}

with

load_runs as (
    select * from {{ ref('stg_ops__load_runs') }}
),

runs as (
    select
        load_id,
        started_at,
        finished_at,
        started_at::date as date_day,
        load_status,
        extract(epoch from finished_at - started_at)::numeric(12, 3) as duration_s,
        objects_loaded,
        rows_loaded,
        bytes_loaded,
        rows_quarantined,
        rows_rejected,
        failed_objects,
        load_error
    from load_runs
)

select * from runs
