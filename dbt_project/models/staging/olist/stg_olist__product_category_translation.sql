{{ olist_staging('product_category_name_translation', renamed={
    'product_category_name': 'category_name',
    'product_category_name_english': 'category_name_english',
}) }}
