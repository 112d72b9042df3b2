select
    performance.seller_id,
    sellers.city,
    sellers.state,
    performance.orders,
    performance.revenue,
    performance.avg_review_score,
    performance.late_delivery_rate,
    rank() over (order by performance.revenue desc) as revenue_rank,
    rank() over (order by performance.avg_review_score desc nulls last) as rating_rank
from {{ ref('agg_seller_performance') }} as performance
left join {{ ref('dim_sellers') }} as sellers
    on performance.seller_id = sellers.seller_id
order by revenue_rank, rating_rank
limit 20
