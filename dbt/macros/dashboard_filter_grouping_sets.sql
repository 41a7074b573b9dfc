{# The filter combinations the dashboard rollups are summed over (a NULL dimension means all values). #}
{% macro dashboard_filter_grouping_sets() -%}
    {#- Every combination of device, channel and human/bot, and country alone (with or without the bot
        switch). A filter with several values of one dimension sums the rows of each value; country together
        with device or channel is read from the *_daily table itself. -#}
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
{%- endmacro %}
