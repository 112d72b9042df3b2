{#- Every order that reached Bronze, by stream or by file, is one row in Silver and one row in Gold: duplicates
    and replays collapse, nothing is lost. -#}
with

bronze_order_ids as (
    select payload.order_id as order_id from {{ source('olist_bronze', 'orders_events') }}
    union
    select order_id from {{ source('olist_bronze', 'orders') }}
),

counts as (
    select
        (select count(*) from bronze_order_ids) as bronze_orders,
        (select count(*) from {{ ref('stg_olist__orders') }}) as silver_orders,
        (select count(*) from {{ ref('fct_orders') }}) as gold_orders
)

select bronze_orders, silver_orders, gold_orders
from counts
where bronze_orders <> silver_orders or silver_orders <> gold_orders
