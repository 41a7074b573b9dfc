{# The lower-cased host of a URL without a leading www., e.g. shop.example for https://www.Shop.example/x. #}
{% macro url_host(url_column) -%}
    nullif(regexp_replace(lower(substring({{ url_column }} from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]*)')), '^www\.', ''), '')
{%- endmacro %}
