"""The CFE VX reader on today's layout (``tests/data/real_layouts/cfe_vx``, hand-made from the
public format descriptions): ISO trade dates, weekly labels carrying their expiry, monthly
labels old and new, columns by name, and unrecognised labels quarantined with one reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.readers.cfe_vx import KEY, SCHEMA, parse_label, read_cfe_vx
from tests.ingest import corpus

LAYOUTS = Path(__file__).parents[1] / "data" / "real_layouts" / "cfe_vx"
HEADER = "Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,Open Interest"


def _check(path: Path) -> pl.DataFrame:
    result = read_cfe_vx(path)
    corpus.assert_conserved(result, SCHEMA, KEY)
    corpus.assert_raw_lines_delivered(result, path, is_header=lambda ln: ln.startswith("Trade"))
    return result.accepted


def test_weekly_file_expiry_from_label() -> None:
    rows = _check(LAYOUTS / "VX_2023-08-30.csv")
    assert rows.height == 5
    assert rows["contract"].unique().to_list() == ["VX35 08/30/2023"]
    assert rows["contract_expiration"].unique().to_list() == [dt.date(2023, 8, 30)]
    assert rows["is_weekly"].unique().to_list() == [True]
    assert rows["trade_date"].to_list() == [dt.date(2023, 8, d) for d in (14, 15, 16, 17, 18)]
    first = rows.row(0, named=True)
    assert (first["settle"], first["change"], first["open_interest"]) == (16.6, -0.25, 11875)
    assert first["price_scale"] == 1


@pytest.mark.parametrize(
    ("name", "label", "expiration", "n"),
    [
        ("VX_2023-08-16.csv", "Q (Aug 2023)", dt.date(2023, 8, 16), 3),
        ("VX_2023-09-20.csv", "U (Sep 2023)", dt.date(2023, 9, 20), 5),
    ],
)
def test_monthly_files_four_digit_year(name: str, label: str, expiration: dt.date, n: int) -> None:
    rows = _check(LAYOUTS / name)
    assert rows.height == n
    assert rows["contract"].unique().to_list() == [label]
    assert rows["contract_expiration"].unique().to_list() == [expiration]
    assert rows["is_weekly"].unique().to_list() == [False]


def test_expiry_row_final_settlement() -> None:
    rows = _check(LAYOUTS / "VX_2023-08-16.csv")
    last = rows.filter(pl.col("trade_date") == dt.date(2023, 8, 16)).row(0, named=True)
    assert all(last[c] is None for c in ("open", "high", "low", "close"))
    assert last["settle"] == 16.21


def test_weekly_and_monthlies_coexist_on_a_day() -> None:
    curve = pl.concat([_check(p) for p in sorted(LAYOUTS.glob("VX_*.csv"))]).filter(
        pl.col("trade_date") == dt.date(2023, 8, 15)
    )
    assert curve.sort("contract_expiration").select(
        "contract_expiration", "is_weekly", "settle"
    ).rows() == [
        (dt.date(2023, 8, 16), False, 16.05),
        (dt.date(2023, 8, 30), True, 17.1),
        (dt.date(2023, 9, 20), False, 17.9),
    ]
    assert curve.select(KEY).is_unique().all()


def test_bad_labels_quarantined_with_their_reason(tmp_path: Path) -> None:
    lines = (LAYOUTS / "VX_2023-08-30.csv").read_text().splitlines()
    lines[2] = lines[2].replace("VX35 08/30/2023", "VX+VXT35/Q3")  # weekly symbol, no date
    lines[3] = lines[3].replace("VX35 08/30/2023", "VX 08/30/2023")  # no week, not monthly
    lines[4] = lines[4].replace("VX35 08/30/2023", "VX35 (Aug 30 2023)")  # not a form
    path = tmp_path / "VX_2023-08-30.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_cfe_vx(path)
    assert result.accepted.height == 2
    rejected = result.rejected.sort("source_row")
    assert rejected["reason_code"].unique().to_list() == ["unknown_contract_label"]
    assert rejected["source_row"].to_list() == [3, 4, 5]
    assert rejected["reason"].to_list() == [
        "unknown VX contract label 'VX+VXT35/Q3': a weekly symbol without its expiry date",
        "unknown VX contract label 'VX 08/30/2023': no week number, but 2023-08-30 is not "
        "the monthly VX expiry (2023-08-16)",
        "unknown VX contract label 'VX35 (Aug 30 2023)': not a CFE VX contract label",
    ]


@pytest.mark.parametrize(
    ("label", "expiration", "weekly"),
    [
        ("K (May 07)", dt.date(2007, 5, 16), False),
        ("Q (Aug 2023)", dt.date(2023, 8, 16), False),
        ("VX/Q3 (Aug 2023)", dt.date(2023, 8, 16), False),
        ("VX+VXT/F3 (Jan 23)", dt.date(2023, 1, 18), False),
        ("VX35 08/30/2023", dt.date(2023, 8, 30), True),
        ("VX+VXT35 2023-08-30", dt.date(2023, 8, 30), True),
        ("VX 08/16/2023", dt.date(2023, 8, 16), False),
        ("VX33 08/16/2023", dt.date(2023, 8, 16), False),  # on the monthly expiry: the monthly
        ("VX25 06/18/2024", dt.date(2024, 6, 18), False),  # Juneteenth: monthly on a Tuesday
    ],
)
def test_accepted_label_forms(label: str, expiration: dt.date, weekly: bool) -> None:
    parsed = parse_label(label)
    assert (parsed.expiration, parsed.is_weekly, parsed.problem) == (expiration, weekly, None)


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("K (Jun 07)", "month Jun is not code K (May)"),
        ("VX/Q4 (Aug 2023)", "symbol year 4 is not 2023"),
        ("VX/Q3", "a monthly symbol without (Mon yyyy)"),
        ("VX35/Q3 (Aug 2023)", "a weekly symbol without its expiry date"),
        ("VX35 13/45/2023", "unparseable expiry date 13/45/2023"),
        ("VX May 07", "not a CFE VX contract label"),
        ("VXT35 08/30/2023", "not a CFE VX contract label"),
        ("Z (Dec 9999)", "Dec 9999 is outside the exchange calendar"),
        ("VX35 12/31/9999", "expiry date 9999-12-31 is outside the exchange calendar"),
    ],
)
def test_rejected_label_forms(label: str, problem: str) -> None:
    parsed = parse_label(label)
    assert (parsed.expiration, parsed.is_weekly, parsed.problem) == (None, None, problem)


def test_columns_by_name_and_disclaimer(tmp_path: Path) -> None:
    """A disclaimer line and reordered columns read like the delivered file."""
    names = HEADER.split(",")
    order = [names[i] for i in (1, 0, *range(2, 11))]  # Futures before Trade Date
    lines = (LAYOUTS / "VX_2023-09-20.csv").read_text().splitlines()[1:]
    swapped = [",".join([f[1], f[0], *f[2:]]) for f in (ln.split(",") for ln in lines)]
    path = tmp_path / "VX_2023-09-20.csv"
    path.write_text(
        "\n".join(["CFE data is compiled for the convenience of site visitors", ",".join(order)])
        + "\n"
        + "\n".join(swapped)
        + "\n"
    )
    got = read_cfe_vx(path)
    assert got.rejected.height == 0
    want = read_cfe_vx(LAYOUTS / "VX_2023-09-20.csv").accepted
    assert got.accepted.drop("_source_row").equals(want.drop("_source_row"))


def test_one_date_style_per_file(tmp_path: Path) -> None:
    """An archive-style date inside an ISO file is unparseable (a damaged line)."""
    lines = (LAYOUTS / "VX_2023-09-20.csv").read_text().splitlines()
    lines[3] = lines[3].replace("2023-08-16", "08/16/2023")
    path = tmp_path / "VX_2023-09-20.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_cfe_vx(path)
    assert result.rejected["reason_code"].to_list() == ["unparseable_date"]
    assert "(expected YYYY-MM-DD, the file's style)" in result.rejected["reason"][0]


def test_a_window_reads_the_current_files_whatever_the_expiry_in_their_names(
    tmp_path: Path,
) -> None:
    """``VX_<expiry>.csv`` is a history file named by its contract's expiry, not a daily file:
    a window of 2023-08-14 … 2023-08-18 reads the files named 2023-08-30 and 2023-09-20 too,
    as one piece, and a quarantined row keeps its own trade date (not the name's date)."""
    import shutil

    from alvh_assets.ingest import run
    from alvh_assets.ingest.sources import SOURCES

    landing = tmp_path / "landing"
    (landing / "cfe" / "vx").mkdir(parents=True)
    for p in LAYOUTS.glob("VX_*.csv"):
        shutil.copy(p, landing / "cfe" / "vx" / p.name)
    weekly = landing / "cfe" / "vx" / "VX_2023-08-30.csv"
    weekly.write_text(weekly.read_text().replace("VX35 08/30/2023", "VX+VXT35/Q3", 1))
    source, window = SOURCES["cfe_vx_settlements"], (dt.date(2023, 8, 14), dt.date(2023, 8, 18))
    files = [p.name for p in run.files_for(source, landing, window)]
    assert files == ["VX_2023-08-16.csv", "VX_2023-08-30.csv", "VX_2023-09-20.csv"]
    assert run.pieces(source, landing, window) == [window]
    now = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    batch = run.collect(source, landing, window, now)
    assert batch.raw.height == 3 + 4 + 5
    assert batch.raw.filter(pl.col("is_weekly"))["contract_expiration"].unique().to_list() == [
        dt.date(2023, 8, 30)
    ]
    assert batch.rejected.select("source_file", "reason_code", "partition_date").rows() == [
        ("cfe/vx/VX_2023-08-30.csv", "unknown_contract_label", dt.date(2023, 8, 14))
    ]
