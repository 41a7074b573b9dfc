{# post_hook of rpt_active_visitor_counts_daily: weekly and monthly visitors as running sums of their changes. #}
{% macro fill_rolling_visitor_counts() -%}
    {#- The table is small (days x filter combinations); only rows whose counts moved are written. -#}
    update {{ this }} as counts
    set
        weekly_visitors = rolling.weekly_visitors,
        monthly_visitors = rolling.monthly_visitors
    from (
        select
            ctid as row_ctid,
            weekly_visitors as held_weekly_visitors,
            monthly_visitors as held_monthly_visitors,
            (sum(weekly_change) over filter_days)::bigint as weekly_visitors,
            (sum(monthly_change) over filter_days)::bigint as monthly_visitors
        from {{ this }}
        window filter_days as (partition by device_type, country, channel, is_bot order by date_day)
    ) as rolling
    where
        counts.ctid = rolling.row_ctid
        and (
            rolling.held_weekly_visitors is distinct from rolling.weekly_visitors
            or rolling.held_monthly_visitors is distinct from rolling.monthly_visitors
        )
{%- endmacro %}
