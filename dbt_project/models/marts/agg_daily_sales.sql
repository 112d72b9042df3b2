with

orders as (
    select * from {{ ref('fct_orders') }}
    where {{ counts_as_sale() }}
)

select
    cast(purchased_at as date) as sales_date,
    cast(count(*) as integer) as orders,
    cast(sum(item_count) as integer) as items,
    cast(sum(items_value) as decimal(14, 2)) as revenue,
    cast(sum(freight_value) as decimal(14, 2)) as freight
from orders
group by cast(purchased_at as date)
