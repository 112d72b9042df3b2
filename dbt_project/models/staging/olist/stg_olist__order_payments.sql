{{ olist_staging('order_payments') }}
