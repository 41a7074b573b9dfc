{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['date_day'],
        change_source='int_sessions_aggregated',
        post_hook="{{ record_changes_watermark() }}",
    )
}}

{#- A small table (one row per day) rewritten whole on every run. What is costly is only redone where it
    changed: the deduplicated events are counted again from the first day new events were received on, and
    the session counts take back the sessions replaced since the last run and add the new ones (like the
    report models that sum sessions; macros/changes_since_last_run.sql). -#}
{%- set session_window = change_window(ref('int_sessions_aggregated')) %}
{%- if is_incremental() %}
{%- set first_changed_day = looked_up_literal(
    "select coalesce(min(received_at)::date, 'infinity'::date)::text from " ~ ref('int_events_deduped')
    ~ " where " ~ incremental_window('_loaded_at', '_newest_loaded_at'), 'date') %}
{%- endif %}

with

deduped_events as (
    select * from {{ ref('int_events_deduped') }}
),

loaded_objects as (
    select * from {{ ref('stg_ops__loaded_objects') }}
),

rejected_events as (
    select * from {{ ref('stg_clickstream__rejected_events') }}
),

quarantined_lines as (
    select * from {{ ref('stg_clickstream__quarantine') }}
),

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

-- raw lines per received day, from the loader's manifest (a duplicate line counts here, not in events)
raw_lines as (
    select
        partition_hour_at::date as date_day,
        sum(rows_loaded) as raw_event_lines
    from loaded_objects
    where object_kind = 'events'
    group by 1
),

events as (
    select
        received_at::date as date_day,
        count(*) filter (where event_type <> 'delivery_report') as events,
        count(*) filter (where event_type <> 'delivery_report' and is_bot) as bot_events,
        count(*) filter (where received_at - event_at > interval '1 hour') as late_events,
        sum(extract(epoch from _loaded_at - received_at))::numeric(18, 3) as load_lag_s,
        coalesce(sum(dropped_events) filter (where event_type = 'delivery_report'), 0) as sdk_dropped_events,
        max(_loaded_at) as _newest_loaded_at
    from deduped_events
    {%- if is_incremental() %}
    -- a line is loaded after it is received: every event received since that day was loaded since then too
    where
        received_at >= {{ first_changed_day }}
        and _loaded_at >= {{ first_changed_day }}
    {%- endif %}
    group by 1
    {%- if is_incremental() %}
    union all
    select
        date_day,
        events,
        bot_events,
        late_events,
        load_lag_s,
        sdk_dropped_events,
        _newest_loaded_at
    from {{ this }}
    where date_day < {{ first_changed_day }}
    {%- endif %}
),

rejected as (
    select
        received_at::date as date_day,
        count(*) as rejected_events
    from rejected_events
    group by 1
),

quarantined as (
    select
        _loaded_at::date as date_day,
        count(*) as quarantined_lines
    from quarantined_lines
    group by 1
),

server_sessions as (
    select
        started_at::date as date_day,
        sum(_change_sign) as sessions,
        coalesce(sum(_change_sign) filter (where has_client_session_mismatch), 0) as sessions_merging_client_sessions
    from session_changes
    group by 1
),

{% if session_window.mode == 'delta' -%}
-- a client session's split depends on all the sessions of its visitor: those of the visitors with changes,
-- before (-1) and after them (+1)
client_session_rows as (
    {{ changed_visitor_sessions(
        'session_changes', session_window, ['visitor_id', 'started_at', 'client_session_ids']
    ) }}
),

{% else -%}
client_session_rows as (
    select
        visitor_id,
        started_at,
        client_session_ids,
        _change_sign as change_sign
    from session_changes
),

{% endif -%}
-- a client session the server split in two (or more) also counts as a disagreement
client_sessions as (
    select
        min(client_session_rows.started_at)::date as date_day,
        client_session_rows.change_sign,
        count(*) > 1 as is_split
    from client_session_rows
    cross join lateral unnest(client_session_rows.client_session_ids) as client_session_id
    group by client_session_rows.visitor_id, client_session_id, client_session_rows.change_sign
),

-- the session counts per day: what changed, plus what the table held (on an incremental run)
session_days as (
    select
        date_day,
        sum(sessions)::bigint as sessions,
        sum(sessions_merging_client_sessions)::bigint as sessions_merging_client_sessions,
        sum(client_sessions)::bigint as client_sessions,
        sum(client_sessions_split)::bigint as client_sessions_split
    from (
        select
            date_day,
            sessions,
            sessions_merging_client_sessions,
            0 as client_sessions,
            0 as client_sessions_split
        from server_sessions
        union all
        select
            date_day,
            0 as sessions,
            0 as sessions_merging_client_sessions,
            change_sign as client_sessions,
            case when is_split then change_sign else 0 end as client_sessions_split
        from client_sessions
        {%- if session_window.mode == 'delta' %}
        union all
        select
            date_day,
            sessions,
            sessions_merging_client_sessions,
            client_sessions,
            client_sessions_split
        from {{ this }}
        {%- endif %}
    ) as session_counts
    group by date_day
    having sum(sessions) <> 0 or sum(client_sessions) <> 0
),

days as (
    select date_day from raw_lines
    union
    select date_day from events
    union
    select date_day from rejected
    union
    select date_day from quarantined
    union
    select date_day from session_days
),

health as (
    select
        days.date_day,
        coalesce(raw_lines.raw_event_lines, 0) as raw_event_lines,
        coalesce(events.events, 0) as events,
        coalesce(events.bot_events, 0) as bot_events,
        coalesce(events.late_events, 0) as late_events,
        coalesce(events.load_lag_s, 0) as load_lag_s,
        coalesce(events.sdk_dropped_events, 0) as sdk_dropped_events,
        coalesce(rejected.rejected_events, 0) as rejected_events,
        coalesce(quarantined.quarantined_lines, 0) as quarantined_lines,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(session_days.sessions_merging_client_sessions, 0) as sessions_merging_client_sessions,
        coalesce(session_days.client_sessions, 0) as client_sessions,
        coalesce(session_days.client_sessions_split, 0) as client_sessions_split,
        events._newest_loaded_at
    from days
    left join raw_lines on days.date_day = raw_lines.date_day
    left join events on days.date_day = events.date_day
    left join rejected on days.date_day = rejected.date_day
    left join quarantined on days.date_day = quarantined.date_day
    left join session_days on days.date_day = session_days.date_day
)

select * from health
