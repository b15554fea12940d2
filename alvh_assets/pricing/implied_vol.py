"""Implied volatility for Black-Scholes-Merton and Black-76, vectorized over numpy arrays.

Algorithm: a vectorized numpy port of P. Jaeckel's "Let's Be Rational" (2013 edition, as in
the reference Python package ``py_lets_be_rational``).

1. Reduce to the normalised, undiscounted Black problem on the out-of-the-money option:
   ``x = -|ln(F/K)| <= 0`` and ``beta = (price - D max(theta (F-K), 0)) / (D sqrt(F K))``
   (put-call parity and reciprocal-strike symmetry map every option to an OTM call), then solve
   ``b(x, s) = beta`` for ``s = sigma sqrt(T)``; ``sigma = s / sqrt(T)``.
2. The initial guess comes from Jaeckel's four-segment rational-cubic interpolation of
   ``s(beta)`` (with the lower and upper "transformation maps" in the outer segments).
3. Third-order Householder steps follow on a segment-dependent objective (``1/ln b`` in the
   lowest segment, ``ln(b_max - b)`` in the highest, ``b - beta`` otherwise), safeguarded by a
   bracket (bisection when a step leaves it). After each step an element is retired once
   ``|ds| <= 1e-5 s`` (the method is fourth-order, so the remaining error is ~``(ds/s)^4``,
   far below machine precision); only the still-active subset is iterated further. In practice
   every element retires after one or two steps; the hard cap is ``_MAX_ITERATIONS`` (40),
   after which an element is flagged ``NOT_CONVERGED`` (never observed for
   ``|ln(F/K)| <= 700``; it exists for safety).

Inputs are processed in blocks of ``_BLOCK`` elements so the temporaries stay in cache; each
block is fully vectorized (no Python loop over options).

Conventions: ``T`` in years, ``r`` continuous rate, ``q`` continuous dividend yield, the
BSM forward is ``S e^{(r-q)T}`` and the discount factor ``e^{-rT}`` (Black-76: ``F`` given).
The functions never raise on bad values; ``iv`` is NaN exactly where ``reason != OK``, and the
first matching code wins:

* ``INVALID_INPUT``: NaN/inf in any input, ``S``/``F``/``K`` <= 0, or ``price < 0``.
* ``ZERO_TIME``: ``T <= 0``.
* ``ZERO_PRICE``: ``price == 0``, or the out-of-the-money-equivalent normalised price
  ``beta`` is below ``BETA_MIN = 1e-300`` (zero time value over intrinsic, or an underflowed
  price: no information about sigma is left).
* ``BELOW_INTRINSIC``: ``price < D max(theta (F - K), 0)``.
* ``ABOVE_UPPER_BOUND``: ``price >= S e^{-qT}`` (calls) or ``K e^{-rT}`` (puts); Black-76:
  ``F e^{-rT}`` / ``K e^{-rT}``.

Accuracy: the normalised price function has a relative accuracy of ~1e-16 (worst ~4e-14 near
``h = x/s = -10``, where the IV is insensitive to it) and the solution reproduces it, so the
IV is exact to a few ulps wherever the price carries the information. The error in ``sigma``
caused by a relative rounding ``eps`` of the input price is ``eps * price / vega``; this
"information bound" is large only for options far (> 4 standard deviations) from the forward:
deep in-the-money options whose time value is swamped by intrinsic value, and deep
out-of-the-money options whose price underflows (``ZERO_PRICE``).
"""

from __future__ import annotations

from enum import IntEnum
from math import pi, sqrt
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfcx, ndtr, ndtri

from .black_scholes import (
    _broadcast_flat,
    _flat_bool,
    _forward_discount,
    _normalised_black_and_vega,
    _sign,
)

__all__ = ["IVReason", "IVResult", "implied_vol_bsm", "implied_vol_black76", "BETA_MIN"]

F64 = NDArray[np.float64]
I64 = NDArray[np.intp]
FA = F64 | float

