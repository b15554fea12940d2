"""Implied-volatility models of the sample market: the SPX surface and VIX-option smiles.

SPX (Black-Scholes-Merton vols on the forward ``F = S e^{(r-q)T}``, ``T`` in years: the
chains pass the minute ``T`` of :func:`alvh_assets.pricing.expiry_time.time_to_expiry`;
tenors written ``30d`` are 30 / 365; ``k = ln(K/F)``):

1. **Variance-swap term structure** anchored each day to the real VIX close (the 30-day
   variance-swap vol) and, from 2009-09-18, the real VIX3M close (93 days). In log-vol,
   mean-reverting toward a long-run level ``v_inf`` at speed ``KAPPA``::

       ln v(T) = ln v_inf + ln(VIX / v_inf) · psi(T) / psi(30d) + delta · chi(T)
       psi(T)  = (1 - e^{-KAPPA T}) / (KAPPA T)
       v_inf   = SIGMA_INF · (anchor / 0.20)^ANCHOR_EXP

   where ``anchor`` is the causal EWMA of the VIX close (half-life 63 sessions,
   ``vx_futures.vix_anchor``), so the long end rises slowly in a long crisis.
   ``delta = ln VIX3M - ln v_model(93d)`` corrects the curve to the real VIX3M where it
   exists (``delta = 0`` before 2009-09-18: the model *is* the VIX3M proxy): ``chi = 0``
   up to 30 days, rises linearly to 1 at 93 days and decays as ``e^{-KAPPA (T - 93d)}``
   beyond. ``SIGMA_INF`` = 0.268, ``ANCHOR_EXP`` = 0.75 and ``KAPPA`` = 4.9 are the
   least-squares fit of ``v_model(93d)`` to the real VIX3M close on 2009-09-18 …
   2018-12-31 (2,337 days, RMSE 0.79 vol points; without the anchor term 1.2). The curve
   is inverted when VIX is above ``v_inf`` (2008-10-10: 7-day ATM 71%, 3-month 50%) and
   upward sloping in calm markets (2017-06-15: 1-month ATM 8.1%, 1-year 12.4%); total
   variance grows with ``T`` for every VIX below about 4 ``v_inf`` (always, in the data).

2. **Smile** in standardized moneyness ``x = k / (a sqrt(T))`` around the ATM-forward vol
   ``a`` (an SVI-type shape with linear wings in total variance)::

       sigma(k, T) = a · sqrt(1 + eta (rho x + sqrt(x^2 + d^2) - d))
       eta = ETA0 (a / 0.2)^(-ETA_VOL_EXP) (T / 30d)^(ETA_T_EXP),  rho = RHO,  d = 1

   With ``rho = -0.75`` the put wing rises steeply and the call wing has a small smile
   (minimum near ``x ~ 1.1``, rising again beyond). No butterfly arbitrage (call prices
   convex in strike, checked on a dense grid for a in [5%, 150%], T in [1 day, 3 years]).
   The skew in ``k`` scales as ``1 / (a sqrt(T))``: steeper for short tenors; in delta
   terms it is steeper in calm markets (1-month 25-delta risk reversal about 4 vol points
   at a = 10%, 6 at 20%, 11 at 60%).

3. **Calibration to VIX**: ``a`` at each tenor solves ``a · R(a, T) = v(T)`` where
   ``R = sqrt(K_var) / a`` is the ratio of the smile's variance-swap vol (the log-contract
   replication ``K_var = 2/T ∫ OTM(K) / K^2 dK`` with undiscounted prices, computed on a
   (a, T) table with the pricing core) to its ATM vol, so the model's 30-day variance-swap
   level equals the VIX close (to interpolation error, < 0.05 vol point) while ATM IV sits
   below VIX (R ≈ 1.30 at a = 10%, 1.21 at 20%, 1.13 at 60% for 30 days; about 1.25 at one
   year).

VIX options (Black-76 on the VX future of the same expiry), ATM vol-of-vol anchored to the
realized vol of the VX futures (:func:`vix_atm_vol_anchored`)::

    a_30     = min(max(VOV_FLOOR_BASE (VIX / 20)^VOV_VIX_EXP,  VOV_PREMIUM · rv30), 1.80)
    a_vix(T) = clip(a_30 (T / 30d)^VOV_T_EXP, VOV_MIN, VOV_CAP)

``rv30`` is the trailing 20-session realized vol of the 30-day constant-maturity VX
position (``vx_futures.vx_realized_vol``: real CFE settles 2004-03-26 … 2014-08-14, the
modelled curve outside; data up to the day only). The premium (1.10 [choice]) sets the
October 2008 peak (rv30 1.17 on 2008-10-24 → 30-day ATM 129%, a variance-swap level of
about 137, where Cboe's VVIX peaked at roughly 135–146); the floor is the calm-market
level, 75% at VIX 20 and 81% at VIX 15.7 (VVIX ≈ 80–95 in calm years: the smile's
variance-swap vol is about 1.065 × ATM), rising when VIX is low. The 30-day level is
capped at 180% [choice] (a variance-swap level near 190; VVIX's highest closes were about
180 on 2018-02-05 and 212 on 2015-08-24): a single jump such as 2018-02-05 lifts the
20-day realized vol to 2.6, which options did not price forward. Shorter expiries carry
more vol-of-vol (×1.55 at 7 days, ``VOV_T_EXP`` = −0.30). The smile has the SPX form
with ``rho = +0.6``: a call skew (IV rising with strike) and a flat-to-slightly-falling
put side. :func:`vix_atm_vol` (VIX-level rule only) sets the width of the VIX strike grid
in :mod:`alvh_assets.sample.listings`.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import RegularGridInterpolator

from alvh_assets.pricing import bsm_price

F64 = NDArray[np.float64]

T30 = 30.0 / 365.0
T93 = 93.0 / 365.0
SIGMA_INF = 0.268
ANCHOR_EXP = 0.75
KAPPA = 4.9

RHO = -0.75
ETA0 = 0.55
ETA_VOL_EXP = 0.35
ETA_T_EXP = 0.0
SMILE_D = 1.0

VOV_BASE = 0.80
VOV_VIX_EXP = -0.30
VOV_T_EXP = -0.30
VOV_MIN = 0.45
VOV_MAX = 1.80
VOV_FLOOR_BASE = 0.75
VOV_PREMIUM = 1.10
VOV_A30_MAX = 1.80
VOV_CAP = 2.50
VIX_RHO = 0.60
VIX_ETA = 0.35

_TABLE_ATM = np.geomspace(0.02, 2.5, 36)
_TABLE_T = np.geomspace(0.5 / 365.0, 5.0, 28)
_X = np.linspace(-16.0, 16.0, 1601)


def smile_factor(x: ArrayLike, eta: ArrayLike, rho: float) -> F64:
    """``sqrt(1 + eta (rho x + sqrt(x^2 + d^2) - d))``: 1 at the money."""
    x = np.asarray(x, dtype=np.float64)
    return np.sqrt(1.0 + eta * (rho * x + np.sqrt(x * x + SMILE_D**2) - SMILE_D))


def _psi(T: F64) -> F64:
    kt = KAPPA * np.maximum(T, 1e-12)
    return -np.expm1(-kt) / kt


def long_run_vol(anchor: ArrayLike) -> F64:
    """Long-run variance-swap vol ``SIGMA_INF (anchor / 0.20)^ANCHOR_EXP`` (decimals)."""
    return SIGMA_INF * (np.asarray(anchor, dtype=np.float64) / 0.20) ** ANCHOR_EXP


def vix3m_model(vix: ArrayLike, anchor: ArrayLike) -> F64:
    """The term-structure model's 93-day variance-swap vol from VIX and its EWMA anchor."""
    vix = np.asarray(vix, dtype=np.float64)
    linf = np.log(long_run_vol(anchor))
    return np.exp(linf + (np.log(vix) - linf) * _psi(np.asarray(T93)) / _psi(np.asarray(T30)))


