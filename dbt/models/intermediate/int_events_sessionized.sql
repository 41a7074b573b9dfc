-- depends_on: {{ ref('int_anonymous_ids_stitched') }}, {{ ref('int_events_deduped') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_visitors',
        visitor_members='anonymous_id',
        visitor_time_column='event_at',
        post_hook=[
            "{{ refresh_statistics(['_sessionized_at']) }}",
            "{{ partial_index('purchase_order_id', ['order_id'], \"event_type = 'purchase' and order_id is not null\") }}",
        ],
        indexes=[
            {'columns': ['event_id'], 'unique': true},
            {'columns': ['visitor_id', 'event_at']},
            {'columns': ['_sessionized_at', '_loaded_at']},
        ],
    )
}}

{#- The (_sessionized_at, _loaded_at) index reads the models downstream their rows stamped since their last run,
    and this model the newest load of its last run (the high-water mark below) without a scan.
    post_hook: statistics of the whole table after a full build, else fresh ones of the run stamp. The models downstream read "stamped since their last run"
    through it, and a stale estimate of one row turns their joins into nested loops over the batch. #}
{%- set timeout_minutes = var('clickstream__session_timeout_minutes') | int -%}
{%- set max_session_seconds = (var('clickstream__max_session_hours') | int) * 3600 -%}

with

{% if is_incremental() %}

-- Two ways to redo a visitor. A visitor whose identity changed (a browser's events now belong to another
-- visitor) is re-sessionized whole. Any other visitor with new events only from the start of the session
-- before its first change: everything earlier keeps its sessions, so the cost follows the new data, not the
-- visitor's history. Every read below goes to an indexed table through one `= any(array(...))` each: the
-- array is computed first and the index probed with it, where `in (select ...)` over a CTE lets the planner
-- guess a third of the table and scan it all.
new_events as (
    select
        new_stitched.event_id,
        new_stitched.anonymous_id,
        new_stitched.user_id,
        new_stitched.visitor_id,
        new_stitched.event_at
    from {{ ref('int_events_stitched') }} as new_stitched
    -- the newest load held is among the rows the last run stamped (it redid every new event it took; should
    -- it have taken only late-committed loads, the window reaches further back, which is safe)
    where
        {{ incremental_window(
            'new_stitched._loaded_at', '_loaded_at',
            newest_rows_filter="_sessionized_at = (select max(stamps._sessionized_at) from " ~ this ~ " as stamps)",
        ) }}
        -- the lookback reads events again that an earlier run sessionized: only copies not held yet are new
        and not exists (
            select 1 from {{ this }} as held
            where
                held.event_id = new_stitched.event_id
                and held._source_key = new_stitched._source_key
                and held._line_no = new_stitched._line_no
        )
),

new_logins as (
    select distinct new_events.anonymous_id
    from new_events
    where new_events.user_id is not null
),

-- browsers with a new logged-in event whose earlier events now belong to another visitor than before
restated_anonymous_ids as (
    select distinct now_stitched.anonymous_id
    from {{ this }} as previous
    inner join {{ ref('int_events_stitched') }} as now_stitched on previous.event_id = now_stitched.event_id
    where
        -- read through int_events_deduped's anonymous_id index, this table's rows by event_id
        now_stitched.anonymous_id = any(array(select new_logins.anonymous_id from new_logins))
        and now_stitched.visitor_id <> previous.visitor_id
),

-- visitors redone whole: those the restated browsers' events belong to now, and before this run
restated_visitors as (
    select now_stitched.visitor_id
    from {{ ref('int_events_stitched') }} as now_stitched
    where now_stitched.anonymous_id = any(array(select restated_anonymous_ids.anonymous_id from restated_anonymous_ids))
    union
    select previous.visitor_id
    from {{ this }} as previous
    -- found through the browsers' events in int_events_deduped (its anonymous_id index; this table has none)
    where previous.event_id = any(array(
        select deduped.event_id
        from {{ ref('int_events_deduped') }} as deduped
        where deduped.anonymous_id = any(array(select restated_anonymous_ids.anonymous_id from restated_anonymous_ids))
    ))
),

-- where each other visitor changed first: a new event's time, and the time of the copy it replaces
change_points as (
    select
        new_events.visitor_id,
        new_events.event_at
    from new_events
    union all
    select
        previous.visitor_id,
        previous.event_at
    from {{ this }} as previous
    where previous.event_id = any(array(select new_events.event_id from new_events))
),

first_changes as (
    select
        visitor_id,
        min(event_at) as first_changed_at
    from change_points
    where
        not exists (
            select 1 from restated_visitors
            where restated_visitors.visitor_id = change_points.visitor_id
        )
    group by visitor_id
),

-- redo from the start of the session of the last event kept before the first change (a new event can extend
-- it), carrying that session's run start (for the cap) and number; no such event: redo the whole visitor
tail_visitors as (
    select
        first_changes.visitor_id,
        coalesce(last_kept.session_started_at, '-infinity'::timestamptz) as resessionized_from_at,
        last_kept.active_since_at as kept_active_since_at,
        coalesce(last_kept.visitor_session_number - 1, 0) as kept_sessions
    from first_changes
    left join lateral (
        select
            previous.session_started_at,
            previous.active_since_at,
            previous.visitor_session_number
        from {{ this }} as previous
        where
            previous.visitor_id = first_changes.visitor_id
            and previous.event_at < first_changes.first_changed_at
        order by previous.event_at desc, previous.event_id desc
        limit 1
    ) as last_kept on true
),

redone_visitors as (
    select
        restated_visitors.visitor_id,
        '-infinity'::timestamptz as resessionized_from_at,
        null::timestamptz as kept_active_since_at,
        0::bigint as kept_sessions
    from restated_visitors
    union all
    select
        tail_visitors.visitor_id,
        tail_visitors.resessionized_from_at,
        tail_visitors.kept_active_since_at,
        tail_visitors.kept_sessions
    from tail_visitors
),

-- the events of each redone visitor from where it is redone, found by their user_id, their browser, or their
-- browser's login: three disjoint index range scans per visitor on int_events_deduped's (key, event_at)
-- indexes, so a visitor's history before the cut is never read
redone_visitor_events as (
    select
        candidates.*,
        redone_visitors.resessionized_from_at,
        redone_visitors.kept_active_since_at,
        redone_visitors.kept_sessions
    from redone_visitors
    inner join lateral (
        select logged_in.*
        from {{ ref('int_events_stitched') }} as logged_in
        where
            logged_in.user_id = redone_visitors.visitor_id
            and logged_in.event_at >= redone_visitors.resessionized_from_at
        union all
        select own_browser.*
        from {{ ref('int_events_stitched') }} as own_browser
        where
            own_browser.anonymous_id = redone_visitors.visitor_id
            and own_browser.user_id is null
            and own_browser.event_at >= redone_visitors.resessionized_from_at
        union all
        select stitched_browser.*
        from {{ ref('int_anonymous_ids_stitched') }} as identities
        inner join lateral (
            select browser_events.*
            from {{ ref('int_events_stitched') }} as browser_events
            where
                browser_events.anonymous_id = identities.anonymous_id
                and browser_events.event_at >= redone_visitors.resessionized_from_at
            -- offset 0 keeps this a range scan per browser: flattened, the planner once read `user_id is null`
            -- below from a user_id index over all rows, a third of the table per visitor
            offset 0  -- noqa: AM09
        ) as stitched_browser on stitched_browser.user_id is null
        where
            identities.user_id = redone_visitors.visitor_id
            and identities.anonymous_id <> redone_visitors.visitor_id
    ) as candidates on redone_visitors.visitor_id = candidates.visitor_id
),

-- the browsers of visitors redone whole that are not redone themselves: replace_visitors deletes their
-- still-anonymous history with them, so it is recomputed. A set difference (hashed), not an anti-join per
-- event: the planner cannot see the CTEs' sizes and loops over one for every row of the other (quadratic).
history_browsers as (
    select redone_visitor_events.anonymous_id
    from redone_visitor_events
    where redone_visitor_events.resessionized_from_at = '-infinity'::timestamptz
    except
    select redone_visitors.visitor_id
    from redone_visitors
),

events_in_scope as (
    select * from redone_visitor_events
    union all
    select
        browser_history.*,
        '-infinity'::timestamptz as resessionized_from_at,
        null::timestamptz as kept_active_since_at,
        0::bigint as kept_sessions
    from {{ ref('int_events_stitched') }} as browser_history
    where
        browser_history.anonymous_id = any(array(select history_browsers.anonymous_id from history_browsers))
        and browser_history.visitor_id = browser_history.anonymous_id
),

{% else %}

-- read twice (timeline, then the wide rows): scanning the table again is cheaper than keeping 60 columns. The
-- wide rows take visitor_id from the timeline, so their read drops the join to the identities (unique per
-- browser, none of its columns used)
events_in_scope as not materialized (
    select
        *,
        '-infinity'::timestamptz as resessionized_from_at,
        null::timestamptz as kept_active_since_at,
        0::bigint as kept_sessions
    from {{ ref('int_events_stitched') }}
),

{% endif %}

-- the session logic runs on a narrow timeline (sorting five columns, not sixty), joined back once at the end
timeline as (
    select
        visitor_id,
        event_at,
        event_id,
        resessionized_from_at,
        kept_active_since_at,
        kept_sessions
    from events_in_scope
),

lagged as (
    select
        *,
        lag(event_at) over visitor_timeline as previous_event_at
    from timeline
    window visitor_timeline as (partition by visitor_id order by event_at, event_id)
),

-- a gap of clickstream__session_timeout_minutes or more (exactly 30 minutes included) starts a session
inactivity_starts as (
    select
        *,
        coalesce(
            event_at - previous_event_at >= interval '{{ timeout_minutes }} minutes', true
        ) as is_after_inactivity,
        -- a visitor redone from a session that a cap cut started carries its run's start along
        max(
            case
                when previous_event_at is null then coalesce(kept_active_since_at, event_at)
                when event_at - previous_event_at >= interval '{{ timeout_minutes }} minutes' then event_at
            end
        ) over visitor_timeline as active_since_at
    from lagged
    window visitor_timeline as (
        partition by visitor_id order by event_at, event_id rows unbounded preceding
    )
),

-- cut an unbroken run of activity every clickstream__max_session_hours, so no session outlasts the cap: a
-- session starts after inactivity or where the event falls in another cap slice of its run than the event
-- before it (same run, so the same run start: no second window pass needed for the previous slice)
session_start_flags as (
    select
        *,
        is_after_inactivity
        or (
            floor(extract(epoch from event_at - active_since_at) / {{ max_session_seconds }})
            <> floor(extract(epoch from previous_event_at - active_since_at) / {{ max_session_seconds }})
        ) as is_session_start
    from inactivity_starts
),

session_numbers as (
    select
        *,
        max(case when is_session_start then event_at end) over visitor_timeline as session_started_at,
        kept_sessions
        + count(*) filter (where is_session_start) over visitor_timeline as visitor_session_number
    from session_start_flags
    window visitor_timeline as (
        partition by visitor_id order by event_at, event_id rows unbounded preceding
    )
),

sessionized as (
    select
        md5(
            session_numbers.visitor_id
            || '|'
            || (extract(epoch from session_numbers.session_started_at) * 1000000)::bigint::text
        ) as session_id,
        session_numbers.visitor_session_number,
        session_numbers.session_started_at,
        session_numbers.is_session_start,
        session_numbers.visitor_id,
        events_in_scope.event_id,
        events_in_scope.event_type,
        events_in_scope.event_at,
        events_in_scope.client_event_at,
        events_in_scope.client_sent_at,
        events_in_scope.received_at,
        events_in_scope.clock_skew_ms,
        events_in_scope.client_session_id,
        events_in_scope.anonymous_id,
        events_in_scope.user_id,
        events_in_scope.user_id_source,
        events_in_scope.page_url,
        events_in_scope.page_path,
        events_in_scope.page_host,
        events_in_scope.page_title,
        events_in_scope.referrer,
        events_in_scope.referrer_host,
        events_in_scope.is_bot,
        events_in_scope.bot_reason,
        events_in_scope.request_id,
        events_in_scope.device_type,
        events_in_scope.browser,
        events_in_scope.os,
        events_in_scope.country,
        events_in_scope.utm_source,
        events_in_scope.utm_medium,
        events_in_scope.utm_campaign,
        events_in_scope.utm_term,
        events_in_scope.utm_content,
        events_in_scope.product_id,
        events_in_scope.product_name,
        events_in_scope.product_brand,
        events_in_scope.product_category,
        events_in_scope.product_price,
        events_in_scope.product_quantity,
        events_in_scope.order_id,
        events_in_scope.order_revenue,
        events_in_scope.currency,
        events_in_scope.order_items,
        events_in_scope.search_query,
        session_numbers.active_since_at,
        events_in_scope._load_id,
        events_in_scope._loaded_at,
        events_in_scope._source_key,
        events_in_scope._line_no,
        session_numbers.resessionized_from_at as _resessionized_from_at,
        '{{ run_started_at }}'::timestamptz as _sessionized_at
    from events_in_scope
    inner join session_numbers on events_in_scope.event_id = session_numbers.event_id
)

select * from sessionized
