{{ olist_staging('customers', renamed={
    'customer_zip_code_prefix': 'zip_code_prefix',
    'customer_city': 'city',
    'customer_state': 'state',
}) }}