BETA_MIN = 1e-300
_DBL_EPSILON = float(np.finfo(np.float64).eps)
_DBL_MIN = float(np.finfo(np.float64).tiny)
_DBL_MAX = float(np.finfo(np.float64).max)
_SQRT_DBL_MAX = sqrt(_DBL_MAX)
_SQRT_THREE = sqrt(3.0)
_SQRT_TWO = sqrt(2.0)
_SQRT_ONE_OVER_THREE = sqrt(1.0 / 3.0)
_TWO_PI = 2.0 * pi
_TWO_PI_OVER_SQRT_TWENTY_SEVEN = 2.0 * pi / sqrt(27.0)
_PI_OVER_SIX = pi / 6.0
_SQRT_PI_OVER_TWO = sqrt(pi / 2.0)
_ONE_OVER_SQRT_TWO_PI = 1.0 / sqrt(2.0 * pi)
_RC_MIN = -(1.0 - sqrt(_DBL_EPSILON))  # minimum rational-cubic control parameter
_RC_MAX = 2.0 / (_DBL_EPSILON * _DBL_EPSILON)  # "infinite" control parameter (linear)

_MAX_ITERATIONS = 40  # hard cap; elements still unconverged are flagged NOT_CONVERGED
_STEP_TOL = 1e-5  # |ds| <= _STEP_TOL * s => remaining error ~|ds/s|^4, far below eps

_BLOCK = 1 << 16  # elements per block: keeps the ~100 temporaries per block in L2/L3 cache
_LOWER, _MIDDLE, _UPPER = 0, 1, 2  # objective functions of the Householder iteration


class IVReason(IntEnum):
    """Why an implied volatility is (or is not) available."""

    OK = 0
    ZERO_TIME = 1
    ZERO_PRICE = 2
    BELOW_INTRINSIC = 3
    ABOVE_UPPER_BOUND = 4
    INVALID_INPUT = 5
    NOT_CONVERGED = 6


class IVResult(NamedTuple):
    """Implied volatility (float64, NaN where not solvable) and an int8 ``IVReason`` code."""

    iv: F64
    reason: NDArray[np.int8]


# --------------------------------------------------------------------------------------------
# Rational cubic interpolation (Delbourgo & Gregory), vectorized
# --------------------------------------------------------------------------------------------


def _rc_interpolation(x: F64, x_l: FA, x_r: FA, y_l: FA, y_r: FA, d_l: FA, d_r: FA, r: F64) -> F64:
    """Shape-preserving rational cubic through (x_l, y_l), (x_r, y_r) with slopes d_l, d_r."""
    h = x_r - x_l
    t = (x - x_l) / h
    omt = 1.0 - t
    t2 = t * t
    omt2 = omt * omt
    cubic = (
        y_r * t2 * t
        + (r * y_r - h * d_r) * t2 * omt
        + (r * y_l + h * d_l) * t * omt2
        + y_l * omt2 * omt
    ) / (1.0 + (r - 3.0) * t * omt)
    out = np.where(r >= _RC_MAX, y_r * t + y_l * omt, cubic)
    return np.where(np.abs(h) <= 0.0, 0.5 * (y_l + y_r), out)


def _rc_min_control(d_l: FA, d_r: FA, s: F64, prefer_shape: bool) -> F64:
    """Minimum control parameter that keeps the interpolant monotonic/convex (eqs 3.8, 3.18)."""
    monotonic = (d_l * s >= 0.0) & (d_r * s >= 0.0)
    convex = (d_l <= s) & (s <= d_r)
    concave = (d_l >= s) & (s >= d_r)
    shaped = convex | concave
    s_zero = np.abs(s) < _DBL_MIN
    r1 = np.where(monotonic & ~s_zero, (d_r + d_l) / s, -_DBL_MAX)
    if prefer_shape:
        r1 = np.where(monotonic & s_zero, _RC_MAX, r1)
    d_r_m_d_l = d_r - d_l
    d_r_m_s = d_r - s
    s_m_d_l = s - d_l
    degenerate = (np.abs(s_m_d_l) < _DBL_MIN) | (np.abs(d_r_m_s) < _DBL_MIN)
    r2_val = np.maximum(np.abs(d_r_m_d_l / d_r_m_s), np.abs(d_r_m_d_l / s_m_d_l))
    r2 = np.where(shaped & ~degenerate, r2_val, -_DBL_MAX)
    if prefer_shape:
        r2 = np.where((shaped & degenerate) | (~shaped & monotonic), _RC_MAX, r2)
    r = np.maximum(_RC_MIN, np.maximum(r1, r2))
    return np.where(monotonic | shaped, r, _RC_MIN)


