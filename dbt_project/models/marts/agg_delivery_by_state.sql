{#- Delivered orders only; orders whose customer has not arrived have no state and are left out. -#}
with

delivered_orders as (
    select * from {{ ref('fct_orders') }}
    where delivered_customer_at is not null
        and customer_state is not null
)

select
    customer_state,
    cast(count(*) as integer) as delivered_orders,
    {{ ratio('sum(delivery_days)', 'count(delivery_days)') }} as avg_delivery_days,
    {{ ratio('sum(case when is_late then 1 else 0 end)', 'count(*)') }} as late_rate
from delivered_orders
group by customer_state
