{#- One row per order with its customer, item, payment and review figures: everything fct_orders publishes. -#}
with

orders as (
    select * from {{ ref('stg_olist__orders') }}
),

customers as (
    select * from {{ ref('stg_olist__customers') }}
),

order_items as (
    select * from {{ ref('int_order_items_aggregated_to_orders') }}
),

order_payments as (
    select * from {{ ref('int_order_payments_aggregated_to_orders') }}
),

order_reviews as (
    select * from {{ ref('int_order_reviews_latest_per_order') }}
),

joined as (
    select
        orders.order_id,
        orders.customer_id,
        customers.customer_unique_id,
        customers.state as customer_state,
        orders.order_status,
        orders.purchased_at,
        orders.approved_at,
        orders.delivered_carrier_at,
        orders.delivered_customer_at,
        orders.estimated_delivery_at,
        coalesce(order_items.item_count, 0) as item_count,
        coalesce(order_items.items_value, 0) as items_value,
        coalesce(order_items.freight_value, 0) as freight_value,
        coalesce(order_payments.payment_value, 0) as payment_value,
        coalesce(order_payments.payment_count, 0) as payment_count,
        order_reviews.review_score
    from orders
    left join customers on orders.customer_id = customers.customer_id
    left join order_items on orders.order_id = order_items.order_id
    left join order_payments on orders.order_id = order_payments.order_id
    left join order_reviews on orders.order_id = order_reviews.order_id
)

select
    order_id,
    customer_id,
    customer_unique_id,
    customer_state,
    order_status,
    purchased_at,
    approved_at,
    delivered_carrier_at,
    delivered_customer_at,
    estimated_delivery_at,
    cast(item_count as integer) as item_count,
    cast(items_value as decimal(14, 2)) as items_value,
    cast(freight_value as decimal(14, 2)) as freight_value,
    cast(items_value + freight_value as decimal(14, 2)) as order_value,
    cast(payment_value as decimal(14, 2)) as payment_value,
    cast(payment_count as integer) as payment_count,
    cast(review_score as integer) as review_score,
    case
        when delivered_customer_at is not null then {{ days_between('purchased_at', 'delivered_customer_at') }}
    end as delivery_days,
    -- The estimate is a date (time 00:00:00): a delivery on that day is on time.
    case
        when delivered_customer_at is not null
            then cast(delivered_customer_at as date) > cast(estimated_delivery_at as date)
    end as is_late
from joined
