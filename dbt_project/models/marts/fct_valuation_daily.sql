-- Market valuation as known on each trading day (grain: date).
--
-- Point in time: the row of day t carries the latest valuation month whose
-- publication_date <= t (a month published after t is invisible on t). Ties between months
-- published the same day resolve to the later month. The monthly values come from
-- int_valuation__point_in_time (methodology §3, "Hedge budget"): peak_earnings_pe = price /
-- the highest trailing 12-month earnings of the past 10 years (the P/E of the rules);
-- erp_proxy = the excess CAPE yield 1/CAPE − (10-year yield − trailing 12-month CPI
-- inflation); pe is the trailing P/E, informational.
with days as (

    select date
    from {{ ref('int_index_levels__pivoted') }}
    where {{ in_window('date') }}

),

valuation as (

    select *
    from {{ ref('int_valuation__point_in_time') }}
    where {{ up_to_window_end('publication_date') }}

),

known as (

    select
        days.date,
        valuation.month as valuation_month,
        valuation.publication_date,
        valuation.pe,
        valuation.peak_earnings,
        valuation.peak_earnings_pe,
        valuation.cape,
        valuation.cpi_inflation_12m,
        valuation.long_rate,
        valuation.erp_proxy,
        valuation.earnings_yield_gap,
        valuation.dividend_yield,
        valuation.earnings_yield,
        valuation.pcf
    from days
    inner join valuation on days.date >= valuation.publication_date
    qualify row_number() over (
            partition by days.date
            order by valuation.month desc, valuation.publication_date desc
        ) = 1

)

select
    days.date,
    known.valuation_month,
    known.publication_date,
    datediff('day', known.publication_date, days.date) as days_since_publication,
    known.pe,
    known.peak_earnings,
    known.peak_earnings_pe,
    known.cape,
    known.cpi_inflation_12m,
    known.long_rate,
    known.erp_proxy,
    known.earnings_yield_gap,
    known.dividend_yield,
    known.earnings_yield,
    known.pcf
from days
left join known on days.date = known.date
