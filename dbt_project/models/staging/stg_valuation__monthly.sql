-- Monthly valuation with its publication date (point in time: usable from publication_date).
select
    month,
    publication_date,
    pe,
    dividend_yield,
    earnings_yield,
    erp_proxy,
    pcf,
    long_rate_pct / 100 as long_rate
from {{ source('raw', 'valuation_monthly') }}
