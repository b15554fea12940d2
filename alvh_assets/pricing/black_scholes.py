"""Black-Scholes-Merton and Black-76 prices and Greeks, vectorized over numpy arrays.

Both models are thin wrappers around one generalized-Black kernel acting on a forward ``F``
and a discount factor ``D``::

    V = D * theta * (F * N(theta * d1) - K * N(theta * d2)),   theta = +1 call / -1 put
    d1 = ln(F / K) / (sigma sqrt(T)) + sigma sqrt(T) / 2,      d2 = d1 - sigma sqrt(T)

* Black-Scholes-Merton (spot ``S``, continuous rate ``r``, dividend yield ``q``):
  ``F = S exp((r - q) T)``, ``D = exp(-r T)``.
* Black-76 (futures/forward price ``F``, discounted at ``r``): ``D = exp(-r T)``.

Conventions (both models):

* ``T`` is in years; all inputs are array-like and broadcast with numpy rules; float64 out.
* ``is_call`` is a boolean (array or scalar): True for calls, False for puts.
* ``delta = dV/dS`` (BSM) or ``dV/dF`` (Black-76); ``gamma`` is the matching second derivative.
* ``vega = dV/dsigma`` per 1.00 of volatility (divide by 100 for a vol point).
* ``theta = -dV/dT`` per (calendar) year, with ``S`` or ``F``, ``r``, ``q``, ``sigma`` held fixed
  (divide by 365 for a calendar day).
* ``rho = dV/dr`` per 1.00 of rate. For BSM the forward moves with ``r``; for Black-76 the
  futures price is held fixed, so ``rho = -T * V``.
* ``T == 0`` or ``sigma == 0``: the price is the discounted intrinsic value of the forward,
  ``D * max(theta (F - K), 0)``; delta is a step (``theta * dF/dS`` in the money, half of it
  exactly at the money, 0 out of the money); gamma and vega are 0. At ``T == 0`` theta and
  rho are 0 as well; for ``sigma == 0, T > 0`` theta and rho are the derivatives of the
  deterministic discounted intrinsic value.
* Invalid inputs (non-finite, ``S``/``F``/``K`` <= 0, ``T`` < 0, ``sigma`` < 0) give NaN.

Prices are computed with the accurate normalised Black function of P. Jaeckel ("Let's Be
Rational", 2013): the out-of-the-money option is evaluated in one of four regions (asymptotic
expansion, small-``sigma sqrt(T)`` expansion, ``N``-form, ``erfcx``-form) and the
in-the-money option is obtained by put-call parity, so tiny out-of-the-money prices keep full
relative accuracy. The same function is the work-horse of :mod:`.implied_vol`.
"""

from __future__ import annotations

from math import comb, factorial, sqrt
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfcx, ndtr

__all__ = [
    "Greeks",
    "bsm_price",
    "bsm_greeks",
    "black76_price",
    "black76_greeks",
]

F64 = NDArray[np.float64]

_DBL_EPSILON = float(np.finfo(np.float64).eps)
_DBL_MIN = float(np.finfo(np.float64).tiny)
_SQRT_DBL_MIN = sqrt(_DBL_MIN)
_ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887
_ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
_SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610
# Region thresholds of the normalised Black function (Jaeckel, "Let's Be Rational").
_ETA = -10.0  # asymptotic expansion for h = x/s < eta
_TAU = 2.0 * _DBL_EPSILON ** (1.0 / 16.0)  # small-t expansion for t = s/2 < tau (~0.21)


class Greeks(NamedTuple):
    """Price and first-order Greeks (plus gamma); every field is a float64 array."""

    price: F64
    delta: F64
    gamma: F64
    vega: F64
    theta: F64
    rho: F64


# --------------------------------------------------------------------------------------------
# Normalised Black function  b(x, s) = N(x/s + s/2) e^{x/2} - N(x/s - s/2) e^{-x/2},  x <= 0
# --------------------------------------------------------------------------------------------


def _asymptotic_coefficients(order: int = 17) -> list[tuple[float, ...]]:
    """Coefficients of P_k(e) = (-1)^k 2 sum_j C(2k+1, 2j+1) e^j, highest power first."""
    return [
        tuple(float((-1) ** k * 2 * comb(2 * k + 1, 2 * j + 1)) for j in range(k, -1, -1))
        for k in range(order + 1)
    ]


