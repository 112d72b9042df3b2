{{ config(unique_key=['review_id', 'order_id']) }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['review_id', 'order_id'] %}
{%- set columns = [
    'review_id', 'order_id', 'review_score', 'review_comment_title', 'review_comment_message',
    'review_created_at', 'review_answered_at',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('order_reviews', since=since) }}
),

renamed as (
    select
        review_id,
        order_id,
        review_score,
        review_comment_title,
        review_comment_message,
        review_creation_date as review_created_at,
        review_answer_timestamp as review_answered_at,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
