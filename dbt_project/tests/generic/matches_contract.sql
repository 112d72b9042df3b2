{#- The column keeps the value constraints the data contract sets on `contract_column` ('<table>.<column>'):
    allowed values and bounds, from olist_contracts() (generated from contracts/), never restated here. -#}
{% test matches_contract(model, column_name, contract_column) %}
{%- set table_name, source_column = contract_column.split('.') -%}
{%- set constraints = olist_contracts()[table_name].constraints.get(source_column) -%}
{%- if not constraints -%}
    {{ exceptions.raise_compiler_error("matches_contract: the contract sets no constraint on " ~ contract_column) }}
{%- endif -%}
select {{ column_name }} as violating_value
from {{ model }}
where {{ column_name }} is not null
    and (
        false
        {%- if constraints.allowed_values is defined %}
        or {{ column_name }} not in ({% for value in constraints.allowed_values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %})
        {%- endif %}
        {%- if constraints.min_value is defined %}
        or {{ column_name }} < {{ constraints.min_value }}
        {%- endif %}
        {%- if constraints.max_value is defined %}
        or {{ column_name }} > {{ constraints.max_value }}
        {%- endif %}
    )
{% endtest %}
