-- Assert that staging renames and casts only: it has exactly one row per raw.events line.
with

raw_lines as (
    select count(*) as lines from {{ source('clickstream', 'events') }}
),

staged_lines as (
    select count(*) as lines from {{ ref('stg_clickstream__events') }}
),

differences as (
    select
        raw_lines.lines as raw_lines,
        staged_lines.lines as staged_lines
    from raw_lines
    cross join staged_lines
    where raw_lines.lines <> staged_lines.lines
)

select * from differences
