{{ config(unique_key='order_id') }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['order_id'] %}
{%- set columns = [
    'order_id', 'customer_id', 'order_status', 'purchased_at', 'approved_at', 'delivered_carrier_at',
    'delivered_customer_at', 'estimated_delivery_at',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('orders', since=since) }}
),

renamed as (
    select
        order_id,
        customer_id,
        order_status,
        order_purchase_timestamp as purchased_at,
        order_approved_at as approved_at,
        order_delivered_carrier_date as delivered_carrier_at,
        order_delivered_customer_date as delivered_customer_at,
        order_estimated_delivery_date as estimated_delivery_at,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
