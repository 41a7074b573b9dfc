{{ config(
    materialized='incremental',
    incremental_strategy='sum_changes',
    change_source='int_sessions_aggregated',
    unique_key=['device_type', 'country', 'channel', 'is_bot', 'date_day'],
    recomputed_columns=['weekly_visitors', 'monthly_visitors'],
    pre_hook="set local work_mem = '256MB'",
    post_hook=["{{ record_changes_watermark() }}", "{{ fill_rolling_visitor_counts() }}"],
    indexes=[{'columns': ['device_type', 'country', 'channel', 'is_bot', 'date_day']}],
) }}

{#- Per filter and day the table holds the day's visitors and the changes of the 7- and 30-day counts (a visitor
    entering or leaving the window); the rolling counts are their running sums, filled in by the post_hook
    fill_rolling_visitor_counts. All three are sums over visitors, so an incremental run takes back the days of
    each visitor whose sessions changed, as they were (-1), and adds them as they are now (+1). -#}
{%- set changes = change_window(ref('int_sessions_aggregated')) %}
{%- set filter_dimensions = {'device_type': 'text', 'country': 'text', 'channel': 'text', 'is_bot': 'boolean'} %}

with

-- sessions added (+1) and taken back (-1) since the last run; every session on a full build
session_changes as (
    select * from {{ changes_since_last_run(ref('int_sessions_aggregated')) }} as sessions
),

-- the active days of every visitor on a full build; on an incremental run those of the visitors with
-- changes, before (-1) and after them (+1)
visitor_days as (
    select distinct
        started_at::date as date_day,
        visitor_id,
        device_type,
        country,
        channel,
        is_bot,
        change_sign
    from (
        {%- if changes.mode == 'delta' %}
        -- a day's counts look back and ahead at most 30 days (the monthly window)
        {{ changed_visitor_sessions(
            'session_changes', changes, ['visitor_id', 'started_at', 'device_type', 'country', 'channel', 'is_bot'],
            days_around=30,
        ) }}
        {%- else %}
        select
            visitor_id,
            started_at,
            device_type,
            country,
            channel,
            is_bot,
            _change_sign as change_sign
        from session_changes
        {%- endif %}
    ) as visitor_sessions
),

-- the visitor's previous and next active day under every filter the dashboard can pick with at most one value
-- per dimension (before or after the changes), a NULL dimension meaning "all values" (sources are never NULL):
-- one window per filter combination, each sorting its own rows in memory (a single window over the whole cube
-- sorted 16x the visitor days at once, spilling to disk)
neighbour_days as (
    {%- for combination in range(2 ** filter_dimensions | length) %}
    {#- the combination's bits pick the dimensions it filters on #}
    {%- set picked = [] %}
    {%- for dimension in filter_dimensions %}
    {%- if (combination // 2 ** loop.index0) % 2 == 1 %}{% do picked.append(dimension) %}{% endif %}
    {%- endfor %}
    {%- set partition = (['visitor_id', 'change_sign'] + picked) | join(', ') %}
    select
        date_day,
        {%- for dimension, type in filter_dimensions.items() %}
        {{ dimension if dimension in picked else 'null::' ~ type ~ ' as ' ~ dimension }},
        {%- endfor %}
        change_sign,
        -- visitor_id first in the partition: a "C" collation key, so the sort compares it with memcmp and
        -- rarely reaches the others
        lag(date_day) over (
            partition by {{ partition }}
            order by date_day
        ) as previous_day,
        lead(date_day) over (
            partition by {{ partition }}
            order by date_day
        ) as next_day
    from (
        select distinct
            date_day,
            visitor_id,
            {%- for dimension in picked %}
            {{ dimension }},
            {%- endfor %}
            change_sign
        from visitor_days
    ) as filter_visitor_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- per filter and day: the day's visitors, those entering the 7 (30) day window (active at least 7 (30) days
-- after their previous active day) and those whose window closes 7 (30) days later (no other active day
-- within that span)
day_moves as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        sum(change_sign) as visitors,
        coalesce(sum(change_sign) filter (where previous_day is null or date_day - previous_day >= 7), 0)
            as weekly_entering,
        coalesce(sum(change_sign) filter (where previous_day is null or date_day - previous_day >= 30), 0)
            as monthly_entering,
        coalesce(sum(change_sign) filter (where next_day is null or next_day - date_day >= 7), 0)
            as weekly_leaving,
        coalesce(sum(change_sign) filter (where next_day is null or next_day - date_day >= 30), 0)
            as monthly_leaving
    from neighbour_days
    group by date_day, device_type, country, channel, is_bot
),

-- the changes of the rolling counts, on the day they take effect
count_changes as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        visitors,
        weekly_entering as weekly_change,
        monthly_entering as monthly_change
    from day_moves
    union all
    select
        date_day + 7 as date_day,
        device_type,
        country,
        channel,
        is_bot,
        0 as visitors,
        -weekly_leaving as weekly_change,
        0 as monthly_change
    from day_moves
    where weekly_leaving <> 0
    union all
    select
        date_day + 30 as date_day,
        device_type,
        country,
        channel,
        is_bot,
        0 as visitors,
        0 as weekly_change,
        -monthly_leaving as monthly_change
    from day_moves
    where monthly_leaving <> 0
),

daily_changes as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        sum(visitors)::bigint as visitors,
        sum(weekly_change)::bigint as weekly_change,
        sum(monthly_change)::bigint as monthly_change,
        -- running sums of the changes, filled in by the post_hook
        null::bigint as weekly_visitors,
        null::bigint as monthly_visitors
    from count_changes
    group by date_day, device_type, country, channel, is_bot
)

-- a day whose visitors are the same before and after the changes needs no write
select * from daily_changes
where visitors <> 0 or weekly_change <> 0 or monthly_change <> 0
