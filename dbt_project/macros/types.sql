{#- SQL type for a contract (Glue) type name. Athena writes Iceberg, which only takes microsecond timestamps. -#}
{% macro sql_type(glue_type) -%}
    {{ return(adapter.dispatch('sql_type', 'keystone')(glue_type)) }}
{%- endmacro %}

{% macro default__sql_type(glue_type) -%}
    {%- set mapping = {'string': 'varchar', 'int': 'integer', 'timestamp': 'timestamp'} -%}
    {{ return(mapping.get(glue_type, glue_type)) }}
{%- endmacro %}

{% macro athena__sql_type(glue_type) -%}
    {%- set mapping = {'string': 'varchar', 'int': 'integer', 'timestamp': 'timestamp(6)'} -%}
    {{ return(mapping.get(glue_type, glue_type)) }}
{%- endmacro %}

{#- Athena's engine is Trino: the twin's trino target types like Athena. -#}
{% macro trino__sql_type(glue_type) -%}
    {{ return(athena__sql_type(glue_type)) }}
{%- endmacro %}

{% macro timestamp_type() -%}
    {{ return(sql_type('timestamp')) }}
{%- endmacro %}

{#- Whole days from `start` to `end` (floor), the same on both engines; date_diff('day') is not. A double quotient:
    on Trino (Athena) bigint / 86400.0 is a decimal rounded to one place, so 3.96 days became 4.0 and floor() 4. -#}
{% macro days_between(start, end) -%}
    cast(floor(cast(date_diff('second', {{ start }}, {{ end }}) as double) / 86400) as integer)
{%- endmacro %}

{#- numerator / denominator as decimal(12,4), null when the denominator is 0. Both are exact integer sums, so the
    result does not depend on aggregation order and a full refresh reproduces it bit for bit. -#}
{% macro ratio(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as double) / nullif({{ denominator }}, 0), 4) as decimal(12, 4))
{%- endmacro %}

{#- `text` (a SQL expression) parsed with a strftime `format` (%Y %m %d %H %M %S): DuckDB's strptime; on Athena
    Trino's date_parse, whose MySQL-style specifiers mean the same for these. -#}
{% macro parse_timestamp(text, format) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'keystone')(text, format)) }}
{%- endmacro %}

{% macro default__parse_timestamp(text, format) -%}
    date_parse({{ text }}, '{{ format }}')
{%- endmacro %}

{% macro duckdb__parse_timestamp(text, format) -%}
    strptime({{ text }}, '{{ format }}')
{%- endmacro %}

{#- `values` as a comma-separated list of SQL string literals, for `in (...)`. -#}
{% macro string_literals(values) -%}
    {%- for value in values -%}'{{ value | string | replace("'", "''") }}'{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
