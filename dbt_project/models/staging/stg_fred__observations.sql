-- FRED observations; observation_date is the reference period start, never a release date.
select
    series_id,
    observation_date as reference_period,
    value,
    vintage
from {{ source('raw', 'fred_observations') }}
where value is not null