def _rc_control_right(
    x_l: FA,
    x_r: FA,
    y_l: FA,
    y_r: FA,
    d_l: FA,
    d_r: FA,
    second_r: FA,
    prefer_shape: bool,
) -> F64:
    """Convex control parameter fitting the second derivative at the right end."""
    h = x_r - x_l
    numerator = 0.5 * h * second_r + (d_r - d_l)
    denominator = d_r - (y_r - y_l) / h
    r = np.where(
        np.abs(denominator) < _DBL_MIN,
        np.where(numerator > 0.0, _RC_MAX, _RC_MIN),
        numerator / denominator,
    )
    r = np.where(np.abs(numerator) < _DBL_MIN, 0.0, r)
    return np.maximum(r, _rc_min_control(d_l, d_r, (y_r - y_l) / h, prefer_shape))


def _rc_control_left(
    x_l: FA,
    x_r: FA,
    y_l: FA,
    y_r: FA,
    d_l: FA,
    d_r: FA,
    second_l: FA,
    prefer_shape: bool,
) -> F64:
    """Convex control parameter fitting the second derivative at the left end."""
    h = x_r - x_l
    numerator = 0.5 * h * second_l + (d_r - d_l)
    denominator = (y_r - y_l) / h - d_l
    r = np.where(
        np.abs(denominator) < _DBL_MIN,
        np.where(numerator > 0.0, _RC_MAX, _RC_MIN),
        numerator / denominator,
    )
    r = np.where(np.abs(numerator) < _DBL_MIN, 0.0, r)
    return np.maximum(r, _rc_min_control(d_l, d_r, (y_r - y_l) / h, prefer_shape))


# --------------------------------------------------------------------------------------------
# Let's Be Rational: initial guesses per segment
# --------------------------------------------------------------------------------------------


def _lower_map(x: F64, s: F64) -> tuple[F64, F64, F64]:
    """f(b) = 2pi/sqrt(27) |x| N(-z)^3 (z = |x|/(sqrt(3) s)) and its first two b-derivatives."""
    ax = np.abs(x)
    z = _SQRT_ONE_OVER_THREE * ax / s
    y = z * z
    s2 = s * s
    cdf = ndtr(-z)
    pdf = _ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * y)
    fpp = (
        _PI_OVER_SIX
        * y
        / (s2 * s)
        * cdf
        * (8.0 * _SQRT_THREE * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * cdf / pdf)
        * np.exp(2.0 * y + 0.25 * s2)
    )
    cdf2 = cdf * cdf
    fp = _TWO_PI * y * cdf2 * np.exp(y + 0.125 * s2)
    f = _TWO_PI_OVER_SQRT_TWENTY_SEVEN * ax * (cdf2 * cdf)
    return f, fp, fpp


def _inverse_lower_map(x: F64, f: F64) -> F64:
    """s = |x / (sqrt(3) N^{-1}((f / (2pi/sqrt(27) |x|))^{1/3}))|."""
    u = np.cbrt(f / (_TWO_PI_OVER_SQRT_TWENTY_SEVEN * np.abs(x)))
    return np.abs(x / (_SQRT_THREE * ndtri(u)))


def _upper_map(x: F64, s: F64) -> tuple[F64, F64, F64]:
    """f(b) = N(-s/2) and its first two derivatives with respect to b."""
    f = ndtr(-0.5 * s)
    w = (x / s) ** 2
    fp = -0.5 * np.exp(0.5 * w)
    fpp = _SQRT_PI_OVER_TWO * np.exp(w + 0.125 * s * s) * w / s
    zero_x = x == 0.0
    fp = np.where(zero_x, -0.5, fp)
    fpp = np.where(zero_x, 0.0, fpp)
    return f, fp, fpp


class _Segment(NamedTuple):
    idx: I64
    s: F64
    s_left: F64
    s_right: F64
    kind: int


