{{ olist_staging('sellers', renamed={
    'seller_zip_code_prefix': 'zip_code_prefix',
    'seller_city': 'city',
    'seller_state': 'state',
}) }}
