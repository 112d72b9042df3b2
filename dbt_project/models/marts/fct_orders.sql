{{ config(materialized='incremental', unique_key='order_id', on_schema_change='fail') }}

{%- set columns = [
    'order_id', 'customer_id', 'customer_unique_id', 'customer_state', 'order_status',
    'purchased_at', 'approved_at', 'delivered_carrier_at', 'delivered_customer_at', 'estimated_delivery_at',
    'item_count', 'items_value', 'freight_value', 'order_value', 'payment_value', 'payment_count',
    'review_score', 'delivery_days', 'is_late',
] %}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
)

{{ new_or_changed_rows('orders', columns) }}
