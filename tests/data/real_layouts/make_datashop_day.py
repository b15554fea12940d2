"""Write the hand-made Cboe DataShop "Option EOD Summary with Calcs" files of 2023-08-18.

Run once (``python tests/data/real_layouts/make_datashop_day.py``); the files it wrote are
committed under ``landing_2023-08-18/cboe/option_eod/``. It imports nothing of ``alvh``:
its own Black-76 (scipy's normal CDF), its own minute clock, so the tests that price these
rows check the project against an independent construction. The layout is DataShop's
(34 columns, ``YYYY-MM-DD`` dates, ``^SPX``/``^VIX`` underlying symbols, SPX/SPXW and
VIX/VIXW roots in one file per underlying); the quotes are illustrative (see README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from scipy.stats import norm

DAY = dt.date(2023, 8, 18)
OUT = Path(__file__).resolve().parent / "landing_2023-08-18" / "cboe" / "option_eod"
QUOTE_MINUTE, AM, PM = 15 * 60 + 45, 9 * 60 + 30, 16 * 60
RATE = math.log1p(5.12 / 100)  # FEDFUNDS, July 2023 average (known from 2023-08-01)
DIVIDEND = 0.015
SPX, VIX = 4369.87, 17.45  # 15:45 levels (illustrative, near the day's published closes)
VX = {  # settles of the hand-made CFE files of 2023-08-18 (weeklies, monthlies)
    dt.date(2023, 8, 23): 17.20,
    dt.date(2023, 8, 30): 17.60,
    dt.date(2023, 9, 20): 18.25,
    dt.date(2023, 10, 18): 19.05,
}
HEADER = [
    "underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type",
    "open", "high", "low", "close", "trade_volume",
    "bid_size_1545", "bid_1545", "ask_size_1545", "ask_1545",
    "underlying_bid_1545", "underlying_ask_1545",
    "implied_underlying_price_1545", "active_underlying_price_1545",
    "implied_volatility_1545", "delta_1545", "gamma_1545", "theta_1545", "vega_1545",
    "rho_1545",
    "bid_size_eod", "bid_eod", "ask_size_eod", "ask_eod",
    "underlying_bid_eod", "underlying_ask_eod", "vwap", "open_interest", "delivery_code",
]  # fmt: skip


def years(expiration: dt.date, am: bool) -> float:
    """Minutes from 15:45 on DAY to the settlement (09:30 AM / 16:00 PM) over 525,600."""
    minutes = (expiration - DAY).days * 1440 + (AM if am else PM) - QUOTE_MINUTE
    return minutes / 525_600


def black76(F: float, K: float, T: float, vol: float, call: bool) -> tuple[float, ...]:
    """Price, delta, gamma, theta per calendar day, vega per vol point, rho per point."""
    d1 = (math.log(F / K) + 0.5 * vol * vol * T) / (vol * math.sqrt(T))
    d2 = d1 - vol * math.sqrt(T)
    disc = math.exp(-RATE * T)
    s = 1 if call else -1
    price = disc * s * (F * norm.cdf(s * d1) - K * norm.cdf(s * d2))
    delta = disc * s * norm.cdf(s * d1)
    gamma = disc * norm.pdf(d1) / (F * vol * math.sqrt(T))
    vega = disc * F * norm.pdf(d1) * math.sqrt(T)
    theta = RATE * price - disc * F * norm.pdf(d1) * vol / (2 * math.sqrt(T))
    return price, delta, gamma, theta / 365, vega / 100, -T * price / 100


def tick(x: float, up: bool) -> float:
    """Round to the Cboe tick: 0.05 below 3.00, 0.10 from 3.00."""
    step = 0.05 if x < 3 else 0.10
    return round((math.ceil(x / step - 1e-9) if up else math.floor(x / step + 1e-9)) * step, 2)


def smile(k: float, T: float, atm: float, skew: float) -> float:
    """Illustrative smile in log-moneyness ``k``: ``atm - skew k / sqrt(12 T) + c k^2``, a skew
    steepening as T shortens (SPX: skew 0.8, c 1; VIX: skew -0.5, c 0.5, calls richer)."""
    curvature = 1.0 if skew > 0 else 0.5
    return max(0.05, atm - skew * k / math.sqrt(12 * max(T, 1 / 365)) + curvature * k * k)


def rows(symbol: str, level: float, series: list[tuple]) -> list[dict[str, object]]:
    out = []
    for root, expiration, am, strikes, forward, atm, skew in series:
        T = years(expiration, am)
        for K in strikes:
            for call in (True, False):
                row = dict.fromkeys(HEADER, 0)
                row.update(
                    underlying_symbol=symbol,
                    quote_date=DAY.isoformat(),
                    root=root,
                    expiration=expiration.isoformat(),
                    strike=f"{K:.3f}",
                    option_type="C" if call else "P",
                    underlying_bid_1545=f"{level:.2f}",
                    underlying_ask_1545=f"{level:.2f}",
                    active_underlying_price_1545=f"{level:.2f}",
                    underlying_bid_eod=f"{level:.2f}",
                    underlying_ask_eod=f"{level:.2f}",
                    delivery_code="",
                )
                if T <= 0:  # an AM series on its expiry day: settled this morning
                    row.update(implied_underlying_price_1545=f"{level:.2f}")
                    out.append(row)
                    continue
                vol = smile(math.log(K / forward), T, atm, skew)
                p, delta, gamma, theta, vega, rho = black76(forward, K, T, vol, call)
                half = min(2.5, max(0.05, 0.025 * p))
                bid, ask = tick(max(p - half, 0.0), up=False), tick(p + half, up=True)
                ask = max(ask, 0.05)
                iv = vol
                if root == "SPXW" and expiration == DAY and strikes[0] == K and not call:
                    iv = 7.1234  # the vendor's IV above 500% on a deep 0DTE wing, as in real files
                size = 10 + int(K) % 37
                row.update(
                    bid_size_1545=size if bid > 0 else 0,
                    bid_1545=f"{bid:.2f}",
                    ask_size_1545=size + 5,
                    ask_1545=f"{ask:.2f}",
                    implied_underlying_price_1545=f"{forward:.4f}",
                    implied_volatility_1545=f"{iv:.4f}",
                    delta_1545=f"{delta:.4f}",
                    gamma_1545=f"{gamma:.6f}",
                    theta_1545=f"{theta:.4f}",
                    vega_1545=f"{vega:.4f}",
                    rho_1545=f"{rho:.4f}",
                    bid_size_eod=size if bid > 0 else 0,
                    bid_eod=f"{bid:.2f}",
                    ask_size_eod=size + 5,
                    ask_eod=f"{ask:.2f}",
                    open_interest=100 * (1 + int(K) % 23),
                )
                out.append(row)
    return out


def grid(center: float, fine: float, fine_step: float, wide: float, wide_step: float) -> list:
    """Strikes: ``fine_step`` within ``fine`` of ``center``, ``wide_step`` out to ``wide``."""
    lo, hi = center - wide, center + wide
    out = {round(k, 3) for k in _steps(lo, hi, wide_step)}
    out |= {round(k, 3) for k in _steps(center - fine, center + fine, fine_step)}
    return sorted(k for k in out if k >= center / 2)  # no listed strike below half the level


def _steps(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def spx_forward(expiration: dt.date, am: bool) -> float:
    T = max(years(expiration, am), 0.0)
    return SPX * math.exp((RATE - DIVIDEND) * T)


def spx_series() -> list[tuple]:
    """The SPX/SPXW series of the committed file (root, expiry, AM, strikes, forward, atm, skew)."""
    d = dt.date
    series = [
        ("SPX", d(2023, 8, 18), True, grid(4370, 50, 25, 100, 50), SPX, 0.14, 0.8),
        ("SPXW", d(2023, 8, 18), False, grid(4370, 40, 5, 40, 5), None, 0.12, 0.8),
        ("SPXW", d(2023, 8, 21), False, grid(4370, 100, 5, 200, 25), None, 0.14, 0.8),
        ("SPXW", d(2023, 8, 25), False, grid(4370, 120, 5, 300, 25), None, 0.145, 0.8),
        ("SPX", d(2023, 9, 15), True, grid(4370, 150, 5, 700, 25), None, 0.15, 0.8),
        ("SPXW", d(2023, 9, 29), False, grid(4370, 150, 5, 900, 25), None, 0.155, 0.8),
        ("SPX", d(2023, 10, 20), True, grid(4370, 100, 25, 1000, 50), None, 0.16, 0.8),
    ]
    return [
        (r, e, am, ks, f if f else spx_forward(e, am), atm, sk)
        for r, e, am, ks, f, atm, sk in series
    ]


def vix_series() -> list[tuple]:
    """The VIX/VIXW series of the committed file (forwards: the VX settles of ``VX``)."""
    d = dt.date
    vix_interp = VX[d(2023, 8, 30)] + (VX[d(2023, 9, 20)] - VX[d(2023, 8, 30)]) * 7 / 21
    return [
        ("VIXW", d(2023, 8, 23), True, grid(17, 5, 1, 8, 1), VX[d(2023, 8, 23)], 1.10, -0.5),
        ("VIXW", d(2023, 8, 30), True, grid(17, 5, 1, 10, 1), VX[d(2023, 8, 30)], 1.00, -0.5),
        ("VIXW", d(2023, 9, 6), True, grid(18, 5, 1, 10, 1), vix_interp, 0.95, -0.5),
        ("VIX", d(2023, 9, 20), True, grid(18, 6, 1, 22, 2.5), VX[d(2023, 9, 20)], 0.90, -0.5),
        ("VIX", d(2023, 10, 18), True, grid(19, 6, 1, 21, 2.5), VX[d(2023, 10, 18)], 0.85, -0.5),
    ]


def write(out: Path, folder: str, symbol: str, level: float, series: list[tuple]) -> Path:
    """Write ``rows(symbol, level, series)`` as ``out/<folder>/UnderlyingOptionsEODCalcs_…``
    (CRLF, DataShop's header); return the path."""
    path = out / folder / f"UnderlyingOptionsEODCalcs_{symbol}_{DAY}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows(symbol, level, series))
    return path


def main() -> None:
    for folder, symbol, level, series in (
        ("SPX", "^SPX", SPX, spx_series()),
        ("VIX", "^VIX", VIX, vix_series()),
    ):
        path = write(OUT, folder, symbol, level, series)
        print(path, sum(1 for _ in path.open()) - 1)


if __name__ == "__main__":
    main()
