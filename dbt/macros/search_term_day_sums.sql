{# Searches and search sessions of each day per term, device, country, channel and human/bot, summed from signed
   session-search changes: rpt_search_terms_daily and its rollup. #}
{% macro search_term_day_sums(search_changes) -%}
    select
        date_day,
        search_term,
        device_type,
        country,
        channel,
        is_bot,
        sum(_change_sign * searches) as searches,
        sum(_change_sign) as search_sessions,
        coalesce(sum(_change_sign) filter (where is_converted_session), 0) as converted_search_sessions
    from {{ search_changes }}
    group by 1, 2, 3, 4, 5, 6
{%- endmacro %}
