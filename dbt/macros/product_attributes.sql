{# The product columns of the product reports: name and category of dim_product, for a product it lacks its id. #}
{% macro product_attributes(products, rows) -%}
    coalesce({{ products }}.product_name, {{ rows }}.product_id) as product_name,
    coalesce({{ products }}.category, 'unknown') as category,
    coalesce({{ products }}.category_level_1, 'unknown') as category_level_1
{%- endmacro %}

{# post_hook of the product reports: rows of products dim_product renamed or recategorized since the last run
   get their new name and category (the rows this run's changes touched already have them). #}
{% macro refresh_product_attributes() -%}
    {%- set window = change_window() if execute and is_incremental() else none -%}
    {%- if window is not none and window.mode == 'delta' -%}
    update {{ this }} as report
    set
        product_name = current_products.product_name,
        category = current_products.category,
        category_level_1 = current_products.category_level_1
    from (
        select
            products.product_id,
            {{ product_attributes('products', 'products') }}
        from {{ ref('dim_product') }} as products
        where products._attributes_changed_at > '{{ window.since }}'::timestamptz
    ) as current_products
    where
        report.product_id = current_products.product_id
        and (report.product_name, report.category, report.category_level_1)
        is distinct from (current_products.product_name, current_products.category, current_products.category_level_1)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
