-- Assert that every deduplicated human event (delivery reports aside) lands in exactly one session that exists.
with

deduped_events as (
    select event_id
    from {{ ref('int_events_deduped') }}
    where event_type <> 'delivery_report' and not is_bot
),

placements as (
    select
        sessionized.event_id,
        count(*) as sessions
    from {{ ref('int_events_sessionized') }} as sessionized
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on sessionized.session_id = sessions.session_id
    group by sessionized.event_id
),

misplaced as (
    select
        deduped_events.event_id,
        coalesce(placements.sessions, 0) as sessions
    from deduped_events
    left join placements on deduped_events.event_id = placements.event_id
    where coalesce(placements.sessions, 0) <> 1
)

select * from misplaced
