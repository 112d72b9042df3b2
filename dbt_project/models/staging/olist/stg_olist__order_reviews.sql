{{ olist_staging('order_reviews', renamed={
    'review_creation_date': 'review_created_at',
    'review_answer_timestamp': 'review_answered_at',
}) }}