_ASYMPTOTIC_P = _asymptotic_coefficients()


def _horner(coeffs: tuple[float, ...], z: F64) -> F64:
    """Evaluate the polynomial with coefficients ``coeffs`` (highest power first) at ``z``."""
    acc = np.full_like(z, coeffs[0])
    for c in coeffs[1:]:
        acc *= z
        acc += c
    return acc


def _nb_asymptotic(h: F64, t: F64, e_ht: F64) -> F64:
    """Region h < -10: b = exp(-(h^2+t^2)/2)/sqrt(2 pi) * (t/r) * A(h, t), r = (h+t)(h-t).

    ``A = sum_k (2k-1)!! q^k P_k(e)`` with ``e = (t/h)^2`` and ``q = (h/r)^2`` (17th order,
    Abramowitz & Stegun 26.2.12), relative accuracy ~1.6e-16. ``e_ht = exp(-(h^2+t^2)/2)``.
    """
    e = (t / h) ** 2
    r = (h + t) * (h - t)
    q = (h / r) ** 2
    acc = _horner(_ASYMPTOTIC_P[-1], e)
    for k in range(len(_ASYMPTOTIC_P) - 2, -1, -1):
        acc *= (2 * k + 1) * q
        acc += _horner(_ASYMPTOTIC_P[k], e)
    acc *= t / r
    acc *= _ONE_OVER_SQRT_TWO_PI * e_ht
    return np.maximum(acc, 0.0, out=acc)


_INV_FACTORIAL = tuple(1.0 / factorial(n) for n in range(14))


def _nb_small_t(h: F64, t: F64, e_ht: F64) -> F64:
    """Region t < 0.21: 13th-order Taylor expansion of Y(h+t) - Y(h-t) in t.

    With the Mills-type ratio ``Y(z) = N(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt(2))``,
    ``b = exp(-(h^2+t^2)/2)/sqrt(2 pi) [Y(h+t) - Y(h-t)]
    = 2 exp(-(h^2+t^2)/2)/sqrt(2 pi) sum_k Y^(2k+1)(h) t^(2k+1)/(2k+1)!``, k = 0..6.
    The derivatives follow from ``Y' = 1 + h Y`` as ``Y^(n+1) = h Y^(n) + n Y^(n-1)``; this is
    algebraically identical to Jaeckel's expansion (his ``a = Y'(h)``) and as accurate (~eps).
    """
    y_prev = erfcx(-_ONE_OVER_SQRT_TWO * h)  # Y^(0)
    y_prev *= 0.5 * _SQRT_TWO_PI
    y = h * y_prev  # Y^(1) = 1 + h Y
    y += 1.0
    w = t * t
    t_pow = t.copy()
    acc = y * t
    for n in range(1, 13):
        y_prev *= n  # Y^(n+1) = h Y^(n) + n Y^(n-1), stored in y_prev, then swapped
        y_prev += h * y
        y, y_prev = y_prev, y
        if n % 2 == 0:  # n + 1 odd
            t_pow *= w
            acc += y * (t_pow * _INV_FACTORIAL[n + 1])
    acc *= 2.0 * _ONE_OVER_SQRT_TWO_PI * e_ht
    return np.maximum(acc, 0.0, out=acc)


def _nb_ndtr(x: F64, h: F64, t: F64) -> F64:
    """Region h + t > 0.85: direct form N(h+t) e^{x/2} - N(h-t) e^{-x/2}."""
    b_max = np.exp(0.5 * x)
    b = ndtr(h + t)
    b *= b_max
    b -= ndtr(h - t) / b_max
    return np.maximum(b, 0.0, out=b)


def _nb_erfcx(h: F64, t: F64, e_ht: F64) -> F64:
    """Remaining region: b = exp(-(h^2+t^2)/2)/2 * [erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)]."""
    b = erfcx(-_ONE_OVER_SQRT_TWO * (h + t))
    b -= erfcx(-_ONE_OVER_SQRT_TWO * (h - t))
    b *= 0.5 * e_ht
    return np.maximum(b, 0.0, out=b)


