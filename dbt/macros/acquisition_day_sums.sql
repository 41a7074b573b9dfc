{# The sessions of each day per acquisition source (channel, source / medium / campaign, referrer host), device,
   country and human/bot, summed from signed session changes: rpt_acquisition_daily and its rollup. #}
{% macro acquisition_day_sums(session_changes) -%}
    select
        started_at::date as date_day,
        channel,
        coalesce(utm_source, '(none)') as source,
        coalesce(utm_medium, '(none)') as medium,
        coalesce(utm_campaign, '(none)') as campaign,
        coalesce(referrer_host, '(none)') as referrer_host,
        device_type,
        country,
        is_bot,
        sum(_change_sign) as sessions,
        coalesce(sum(_change_sign) filter (where is_engaged), 0) as engaged_sessions,
        coalesce(sum(_change_sign) filter (where is_converted), 0) as converted_sessions,
        coalesce(sum(_change_sign) filter (where is_first_session), 0) as new_visitor_sessions,
        sum(_change_sign * orders) as orders,
        sum(_change_sign * revenue)::numeric(16, 2) as revenue
    from {{ session_changes }}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9
{%- endmacro %}
