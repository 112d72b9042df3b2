{#- Every row keeps the model's row-level rules: the columns in `not_null` hold a value; each column in
    `matches_contract` keeps the value constraints the data contract sets on its '<table>.<column>' (allowed values
    and bounds, from olist_contracts(), generated from contracts/, never restated here); each column in
    `accepted_values` holds one of its values. Nulls pass the last two (not_null says where they may not).
    One test, one scan, per model, rather than one per column and rule: a micro-batch runs every model's row-level
    rules, and dbt's fixed cost per test node would otherwise be most of the batch. A failing row names the rules it
    breaks, with the values. -#}
{% test valid_rows(model, not_null=[], matches_contract={}, accepted_values={}) %}
{%- set broken = [] -%}
{%- for column in not_null -%}
    {%- do broken.append((column ~ ' is null', "'" ~ column ~ " is null'")) -%}
{%- endfor -%}
{%- for column, contract_column in matches_contract.items() -%}
    {%- set table_name, source_column = contract_column.split('.') -%}
    {%- set constraints = olist_contracts()[table_name].constraints.get(source_column) -%}
    {%- if not constraints -%}
        {{ exceptions.raise_compiler_error("valid_rows: the contract sets no constraint on " ~ contract_column) }}
    {%- endif -%}
    {%- set outside = [] -%}
    {%- if constraints.allowed_values is defined -%}
        {%- do outside.append(column ~ ' not in (' ~ string_literals(constraints.allowed_values) ~ ')') -%}
    {%- endif -%}
    {%- if constraints.min_value is defined -%}
        {%- do outside.append(column ~ ' < ' ~ constraints.min_value) -%}
    {%- endif -%}
    {%- if constraints.max_value is defined -%}
        {%- do outside.append(column ~ ' > ' ~ constraints.max_value) -%}
    {%- endif -%}
    {%- do broken.append((
        column ~ ' is not null and (' ~ outside | join(' or ') ~ ')',
        "concat('" ~ column ~ " = ', cast(" ~ column ~ " as varchar), ' breaks the contract of " ~ contract_column ~ "')"
    )) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- do broken.append((
        column ~ ' not in (' ~ string_literals(values) ~ ')',
        "concat('" ~ column ~ " = ', cast(" ~ column ~ " as varchar), ' is not one of " ~ values | join(', ') ~ "')"
    )) -%}
{%- endfor -%}
{%- if not broken -%}
    {{ exceptions.raise_compiler_error("valid_rows on " ~ model ~ ": no rule given") }}
{%- endif -%}
select concat_ws('; ',
    {%- for condition, reason in broken %}
    case when {{ condition }} then {{ reason }} end{{ ',' if not loop.last }}
    {%- endfor %}
) as broken_rules
from {{ model }}
where {% for condition, _ in broken %}({{ condition }}){{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
