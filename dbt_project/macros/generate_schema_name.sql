{#- Layers are schemas: `silver` / `gold` in the local DuckDB file; on Athena the Glue databases the Catalog stack
    creates, named by the orchestration stack (keystone.<layer>_database -> KEYSTONE_<LAYER>_DATABASE, from
    environments.model.glue_database()), and the same on Athena's engine in the twin (target trino). Anything else
    (e.g. dbt's test audit schema) stays in target.schema, which on Athena is the Silver database: a schema no
    stack creates would fail Athena's query context. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set layer = (custom_schema_name or '') | trim -%}
    {%- if target.type in ('athena', 'trino') -%}
        {{ env_var('KEYSTONE_' ~ layer | upper ~ '_DATABASE') if layer in ('silver', 'gold') else target.schema }}
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ layer }}
    {%- endif -%}
{%- endmacro %}
