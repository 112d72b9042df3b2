{#- Iceberg table maintenance, run once a day by the transform DAG (`dbt run-operation maintain_iceberg_tables`):
    compaction of small files, then expiry of snapshots older than `iceberg_snapshot_retention_seconds` and removal
    of files no snapshot references. Every Silver and Gold table the project materializes; one not built yet is
    skipped. Athena: OPTIMIZE ... REWRITE DATA USING BIN_PACK and VACUUM, whose retention is the table property
    vacuum_max_snapshot_age_seconds (https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-data-optimization.html,
    https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html); Trino, the twin: the optimize,
    expire_snapshots and remove_orphan_files procedures (https://trino.io/docs/476/connector/iceberg.html). DuckDB's
    tables are not Iceberg: nothing to do. -#}
{% macro maintain_iceberg_tables(retention_seconds=none) -%}
    {%- set retention = (retention_seconds if retention_seconds is not none else var('iceberg_snapshot_retention_seconds')) | int -%}
    {%- set maintained = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.materialized in ('table', 'incremental') -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is none -%}
            {%- do log('maintenance: ' ~ node.name ~ ' is not built yet, skipped', info=true) -%}
        {%- else -%}
            {%- for statement in iceberg_maintenance_statements(relation, retention) -%}
                {%- do run_query(statement) -%}
            {%- endfor -%}
            {%- do maintained.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do log('maintenance: ' ~ maintained | length ~ ' table(s) compacted and vacuumed (snapshots older than '
        ~ retention ~ ' s expired)', info=true) -%}
{%- endmacro %}

{% macro iceberg_maintenance_statements(relation, retention_seconds) -%}
    {{ return(adapter.dispatch('iceberg_maintenance_statements', 'keystone')(relation, retention_seconds)) }}
{%- endmacro %}

{% macro default__iceberg_maintenance_statements(relation, retention_seconds) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro athena__iceberg_maintenance_statements(relation, retention_seconds) -%}
    {%- set table = relation.schema ~ '.' ~ relation.identifier -%}
    {{ return([
        "alter table " ~ table ~ " set tblproperties ('vacuum_max_snapshot_age_seconds'='" ~ retention_seconds ~ "')",
        "optimize " ~ table ~ " rewrite data using bin_pack",
        "vacuum " ~ table,
    ]) }}
{%- endmacro %}

{% macro trino__iceberg_maintenance_statements(relation, retention_seconds) -%}
    {{ return([
        "alter table " ~ relation ~ " execute optimize",
        "alter table " ~ relation ~ " execute expire_snapshots(retention_threshold => '" ~ retention_seconds ~ "s')",
        "alter table " ~ relation ~ " execute remove_orphan_files(retention_threshold => '" ~ retention_seconds ~ "s')",
    ]) }}
{%- endmacro %}
