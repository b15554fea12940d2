-- VIX futures term structure per trading day (grain: date).
--
-- VX1…VX8 are the live contracts of int_vx__curve_ranked (contracts expiring ON the day are
-- excluded, so on an expiry day VX1 is already the next contract). Constant-maturity points
-- interpolate linearly in calendar days to expiry between the two contracts bracketing the
-- target (any rank, not only VX1…VX8); null when the target is not bracketed.
-- vx30 (int_vx__constant_maturity): the 30-day point of the MACD tranche signal, equal to
-- vx_cm30 when bracketed and the nearest contract's settle (vx30_beyond_curve) otherwise.
-- Computed over all history up to window_end (lags warm), rows emitted only in the window.
{%- set steepening_days = var('steepening_days') | int %}
{%- set targets = [30, 60, 90] %}

with days as (

    select
        date,
        vix_close,
        vix3m_close
    from {{ ref('int_index_levels__pivoted') }}
    where {{ up_to_window_end('date') }}

),

curve as (

    select *
    from {{ ref('int_vx__curve_ranked') }}
    where {{ up_to_window_end('trade_date') }}

),

pivoted as (

    select
        trade_date,
        max(contract_expiration) filter (where vx_rank = 1) as vx1_expiration,
        max(contract_expiration) filter (where vx_rank = 2) as vx2_expiration,
        {%- for i in range(1, 9) %}
            max(settle) filter (where vx_rank = {{ i }}) as vx{{ i }}_settle,
            max(days_to_expiry) filter (where vx_rank = {{ i }}) as vx{{ i }}_dte,
        {%- endfor %}
        count(*) as vx_contracts
    from curve
    group by trade_date

),

brackets as (

    select
        trade_date,
        {%- for t in targets %}
            max(days_to_expiry) filter (where days_to_expiry <= {{ t }}) as lo_dte_{{ t }},
            arg_max(settle, days_to_expiry) filter (where days_to_expiry <= {{ t }})
                as lo_settle_{{ t }},
            min(days_to_expiry) filter (where days_to_expiry >= {{ t }}) as hi_dte_{{ t }},
            arg_min(settle, days_to_expiry) filter (where days_to_expiry >= {{ t }})
                as hi_settle_{{ t }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from curve
    group by trade_date

),

cm30 as (

    select
        trade_date,
        vx30,
        vx30_beyond_curve
    from {{ ref('int_vx__constant_maturity') }}
    where {{ up_to_window_end('trade_date') }}

),

constant_maturity as (

    select
        trade_date,
        {%- for t in targets %}
            case
                when lo_dte_{{ t }} is null or hi_dte_{{ t }} is null then null
                when hi_dte_{{ t }} = lo_dte_{{ t }} then lo_settle_{{ t }}
                else lo_settle_{{ t }}
                    + (hi_settle_{{ t }} - lo_settle_{{ t }})
                    * ({{ t }} - lo_dte_{{ t }}) / (hi_dte_{{ t }} - lo_dte_{{ t }})
            end as vx_cm{{ t }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from brackets

),

joined as (

    select
        days.date,
        pivoted.vx1_expiration,
        pivoted.vx2_expiration,
        {%- for i in range(1, 9) %}
            pivoted.vx{{ i }}_settle,
            pivoted.vx{{ i }}_dte,
        {%- endfor %}
        coalesce(pivoted.vx_contracts, 0) as vx_contracts,
        {%- for t in targets %}
            constant_maturity.vx_cm{{ t }},
        {%- endfor %}
        cm30.vx30,
        cm30.vx30_beyond_curve,
        pivoted.vx2_settle / pivoted.vx1_settle - 1 as slope,
        days.vix_close,
        days.vix3m_close,
        days.vix_close / days.vix3m_close as vix_vix3m_ratio
    from days
    left join pivoted on days.date = pivoted.trade_date
    left join constant_maturity on days.date = constant_maturity.trade_date
    left join cm30 on days.date = cm30.trade_date

),

changes as (

    select
        *,
        slope - lag(slope, 5) over (order by date) as slope_change_5d,
        slope - lag(slope, {{ steepening_days }}) over (order by date)
            as slope_change_steepening
    from joined

)

select
    date,
    vx1_expiration,
    vx2_expiration,
    {%- for i in range(1, 9) %}
        vx{{ i }}_settle,
        vx{{ i }}_dte,
    {%- endfor %}
    vx_contracts,
    {%- for t in targets %}
        vx_cm{{ t }},
    {%- endfor %}
    vx30,
    vx30_beyond_curve,
    slope,
    slope > 0 as contango,
    slope < 0 as backwardation,
    case
        when slope > 0 then 'contango'
        when slope < 0 then 'backwardation'
        when slope = 0 then 'flat'
    end as curve_state,
    slope_change_5d,
    slope_change_steepening,
    -- rounded to 1e-12 so that a rise of exactly steepening_points counts despite binary
    -- floating point (0.03 - 0.01 = 0.019999999999999997)
    round(slope_change_steepening, 12) >= {{ var('steepening_points') }} as steepening,
    vix_close,
    vix3m_close,
    vix_vix3m_ratio
from changes
where {{ in_window('date') }}
