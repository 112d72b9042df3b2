{#- An order can be reviewed more than once; the latest answer is the one that counts. -#}
with

order_reviews as (
    select * from {{ ref('stg_olist__order_reviews') }}
),

ranked as (
    select
        order_id,
        review_id,
        review_score,
        review_answered_at,
        row_number() over (
            partition by order_id
            order by review_answered_at desc, review_created_at desc, review_id desc
        ) as review_rank
    from order_reviews
)

select
    order_id,
    review_id,
    review_score,
    review_answered_at
from ranked
where review_rank = 1
