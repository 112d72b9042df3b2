{{ config(unique_key='category_name') }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['category_name'] %}
{%- set columns = [
    'category_name', 'category_name_english',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('product_category_name_translation', since=since) }}
),

renamed as (
    select
        product_category_name as category_name,
        product_category_name_english as category_name_english,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