def variance_swap_term(vix: ArrayLike, vix3m: ArrayLike, anchor: ArrayLike, T: ArrayLike) -> F64:
    """Variance-swap vol at tenor ``T`` (years) from VIX, VIX3M (NaN before it exists) and
    the VIX EWMA anchor, all decimals. See the module docstring, step 1."""
    vix, vix3m, anchor, T = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (vix, vix3m, anchor, T))
    )
    linf = np.log(long_run_vol(anchor))
    base = linf + (np.log(vix) - linf) * _psi(T) / _psi(np.asarray(T30))
    delta = np.where(
        np.isfinite(vix3m),
        np.log(np.where(np.isfinite(vix3m), vix3m, 1.0)) - np.log(vix3m_model(vix, anchor)),
        0.0,
    )
    chi = np.where(T <= T93, np.clip((T - T30) / (T93 - T30), 0.0, 1.0), np.exp(-KAPPA * (T - T93)))
    return np.exp(base + delta * chi)


def spx_eta(atm: ArrayLike, T: ArrayLike) -> F64:
    """Smile amplitude ``eta`` of the SPX surface (module docstring, step 2)."""
    atm = np.asarray(atm, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    return ETA0 * (atm / 0.2) ** (-ETA_VOL_EXP) * (np.maximum(T, 1e-6) / T30) ** ETA_T_EXP


def spx_iv(k: ArrayLike, T: ArrayLike, atm: ArrayLike) -> F64:
    """SPX implied vol at log-moneyness ``k = ln(K/F)`` for ATM-forward vol ``atm``."""
    k, T, atm = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k, T, atm)))
    x = k / (atm * np.sqrt(T))
    return atm * smile_factor(x, spx_eta(atm, T), RHO)


