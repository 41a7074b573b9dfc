{{ config(
    indexes=[{'columns': ['device_type', 'country', 'channel', 'is_bot', 'date_day']}],
    pre_hook="set local work_mem = '256MB'",
) }}

with

visitor_days as (
    select * from {{ ref('rpt_active_visitors_daily') }}
),

-- the days each visitor was active under every filter the dashboard can pick with at most one value per
-- dimension: the cube's grouping sets, a NULL dimension meaning "all values" (sources are never NULL)
filter_visitor_days as (
    select
        date_day,
        visitor_id,
        device_type,
        country,
        channel,
        is_bot
    from visitor_days
    group by date_day, visitor_id, cube (device_type, country, channel, is_bot)
),

-- the visitor's previous and next active day under the same filter
neighbour_days as (
    select
        date_day,
        visitor_id,
        device_type,
        country,
        channel,
        is_bot,
        lag(date_day) over visitor_days_in_filter as previous_day,
        lead(date_day) over visitor_days_in_filter as next_day
    from filter_visitor_days
    window visitor_days_in_filter as (
        partition by device_type, country, channel, is_bot, visitor_id order by date_day
    )
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
        count(*) as visitors,
        count(*) filter (where previous_day is null or date_day - previous_day >= 7) as weekly_entering,
        count(*) filter (where previous_day is null or date_day - previous_day >= 30) as monthly_entering,
        count(*) filter (where next_day is null or next_day - date_day >= 7) as weekly_leaving,
        count(*) filter (where next_day is null or next_day - date_day >= 30) as monthly_leaving
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
    where weekly_leaving > 0
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
    where monthly_leaving > 0
),

daily_changes as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        sum(visitors) as visitors,
        sum(weekly_change) as weekly_change,
        sum(monthly_change) as monthly_change
    from count_changes
    group by date_day, device_type, country, channel, is_bot
),

rolling_counts as (
    select
        date_day,
        device_type,
        country,
        channel,
        is_bot,
        visitors::bigint as visitors,
        (sum(weekly_change) over filter_days)::bigint as weekly_visitors,
        (sum(monthly_change) over filter_days)::bigint as monthly_visitors
    from daily_changes
    window filter_days as (partition by device_type, country, channel, is_bot order by date_day)
)

select * from rolling_counts
