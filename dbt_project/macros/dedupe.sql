{#- Rank of a record among the versions of its key: 1 is the current one. Latest event time wins, ties go to the
    greater event_id (order lifecycle ids end in their step `-NN`), and an identical re-delivery keeps the first
    arrival, so replays never change a row. -#}
{% macro latest_first(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _event_time desc, _event_id desc, _loaded_at asc
    )
{%- endmacro %}

{#- The current version of every key among `new_records` (a CTE name). On an incremental run the model's existing
    row for each of those keys competes too, so a late event older than what the model holds changes nothing, and
    a full refresh (all records at once) and an incremental run (records in batches) keep the same version. -#}
{% macro keep_latest_version(new_records, key_columns, columns) -%}
select {{ columns | join(', ') }}
from (
    select
        candidates.*,
        {{ latest_first(key_columns) }} as _version_rank
    from (
        select {{ columns | join(', ') }} from {{ new_records }}
        {%- if is_incremental() %}
        union all
        select {{ columns | join(', ') }}
        from {{ this }} as current_version
        where exists (
            select 1
            from {{ new_records }} as new_record
            where {% for key in key_columns %}{{ 'and ' if not loop.first }}new_record.{{ key }} = current_version.{{ key }} {% endfor %}
        )
        {%- endif %}
    ) as candidates
) as ranked
where _version_rank = 1
{%- endmacro %}

{#- Rows of `new_rows` (a CTE name) that the incremental model does not hold yet or holds with other values: the
    only rows a merge needs to touch. A re-delivery produces no row here, and the result of any sequence of runs
    equals a full refresh because each run compares the complete recomputed row with what is stored. -#}
{% macro new_or_changed_rows(new_rows, columns) -%}
select {{ columns | join(', ') }} from {{ new_rows }}
{%- if is_incremental() %}
except
select {{ columns | join(', ') }} from {{ this }}
{%- endif %}
{%- endmacro %}
