{{ config(unique_key=['order_id', 'payment_sequential']) }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['order_id', 'payment_sequential'] %}
{%- set columns = [
    'order_id', 'payment_sequential', 'payment_type', 'payment_installments', 'payment_value',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('order_payments', since=since) }}
),

renamed as (
    select
        order_id,
        payment_sequential,
        payment_type,
        payment_installments,
        payment_value,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
