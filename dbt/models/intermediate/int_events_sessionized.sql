-- depends_on: {{ ref('int_anonymous_ids_stitched') }}, {{ ref('int_events_deduped') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_visitors',
        visitor_members='anonymous_id',
        indexes=[
            {'columns': ['event_id'], 'unique': true},
            {'columns': ['visitor_id']},
            {'columns': ['anonymous_id']},
            {'columns': ['_sessionized_at']},
        ],
    )
}}

{%- set timeout_minutes = var('clickstream__session_timeout_minutes') | int -%}
{%- set max_session_seconds = (var('clickstream__max_session_hours') | int) * 3600 -%}

with

{% if is_incremental() %}

-- Every read below goes to the indexed tables through one predicate each (a CTE read twice would be
-- materialized in full, and an OR of IN-lists would scan): the batch stays proportional to what changed.
new_events as (
    select
        new_stitched.event_id,
        new_stitched.anonymous_id
    from {{ ref('int_events_stitched') }} as new_stitched
    where {{ incremental_window('new_stitched._loaded_at', '_loaded_at') }}
),

changed_anonymous_ids as (
    select distinct new_events.anonymous_id from new_events
),

-- visitors whose events may change: those the changed browsers' events belong to now, and before this run
affected_visitors as (
    select now_stitched.visitor_id
    from {{ ref('int_events_stitched') }} as now_stitched
    where now_stitched.anonymous_id in (select changed_anonymous_ids.anonymous_id from changed_anonymous_ids)
    union
    select previous.visitor_id
    from {{ this }} as previous
    where previous.anonymous_id in (select changed_anonymous_ids.anonymous_id from changed_anonymous_ids)
    union
    select previous.visitor_id
    from {{ this }} as previous
    where previous.event_id in (select new_events.event_id from new_events)
),

-- every event that can belong to an affected visitor: by its user_id, its browser, or its browser's login
candidate_event_ids as (
    select deduped.event_id
    from {{ ref('int_events_deduped') }} as deduped
    where deduped.user_id in (select affected_visitors.visitor_id from affected_visitors)
    union
    select deduped.event_id
    from {{ ref('int_events_deduped') }} as deduped
    where deduped.anonymous_id in (select affected_visitors.visitor_id from affected_visitors)
    union
    select deduped.event_id
    from {{ ref('int_events_deduped') }} as deduped
    where deduped.anonymous_id in (
        select identities.anonymous_id
        from {{ ref('int_anonymous_ids_stitched') }} as identities
        where identities.user_id in (select affected_visitors.visitor_id from affected_visitors)
    )
),

-- every event now belonging to an affected visitor: the whole visitor is sessionized again
affected_visitor_events as (
    select candidates.*
    from {{ ref('int_events_stitched') }} as candidates
    where
        candidates.event_id in (select candidate_event_ids.event_id from candidate_event_ids)
        and candidates.visitor_id in (select affected_visitors.visitor_id from affected_visitors)
),

-- the still-anonymous history of the same browsers: replace_visitors deletes it with them, so recompute it
events_in_scope as (
    select * from affected_visitor_events
    union all
    select browser_history.*
    from {{ ref('int_events_stitched') }} as browser_history
    where
        browser_history.anonymous_id in (
            select affected_visitor_events.anonymous_id from affected_visitor_events
        )
        and browser_history.visitor_id = browser_history.anonymous_id
        -- not exists, not `not in`: NOT IN cannot become an anti-join and, once the affected visitors
        -- outgrow work_mem, rescans them for every event (quadratic). visitor_id is never null, so same rows.
        and not exists (
            select 1 from affected_visitors
            where affected_visitors.visitor_id = browser_history.visitor_id
        )
),

{% else %}

events_in_scope as (
    select * from {{ ref('int_events_stitched') }}
),

{% endif %}

lagged as (
    select
        *,
        lag(event_at) over visitor_timeline as previous_event_at
    from events_in_scope
    window visitor_timeline as (partition by visitor_id order by event_at, event_id)
),

-- a gap of clickstream__session_timeout_minutes or more (exactly 30 minutes included) starts a session
inactivity_starts as (
    select
        *,
        coalesce(
            event_at - previous_event_at >= interval '{{ timeout_minutes }} minutes', true
        ) as is_after_inactivity,
        max(
            case
                when
                    previous_event_at is null
                    or event_at - previous_event_at >= interval '{{ timeout_minutes }} minutes'
                    then event_at
            end
        ) over visitor_timeline as active_since_at
    from lagged
    window visitor_timeline as (
        partition by visitor_id order by event_at, event_id rows unbounded preceding
    )
),

-- cut an unbroken run of activity every clickstream__max_session_hours, so no session outlasts the cap
capped_slices as (
    select
        *,
        floor(
            extract(epoch from event_at - active_since_at) / {{ max_session_seconds }}
        )::integer as cap_slice
    from inactivity_starts
),

session_start_flags as (
    select
        *,
        is_after_inactivity
        or cap_slice <> lag(cap_slice) over visitor_timeline as is_session_start
    from capped_slices
    window visitor_timeline as (partition by visitor_id order by event_at, event_id)
),

session_numbers as (
    select
        *,
        max(case when is_session_start then event_at end) over visitor_timeline as session_started_at,
        count(*) filter (where is_session_start) over visitor_timeline as visitor_session_number
    from session_start_flags
    window visitor_timeline as (
        partition by visitor_id order by event_at, event_id rows unbounded preceding
    )
),

sessionized as (
    select
        md5(
            visitor_id || '|' || (extract(epoch from session_started_at) * 1000000)::bigint::text
        ) as session_id,
        visitor_session_number,
        session_started_at,
        is_session_start,
        visitor_id,
        event_id,
        event_type,
        event_at,
        client_event_at,
        client_sent_at,
        received_at,
        clock_skew_ms,
        client_session_id,
        anonymous_id,
        user_id,
        user_id_source,
        page_url,
        page_path,
        page_host,
        page_title,
        referrer,
        referrer_host,
        is_bot,
        bot_reason,
        request_id,
        device_type,
        browser,
        os,
        country,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        product_id,
        product_name,
        product_brand,
        product_category,
        product_price,
        product_quantity,
        order_id,
        order_revenue,
        currency,
        order_items,
        search_query,
        _load_id,
        _loaded_at,
        _source_key,
        _line_no,
        '{{ run_started_at }}'::timestamptz as _sessionized_at
    from session_numbers
)

select * from sessionized
