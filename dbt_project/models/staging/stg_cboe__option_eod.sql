-- One row per option quote (end of day), renamed and typed; mid and spread derived.
select
    quote_date,
    underlying_symbol,
    root,
    expiration,
    strike,
    option_type,
    bid_eod as bid,
    ask_eod as ask,
    (bid_eod + ask_eod) / 2 as mid,
    ask_eod - bid_eod as spread,
    bid_1545,
    ask_1545,
    bid_size_eod as bid_size,
    ask_size_eod as ask_size,
    trade_volume,
    open_interest,
    coalesce(active_underlying_price_1545, (underlying_bid_eod + underlying_ask_eod) / 2)
        as underlying_price,
    implied_underlying_price_1545 as implied_underlying_price,
    implied_volatility_1545 as vendor_iv,
    delta_1545 as vendor_delta,
    vendor_calcs_flag
from {{ source('raw', 'cboe_option_eod') }}
