{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='product_id',
        indexes=[{'columns': ['product_id'], 'unique': true}, {'columns': ['category']}],
    )
}}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
    -- only products sighted in events (re)sessionized since the last run change
    where {{ sessionized_since_last_run() }}
),

-- products as seen on product pages and cart changes, and as order lines of purchases
new_sightings as (
    select
        product_id,
        product_name,
        product_brand,
        product_category,
        product_price,
        event_at,
        event_id,
        event_at as first_seen_at,
        _sessionized_at,
        true as is_sighting
    from events
    where product_id is not null
    union all
    select
        item ->> 'product_id' as product_id,
        item ->> 'product_name' as product_name,
        item ->> 'brand' as product_brand,
        item ->> 'category' as product_category,
        (item ->> 'price')::numeric(14, 2) as product_price,
        events.event_at,
        events.event_id,
        events.event_at as first_seen_at,
        events._sessionized_at,
        true as is_sighting
    from events
    cross join lateral jsonb_array_elements(events.order_items) as item
    where
        events.event_type = 'purchase'
        and jsonb_typeof(events.order_items) = 'array'
        and item ->> 'product_id' is not null
),

sightings as (
    select * from new_sightings
    {% if is_incremental() %}
    union all
    -- what the table knows of those products: their latest sighting (unnamed here, so that it does not outrank
    -- the sighting that named them) and when they were first seen
    select
        previous.product_id,
        null as product_name,
        previous.brand as product_brand,
        previous.category as product_category,
        previous.last_price as product_price,
        previous.last_seen_at as event_at,
        previous._last_sighting_event_id as event_id,
        previous.first_seen_at,
        previous._sessionized_at,
        true as is_sighting
    from {{ this }} as previous
    where previous.product_id in (select new_sightings.product_id from new_sightings)
    union all
    -- and the sighting that named them (for the name only: the latest sighting above may be the same event)
    select
        previous.product_id,
        previous.product_name,
        previous.brand as product_brand,
        previous.category as product_category,
        null::numeric(14, 2) as product_price,
        previous._named_at as event_at,
        previous._named_by_event_id as event_id,
        previous.first_seen_at,
        previous._sessionized_at,
        false as is_sighting
    from {{ this }} as previous
    where
        previous.product_id in (select new_sightings.product_id from new_sightings)
        and previous._named_at is not null
    {% endif %}
),

-- the latest sighting: the last price seen
latest as (
    select distinct on (product_id)
        product_id,
        product_price,
        event_id
    from sightings
    where is_sighting
    order by product_id asc, event_at desc, event_id desc
),

-- the latest sighting with a name names the product and gives its brand and category (a renamed product shows
-- its current name; an order line without a name does not unname it); never named: the latest sighting
described as (
    select distinct on (product_id)
        product_id,
        product_name,
        product_brand,
        product_category,
        case when product_name is not null then event_at end as named_at,
        case when product_name is not null then event_id end as named_by_event_id
    from sightings
    order by product_id asc, product_name is null, event_at desc, event_id desc
),

spans as (
    select
        product_id,
        min(first_seen_at) as first_seen_at,
        max(event_at) as last_seen_at,
        max(_sessionized_at) as _sessionized_at
    from sightings
    group by product_id
),

products as (
    select
        latest.product_id,
        coalesce(described.product_name, latest.product_id) as product_name,
        described.product_brand as brand,
        coalesce(described.product_category, 'unknown') as category,
        coalesce(split_part(described.product_category, '.', 1), 'unknown') as category_level_1,
        nullif(split_part(described.product_category, '.', 2), '') as category_level_2,
        nullif(split_part(described.product_category, '.', 3), '') as category_level_3,
        latest.product_price as last_price,
        spans.first_seen_at,
        spans.last_seen_at,
        latest.event_id as _last_sighting_event_id,
        described.named_at as _named_at,
        described.named_by_event_id as _named_by_event_id,
        spans._sessionized_at
    from latest
    inner join described on latest.product_id = described.product_id
    inner join spans on latest.product_id = spans.product_id
),

-- when the name or category last changed: the product reports rename only those products' rows
final as (
    select
        products.*,
        products._sessionized_at as _attributes_changed_at
    from products
    {% if is_incremental() %}
    where
        not exists (
            select 1 from {{ this }} as previous
            where
                previous.product_id = products.product_id
                and (previous.product_name, previous.category, previous.category_level_1)
                = (products.product_name, products.category, products.category_level_1)
        )
    union all
    select
        products.*,
        previous._attributes_changed_at
    from products
    inner join {{ this }} as previous
        on
            products.product_id = previous.product_id
            and (previous.product_name, previous.category, previous.category_level_1)
            = (products.product_name, products.category, products.category_level_1)
    {% endif %}
)

select * from final
