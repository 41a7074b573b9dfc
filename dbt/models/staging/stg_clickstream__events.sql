with

source as (
    select * from {{ source('clickstream', 'events') }}
),

renamed as (
    select
        event_id,
        event_type,
        event_at,
        ts as client_event_at,
        sent_at as client_sent_at,
        received_at,
        clock_skew_ms,
        session_id as client_session_id,
        -- visitor ids sort and index bytewise (collation "C"; only equality and grouping matter for ids): under any
        -- other collation PostgreSQL sorts text without abbreviated keys, and at 2M events the sessionization's
        -- sort and its visitor index builds took ~1.4x as long
        anonymous_id collate "C" as anonymous_id,
        user_id collate "C" as user_id,
        user_id_source,
        page_url,
        {{ url_path('page_url') }} as page_path,
        {{ url_host('page_url') }} as page_host,
        page_title,
        referrer,
        referrer_host,
        is_bot,
        bot_reason,
        request_id,
        payload -> 'device' ->> 'type' as device_type,
        payload -> 'device' ->> 'browser' as browser,
        payload -> 'device' ->> 'os' as os,
        payload -> 'geo' ->> 'country' as country,
        payload -> 'utm' ->> 'source' as utm_source,
        payload -> 'utm' ->> 'medium' as utm_medium,
        payload -> 'utm' ->> 'campaign' as utm_campaign,
        payload -> 'utm' ->> 'term' as utm_term,
        payload -> 'utm' ->> 'content' as utm_content,
        payload -> 'ecom' ->> 'product_id' as product_id,
        payload -> 'ecom' ->> 'product_name' as product_name,
        payload -> 'ecom' ->> 'brand' as product_brand,
        payload -> 'ecom' ->> 'category' as product_category,
        (payload -> 'ecom' ->> 'price')::numeric(14, 2) as product_price,
        (payload -> 'ecom' ->> 'qty')::integer as product_quantity,
        payload -> 'ecom' ->> 'order_id' as order_id,
        (payload -> 'ecom' ->> 'revenue')::numeric(14, 2) as order_revenue,
        payload -> 'ecom' ->> 'currency' as currency,
        payload -> 'ecom' -> 'items' as order_items,
        payload -> 'props' ->> 'search_query' as search_query,
        (payload -> 'props' ->> 'dropped_events')::bigint as dropped_events,
        _load_id,
        _loaded_at,
        _source_key,
        _line_no
    from source
)

select * from renamed
