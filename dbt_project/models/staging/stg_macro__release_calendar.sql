-- CPI/PPI release dates by reference month.
select
    series_id,
    reference_period,
    release_date
from {{ source('raw', 'macro_release_calendar') }}
