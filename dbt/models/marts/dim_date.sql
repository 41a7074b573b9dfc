with

days as (
    select day::date as date_day
    from generate_series(
        '{{ var("clickstream__calendar_start_date") }}'::date,
        '{{ var("clickstream__calendar_end_date") }}'::date,
        interval '1 day'
    ) as day
),

calendar as (
    select
        date_day,
        extract(isoyear from date_day)::integer as iso_year,
        extract(week from date_day)::integer as iso_week,
        date_trunc('week', date_day)::date as week_start_date,
        date_trunc('month', date_day)::date as month_start_date,
        extract(year from date_day)::integer as calendar_year,
        extract(month from date_day)::integer as calendar_month,
        extract(isodow from date_day)::integer as iso_day_of_week,
        to_char(date_day, 'FMDay') as day_name,
        extract(isodow from date_day) in (6, 7) as is_weekend
    from days
)

select * from calendar
