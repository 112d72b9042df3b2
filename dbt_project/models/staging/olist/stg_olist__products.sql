{{ config(unique_key='product_id') }}

{%- set since = bronze_watermark() if is_incremental() else none %}
{%- set key_columns = ['product_id'] %}
{%- set columns = [
    'product_id', 'category_name', 'name_length', 'description_length', 'photo_count',
    'weight_g', 'length_cm', 'height_cm', 'width_cm',
    '_event_id', '_event_type', '_event_time', '_source_kind', '_loaded_at',
] %}

with

bronze as (
    {{ olist_bronze_records('products', since=since) }}
),

renamed as (
    select
        product_id,
        product_category_name as category_name,
        product_name_lenght as name_length,
        product_description_lenght as description_length,
        product_photos_qty as photo_count,
        product_weight_g as weight_g,
        product_length_cm as length_cm,
        product_height_cm as height_cm,
        product_width_cm as width_cm,
        _event_id,
        _event_type,
        _event_time,
        _source_kind,
        _loaded_at
    from bronze
)

{{ keep_latest_version('renamed', key_columns, columns) }}
