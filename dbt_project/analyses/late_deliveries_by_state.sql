select
    customer_state,
    count(*) as delivered_orders,
    sum(case when is_late then 1 else 0 end) as late_orders,
    -- A double: on Athena (Trino) avg() of a decimal keeps its scale, so avg(1.0 ...) would round the rate to 0.1.
    round(avg(case when is_late then 1e0 else 0e0 end), 4) as late_rate,
    round(avg(delivery_days), 1) as avg_delivery_days,
    round(avg(case when is_late then delivery_days end), 1) as avg_delivery_days_when_late
from {{ ref('fct_orders') }}
where is_late is not null
    and customer_state is not null
group by customer_state
order by late_rate desc, delivered_orders desc
