-- Market valuation as known on each trading day (grain: date).
--
-- Point in time: the row of day t carries the latest valuation month whose
-- publication_date <= t (a month published after t is invisible on t). Ties between months
-- published the same day resolve to the later month.
with days as (

    select date
    from {{ ref('int_index_levels__pivoted') }}
    where {{ in_window('date') }}

),

valuation as (

    select *
    from {{ ref('stg_valuation__monthly') }}
    where publication_date is not null and {{ up_to_window_end('publication_date') }}

),

known as (

    select
        days.date,
        valuation.month as valuation_month,
        valuation.publication_date,
        valuation.pe,
        valuation.dividend_yield,
        valuation.earnings_yield,
        valuation.erp_proxy,
        valuation.pcf,
        valuation.long_rate
    from days
    inner join valuation on valuation.publication_date <= days.date
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
    known.dividend_yield,
    known.earnings_yield,
    known.erp_proxy,
    known.pcf,
    known.long_rate
from days
left join known on days.date = known.date
