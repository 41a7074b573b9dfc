{# Every session of the visitors with changes, as it was before them (-1) and as it is now (+1): for the reports
   whose sums are over visitors, not sessions (a visitor's active days, a client session's split). #}
{% macro changed_visitor_sessions(session_changes, window, columns, days_around=none) -%}
    {#- Before: the rows stamped up to the watermark (they stayed) and those taken back; now: every row. A row
        that stayed counts on both sides, so it cancels out where nothing about its visitor changed.
        days_around: only the sessions started within that many days of the visitor's first and last changed
        session. For sums that look at most that far from a day (the 30-day active visitors), a day further
        out sums the same before and after, and a day inside whose neighbour lies beyond the cut sums the same
        on both sides too, so the cost follows the changes, not the visitor's history. -#}
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
        {%- if days_around is not none %}
        inner join (
            select
                changes.visitor_id,
                min(changes.started_at)::date - {{ days_around }} as first_day,
                max(changes.started_at)::date + {{ days_around }} as last_day
            from {{ session_changes }} as changes
            group by changes.visitor_id
        ) as changed_spans on sessions.visitor_id = changed_spans.visitor_id
        {%- endif %}
        where
            sessions._sessionized_at <= '{{ window.until }}'::timestamptz
            {%- if days_around is not none %}
            -- the join picks the visitors: an `= any(array)` here too went into the index condition of every
            -- loop of the join, quadratic in the changed visitors (72 s instead of 22 s at 2M events)
            and sessions.started_at::date between changed_spans.first_day and changed_spans.last_day
            {%- else %}
            and sessions.visitor_id = any(array(select distinct changes.visitor_id from {{ session_changes }} as changes))
            {%- endif %}
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
