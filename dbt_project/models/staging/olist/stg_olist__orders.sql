{{ olist_staging('orders', renamed={
    'order_purchase_timestamp': 'purchased_at',
    'order_approved_at': 'approved_at',
    'order_delivered_carrier_date': 'delivered_carrier_at',
    'order_delivered_customer_date': 'delivered_customer_at',
    'order_estimated_delivery_date': 'estimated_delivery_at',
}) }}
