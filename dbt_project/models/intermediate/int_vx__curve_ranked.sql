-- The VX futures curve of each trading day, live contracts ranked by expiration (1 = front).
--
-- Monthly contracts only: weekly VX futures (is_weekly) are dropped, so VX1/VX2 keep their
-- meaning (front and second monthly) and the constant-maturity points interpolate between
-- monthlies, as before weeklies were loaded. Weeklies serve the VIX option forwards of the
-- pricing asset (alvh_assets.pricing.option_greeks), which reads raw.cfe_vx_settlements.
--
-- Expiry-day roll: a contract is on the curve only while trade_date < contract_expiration.
-- On its expiration day a VX contract settles to the opening VRO (its settle that day is
-- the final settlement value, not a 30-day forward), so it is dropped and the next
-- contract becomes vx_rank 1 on that same day. No weights, no blending across the roll.
with settlements as (

    select * from {{ ref('stg_cfe__vx_settlements') }}

),

live as (

    select
        trade_date,
        contract,
        contract_expiration,
        settle,
        open_interest,
        total_volume,
        datediff('day', trade_date, contract_expiration) as days_to_expiry
    from settlements
    where contract_expiration > trade_date
        and not is_weekly

)

select
    trade_date,
    row_number() over (
        partition by trade_date order by contract_expiration, contract
    ) as vx_rank,
    contract,
    contract_expiration,
    days_to_expiry,
    settle,
    open_interest,
    total_volume
from live