def _normalised_black_and_vega(x: F64, s: F64) -> tuple[F64, F64]:
    """Normalised out-of-the-money Black call ``b(x, s)`` and its vega ``db/ds``.

    For 1-D arrays ``x <= 0``, ``s >= 0``: ``b = B / sqrt(F K)`` with ``x = ln(F/K)`` and
    ``s = sigma sqrt(T)``; ``db/ds = exp(-(h^2 + t^2)/2) / sqrt(2 pi)`` with ``h = x/s``,
    ``t = s/2``; both are 0 at ``s = 0``. Each element is evaluated in the most accurate of
    Jaeckel's four regions (asymptotic, small-t, N-form, erfcx-form).
    """
    b = np.zeros(x.shape)
    vega = np.zeros(x.shape)
    with np.errstate(all="ignore"):
        pos = s > 0.0
        all_pos = bool(pos.all())
        xp, sp = (x, s) if all_pos else (x[pos], s[pos])
        h = xp / sp
        t = 0.5 * sp
        e_ht = np.exp(-0.5 * (h * h + t * t))
        vp = _ONE_OVER_SQRT_TWO_PI * e_ht
        # Region 1: h < eta and t < tau + |h| - |eta|; region 2: t < tau; region 3: h + t > 0.85.
        h_plus_t = h + t
        r1 = h < _ETA
        r1 &= h_plus_t < _TAU + _ETA
        not_r1 = ~r1
        r2 = t < _TAU
        r2 &= not_r1
        r3 = h_plus_t > 0.85
        r3 &= not_r1
        r3 &= ~r2
        r4 = not_r1
        r4 &= ~r2
        r4 &= ~r3
        bp = np.empty(xp.shape)
        for mask, kind in ((r1, 1), (r2, 2), (r3, 3), (r4, 4)):
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                continue
            full = idx.size == xp.size
            hi = h if full else h[idx]
            ti = t if full else t[idx]
            if kind == 3:
                val = _nb_ndtr(xp if full else xp[idx], hi, ti)
            else:
                ei = e_ht if full else e_ht[idx]
                fn = _nb_asymptotic if kind == 1 else _nb_small_t if kind == 2 else _nb_erfcx
                val = fn(hi, ti, ei)
            if full:
                bp = val
                break
            bp[idx] = val
        if all_pos:
            return bp, vp
        b[pos] = bp
        vega[pos] = vp
    return b, vega


def _normalised_black_otm(x: F64, s: F64) -> F64:
    """Normalised out-of-the-money Black call ``b(x, s)`` (see ``_normalised_black_and_vega``)."""
    return _normalised_black_and_vega(x, s)[0]


def _normalised_vega(x: F64, s: F64) -> F64:
    """db/ds = exp(-(x^2/s^2 + s^2/4)/2) / sqrt(2 pi); 0 where s <= |x| sqrt(DBL_MIN)."""
    with np.errstate(all="ignore"):
        h = x / s
        v = _ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * (h * h + 0.25 * s * s))
        v[~(s > np.abs(x) * _SQRT_DBL_MIN) | ~(s > 0.0)] = 0.0
        return v


# --------------------------------------------------------------------------------------------
# Generalized-Black kernel
# --------------------------------------------------------------------------------------------


def _broadcast_flat(*args: ArrayLike) -> tuple[tuple[int, ...], list[F64]]:
    """Broadcast float inputs and return (shape, list of contiguous 1-D float64 copies)."""
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    shape = arrays[0].shape
    return shape, [np.ascontiguousarray(a).reshape(-1) for a in arrays]


def _flat_bool(a: ArrayLike, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """Broadcast the boolean ``is_call`` flag to ``shape`` and flatten it.

    Raises ``TypeError`` for non-numeric flags such as ``"c"``/``"p"`` strings, which numpy
    would otherwise silently convert to True.
    """
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"is_call must be boolean (got dtype {arr.dtype})")
    return np.ascontiguousarray(np.broadcast_to(arr.astype(bool), shape)).reshape(-1)


