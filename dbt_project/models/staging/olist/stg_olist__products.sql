{{ olist_staging('products', renamed={
    'product_category_name': 'category_name',
    'product_name_lenght': 'name_length',
    'product_description_lenght': 'description_length',
    'product_photos_qty': 'photo_count',
    'product_weight_g': 'weight_g',
    'product_length_cm': 'length_cm',
    'product_height_cm': 'height_cm',
    'product_width_cm': 'width_cm',
}) }}