def _initial_guesses(beta: F64, x: F64, b_max: F64) -> list[_Segment]:
    """Jaeckel's four-segment initial guess; returns per-objective groups of elements."""
    # Central point s_c = sqrt(2|x|) (inflexion of b(s)), where h + t = 0 and h^2 + t^2 = |x|:
    # b_c = e^{x/2} (1 - erfcx(sqrt|x|)) / 2 and v_c = e^{x/2} / sqrt(2 pi) in closed form.
    sqrt_ax = np.sqrt(-x)
    s_c = _SQRT_TWO * sqrt_ax
    b_c = erfcx(sqrt_ax)
    np.subtract(1.0, b_c, out=b_c)
    b_c *= 0.5 * b_max
    v_c = _ONE_OVER_SQRT_TWO_PI * b_max
    low = beta < b_c
    # s_l = s_c - b_c / v_c below b_c, s_h = s_c + (b_max - b_c) / v_c above (exact blend).
    s_2 = b_max * ~low
    s_2 -= b_c
    s_2 /= v_c
    s_2 += s_c
    s_2 = np.where(v_c > _DBL_MIN, s_2, s_c)  # v_c underflows only for |x| > ~1400
    # b_l and its vega in the low half, b_h and its vega in the high half
    b_2, v_2 = _normalised_black_and_vega(x, s_2)

    seg_lowest = low & (beta < b_2)
    seg_low_mid = low & ~seg_lowest
    seg_high_mid = ~low & (beta <= b_2)
    seg_highest = ~low & ~seg_high_mid

    groups: list[_Segment] = []
    mids: list[tuple[I64, F64, F64, F64]] = []

    # Lowest segment: interpolate the lower map f(beta) on [0, b_l], invert it.
    i = np.flatnonzero(seg_lowest)
    if i.size:
        xi, bi, s_l, b_l = x[i], beta[i], s_2[i], b_2[i]
        f_l, fp_l, fpp_l = _lower_map(xi, s_l)
        r_ll = _rc_control_right(0.0, b_l, 0.0, f_l, 1.0, fp_l, fpp_l, True)
        f = _rc_interpolation(bi, 0.0, b_l, 0.0, f_l, 1.0, fp_l, r_ll)
        t = bi / b_l
        f = np.where(f > 0.0, f, (f_l * t + b_l * (1.0 - t)) * t)
        s = _inverse_lower_map(xi, f)
        groups.append(_Segment(i, s, np.full(i.size, _DBL_MIN), s_l.copy(), _LOWER))

    # Lower middle segment: rational cubic s(beta) on [b_l, b_c].
    i = np.flatnonzero(seg_low_mid)
    if i.size:
        xi, bi, s_l, b_l, sc, bc, vc = x[i], beta[i], s_2[i], b_2[i], s_c[i], b_c[i], v_c[i]
        v_l = v_2[i]
        r_lm = _rc_control_right(b_l, bc, s_l, sc, 1.0 / v_l, 1.0 / vc, 0.0, False)
        s = _rc_interpolation(bi, b_l, bc, s_l, sc, 1.0 / v_l, 1.0 / vc, r_lm)
        mids.append((i, s, s_l, sc))

    # Upper middle segment: rational cubic s(beta) on [b_c, b_h].
    i = np.flatnonzero(seg_high_mid)
    if i.size:
        xi, bi, s_h, b_h, sc, bc, vc = x[i], beta[i], s_2[i], b_2[i], s_c[i], b_c[i], v_c[i]
        v_h = v_2[i]
        r_hm = _rc_control_left(bc, b_h, sc, s_h, 1.0 / vc, 1.0 / v_h, 0.0, False)
        s = _rc_interpolation(bi, bc, b_h, sc, s_h, 1.0 / vc, 1.0 / v_h, r_hm)
        mids.append((i, s, sc, s_h))

    # Highest segment: interpolate the upper map f(beta) on [b_h, b_max], invert it.
    i = np.flatnonzero(seg_highest)
    if i.size:
        xi, bi, s_h, b_h, bm = x[i], beta[i], s_2[i], b_2[i], b_max[i]
        f_h, fp_h, fpp_h = _upper_map(xi, s_h)
        r_hh = _rc_control_left(b_h, bm, f_h, 0.0, fp_h, -0.5, fpp_h, True)
        f = _rc_interpolation(bi, b_h, bm, f_h, 0.0, fp_h, -0.5, r_hh)
        f = np.where((fpp_h > -_SQRT_DBL_MAX) & (fpp_h < _SQRT_DBL_MAX), f, -_DBL_MAX)
        h = bm - b_h
        t = (bi - b_h) / h
        f = np.where(f > 0.0, f, (f_h * (1.0 - t) + 0.5 * h * t) * (1.0 - t))
        s = -2.0 * ndtri(f)
        upper = bi > 0.5 * bm  # else the plain objective b - beta is better conditioned
        j = np.flatnonzero(upper)
        if j.size:
            groups.append(_Segment(i[j], s[j], s_h[j].copy(), np.full(j.size, _DBL_MAX), _UPPER))
        j = np.flatnonzero(~upper)
        if j.size:
            mids.append((i[j], s[j], s_h[j], np.full(j.size, _DBL_MAX)))

    if mids:
        groups.append(
            _Segment(
                np.concatenate([m[0] for m in mids]),
                np.concatenate([m[1] for m in mids]),
                np.concatenate([m[2] for m in mids]),
                np.concatenate([m[3] for m in mids]),
                _MIDDLE,
            )
        )
    return groups