def _sign(is_call: NDArray[np.bool_]) -> F64:
    """theta = +1.0 for calls, -1.0 for puts."""
    sign = is_call.astype(np.float64)
    sign *= 2.0
    sign -= 1.0
    return sign


def _forward_discount(S: F64, T: F64, r: F64, q: F64) -> tuple[F64, F64]:
    """BSM forward and discount factor: ``F = S exp((r - q) T)``, ``D = exp(-r T)``.

    Shared by pricing and implied volatility so both see bit-identical forwards.
    """
    with np.errstate(all="ignore"):
        return S * np.exp((r - q) * T), np.exp(-r * T)


def _undiscounted_black(F: F64, K: F64, s: F64, is_call: NDArray[np.bool_]) -> F64:
    """Undiscounted Black price ``B = max(theta (F-K), 0) + sqrt(F K) b(-|ln(F/K)|, s)``.

    The out-of-the-money part is the accurate normalised Black function (reciprocal-strike
    symmetry maps an OTM put to an OTM call); the in-the-money option follows by parity.
    """
    with np.errstate(all="ignore"):
        x = np.log(F / K)
        intrinsic = np.maximum((F - K) * _sign(is_call), 0.0)  # same expression as in the IV
        b = _normalised_black_otm(-np.abs(x), s)
        return intrinsic + np.sqrt(F) * np.sqrt(K) * b


def _valid(F: F64, K: F64, T: F64, D: F64, sigma: F64) -> NDArray[np.bool_]:
    """Domain mask: finite, F > 0, K > 0, T >= 0, sigma >= 0, D finite."""
    with np.errstate(all="ignore"):
        return (
            np.isfinite(F)
            & np.isfinite(K)
            & np.isfinite(T)
            & np.isfinite(D)
            & np.isfinite(sigma)
            & (F > 0.0)
            & (K > 0.0)
            & (T >= 0.0)
            & (sigma >= 0.0)
        )


class _KernelOut(NamedTuple):
    price: F64  # V = D B
    dv_df: F64  # D dB/dF
    d2v_df2: F64  # D d2B/dF2
    vega: F64  # D dB/dsigma
    dv_dt_f: F64  # D dB/dT at fixed F (no discounting/forward drift)


def _generalized_black(
    F: F64,
    K: F64,
    T: F64,
    D: F64,
    sigma: F64,
    is_call: NDArray[np.bool_],
    greeks: bool,
) -> _KernelOut | F64:
    """The generalized-Black kernel on flat arrays: ``V = D * B(F, K, sigma sqrt(T))``.

    Returns the price only, or (with ``greeks``) the price and the partial derivatives with
    respect to ``F``, ``sigma`` and ``T`` at fixed ``F`` and ``D``:
    ``dB/dF = theta N(theta d1)``, ``d2B/dF2 = phi(d1) / (F s)``, ``dB/dsigma = F phi(d1) sqrt(T)``,
    ``dB/dT = F phi(d1) sigma / (2 sqrt(T))``, where ``s = sigma sqrt(T)``.
    """
    with np.errstate(all="ignore"):
        ok = _valid(F, K, T, D, sigma)
        sqrt_t = np.sqrt(T)
        s = sigma * sqrt_t
        price = D * _undiscounted_black(F, K, s, is_call)
        price[~ok] = np.nan
        if not greeks:
            return price
        sign = _sign(is_call)
        x = np.log(F / K)
        pos = s > 0.0
        d1 = np.where(pos, x / s + 0.5 * s, np.copysign(np.inf, x))
        n_d1 = np.where(pos, _ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * d1 * d1), 0.0)
        cdf = np.where(pos | (x != 0.0), ndtr(sign * d1), 0.5)  # ATM with s == 0: the limit 1/2
        dv_df = D * sign * cdf
        d2v_df2 = np.where(pos, D * n_d1 / (F * s), 0.0)
        vega = np.where(pos, D * F * n_d1 * sqrt_t, 0.0)
        dv_dt_f = np.where(pos, D * F * n_d1 * s / (2.0 * T), 0.0)
        for arr in (dv_df, d2v_df2, vega, dv_dt_f):
            arr[~ok] = np.nan
        return _KernelOut(price, dv_df, d2v_df2, vega, dv_dt_f)


