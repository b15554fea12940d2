-- One row per index day: SPX, VIX, VIX3M and VIX9D closes side by side.
-- The day spine of every daily mart: a day is a trading day when SPX or VIX has a close.
with levels as (

    select * from {{ ref('stg_cboe__index_daily') }}

)

select
    date,
    max(close) filter (where symbol = 'SPX') as spx_close,
    max(close) filter (where symbol = 'VIX') as vix_close,
    max(close) filter (where symbol = 'VIX3M') as vix3m_close,
    max(close) filter (where symbol = 'VIX9D') as vix9d_close
from levels
group by date
having
    max(close) filter (where symbol = 'SPX') is not null
    or max(close) filter (where symbol = 'VIX') is not null
