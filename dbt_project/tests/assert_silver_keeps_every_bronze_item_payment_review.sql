{#- The other streamed entities too: one Silver row per distinct key that reached Bronze. -#}
with

bronze_items as (
    select payload.order_id as order_id, cast(payload.order_item_id as integer) as order_item_id
    from {{ source('olist_bronze', 'order_items_events') }}
    union
    select order_id, order_item_id from {{ source('olist_bronze', 'order_items') }}
),

bronze_payments as (
    select payload.order_id as order_id, cast(payload.payment_sequential as integer) as payment_sequential
    from {{ source('olist_bronze', 'order_payments_events') }}
    union
    select order_id, payment_sequential from {{ source('olist_bronze', 'order_payments') }}
),

bronze_reviews as (
    select payload.review_id as review_id, payload.order_id as order_id
    from {{ source('olist_bronze', 'order_reviews_events') }}
    union
    select review_id, order_id from {{ source('olist_bronze', 'order_reviews') }}
),

counts as (
    select
        'order_items' as entity,
        (select count(*) from bronze_items) as bronze_keys,
        (select count(*) from {{ ref('stg_olist__order_items') }}) as silver_rows
    union all
    select
        'order_payments',
        (select count(*) from bronze_payments),
        (select count(*) from {{ ref('stg_olist__order_payments') }})
    union all
    select
        'order_reviews',
        (select count(*) from bronze_reviews),
        (select count(*) from {{ ref('stg_olist__order_reviews') }})
)

select entity, bronze_keys, silver_rows
from counts
where bronze_keys <> silver_rows
