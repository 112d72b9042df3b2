with

products as (
    select * from {{ ref('int_products_categorized') }}
)

select
    product_id,
    category_name,
    category_name_english,
    weight_g,
    length_cm,
    height_cm,
    width_cm,
    photo_count,
    name_length,
    description_length
from products
