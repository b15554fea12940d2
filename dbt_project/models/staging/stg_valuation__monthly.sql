-- Monthly valuation with its publication date (point in time: usable from publication_date).
-- The file's erp_proxy column (E/P − 10-year yield) is renamed earnings_yield_gap: the ERP
-- proxy of methodology §3 is the excess CAPE yield, computed in int_valuation__point_in_time.
select
    month,
    publication_date,
    sp500,
    earnings,
    pe,
    dividend_yield,
    earnings_yield,
    erp_proxy as earnings_yield_gap,
    pcf,
    long_rate_pct / 100 as long_rate,
    cpi,
    cape
from {{ source('raw', 'valuation_monthly') }}
