{{ config(unique_key='customer_id') }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['customer_id'] %}
{%- set columns = [
    'customer_id', 'customer_unique_id', 'zip_code_prefix', 'city', 'state',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('customers', since=since) }}
),

renamed as (
    select
        customer_id,
        customer_unique_id,
        customer_zip_code_prefix as zip_code_prefix,
        customer_city as city,
        customer_state as state,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
