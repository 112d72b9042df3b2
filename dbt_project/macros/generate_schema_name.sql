{#- Layers are schemas: `silver` / `gold` in the local DuckDB file, `<slug>_silver` / `<slug>_gold` Glue databases
    on Athena (where target.schema is the slug), matching environments.model.glue_database(). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type == 'athena' -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
