-- VX futures settlements in index points; rows without a settlement (not yet traded) dropped.
-- Monthly and weekly contracts (is_weekly: the expiration is not the monthly VX expiry of its
-- month). Rows loaded before the reader had is_weekly hold null there; the reader then
-- accepted only monthly labels ('K (May 07)'), so null is read as false.
select
    trade_date,
    contract,
    contract_expiration,
    coalesce(is_weekly, false) as is_weekly,
    settle,
    open_interest,
    total_volume
from {{ source('raw', 'cfe_vx_settlements') }}
where settle is not null