# --------------------------------------------------------------------------------------------
# Householder(3) iterations
# --------------------------------------------------------------------------------------------


def _householder_step(
    kind: int, x: F64, beta: F64, b_max: F64 | None, s: F64, b: F64, bp: F64
) -> F64:
    """Third-order Householder step ``newton (1 + halley newton/2) / (1 + newton (halley +
    hh3 newton / 6))`` on the segment's objective g(s); NaN where the step is undefined."""
    h = x / s
    b_halley = h * h / s - 0.25 * s  # b''/b'
    b_hh3 = b_halley * b_halley - 3.0 * (h / s) ** 2 - 0.25  # b'''/b'
    if kind == _MIDDLE:  # g = b - beta
        newton = (beta - b) / bp
        halley = b_halley
        hh3 = b_hh3
    elif kind == _LOWER:  # g = 1/ln(b) - 1/ln(beta)
        ln_b = np.log(b)
        ln_beta = np.log(beta)
        bpob = bp / b
        newton = (ln_beta - ln_b) * ln_b / ln_beta / bpob
        c = 1.0 + 2.0 / ln_b
        halley = b_halley - bpob * c
        hh3 = (
            b_hh3
            + 2.0 * bpob * bpob * (1.0 + 3.0 / ln_b * (1.0 + 1.0 / ln_b))
            - (3.0 * b_halley * bpob * c)
        )
        newton = np.where((b > 0.0) & (bp > 0.0), newton, np.nan)
    else:  # g = ln((b_max - beta) / (b_max - b))
        assert b_max is not None
        b_max_minus_b = b_max - b
        g = np.log((b_max - beta) / b_max_minus_b)
        gp = bp / b_max_minus_b
        newton = -g / gp
        halley = b_halley + gp
        hh3 = b_hh3 + gp * (2.0 * gp + 3.0 * b_halley)
        newton = np.where((b < b_max) & (bp > _DBL_MIN), newton, np.nan)
    return newton * (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))


def _bisection_point(s_left: F64, s_right: F64) -> F64:
    """Bracket mid-point; geometric when the bracket spans more than a factor of 4."""
    return np.where(
        s_right > 4.0 * s_left, np.sqrt(s_left) * np.sqrt(s_right), 0.5 * (s_left + s_right)
    )


