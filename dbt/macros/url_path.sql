{# The path of a URL (no scheme, host, query or fragment), e.g. /p/123 for https://shop.example/p/123?x=1. #}
{% macro url_path(url_column) -%}
    nullif(substring({{ url_column }} from '^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?([^?#]*)'), '')
{%- endmacro %}