def _finalize(shape: tuple[int, ...], *arrays: F64) -> tuple[F64, ...]:
    return tuple(a.reshape(shape) for a in arrays)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def bsm_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
) -> F64:
    """Black-Scholes-Merton price ``D (theta (F N(theta d1) - K N(theta d2)))``.

    ``F = S e^{(r-q)T}``, ``D = e^{-rT}``, continuous rate ``r`` and dividend yield ``q``.
    """
    shape, (S_, K_, T_, r_, q_, sig) = _broadcast_flat(S, K, T, r, q, sigma)
    flag = _flat_bool(is_call, shape)
    F, D = _forward_discount(S_, T_, r_, q_)
    price = _generalized_black(F, K_, T_, D, sig, flag, greeks=False)
    with np.errstate(invalid="ignore"):
        price[~(np.isfinite(S_) & (S_ > 0.0) & np.isfinite(r_) & np.isfinite(q_))] = np.nan
    return price.reshape(shape)


def bsm_greeks(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
) -> Greeks:
    """Black-Scholes-Merton price and Greeks (see module docstring for units/conventions).

    ``delta = theta e^{-qT} N(theta d1)``, ``gamma = e^{-qT} phi(d1) / (S sigma sqrt(T))``,
    ``vega = S e^{-qT} phi(d1) sqrt(T)``,
    ``theta = rV - D dB/dT - (r - q) F D dB/dF``, ``rho = T F D dB/dF - T V``.
    """
    shape, (S_, K_, T_, r_, q_, sig) = _broadcast_flat(S, K, T, r, q, sigma)
    flag = _flat_bool(is_call, shape)
    F, D = _forward_discount(S_, T_, r_, q_)
    k = _generalized_black(F, K_, T_, D, sig, flag, greeks=True)
    with np.errstate(all="ignore"):
        f_over_s = F / S_
        delta = k.dv_df * f_over_s
        gamma = k.d2v_df2 * f_over_s * f_over_s
        theta = r_ * k.price - k.dv_dt_f - (r_ - q_) * F * k.dv_df
        rho = T_ * (F * k.dv_df - k.price)
        expired = (T_ == 0.0) & ~np.isnan(k.price)
        theta[expired] = 0.0
        rho[expired] = 0.0
        out = [k.price, delta, gamma, k.vega, theta, rho]
        bad = ~(np.isfinite(S_) & (S_ > 0.0) & np.isfinite(r_) & np.isfinite(q_))
        for a in out:
            a[bad] = np.nan
    return Greeks(*_finalize(shape, *out))


def black76_price(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> F64:
    """Black-76 price ``e^{-rT} theta (F N(theta d1) - K N(theta d2))`` on a futures price F."""
    shape, (F_, K_, T_, r_, sig) = _broadcast_flat(F, K, T, r, sigma)
    flag = _flat_bool(is_call, shape)
    with np.errstate(all="ignore"):
        D = np.exp(-r_ * T_)
    return _generalized_black(F_, K_, T_, D, sig, flag, greeks=False).reshape(shape)


def black76_greeks(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> Greeks:
    """Black-76 price and Greeks with respect to the futures price ``F`` (held fixed in T, r).

    ``delta = theta e^{-rT} N(theta d1)``, ``gamma = e^{-rT} phi(d1) / (F sigma sqrt(T))``,
    ``vega = e^{-rT} F phi(d1) sqrt(T)``, ``theta = rV - D dB/dT``, ``rho = -T V``.
    """
    shape, (F_, K_, T_, r_, sig) = _broadcast_flat(F, K, T, r, sigma)
    flag = _flat_bool(is_call, shape)
    with np.errstate(all="ignore"):
        D = np.exp(-r_ * T_)
    k = _generalized_black(F_, K_, T_, D, sig, flag, greeks=True)
    with np.errstate(all="ignore"):
        theta = r_ * k.price - k.dv_dt_f
        rho = -T_ * k.price
        expired = (T_ == 0.0) & ~np.isnan(k.price)
        theta[expired] = 0.0
        rho[expired] = 0.0
    return Greeks(*_finalize(shape, k.price, k.dv_df, k.d2v_df2, k.vega, theta, rho))
