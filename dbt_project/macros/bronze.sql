{#- Reading Bronze, the same way on both targets: staging selects from the `olist_bronze` sources, which are Glue
    tables on Athena and, locally, views this file creates over the files under KEYSTONE_BRONZE_ROOT. -#}

{% macro bronze_root() -%}
    {%- set bucket = env_var('KEYSTONE_BRONZE_BUCKET', '') -%}
    {%- set root = var('bronze_root', none) or env_var('KEYSTONE_BRONZE_ROOT', '') or ('s3://' ~ bucket if bucket) -%}
    {%- if not root -%}
        {{ exceptions.raise_compiler_error(
            "Bronze location unknown: set KEYSTONE_BRONZE_ROOT to a local Bronze directory or s3://<bucket> (with "
            ~ "KEYSTONE_S3_ENDPOINT for the local S3 server), or KEYSTONE_BRONZE_BUCKET, or pass "
            ~ "--vars '{bronze_root: ...}'."
        ) }}
    {%- endif -%}
    {{ return((root | trim).rstrip('/')) }}
{%- endmacro %}

{#- When the sink wrote a stream record: the time its partition keys spell (contracts/layout.py; the hour, the
    finest arrival time Bronze keeps for events). -#}
{% macro stream_arrival_time() -%}
    {%- set keys = olist_layout().streaming_partitions -%}
    {%- set text = keys[0].name if keys | length == 1 else 'concat(' ~ keys | map(attribute='name') | join(", ' ', ") ~ ')' -%}
    cast({{ parse_timestamp(text, keys | map(attribute='strftime') | join(' ')) }} as {{ timestamp_type() }})
{%- endmacro %}

{#- A partition filter from `since` ('YYYY-MM-DD HH:MM:SS'): the partitions at or after the one `since` falls in,
    keys compared in order (dt, then hour), so a run reads the hours since its watermark, not the whole day. Literal
    comparisons on the partition keys alone, so DuckDB skips the files of other partitions and Athena's partition
    projection prunes; the keys' formats sort as text. -#}
{% macro partitions_since(keys, since) -%}
    {%- set moment = modules.datetime.datetime.strptime(since, '%Y-%m-%d %H:%M:%S') -%}
    {%- set condition = namespace(text='') -%}
    {%- for key in keys | reverse -%}
        {%- set value = "'" ~ moment.strftime(key.strftime) ~ "'" -%}
        {%- set condition.text = key.name ~ ' >= ' ~ value if loop.first
            else key.name ~ ' > ' ~ value ~ ' or (' ~ key.name ~ ' = ' ~ value ~ ' and (' ~ condition.text ~ '))' -%}
    {%- endfor -%}
    {%- set first = keys[0].name ~ " >= '" ~ moment.strftime(keys[0].strftime) ~ "'" -%}
    {{ first if keys | length == 1 else first ~ ' and (' ~ condition.text ~ ')' }}
{%- endmacro %}

{#- Event time of a batch row (see generate_sources.BATCH_EVENT_TIME_COLUMNS): the latest of the listed
    timestamps, or the ingestion time when the table has none. -#}
{% macro batch_event_time(event_time_columns) -%}
    {%- set ts = timestamp_type() -%}
    {%- if event_time_columns | length == 0 -%}
        cast(_ingested_at as {{ ts }})
    {%- else -%}
        {%- set anchor = event_time_columns[0] -%}
        {%- set candidates = [] -%}
        {%- for name in event_time_columns -%}
            {%- do candidates.append('cast(' ~ (name if loop.first else 'coalesce(' ~ name ~ ', ' ~ anchor ~ ')') ~ ' as ' ~ ts ~ ')') -%}
        {%- endfor -%}
        coalesce({{ 'greatest(' ~ candidates | join(', ') ~ ')' if candidates | length > 1 else candidates[0] }}, cast(_ingested_at as {{ ts }}))
    {%- endif -%}
{%- endmacro %}

{#- Start of the Bronze arrival window an incremental run reads ('YYYY-MM-DD HH:MM:SS'): the latest arrival already
    in the model minus the lookback, or none when the model is empty. A literal, so partitions are pruned.
    `--vars '{bronze_since: "YYYY-MM-DD HH:MM:SS"}'` forces the window open from that time (re-read a period). -#}
{% macro bronze_watermark() -%}
    {%- set forced = var('bronze_since', none) -%}
    {%- if forced -%}
        {{ return(modules.datetime.datetime.strptime(forced, '%Y-%m-%d %H:%M:%S').strftime('%Y-%m-%d %H:%M:%S')) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set latest = run_query('select max(_loaded_at) from ' ~ this).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set latest = modules.datetime.datetime.strptime((latest | string)[:19], '%Y-%m-%d %H:%M:%S') -%}
    {%- set since = latest - modules.datetime.timedelta(hours=var('bronze_lookback_hours') | int) -%}
    {{ return(since.strftime('%Y-%m-%d %H:%M:%S')) }}
{%- endmacro %}

{#- One table's Bronze records with the contract's column names and types, plus
    _event_id, _event_type, _event_time, _source_kind ('stream' | 'batch') and _loaded_at (arrival in Bronze):
    the stream's events (payload text cast by the contract), if the table is streamed, and its batch files, unioned.
    `since` limits both to what arrived from then on. -#}
{% macro olist_bronze_records(table_name, since=none) -%}
    {%- set contract = olist_contracts()[table_name] -%}
    {%- set batch_source = source('olist_bronze', table_name) -%}
    {%- set events_source = source('olist_bronze', table_name ~ '_events') if contract.streamed else none -%}
    {%- set ts = timestamp_type() -%}
    {%- if contract.streamed %}
    select
        {%- for column in contract.columns %}
        cast(nullif(payload.{{ column.name }}, '') as {{ sql_type(column.type) }}) as {{ column.name }},
        {%- endfor %}
        event_id as _event_id,
        event_type as _event_type,
        cast(event_time as {{ ts }}) as _event_time,
        'stream' as _source_kind,
        {{ stream_arrival_time() }} as _loaded_at
    from {{ events_source }}
    {%- if since %}
    where {{ partitions_since(olist_layout().streaming_partitions, since) }} and {{ stream_arrival_time() }} >= cast('{{ since }}' as {{ ts }})
    {%- endif %}

    union all
    {%- endif %}

    select
        {%- for column in contract.columns %}
        cast({{ column.name }} as {{ sql_type(column.type) }}) as {{ column.name }},
        {%- endfor %}
        concat('batch:', _source_key, ':', cast(_source_row as varchar)) as _event_id,
        'batch_file' as _event_type,
        {{ batch_event_time(contract.batch_event_time_columns) }} as _event_time,
        'batch' as _source_kind,
        cast(_ingested_at as {{ ts }}) as _loaded_at
    from {{ batch_source }}
    {%- if since %}
    where {{ partitions_since(olist_layout().batch_partitions, since) }} and _ingested_at >= cast('{{ since }}' as {{ ts }})
    {%- endif %}
{%- endmacro %}

{#- on-run-start: make sure every Bronze source is a relation (no-op on Athena, where the CDK stack owns the Glue
    tables). Locally each source becomes a view over its files; when a kind has no file yet (e.g. no batch file for
    orders) the view is an empty relation with the same typed columns, so partial inputs never fail a run. -#}
{% macro create_bronze_relations() -%}
    {{ return(adapter.dispatch('create_bronze_relations', 'keystone')()) }}
{%- endmacro %}

{% macro default__create_bronze_relations() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__create_bronze_relations() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set root = bronze_root() -%}
    {%- set nodes = graph.sources.values() | selectattr('source_name', 'equalto', 'olist_bronze') | list -%}
    {%- for schema in nodes | map(attribute='schema') | unique -%}
        {%- do run_query('create schema if not exists ' ~ adapter.quote(target.database) ~ '.' ~ adapter.quote(schema)) -%}
    {%- endfor -%}
    {%- for node in nodes -%}
        {%- set meta = node.config.meta -%}
        {%- set pattern = root ~ '/' ~ meta.location ~ ('*/' * (meta.partition_keys | length))
            ~ ('*.gz' if meta.kind == 'stream' else '*.parquet') -%}
        {%- set file_count = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
        {%- set typed = duckdb_bronze_columns(node) -%}
        {%- set hive_types = [] -%}
        {%- for key in meta.partition_keys -%}
            {%- do hive_types.append("'" ~ key ~ "': 'VARCHAR'") -%}
        {%- endfor -%}
        {%- if file_count == 0 -%}
            {%- set body -%}
                select {% for name, type in typed %}cast(null as {{ type }}) as {{ name }}{{ ', ' if not loop.last }}{% endfor %}
                where false
            {%- endset -%}
        {%- elif meta.kind == 'stream' -%}
            {%- set body -%}
                select {{ typed | map(attribute=0) | join(', ') }}
                from read_json(
                    '{{ pattern }}',
                    format = 'newline_delimited',
                    columns = { {% for name, type in typed if name not in meta.partition_keys %}'{{ name }}': '{{ type }}'{{ ', ' if not loop.last }}{% endfor %} },
                    hive_partitioning = true,
                    hive_types = { {{ hive_types | join(', ') }} }
                )
            {%- endset -%}
        {%- else -%}
            {%- set body -%}
                select {% for name, type in typed %}cast({{ name }} as {{ type }}) as {{ name }}{{ ', ' if not loop.last }}{% endfor %}
                from read_parquet(
                    '{{ pattern }}',
                    hive_partitioning = true,
                    hive_types = { {{ hive_types | join(', ') }} },
                    union_by_name = true
                )
            {%- endset -%}
        {%- endif -%}
        {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier) -%}
        {%- do run_query('create or replace view ' ~ relation ~ ' as ' ~ body) -%}
        {%- do log('bronze ' ~ node.name ~ ': ' ~ file_count ~ ' file(s) under ' ~ pattern, info=true) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- (name, DuckDB type) of a Bronze source's columns, as its Glue table declares them (the generated sources carry
    the Glue types: contracts/ for batch files, contracts/envelope.py for events). -#}
{% macro duckdb_bronze_columns(node) -%}
    {%- set meta = node.config.meta -%}
    {%- set typed = [] -%}
    {%- for column in node.columns.values() if column.name not in meta.partition_keys -%}
        {%- do typed.append((column.name, duckdb_column_type(column.data_type))) -%}
    {%- endfor -%}
    {%- for key in meta.partition_keys -%}
        {%- do typed.append((key, 'VARCHAR')) -%}
    {%- endfor -%}
    {{ return(typed) }}
{%- endmacro %}

{#- A Glue column type in DuckDB's spelling; `struct<name:type,...>` (one level, as the envelope's) becomes
    STRUCT("name" type, ...). -#}
{% macro duckdb_column_type(glue_type) -%}
    {%- if not glue_type.startswith('struct<') -%}
        {{ return(sql_type(glue_type)) }}
    {%- endif -%}
    {%- set fields = [] -%}
    {%- for member in glue_type[7:-1].split(',') -%}
        {%- set name, member_type = member.split(':', 1) -%}
        {%- do fields.append('"' ~ name ~ '" ' ~ sql_type(member_type)) -%}
    {%- endfor -%}
    {{ return('STRUCT(' ~ fields | join(', ') ~ ')') }}
{%- endmacro %}
