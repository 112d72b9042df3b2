{{ config(unique_key='seller_id') }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['seller_id'] %}
{%- set columns = [
    'seller_id', 'zip_code_prefix', 'city', 'state',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('sellers', since=since) }}
),

renamed as (
    select
        seller_id,
        seller_zip_code_prefix as zip_code_prefix,
        seller_city as city,
        seller_state as state,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