def _iterate(x: F64, beta: F64, seg: _Segment) -> tuple[F64, NDArray[np.bool_]]:
    """Householder(3) iteration of one segment on its still-active subset; (s, converged).

    After each step, elements are retired when ``|ds| <= _STEP_TOL * s`` (the next error is
    ``~|ds/s|^4``) or when their bracket has collapsed; at most ``_MAX_ITERATIONS`` steps.
    """
    kind = seg.kind
    s, s_left, s_right = seg.s.copy(), seg.s_left, seg.s_right
    b_max = np.exp(0.5 * x) if kind == _UPPER else None
    n = s.size
    converged = np.zeros(n, dtype=bool)
    active: I64 | None = None  # None: all elements active (no gather needed)
    for it in range(_MAX_ITERATIONS):
        if active is None:
            xa, ba, sa, sl, sr, bma = x, beta, s, s_left, s_right, b_max
        else:
            xa, ba, sa = x[active], beta[active], s[active]
            sl, sr = s_left[active], s_right[active]
            bma = b_max[active] if b_max is not None else None
        if it > 0:
            # A step that left the bracket (or landed on its edge) becomes a bisection.
            outside = ~((sa > sl) & (sa < sr))
            if outside.any():
                sa = np.where(outside, _bisection_point(sl, sr), sa)
        b, bp = _normalised_black_and_vega(xa, sa)
        # Tighten the bracket (branch-free: s / True = s, s / False = inf; s * False = 0).
        sr = np.minimum(sr, sa / (b > ba))
        sl = np.maximum(sl, sa * (b < ba))
        ds = _householder_step(kind, xa, ba, bma, sa, b, bp)
        bisect = ~np.isfinite(ds)
        if bisect.any():  # numerical underflow: bisection for this iteration
            ds = np.where(bisect, _bisection_point(sl, sr) - sa, ds)
        np.maximum(ds, -0.5 * sa, out=ds)
        sa = sa + ds
        done = np.abs(ds) <= _STEP_TOL * sa
        done &= ~bisect
        collapsed = sr - sl <= 4.0 * _DBL_EPSILON * sa
        if collapsed.any():  # the root is pinned by the bracket itself
            sa = np.where(collapsed, 0.5 * (sl + sr), sa)
            done |= collapsed
        if active is None:
            s, s_left, s_right = sa, sl, sr
            if done.all():
                converged[:] = True
                return s, converged
            active = np.flatnonzero(~done)
            converged[done] = True
        else:
            s[active] = sa
            s_left[active] = sl
            s_right[active] = sr
            converged[active[done]] = True
            active = active[~done]
            if active.size == 0:
                break
    return s, converged


def _lets_be_rational(beta: F64, x: F64, b_max: F64) -> tuple[F64, NDArray[np.bool_]]:
    """Solve ``b(x, s) = beta`` for ``s`` where ``x <= 0`` and ``0 < beta < b_max = e^{x/2}``."""
    with np.errstate(all="ignore"):
        groups = _initial_guesses(beta, x, b_max)
        if len(groups) == 1:
            return _iterate(x, beta, groups[0])
        s = np.empty(beta.size)
        converged = np.empty(beta.size, dtype=bool)
        for seg in groups:
            s_i, c_i = _iterate(x[seg.idx], beta[seg.idx], seg)
            s[seg.idx] = s_i
            converged[seg.idx] = c_i
    return s, converged


