{{
    config(
        materialized='incremental',
        post_hook=[
            "{{ refresh_statistics() }}",
            "{{ partial_index('user_id_event_at', ['user_id', 'event_at'], 'user_id is not null') }}",
        ],
        incremental_strategy='delete+insert',
        unique_key='event_id',
        indexes=[
            {'columns': ['event_id'], 'unique': true},
            {'columns': ['anonymous_id', 'event_at']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

{#- post_hook: the (user_id, event_at) index holds only the logged-in events (a few in a hundred here), not a
    null entry for every anonymous one: a user's events are only ever looked up by their user_id. #}

with

events as (
    select * from {{ ref('stg_clickstream__events') }}
),

{% if is_incremental() %}

new_copies as (
    select * from events
    where {{ incremental_window('_loaded_at') }}
),

-- an earlier-received copy loaded late must replace the copy kept so far, so both compete again
candidates as (
    select * from new_copies
    union all
    select kept.*
    from {{ this }} as kept
    where kept.event_id in (select new_copies.event_id from new_copies)
),

{% else %}

candidates as (
    select * from events
),

{% endif %}

-- keep the first received copy of each event_id (ties: first loaded, then position in the raw store)
first_copies as (
    select distinct on (event_id) *
    from candidates
    order by event_id, received_at, _loaded_at, _source_key, _line_no
)

{% if is_incremental() %}

-- a copy already kept (read again inside the lookback) is left as it is: no rewrite, and the models downstream
-- do not take it for a new event
select * from first_copies
where
    not exists (
        select 1 from {{ this }} as kept
        where
            kept.event_id = first_copies.event_id
            and kept._source_key = first_copies._source_key
            and kept._line_no = first_copies._line_no
    )

{% else %}

select * from first_copies

{% endif %}
