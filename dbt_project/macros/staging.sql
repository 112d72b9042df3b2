{#- The body of a staging model: one table's Bronze records (on an incremental run only what arrived since the
    watermark) with the contract's columns under their Silver names and the event metadata, and the current version
    of every key. `renamed` maps an original column name to its Silver name; the others keep theirs. The key, and the
    model's incremental `unique_key`, is the contract's primary key under its Silver names. -#}
{% macro olist_staging(table_name, renamed={}) -%}
    {%- set contract = olist_contracts()[table_name] -%}
    {%- set unknown = renamed.keys() | reject('in', contract.columns | map(attribute='name') | list) | list -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            "olist_staging('" ~ table_name ~ "'): renamed names columns the contract does not have: "
            ~ unknown | join(', ')
        ) }}
    {%- endif -%}
    {%- set key_columns = [] -%}
    {%- for column in contract.primary_key -%}
        {%- do key_columns.append(renamed.get(column, column)) -%}
    {%- endfor -%}
    {#- The incremental merge key is the contract's primary key, under its Silver names. -#}
    {%- do config(unique_key=key_columns) -%}
    {%- set metadata = ['_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at'] -%}
    {%- set columns = [] -%}
    {%- set selected = [] -%}
    {%- for column in contract.columns -%}
        {%- set name = renamed.get(column.name, column.name) -%}
        {%- do columns.append(name) -%}
        {%- do selected.append(column.name if name == column.name else column.name ~ ' as ' ~ name) -%}
    {%- endfor -%}
    {%- set since = bronze_watermark() if is_incremental() else none %}
with

bronze as (
    {{ olist_bronze_records(table_name, since=since) }}
),

renamed as (
    select
        {{ (selected + metadata) | join(',\n        ') }}
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns + metadata) }}
{%- endmacro %}
