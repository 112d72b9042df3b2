select
    cast(date_trunc('month', orders.purchased_at) as date) as purchase_month,
    order_items.category_name_english as category,
    count(distinct orders.order_id) as orders,
    count(*) as items,
    sum(order_items.price) as revenue
from {{ ref('fct_order_items') }} as order_items
inner join {{ ref('fct_orders') }} as orders
    on order_items.order_id = orders.order_id
where orders.order_status not in ('canceled', 'unavailable')
group by 1, 2
order by purchase_month, revenue desc
