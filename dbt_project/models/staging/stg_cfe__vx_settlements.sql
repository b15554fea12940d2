-- VX futures settlements in index points; rows without a settlement (not yet traded) dropped.
select
    trade_date,
    contract,
    contract_expiration,
    settle,
    open_interest,
    total_volume
from {{ source('raw', 'cfe_vx_settlements') }}
where settle is not null
