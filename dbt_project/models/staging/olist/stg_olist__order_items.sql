{{ olist_staging('order_items', renamed={'shipping_limit_date': 'shipping_limit_at'}) }}
