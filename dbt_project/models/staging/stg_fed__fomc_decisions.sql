-- FOMC decision dates (scheduled and unscheduled, weekend actions included).
select
    decision_date,
    scheduled
from {{ source('raw', 'fomc_decisions') }}
