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
last_loaded_event as (
    select
        _loaded_at,
        received_at
    from deduped_events
    order by _loaded_at desc
    limit 1
),

latest_events as (
    select
        max(deduped_events._loaded_at) as last_loaded_at,
        max(deduped_events.received_at) as last_received_at,
        max(deduped_events.event_at) as last_event_at
    from deduped_events
    where deduped_events._loaded_at >= (select last_loaded_event.received_at from last_loaded_event)
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
