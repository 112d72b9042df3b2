{{ config(unique_key=['order_id', 'payment_sequential']) }}

{{ olist_staging('order_payments') }}
