"""Rebuild this folder's corpus from the sample market (run from the project root):

    .venv/bin/python tests/data/bad_inputs/cboe_option_eod/build_corpus.py

The base rows are cut from the generator's real-format files of 2008-10-10 (seed: the
generator's default; the generator is deterministic, so the output is byte-identical).
Each case applies ONE documented corruption (or format variant) to the base cut; the
expected outcome of every file is written by hand below and saved to
``expected.json`` (it is never computed by the reader under test). See README.md.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
DAY = dt.date(2008, 10, 10)
SPX_NAME = f"UnderlyingOptionsEODCalcs_^SPX_{DAY.isoformat()}.csv"
VIX_NAME = f"UnderlyingOptionsEODCalcs_^VIX_{DAY.isoformat()}.csv"
SPX_STRIDE, SPX_START = 171, 5  # 24 SPX/SPXW rows spread over the chain
VIX_STRIDE, VIX_START = 37, 3  # 20 VIX rows

Row = list[str]


def _sample_files() -> tuple[list[str], list[str]]:
    """(SPX lines, VIX lines) of the generated 2008-10-10 files, header first."""
    from alvh_assets.sample.generate import generate_sample_market

    with tempfile.TemporaryDirectory() as tmp:
        generate_sample_market(DAY, DAY, Path(tmp))
        base = Path(tmp) / "cboe" / "option_eod"
        spx = (base / "SPX" / SPX_NAME).read_text().splitlines()
        vix = (base / "VIX" / VIX_NAME).read_text().splitlines()
    return spx, vix


def _cut(lines: list[str], start: int, stride: int) -> tuple[Row, list[Row]]:
    header = lines[0].split(",")
    return header, [ln.split(",") for ln in lines[1:][start::stride]]


class Corpus:
    """Writes the files and collects their expectations."""

    def __init__(self, header: Row, rows: list[Row]) -> None:
        self.header = header
        self.rows = rows
        self.expected: dict[str, dict[str, object]] = {}

    def col(self, name: str) -> int:
        return self.header.index(name)

    def copy(self) -> list[Row]:
        return [list(r) for r in self.rows]

    def set(self, rows: list[Row], line: int, column: str, value: str) -> None:
        """Physical line ``line`` (the header is line 1) gets ``value`` in ``column``."""
        rows[line - 2][self.col(column)] = value

    def write(
        self,
        name: str,
        rows: list[Row],
        loaded: int,
        quarantined: dict[str, int] | None = None,
        header: Row | None = None,
        newline: str = "\n",
        bom: bool = False,
    ) -> None:
        text = newline.join(",".join(r) for r in [header or self.header, *rows]) + newline
        (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        quarantined = quarantined or {}
        self.expected[name] = {
            "rows_read": len(rows),
            "loaded": loaded,
            "quarantined": quarantined,
        }
        assert loaded + sum(quarantined.values()) == len(rows), name

    def unreadable(self, name: str, data: bytes, message: str) -> None:
        (HERE / name).write_bytes(data)
        self.expected[name] = {"unreadable": message}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def _mdy(iso: str, time: bool) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.month}/{d.day}/{d.year}" + (" 0:00:00" if time else "")


def _bad_rows(c: Corpus) -> None:
    d = "2008-10-10"

    def wrong_count(r: list[Row]) -> None:
        r[3 - 2] = r[3 - 2][:-1]  # line 3: last field (delivery_code) missing -> 33 fields
        r[7 - 2] = [*r[7 - 2], "X"]  # line 7: one extra field -> 35 fields

    def empty_mandatory(r: list[Row]) -> None:
        c.set(r, 4, "strike", "")
        c.set(r, 9, "ask_eod", "")
        c.set(r, 12, "option_type", "")

    def bad_date(r: list[Row]) -> None:
        c.set(r, 5, "quote_date", "2008-10-32")
        c.set(r, 8, "expiration", "Dec 19 2008")

    def non_numeric(r: list[Row]) -> None:
        c.set(r, 3, "bid_1545", "n/a")
        c.set(r, 6, "open_interest", "12.5")
        c.set(r, 10, "delta_1545", "NaN")  # a Calcs value: loads as null, flagged

    def negative(r: list[Row]) -> None:
        c.set(r, 2, "bid_eod", "-0.0500")  # a zero-bid far wing turned negative
        c.set(r, 11, "underlying_bid_1545", "-899.2200")

    def negative_count(r: list[Row]) -> None:
        c.set(r, 4, "open_interest", "-1")
        c.set(r, 8, "bid_size_eod", "-5")
        c.set(r, 10, "trade_volume", "0")  # no trades: valid, loads

    def implausible(r: list[Row]) -> None:
        c.set(r, 3, "strike", "1e308")
        c.set(r, 5, "bid_eod", "1e308")
        c.set(r, 7, "strike", "100000.000")  # > 100x the underlying (~940)
        c.set(r, 9, "open_interest", "1000000000")
        c.set(r, 11, "underlying_bid_1545", "10000000.0000")
        c.set(r, 13, "strike", "5.000")  # a far wing at 0.005x the underlying: loads

    def option_type(r: list[Row]) -> None:
        c.set(r, 5, "option_type", "X")
        c.set(r, 9, "option_type", "CALL")

    def strike(r: list[Row]) -> None:
        c.set(r, 3, "strike", "0.000")
        c.set(r, 7, "strike", "-5.000")

    def expiration(r: list[Row]) -> None:
        c.set(r, 4, "expiration", "2008-10-09")  # before the quote date: quarantined
        c.set(r, 8, "expiration", d)  # same-day expiry: valid, loads

    def crossed(r: list[Row]) -> None:
        c.set(r, 6, "bid_1545", "4.4000")  # ask_1545 4.3000
        c.set(r, 12, "bid_eod", "190.8000")  # ask_eod 190.7000

    def trading_day(r: list[Row]) -> None:
        c.set(r, 5, "quote_date", "2008-10-11")  # Saturday
        c.set(r, 9, "quote_date", "2008-10-12")  # Sunday

    def file_day(r: list[Row]) -> None:
        c.set(r, 7, "quote_date", "2008-10-09")  # a trading day, but not the file's

    # vendor-computed (Calcs) values: every row loads, the bad value null and flagged
    def iv(r: list[Row]) -> None:
        c.set(r, 4, "implied_volatility_1545", "5.500000")  # iv_above_max
        c.set(r, 8, "implied_volatility_1545", "-0.200000")  # iv_negative
        c.set(r, 10, "implied_volatility_1545", "5.000000")  # the bound itself: unflagged
        for g in ("implied_volatility_1545", "delta_1545", "gamma_1545", "theta_1545"):
            c.set(r, 12, g, "0.000000")  # IV 0 = not computed: loads as null
        c.set(r, 12, "vega_1545", "0.000000")
        c.set(r, 12, "rho_1545", "0.000000")
        c.set(r, 14, "implied_volatility_1545", "7.300000")  # iv_above_max, Greeks kept
        c.set(r, 16, "implied_volatility_1545", "n/a")  # iv_unparseable
        c.set(r, 18, "implied_volatility_1545", "0.000000")  # not computed: Greeks unjudged
        c.set(r, 18, "delta_1545", "2.000000")

    def greeks(r: list[Row]) -> None:
        c.set(r, 5, "delta_1545", "1.200000")  # call
        c.set(r, 6, "delta_1545", "0.300000")  # put
        c.set(r, 9, "gamma_1545", "-0.000100")
        c.set(r, 13, "vega_1545", "-0.500000")
        c.set(r, 8, "delta_1545", "-1.000000")  # put delta at the bound: unflagged
        c.set(r, 11, "delta_1545", "0.000000")  # call delta at the bound: unflagged
        c.set(r, 15, "theta_1545", "abc")
        c.set(r, 16, "rho_1545", "1e308")
        c.set(r, 17, "implied_underlying_price_1545", "-855.8435")
        c.set(r, 18, "active_underlying_price_1545", "10000000.0000")
        c.set(r, 19, "delta_1545", "inf")  # two flags on one row
        c.set(r, 19, "gamma_1545", "2000000.000000")

    def duplicates(r: list[Row]) -> None:
        r.insert(7 - 2, list(r[6 - 2]))  # line 7 = exact copy of line 6
        other = list(r[10 - 2])
        other[c.col("open_interest")] = "999"
        r.append(other)  # last line: key of line 10, different open interest

    cases: list[tuple[str, Callable[[list[Row]], None], dict[str, int]]] = [
        ("wrong_column_count", wrong_count, {"wrong_column_count": 2}),
        ("empty_mandatory_field", empty_mandatory, {"empty_mandatory_field": 3}),
        ("unparseable_date", bad_date, {"unparseable_date": 2}),
        ("non_numeric_value", non_numeric, {"non_numeric_value": 2}),
        ("negative_price", negative, {"negative_price": 2}),
        ("negative_count", negative_count, {"negative_count": 2}),
        ("implausible_value", implausible, {"implausible_value": 5}),
        ("unknown_option_type", option_type, {"unknown_option_type": 2}),
        ("nonpositive_strike", strike, {"nonpositive_strike": 2}),
        ("expiration_before_quote_date", expiration, {"expiration_before_quote_date": 1}),
        ("bid_above_ask", crossed, {"bid_above_ask": 2}),
        ("not_a_trading_day", trading_day, {"not_a_trading_day": 2}),
        ("quote_date_differs_from_file_date", file_day, {"quote_date_differs_from_file_date": 1}),
        ("flagged_vendor_iv", iv, {}),
        ("flagged_vendor_greeks", greeks, {}),
        (
            "duplicate_key_in_file",
            duplicates,
            {"duplicate_key_in_file": 1, "conflicting_duplicate_key_in_file": 1},
        ),
    ]
    for name, corrupt, quarantined in cases:
        rows = c.copy()
        corrupt(rows)
        c.write(f"{name}_{d}.csv", rows, len(rows) - sum(quarantined.values()), quarantined)


def _priority(c: Corpus) -> None:
    """One row per rule, each also breaking every later rule it can, so only the first
    failing rule may win (lines 2..12 -> rules 1..11, line 15 -> rule 14; lines 13 and 14
    load with vendor flags; line 16+ stay clean)."""
    r = c.copy()
    s = c.set
    # line 2: wrong column count (+ negative price, unknown type)
    s(r, 2, "bid_eod", "-1.0000")
    s(r, 2, "option_type", "Z")
    r[0] = r[0][:-1]
    # line 3: empty mandatory (+ unparseable date, non-numeric)
    s(r, 3, "root", "")
    s(r, 3, "expiration", "someday")
    s(r, 3, "vwap", "abc")
    # line 4: unparseable date (+ non-numeric, strike 0)
    s(r, 4, "quote_date", "10/10/08x")
    s(r, 4, "trade_volume", "lots")
    s(r, 4, "strike", "0")
    # line 5: non-numeric (+ negative price, bid > ask; gamma `--` is only a vendor flag)
    s(r, 5, "gamma_1545", "--")
    s(r, 5, "high", "--")
    s(r, 5, "open", "-1.0000")
    s(r, 5, "bid_1545", "99.0000")
    # line 6: negative price (+ unknown type, expiration before quote date)
    s(r, 6, "vwap", "-0.5000")
    s(r, 6, "option_type", "Q")
    s(r, 6, "expiration", "2008-01-18")
    # line 7: unknown type (+ strike <= 0, Saturday)
    s(r, 7, "option_type", "PUT")
    s(r, 7, "strike", "-100.000")
    s(r, 7, "quote_date", "2008-10-11")
    # line 8: strike <= 0 (+ expiration before quote date, IV out of bounds)
    s(r, 8, "strike", "0.000")
    s(r, 8, "expiration", "2008-10-03")
    s(r, 8, "implied_volatility_1545", "9.000000")
    # line 9: expiration before quote date (+ bid > ask, not the file's day)
    s(r, 9, "expiration", "2008-10-08")
    s(r, 9, "quote_date", "2008-10-09")
    s(r, 9, "bid_eod", "999.0000")
    # line 10: bid > ask (+ Saturday, delta out of bounds)
    s(r, 10, "bid_1545", "400.0000")
    s(r, 10, "quote_date", "2008-10-11")
    s(r, 10, "delta_1545", "0.500000")
    # line 11: not a trading day (Sunday; also not the file's day, + IV out of bounds)
    s(r, 11, "quote_date", "2008-10-05")
    s(r, 11, "implied_volatility_1545", "7.000000")
    # line 12: not the file's day (+ IV out of bounds, Greek out of bounds)
    s(r, 12, "quote_date", "2008-10-09")
    s(r, 12, "implied_volatility_1545", "6.000000")
    s(r, 12, "gamma_1545", "-1.000000")
    # line 13: vendor IV and vega out of range: loads, flagged iv_negative;vega_out_of_range
    s(r, 13, "implied_volatility_1545", "-0.010000")
    s(r, 13, "vega_1545", "-1.000000")
    # line 14: a call delta out of range: loads, flagged (+ the key of line 15)
    s(r, 14, "delta_1545", "-0.100000")  # a put (line 14 is P) is fine; make it a call's
    s(r, 14, "option_type", "C")
    s(r, 14, "strike", r[15 - 2][c.col("strike")])
    s(r, 14, "expiration", r[15 - 2][c.col("expiration")])
    # line 15 (call, same key as line 14): a conflicting duplicate of the loaded line 14
    c.write(
        "priority_first_failing_rule_wins_2008-10-10.csv",
        r,
        len(r) - 12,
        {
            "wrong_column_count": 1,
            "empty_mandatory_field": 1,
            "unparseable_date": 1,
            "non_numeric_value": 1,
            "negative_price": 1,
            "unknown_option_type": 1,
            "nonpositive_strike": 1,
            "expiration_before_quote_date": 1,
            "bid_above_ask": 1,
            "not_a_trading_day": 1,
            "quote_date_differs_from_file_date": 1,
            "conflicting_duplicate_key_in_file": 1,
        },
    )


def _variants(c: Corpus, vix_header: Row, vix_rows: list[Row]) -> None:
    d = "2008-10-10"
    n = len(c.rows)
    calcs = {
        "implied_underlying_price_1545",
        "active_underlying_price_1545",
        "implied_volatility_1545",
        "delta_1545",
        "gamma_1545",
        "theta_1545",
        "vega_1545",
        "rho_1545",
    }
    for name, drop in (
        (f"variant_no_calcs_26_columns_{d}.csv", calcs),
        (f"variant_no_calcs_no_delivery_code_25_columns_{d}.csv", calcs | {"delivery_code"}),
    ):
        keep = [i for i, h in enumerate(c.header) if h not in drop]
        c.write(name, [[r[i] for i in keep] for r in c.rows], n, header=[c.header[i] for i in keep])

    dates = (c.col("quote_date"), c.col("expiration"))

    def quoted(v: str, i: int) -> str:
        v = _mdy(v, time=True) if i in dates else v
        if i == c.col("option_type"):
            v = v.lower()
        return f' "{v}" ' if i % 3 == 0 else (f'"  {v} "' if i % 3 == 1 else f"  {v}  ")

    c.write(
        f"variant_mdy_time_quoted_padded_{d}.csv",
        [[quoted(v, i) for i, v in enumerate(r)] for r in c.rows],
        n,
        header=[f'"{h}"' for h in c.header],
    )

    def padded_mdy(r: Row) -> Row:
        r = list(r)
        for i in dates:
            iso = dt.date.fromisoformat(r[i])
            r[i] = iso.strftime("%m/%d/%Y")
        return r

    c.write(f"variant_mm_dd_yyyy_{d}.csv", [padded_mdy(r) for r in c.rows], n)
    text = "\n".join(",".join(r) for r in [c.header, *c.rows]) + "\n"
    zipped = _zip({SPX_NAME: text.encode()})
    (HERE / f"variant_zipped_{d}.zip").write_bytes(zipped)
    c.expected[f"variant_zipped_{d}.zip"] = {"rows_read": n, "loaded": n, "quarantined": {}}
    c.write(f"variant_crlf_bom_{d}.csv", c.rows, n, newline="\r\n", bom=True)
    order = list(reversed(range(len(c.header))))
    order.remove(0)
    order.insert(0, 0)  # underlying_symbol must stay first (it identifies the header)
    c.write(
        f"variant_columns_reordered_{d}.csv",
        [[r[i] for i in order] for r in c.rows],
        n,
        header=[c.header[i] for i in order],
    )
    c.write(f"variant_header_only_{d}.csv", [], 0)
    vix = Corpus(vix_header, vix_rows)
    vix.write(f"variant_vix_zero_underlying_{d}.csv", vix_rows, len(vix_rows))
    c.expected.update(vix.expected)


def _unreadable(c: Corpus) -> None:
    text = "\n".join(",".join(r) for r in [c.header, *c.rows[:5]]) + "\n"
    c.unreadable(
        "unreadable_binary.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x10" * 4,
        "not a UTF-8 text CSV",
    )
    c.unreadable("unreadable_nul_bytes.csv", text.encode().replace(b",", b"\x00"), "binary content")
    c.unreadable("unreadable_empty.csv", b"", "file is empty")
    moved = [c.header[1], c.header[0], *c.header[2:]]
    rows = [[r[1], r[0], *r[2:]] for r in c.rows[:5]]
    c.unreadable(
        "unreadable_wrong_header.csv",
        ("\n".join(",".join(r) for r in [moved, *rows]) + "\n").encode(),
        "wrong header: expected a first column underlying_symbol",
    )
    drop = c.col("bid_eod")
    c.unreadable(
        "unreadable_missing_core_column.csv",
        (
            "\n".join(
                ",".join(v for i, v in enumerate(r) if i != drop) for r in [c.header, *c.rows]
            )
            + "\n"
        ).encode(),
        "missing core column(s) bid_eod",
    )
    good = _zip({SPX_NAME: text.encode()})
    c.unreadable("unreadable_broken.zip", good[: len(good) // 2], "unreadable zip archive")
    c.unreadable(
        "unreadable_two_members.zip",
        _zip({SPX_NAME: text.encode(), VIX_NAME: text.encode()}),
        "zip must hold exactly one CSV, found 2 members",
    )


def main() -> None:
    spx, vix = _sample_files()
    header, rows = _cut(spx, SPX_START, SPX_STRIDE)
    vix_header, vix_rows = _cut(vix, VIX_START, VIX_STRIDE)
    corpus = Corpus(header, rows)
    _bad_rows(corpus)
    _priority(corpus)
    _variants(corpus, vix_header, vix_rows)
    _unreadable(corpus)
    (HERE / "expected.json").write_text(
        json.dumps(corpus.expected, indent=2, sort_keys=True) + "\n"
    )
    print(f"wrote {len(corpus.expected)} files to {HERE}")


if __name__ == "__main__":
    main()