def variance_swap_vol(atm: ArrayLike, T: ArrayLike) -> F64:
    """Variance-swap vol of the SPX smile with ATM vol ``atm`` at tenor ``T`` by log-contract
    replication ``K_var = 2/T ∫ OTM(K)/K^2 dK`` (F = 1, undiscounted, trapezoid in k)."""
    atm, T = np.broadcast_arrays(np.asarray(atm, dtype=np.float64), np.asarray(T, dtype=np.float64))
    a = atm.reshape(-1, 1)
    t = T.reshape(-1, 1)
    k = _X[None, :] * a * np.sqrt(t)
    K = np.exp(k)
    sig = spx_iv(k, t, a)
    otm = bsm_price(1.0, K, t, 0.0, 0.0, sig, K >= 1.0)
    kvar = 2.0 / t[:, 0] * np.trapezoid(otm / K, k, axis=1)
    return np.sqrt(kvar).reshape(atm.shape)


@cache
def _ratio_table() -> RegularGridInterpolator:
    """Interpolator of ln R(ln a, ln T), R = variance-swap vol / ATM vol."""
    a, t = np.meshgrid(_TABLE_ATM, _TABLE_T, indexing="ij")
    ratio = variance_swap_vol(a, t) / a
    return RegularGridInterpolator(
        (np.log(_TABLE_ATM), np.log(_TABLE_T)), np.log(ratio), bounds_error=False, fill_value=None
    )


def vs_ratio(atm: ArrayLike, T: ArrayLike) -> F64:
    """R(a, T) = variance-swap vol / ATM vol of the SPX smile (tabulated, interpolated)."""
    atm, T = np.broadcast_arrays(np.asarray(atm, dtype=np.float64), np.asarray(T, dtype=np.float64))
    pts = np.column_stack([np.log(atm.ravel()), np.log(np.maximum(T.ravel(), _TABLE_T[0]))])
    return np.exp(_ratio_table()(pts)).reshape(atm.shape)


def atm_from_variance_swap(vs: ArrayLike, T: ArrayLike) -> F64:
    """ATM vol ``a`` with ``a · R(a, T) = vs`` (fixed-point iteration, contraction)."""
    vs, T = np.broadcast_arrays(np.asarray(vs, dtype=np.float64), np.asarray(T, dtype=np.float64))
    a = vs / 1.2
    for _ in range(8):
        a = vs / vs_ratio(a, T)
    return a


def spx_atm_vol(vix: ArrayLike, vix3m: ArrayLike, anchor: ArrayLike, T: ArrayLike) -> F64:
    """SPX ATM-forward vol at tenor ``T`` from the day's VIX, VIX3M and anchor (decimals)."""
    return atm_from_variance_swap(variance_swap_term(vix, vix3m, anchor, T), T)


def _vov_tenor(T: ArrayLike) -> F64:
    """Term factor ``(max(T, 1 day) / 30d)^VOV_T_EXP`` of the VIX-option vol-of-vol."""
    return (np.maximum(np.asarray(T, dtype=np.float64), 1.0 / 365.0) / T30) ** VOV_T_EXP


def vix_atm_vol(vix_points: ArrayLike, T: ArrayLike) -> F64:
    """VIX-level rule ``clip(VOV_BASE (VIX/20)^VOV_VIX_EXP (T/30d)^VOV_T_EXP, 0.45, 1.80)``
    for spot VIX ``vix_points`` (index points): the width of the listed VIX strike grid
    (``listings``); prices use :func:`vix_atm_vol_anchored`."""
    vix = np.asarray(vix_points, dtype=np.float64)
    return np.clip(VOV_BASE * (vix / 20.0) ** VOV_VIX_EXP * _vov_tenor(T), VOV_MIN, VOV_MAX)


def vix_atm_vol_anchored(vix_points: ArrayLike, rv30: ArrayLike, T: ArrayLike) -> F64:
    """ATM vol-of-vol of VIX options (module docstring): the larger of the calm-market floor
    ``VOV_FLOOR_BASE (VIX/20)^VOV_VIX_EXP`` and ``VOV_PREMIUM · rv30`` (the trailing realized
    vol of the 30-day constant-maturity VX position, decimals; NaN means floor only), at
    most ``VOV_A30_MAX``, times the term factor ``(T/30d)^VOV_T_EXP``, clipped to
    [VOV_MIN, VOV_CAP]."""
    vix, rv, T = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (vix_points, rv30, T))
    )
    floor = VOV_FLOOR_BASE * (vix / 20.0) ** VOV_VIX_EXP
    a30 = np.where(np.isfinite(rv), np.maximum(floor, VOV_PREMIUM * np.nan_to_num(rv)), floor)
    return np.clip(np.minimum(a30, VOV_A30_MAX) * _vov_tenor(T), VOV_MIN, VOV_CAP)


def vix_iv(k: ArrayLike, T: ArrayLike, atm: ArrayLike) -> F64:
    """VIX-option implied vol at ``k = ln(K/F)`` (F: the VX future of the same expiry)."""
    k, T, atm = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k, T, atm)))
    x = k / (atm * np.sqrt(T))
    return atm * smile_factor(x, VIX_ETA, VIX_RHO)
