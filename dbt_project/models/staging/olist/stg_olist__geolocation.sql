{#- The original has no key and repeats rows: keep each distinct observation once. Small and batch-only, so a
    table rebuilt every run rather than an incremental merge without a key. -#}
{{ config(materialized='table') }}

with

bronze as (
    {{ olist_bronze_records('geolocation') }}
)

select distinct
    geolocation_zip_code_prefix as zip_code_prefix,
    geolocation_lat as latitude,
    geolocation_lng as longitude,
    geolocation_city as city,
    geolocation_state as state
from bronze
