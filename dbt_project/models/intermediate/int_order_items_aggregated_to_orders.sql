with

order_items as (
    select * from {{ ref('stg_olist__order_items') }}
)

select
    order_id,
    cast(count(*) as integer) as item_count,
    cast(sum(price) as decimal(14, 2)) as items_value,
    cast(sum(freight_value) as decimal(14, 2)) as freight_value
from order_items
group by order_id
