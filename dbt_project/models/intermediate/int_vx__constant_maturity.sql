-- The 30-day constant-maturity VX level of each trading day (grain: trade_date), the
-- series of the MACD tranche signal (methodology §3, "Signals that move tranches": MACD on
-- "the 30-day constant-maturity VX (not the raw front contract, whose roll jumps fake
-- crosses)"; seeds 000, 001, 003, 004).
--
-- Linear in calendar days to expiry between the two live contracts of int_vx__curve_ranked
-- that bracket T = 30 days (any rank; the contract expiring on the day is already off the
-- curve):
--   lo = the contract with the largest days_to_expiry <= 30, hi = the smallest >= 30
--   vx30 = S_lo + (S_hi - S_lo) * (30 - d_lo) / (d_hi - d_lo)
--   a contract exactly at 30 days (d_lo = d_hi = 30) gives its own settle.
-- Beyond the curve (no contract on one side of 30 days, e.g. the front has 31-35 days on the
-- days after an expiry, or only one contract within 30 days is listed) vx30 is the settle of
-- the contract nearest to 30 days (the front, resp. the last listed), and vx30_beyond_curve
-- is true. Only the day's own settlements are used (point in time).
{%- set target = 30 %}

with curve as (

    select * from {{ ref('int_vx__curve_ranked') }}

),

brackets as (

    select
        trade_date,
        max(days_to_expiry) filter (where days_to_expiry <= {{ target }}) as lo_dte,
        arg_max(settle, days_to_expiry) filter (where days_to_expiry <= {{ target }})
            as lo_settle,
        arg_max(contract_expiration, days_to_expiry) filter (
            where days_to_expiry <= {{ target }}
        ) as lo_expiration,
        min(days_to_expiry) filter (where days_to_expiry >= {{ target }}) as hi_dte,
        arg_min(settle, days_to_expiry) filter (where days_to_expiry >= {{ target }})
            as hi_settle,
        arg_min(contract_expiration, days_to_expiry) filter (
            where days_to_expiry >= {{ target }}
        ) as hi_expiration
    from curve
    group by trade_date

)

select
    trade_date,
    lo_expiration as vx30_lo_expiration,
    lo_dte as vx30_lo_dte,
    lo_settle as vx30_lo_settle,
    hi_expiration as vx30_hi_expiration,
    hi_dte as vx30_hi_dte,
    hi_settle as vx30_hi_settle,
    case
        when lo_dte is null then hi_settle
        when hi_dte is null then lo_settle
        when hi_dte = lo_dte then lo_settle
        else lo_settle
            + (hi_settle - lo_settle) * ({{ target }} - lo_dte) / (hi_dte - lo_dte)
    end as vx30,
    lo_dte is null or hi_dte is null as vx30_beyond_curve
from brackets
