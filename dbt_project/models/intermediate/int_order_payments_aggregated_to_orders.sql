with

order_payments as (
    select * from {{ ref('stg_olist__order_payments') }}
)

select
    order_id,
    cast(count(*) as integer) as payment_count,
    cast(sum(payment_value) as decimal(14, 2)) as payment_value
from order_payments
group by order_id
