-- Daily index levels (SPX, VIX, VIX3M).
select
    symbol,
    date,
    open,
    high,
    low,
    close
from {{ source('raw', 'cboe_index_daily') }}
