{# Every session of the visitors with changes, as it was before them (-1) and as it is now (+1): for the reports
   whose sums are over visitors, not sessions (a visitor's active days, a client session's split). #}
{% macro changed_visitor_sessions(session_changes, window, columns) -%}
    {#- Before: the rows stamped up to the watermark (they stayed) and those taken back; now: every row. A row
        that stayed counts on both sides, so it cancels out where nothing about its visitor changed. -#}
    select
        {%- for column in columns %}
        visitor_sessions.{{ column }},
        {%- endfor %}
        change_sign.value as change_sign
    from (
        select
            {%- for column in columns %}
            sessions.{{ column }},
            {%- endfor %}
            case
                when sessions._sessionized_at <= '{{ window.since }}'::timestamptz then array[-1, 1]
                else array[1]
            end as change_signs
        from {{ window.source }} as sessions
        where
            sessions.visitor_id = any(array(select distinct changes.visitor_id from {{ session_changes }} as changes))
            and sessions._sessionized_at <= '{{ window.until }}'::timestamptz
        union all
        select
            {%- for column in columns %}
            changes.{{ column }},
            {%- endfor %}
            array[-1] as change_signs
        from {{ session_changes }} as changes
        where changes._change_sign = -1
    ) as visitor_sessions
    cross join unnest(visitor_sessions.change_signs) as change_sign (value)
{%- endmacro %}
