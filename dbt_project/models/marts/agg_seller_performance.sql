{#- Only orders that count as sales (macros/sales.sql, as in agg_daily_sales); items whose order has not
    arrived yet cannot be judged and wait for it. -#}
with

order_items as (
    select * from {{ ref('fct_order_items') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where {{ counts_as_sale() }}
),

seller_items as (
    select
        order_items.seller_id,
        order_items.order_id,
        order_items.price,
        orders.review_score,
        orders.is_late
    from order_items
    inner join orders on order_items.order_id = orders.order_id
),

seller_orders as (
    select distinct
        seller_id,
        order_id,
        review_score,
        is_late
    from seller_items
),

item_stats as (
    select
        seller_id,
        count(*) as items,
        sum(price) as revenue
    from seller_items
    group by seller_id
),

order_stats as (
    select
        seller_id,
        count(*) as orders,
        sum(review_score) as review_score_sum,
        count(review_score) as reviewed_orders,
        sum(case when is_late then 1 else 0 end) as late_orders,
        count(is_late) as delivered_orders
    from seller_orders
    group by seller_id
)

select
    item_stats.seller_id,
    cast(order_stats.orders as integer) as orders,
    cast(item_stats.items as integer) as items,
    cast(item_stats.revenue as decimal(14, 2)) as revenue,
    {{ ratio('order_stats.review_score_sum', 'order_stats.reviewed_orders') }} as avg_review_score,
    {{ ratio('order_stats.late_orders', 'order_stats.delivered_orders') }} as late_delivery_rate
from item_stats
inner join order_stats on item_stats.seller_id = order_stats.seller_id
