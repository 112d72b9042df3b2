{#- customer_id is per order; the person is customer_unique_id. Their location is the one given with their latest
    order (customer rows whose order has not arrived yet rank after, by arrival). -#}
with

customers as (
    select * from {{ ref('stg_olist__customers') }}
),

orders as (
    select * from {{ ref('stg_olist__orders') }}
),

customer_orders as (
    select
        customers.customer_unique_id,
        customers.customer_id,
        customers.zip_code_prefix,
        customers.city,
        customers.state,
        customers._loaded_at,
        orders.order_id,
        orders.purchased_at
    from customers
    left join orders on customers.customer_id = orders.customer_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_unique_id
            order by purchased_at desc nulls last, _loaded_at desc, customer_id desc
        ) as location_rank
    from customer_orders
),

order_stats as (
    select
        customer_unique_id,
        min(purchased_at) as first_order_at,
        count(order_id) as order_count
    from customer_orders
    group by customer_unique_id
)

select
    ranked.customer_unique_id,
    ranked.zip_code_prefix,
    ranked.city,
    ranked.state,
    order_stats.first_order_at,
    cast(order_stats.order_count as integer) as order_count
from ranked
inner join order_stats on ranked.customer_unique_id = order_stats.customer_unique_id
where ranked.location_rank = 1
