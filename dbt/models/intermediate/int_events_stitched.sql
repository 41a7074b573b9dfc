{{ config(materialized='view') }}

with

events as (
    select * from {{ ref('int_events_deduped') }}
    where event_type <> 'delivery_report'
),

identities as (
    select * from {{ ref('int_anonymous_ids_stitched') }}
),

-- visitor_id: the user logged in on the event itself, else the user its browser logged in as (for
-- anonymous events within the restatement window before that login, and any time after), else the browser
stitched as (
    select
        case
            when events.user_id is not null then events.user_id
            when events.event_at >= identities.restated_from_at then identities.user_id
            else events.anonymous_id
        end as visitor_id,
        events.*
    from events
    left join identities on events.anonymous_id = identities.anonymous_id
)

select * from stitched
