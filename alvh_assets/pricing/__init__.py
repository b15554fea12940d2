"""Vectorized option pricing: Black-Scholes-Merton / Black-76 prices, Greeks, implied vols.

See :mod:`alvh_assets.pricing.black_scholes` for conventions (T in years, vega per 1.00 vol,
theta = -dV/dT per year, rho per 1.00 rate) and :mod:`alvh_assets.pricing.implied_vol` for
the implied-volatility algorithm and the ``IVReason`` codes.
"""

from .black_scholes import Greeks, black76_greeks, black76_price, bsm_greeks, bsm_price
from .implied_vol import BETA_MIN, IVReason, IVResult, implied_vol_black76, implied_vol_bsm

__all__ = [
    "BETA_MIN",
    "Greeks",
    "IVReason",
    "IVResult",
    "black76_greeks",
    "black76_price",
    "bsm_greeks",
    "bsm_price",
    "implied_vol_black76",
    "implied_vol_bsm",
]
