{{ config(materialized='incremental', unique_key=['order_id', 'order_item_id'], on_schema_change='fail') }}

{%- set columns = [
    'order_id', 'order_item_id', 'product_id', 'seller_id', 'price', 'freight_value', 'shipping_limit_at',
    'category_name_english',
] %}

with

order_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

products as (
    select * from {{ ref('int_products_categorized') }}
),

joined as (
    select
        order_items.order_id,
        order_items.order_item_id,
        order_items.product_id,
        order_items.seller_id,
        order_items.price,
        order_items.freight_value,
        order_items.shipping_limit_at,
        -- An item whose product has not arrived yet is still sold: its category is unknown for now.
        coalesce(products.category_name_english, 'unknown') as category_name_english
    from order_items
    left join products on order_items.product_id = products.product_id
)

{{ new_or_changed_rows('joined', columns) }}
