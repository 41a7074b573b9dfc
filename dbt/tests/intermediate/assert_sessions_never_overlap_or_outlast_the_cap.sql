-- Assert that a visitor's sessions never overlap and none lasts clickstream__max_session_hours or more.
with

sessions as (
    select
        visitor_id,
        session_id,
        started_at,
        ended_at,
        lag(ended_at) over (partition by visitor_id order by started_at) as previous_ended_at
    from {{ ref('int_sessions_aggregated') }}
),

violations as (
    select *
    from sessions
    where
        ended_at - started_at >= interval '{{ var("clickstream__max_session_hours") }} hours'
        or started_at <= previous_ended_at
)

select * from violations
