select
    customer_state,
    count(*) as delivered_orders,
    sum(case when is_late then 1 else 0 end) as late_orders,
    round(avg(case when is_late then 1.0 else 0.0 end), 4) as late_rate,
    round(avg(delivery_days), 1) as avg_delivery_days,
    round(avg(case when is_late then delivery_days end), 1) as avg_delivery_days_when_late
from {{ ref('fct_orders') }}
where is_late is not null
    and customer_state is not null
group by customer_state
order by late_rate desc, delivered_orders desc
