{#- Gold revenue = Silver item prices: every item price reaches fct_order_items, every item of a known order
    reaches fct_orders.items_value, and daily sales and seller performance both add up to the item prices of the
    orders they count (neither canceled nor unavailable). Returns one row per figure that does not reconcile. -#}
with

silver_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

silver_orders as (
    select * from {{ ref('stg_olist__orders') }}
),

silver_items_of_orders as (
    select silver_items.price, silver_orders.order_status
    from silver_items
    inner join silver_orders on silver_items.order_id = silver_orders.order_id
),

-- The rule written out here on purpose, not through the marts' macro: the test checks them against it.
silver_sales_value as (
    select coalesce(sum(price), 0) as value from silver_items_of_orders
    where order_status not in ('canceled', 'unavailable')
),

figures as (
    select
        'fct_order_items.price' as figure,
        (select coalesce(sum(price), 0) from {{ ref('fct_order_items') }}) as gold,
        (select coalesce(sum(price), 0) from silver_items) as silver
    union all
    select
        'fct_orders.items_value',
        (select coalesce(sum(items_value), 0) from {{ ref('fct_orders') }}),
        (select coalesce(sum(price), 0) from silver_items_of_orders)
    union all
    select
        'agg_daily_sales.revenue',
        (select coalesce(sum(revenue), 0) from {{ ref('agg_daily_sales') }}),
        (select value from silver_sales_value)
    union all
    select
        'agg_seller_performance.revenue',
        (select coalesce(sum(revenue), 0) from {{ ref('agg_seller_performance') }}),
        (select value from silver_sales_value)
)

select figure, gold, silver
from figures
where gold <> silver
