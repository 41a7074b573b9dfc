{{ config(indexes=[{'columns': ['breakdown', 'device_type', 'channel', 'country', 'is_bot', 'date_day']}]) }}

with

acquisition_days as (
    select * from {{ ref('rpt_acquisition_daily') }}
),

-- the sessions of each row once per dimension the Acquisition page breaks them down by
breakdown_days as (
    select
        date_day,
        'channel' as breakdown,
        channel as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    union all
    select
        date_day,
        'source_medium' as breakdown,
        source || ' / ' || medium as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    union all
    select
        date_day,
        'campaign' as breakdown,
        campaign as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    union all
    select
        date_day,
        'referrer_host' as breakdown,
        referrer_host as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    union all
    select
        date_day,
        'device_type' as breakdown,
        device_type as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
    union all
    select
        date_day,
        'country' as breakdown,
        country as breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sessions,
        engaged_sessions,
        converted_sessions,
        orders,
        revenue
    from acquisition_days
),

-- summed over the dimensions a dashboard filter leaves open (NULL = all values), in the combinations of
-- rpt_product_rollup_daily: every combination of device, channel and human/bot, and country alone
rolled_up as (
    select
        date_day,
        breakdown,
        breakdown_value,
        device_type,
        country,
        channel,
        is_bot,
        sum(sessions)::bigint as sessions,
        sum(engaged_sessions)::bigint as engaged_sessions,
        sum(converted_sessions)::bigint as converted_sessions,
        sum(orders)::bigint as orders,
        sum(revenue)::numeric(16, 2) as revenue
    from breakdown_days
    group by
        date_day,
        breakdown,
        breakdown_value,
        grouping sets (
            (device_type, channel, is_bot),
            (device_type, channel),
            (device_type, is_bot),
            (device_type),
            (channel, is_bot),
            (channel),
            (is_bot),
            (),
            (country, is_bot),
            (country)
        )
)

-- stored in the order of its index: a filter's rows sit in a few pages, not one row per page
select * from rolled_up
order by breakdown, device_type, channel, country, is_bot, date_day, breakdown_value
