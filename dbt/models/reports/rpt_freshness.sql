with

deduped_events as (
    select * from {{ ref('int_events_deduped') }}
),

load_runs as (
    select * from {{ ref('stg_ops__load_runs') }}
),

invocations as (
    select * from {{ ref('stg_ops__dbt_invocations') }}
),

-- the newest received event was loaded after it was received, so after the receipt of any event: looking
-- from the receipt of the last loaded event on finds it by the _loaded_at index, not by reading every event
latest_events as (
    select
        max(_loaded_at) as last_loaded_at,
        max(received_at) as last_received_at,
        max(event_at) as last_event_at
    from deduped_events
    where _loaded_at >= {{ looked_up_literal(
        "select coalesce((select received_at from " ~ ref('int_events_deduped')
        ~ " order by _loaded_at desc limit 1), '-infinity')::text", 'timestamptz') }}
),

latest_loads as (
    select
        max(started_at) as last_load_started_at,
        max(finished_at) filter (where load_status = 'succeeded') as last_load_succeeded_at
    from load_runs
),

latest_transforms as (
    select max(finished_at) filter (where is_success) as last_dbt_succeeded_at
    from invocations
),

freshness as (
    select
        latest_events.last_loaded_at,
        latest_events.last_received_at,
        latest_events.last_event_at,
        latest_loads.last_load_started_at,
        latest_loads.last_load_succeeded_at,
        latest_transforms.last_dbt_succeeded_at,
        '{{ run_started_at }}'::timestamptz as built_at
    from latest_events
    cross join latest_loads
    cross join latest_transforms
)

select * from freshness
