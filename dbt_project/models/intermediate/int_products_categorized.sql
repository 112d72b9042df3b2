with

products as (
    select * from {{ ref('stg_olist__products') }}
),

translations as (
    select * from {{ ref('stg_olist__product_category_translation') }}
)

select
    products.product_id,
    products.category_name,
    case
        when products.category_name is null then 'unknown'
        else coalesce(translations.category_name_english, products.category_name)
    end as category_name_english,
    products.weight_g,
    products.length_cm,
    products.height_cm,
    products.width_cm,
    products.photo_count,
    products.name_length,
    products.description_length
from products
left join translations
    on products.category_name = translations.category_name
