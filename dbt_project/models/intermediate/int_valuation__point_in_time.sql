-- Monthly valuation inputs of the hedge-budget rules, each computed only from rows already
-- published when the month itself is published (grain: month). Methodology §3, "Hedge
-- budget":
--
--   peak_earnings_pe = sp500 / peak_earnings, peak_earnings = the highest trailing 12-month
--     earnings of the past 10 years (months m−119 … m); null unless all 120 months have
--     earnings and the peak is positive ("no new layers" rule, P/E > 24, seed 003)
--   cpi_inflation_12m = cpi(m) / cpi(m − 12 months) − 1
--   erp_proxy = excess CAPE yield = 1 / cape − (long_rate − cpi_inflation_12m)
--     (the "implied ERP" of the mid-layer VIX call spread rule, > 6.5%, seed 001)
--
-- Point in time: a row of month m (published on p) reads the rows of earlier months only
-- if they were published on or before p, so nothing published after p enters a value that
-- becomes known on p.
{%- set peak_months = 120 %}

with valuation as (

    select * from {{ ref('stg_valuation__monthly') }}
    where publication_date is not null

),

peak as (

    select
        m.month,
        max(w.earnings) as peak_earnings,
        count(w.earnings) as peak_earnings_months
    from valuation as m
    inner join valuation as w
        on w.month > m.month - interval {{ peak_months }} month
            and m.month >= w.month
            and m.publication_date >= w.publication_date
    group by m.month

),

year_ago as (

    select
        m.month,
        y.cpi as cpi_12m_ago
    from valuation as m
    inner join valuation as y
        on y.month = m.month - interval 12 month
            and m.publication_date >= y.publication_date

),

derived as (

    select
        valuation.*,
        case
            when peak.peak_earnings_months = {{ peak_months }} then peak.peak_earnings
        end as peak_earnings,
        peak.peak_earnings_months,
        year_ago.cpi_12m_ago,
        valuation.cpi / year_ago.cpi_12m_ago - 1 as cpi_inflation_12m
    from valuation
    left join peak on valuation.month = peak.month
    left join year_ago on valuation.month = year_ago.month

)

select
    month,
    publication_date,
    sp500,
    earnings,
    pe,
    peak_earnings,
    peak_earnings_months,
    case when peak_earnings > 0 then sp500 / peak_earnings end as peak_earnings_pe,
    cape,
    cpi,
    cpi_12m_ago,
    cpi_inflation_12m,
    long_rate,
    1 / cape - (long_rate - cpi_inflation_12m) as erp_proxy,
    earnings_yield_gap,
    dividend_yield,
    earnings_yield,
    pcf
from derived
