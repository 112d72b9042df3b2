{{ config(unique_key=['order_id', 'order_item_id']) }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['order_id', 'order_item_id'] %}
{%- set columns = [
    'order_id', 'order_item_id', 'product_id', 'seller_id', 'shipping_limit_at', 'price', 'freight_value',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('order_items', since=since) }}
),

renamed as (
    select
        order_id,
        order_item_id,
        product_id,
        seller_id,
        shipping_limit_date as shipping_limit_at,
        price,
        freight_value,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