def _implied_vol_core(
    price: F64,
    F: F64,
    K: F64,
    T: F64,
    D: F64,
    is_call: NDArray[np.bool_],
    invalid: NDArray[np.bool_],
) -> tuple[F64, NDArray[np.int8]]:
    """Flat-array implied volatility of ``price = D * Black(F, K, sigma sqrt(T))``."""
    n = price.size
    reason = np.zeros(n, dtype=np.int8)  # IVReason.OK

    def flag(mask: NDArray[np.bool_], code: IVReason) -> None:
        if mask.any():
            reason[mask & (reason == IVReason.OK)] = code

    with np.errstate(all="ignore"):
        finite = np.isfinite(price) & np.isfinite(F) & np.isfinite(K)
        finite &= np.isfinite(T) & np.isfinite(D)
        flag(invalid | ~finite | ~(F > 0.0) | ~(K > 0.0) | ~(price >= 0.0), IVReason.INVALID_INPUT)
        flag(T <= 0.0, IVReason.ZERO_TIME)
        flag(price == 0.0, IVReason.ZERO_PRICE)
        # Intrinsic value D max(theta (F - K), 0) and the upper bound D F (call) / D K (put).
        intrinsic = F - K  # the pricing kernel's expression, so rounding is identical
        intrinsic *= _sign(is_call)
        np.maximum(intrinsic, 0.0, out=intrinsic)
        flag(price < D * intrinsic, IVReason.BELOW_INTRINSIC)
        above = (price >= D * F) & is_call
        above |= (price >= D * K) & ~is_call
        flag(above, IVReason.ABOVE_UPPER_BOUND)

        idx = np.flatnonzero(reason == IVReason.OK)
        if idx.size < n:
            price, F, K, T, D, intrinsic = (a[idx] for a in (price, F, K, T, D, intrinsic))
        # Normalised out-of-the-money problem: b(x, s) = beta, x = -|ln(F/K)| <= 0.
        x = np.log(F / K)
        np.abs(x, out=x)
        np.negative(x, out=x)
        # Undiscount first, then remove the intrinsic value: for prices of the form D * B this
        # recovers B (almost always exactly), so only B's own rounding reaches the time value.
        beta = price / D
        beta -= intrinsic
        beta /= np.sqrt(F) * np.sqrt(K)
        b_max = np.exp(0.5 * x)
        code = np.zeros(idx.size, dtype=np.int8)
        code[~(beta >= BETA_MIN)] = IVReason.ZERO_PRICE
        code[beta >= b_max] = IVReason.ABOVE_UPPER_BOUND
        sub = np.flatnonzero(code == IVReason.OK)
        if sub.size == idx.size:
            s, conv = _lets_be_rational(beta, x, b_max)
            vol = s
        else:
            s, conv = _lets_be_rational(beta[sub], x[sub], b_max[sub])
            vol = np.full(idx.size, np.nan)
            vol[sub] = s
        vol /= np.sqrt(T)
        if not conv.all():
            bad = sub[~conv]
            code[bad] = IVReason.NOT_CONVERGED
        vol[code != IVReason.OK] = np.nan
        if idx.size == n:
            return vol, code
        iv = np.full(n, np.nan)
        iv[idx] = vol
        reason[idx] = code
    return iv, reason


def implied_vol_bsm(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
) -> IVResult:
    """Black-Scholes-Merton implied volatility (forward ``S e^{(r-q)T}``, discount ``e^{-rT}``).

    Never raises; see the module docstring for the NaN/``IVReason`` rules.
    """
    shape, (p, S_, K_, T_, r_, q_) = _broadcast_flat(price, S, K, T, r, q)
    flag = _flat_bool(is_call, shape)
    iv = np.empty(p.size)
    reason = np.empty(p.size, dtype=np.int8)
    for lo in range(0, p.size, _BLOCK):  # cache blocking; each block is fully vectorized
        blk = slice(lo, lo + _BLOCK)
        S_b, T_b, r_b, q_b = S_[blk], T_[blk], r_[blk], q_[blk]
        with np.errstate(all="ignore"):
            invalid = ~(np.isfinite(S_b) & (S_b > 0.0) & np.isfinite(r_b) & np.isfinite(q_b))
        F, D = _forward_discount(S_b, T_b, r_b, q_b)
        iv[blk], reason[blk] = _implied_vol_core(p[blk], F, K_[blk], T_b, D, flag[blk], invalid)
    return IVResult(iv.reshape(shape), reason.reshape(shape))


def implied_vol_black76(
    price: ArrayLike, F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> IVResult:
    """Black-76 implied volatility on a futures/forward price ``F`` discounted at ``e^{-rT}``.

    Never raises; see the module docstring for the NaN/``IVReason`` rules.
    """
    shape, (p, F_, K_, T_, r_) = _broadcast_flat(price, F, K, T, r)
    flag = _flat_bool(is_call, shape)
    iv = np.empty(p.size)
    reason = np.empty(p.size, dtype=np.int8)
    for lo in range(0, p.size, _BLOCK):  # cache blocking; each block is fully vectorized
        blk = slice(lo, lo + _BLOCK)
        r_b, T_b = r_[blk], T_[blk]
        with np.errstate(all="ignore"):
            invalid = ~np.isfinite(r_b)
            D = np.exp(-r_b * T_b)
        iv[blk], reason[blk] = _implied_vol_core(
            p[blk], F_[blk], K_[blk], T_b, D, flag[blk], invalid
        )
    return IVResult(iv.reshape(shape), reason.reshape(shape))
