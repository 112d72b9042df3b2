{#- Which orders count as sales: all but the canceled and the unavailable ones (the Gold sales marts agree on it). -#}
{% macro counts_as_sale(status_column='order_status') -%}
    {{ status_column }} not in ('canceled', 'unavailable')
{%- endmacro %}
