"""Every reader against hostile files: damaged zips, files that are not CSVs (``/etc/passwd``),
random bytes, huge lines, NUL bytes, invalid UTF-8 in the header or in a row, garbage
values and header names that collide with the readers' own columns.

Whatever the input, a reader returns a :class:`ReadResult` (every row loaded or quarantined
with a reason; conservation is asserted by ``ReadResult`` itself) or raises
:class:`UnreadableFileError` naming the file with a one-line problem that quotes no file
content beyond the offending field. Never a bare exception, never an absurd value loaded.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.csv_lines import SHOWN_MAX
from alvh_assets.ingest.quarantine import ReadResult, UnreadableFileError
from alvh_assets.ingest.readers.cboe_index import read_cboe_index
from alvh_assets.ingest.readers.cboe_option_eod import VENDOR_CALCS_FLAGS, read_cboe_option_eod
from alvh_assets.ingest.readers.cfe_vx import read_cfe_vx
from alvh_assets.ingest.readers.fomc import read_fomc
from alvh_assets.ingest.readers.fred import read_fred
from alvh_assets.ingest.readers.nyse_breadth import read_nyse_breadth
from alvh_assets.ingest.readers.release_calendar import read_release_calendar
from alvh_assets.ingest.readers.valuation import read_valuation
from tests.ingest.corpus import BAD_INPUTS

Reader = Callable[[Path], ReadResult]

READERS: dict[str, tuple[Reader, str, str]] = {
    # name: (reader, a clean corpus file, the stem a landing file of the source carries)
    "cboe_option_eod": (
        read_cboe_option_eod,
        "cboe_option_eod/variant_crlf_bom_2008-10-10.csv",
        "UnderlyingOptionsEODCalcs_^SPX_2008-10-10",
    ),
    "cboe_index": (read_cboe_index, "cboe_index/clean_2008_VIX_History.csv", "VIX_History"),
    "cfe_vx": (read_cfe_vx, "cfe_vx/clean_scale_change_CFE_K07_VX.csv", "CFE_K07_VX"),
    "fred": (read_fred, "fred/clean_observation_date_header.csv", "fred_CPILFESL"),
    "nyse_breadth": (read_nyse_breadth, "nyse_breadth/clean_2008_10.csv", "nyse_breadth"),
    "fomc": (read_fomc, "fomc/clean_2007_2008.csv", "fomc_decisions"),
    "release_calendar": (
        read_release_calendar,
        "release_calendar/clean_iso.csv",
        "macro_release_calendar",
    ),
    "valuation": (read_valuation, "valuation/clean_2008.csv", "valuation_monthly"),
}
NAMES = sorted(READERS)

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
)
GARBAGE = [
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "-0",
    "9" * 40,
    "-" + "9" * 25,
    "",
    " ",
    '"',
    '""',
    "0x10",
    "1_000",
    "١٢٣",
    "\u00a0",
    "∞",
    "2008-02-30",
    "99999-01-01",
    "1/1/0",
    "K (Foo 07)",
    "Z (Dec 99999)",
    "^",
    "x" * 300,
]


def clean(name: str) -> bytes:
    return (BAD_INPUTS / READERS[name][1]).read_bytes()


def write(tmp_path: Path, name: str, data: bytes, suffix: str = ".csv") -> Path:
    path = tmp_path / f"{READERS[name][2]}{suffix}"
    path.write_bytes(data)
    return path


def outcome(name: str, path: Path) -> ReadResult | UnreadableFileError:
    """The reader's result or its UnreadableFileError; any other exception fails the test.
    Checks the error is one line naming the file, and that nothing absurd loaded."""
    try:
        result = READERS[name][0](path)
    except UnreadableFileError as e:
        assert e.path == str(path)
        assert "\n" not in str(e) and "\r" not in str(e)
        assert len(e.problem) < 300, e.problem
        return e
    assert_nothing_absurd(result)
    return result


def assert_nothing_absurd(result: ReadResult) -> None:
    """Loaded floats are finite and below 1e9 in absolute value, integers below 1e12, texts
    at most 40 characters (``vendor_calcs_flag``: only its documented codes), and every
    quarantined row has a code and a one-line reason of bounded length."""
    for col, dtype in result.accepted.schema.items():
        values = result.accepted[col].drop_nulls()
        if col == "vendor_calcs_flag":
            codes = {c for v in values.to_list() for c in v.split(";")}
            assert codes <= set(VENDOR_CALCS_FLAGS), codes
        elif dtype == pl.Float64:
            assert values.is_finite().all(), col
            assert (values.abs() < 1e9).all(), (col, values.abs().max())
        elif dtype == pl.Int64 and col != "_source_row":
            assert (values.abs() < 10**12).all(), (col, values.abs().max())
        elif dtype == pl.Utf8:
            assert (values.str.len_chars() <= 40).all(), col
    reasons = result.rejected["reason"]
    assert result.rejected["reason_code"].null_count() == 0
    assert reasons.null_count() == 0
    assert not reasons.str.contains("[\n\r]").any()
    assert (reasons.str.len_chars() < 2000).all()


def zipped(payload: bytes, member: str, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), payload, method)
    return buf.getvalue()


def member_data_span(data: bytes) -> tuple[int, int]:
    """(start, end) of the single member's compressed bytes inside a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.infolist()[0]
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    return start, start + info.compress_size


# ------------------------------------------------------------------ defect 6: damaged zips


@pytest.mark.parametrize("name", NAMES)
def test_corrupt_deflate_stream_is_an_unreadable_file(name: str, tmp_path: Path) -> None:
    data = bytearray(zipped(clean(name), "member.csv"))
    start, end = member_data_span(bytes(data))
    for i in range(start + 2, end - 2):
        data[i] ^= 0xFF  # the compressed bytes garbled: zlib.error before this fix
    path = write(tmp_path, name, bytes(data), ".zip")
    with pytest.raises(UnreadableFileError) as err:
        READERS[name][0](path)
    assert err.value.path == str(path)
    assert err.value.problem.startswith("corrupt zip member 'member.csv': ")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_bad_crc_is_an_unreadable_file(name: str, tmp_path: Path) -> None:
    data = bytearray(zipped(clean(name), "member.csv", zipfile.ZIP_STORED))
    start, _ = member_data_span(bytes(data))
    data[start + 5] ^= 0x01  # stored bytes changed, CRC left: BadZipFile('Bad CRC-32 …')
    path = write(tmp_path, name, bytes(data), ".zip")
    with pytest.raises(UnreadableFileError) as err:
        READERS[name][0](path)
    assert err.value.problem.startswith("corrupt zip member 'member.csv': BadZipFile")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_zip_is_an_unreadable_file(name: str, keep: float, tmp_path: Path) -> None:
    data = zipped(clean(name), "member.csv")
    path = write(tmp_path, name, data[: int(len(data) * keep)], ".zip")
    with pytest.raises(UnreadableFileError) as err:
        READERS[name][0](path)
    assert "zip" in err.value.problem


def test_unsupported_compression_and_hostile_member_name(tmp_path: Path) -> None:
    data = bytearray(zipped(clean("fred"), "a\nb" + "x" * 100 + ".csv"))
    data[8:10] = (99).to_bytes(2, "little")  # local header: compression method 99
    central = data.rindex(b"PK\x01\x02")
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    path = write(tmp_path, "fred", bytes(data), ".zip")
    err = outcome("fred", path)
    assert isinstance(err, UnreadableFileError)
    assert err.problem.startswith("corrupt zip member 'a\\nbxxx")
    assert "x" * (SHOWN_MAX + 1) not in err.problem


# --------------------------------------------- defect 7: messages never echo file content


@pytest.mark.parametrize("name", NAMES)
def test_a_passwd_file_is_not_echoed(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, name, PASSWD.encode())
    err = outcome(name, path)
    assert isinstance(err, UnreadableFileError)
    assert "/bin/bash" not in str(err)
    assert "root:x" not in str(err)
    assert "wrong header" in err.problem


@pytest.mark.parametrize("name", NAMES)
def test_header_errors_quote_no_more_than_the_offending_names(name: str, tmp_path: Path) -> None:
    """A header line that starts like the source's but carries a secret: the message may
    name offending columns, never the secret beyond :data:`SHOWN_MAX` characters."""
    header = clean(name).decode("utf-8-sig").splitlines()[0]
    first = header.split(",")[0]
    secret = "s3cr3t-" + "p" * 60
    for line in (
        f"{first},{secret}:/bin/bash",
        f"{first},root:x:0:0:root:/root:/bin/bash",
        f"{first},{secret},{secret}",
    ):
        path = write(tmp_path, name, f"{line}\n1,2\n".encode())
        err = outcome(name, path)
        if isinstance(err, UnreadableFileError):
            assert "/bin/bash" not in str(err), str(err)
            assert "p" * 41 not in str(err), str(err)


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    data = clean("fred").replace(b"2008-03-01", b"2008-03-01\xff", 1)
    err = outcome("fred", write(tmp_path, "fred", data))
    assert isinstance(err, UnreadableFileError)
    assert "undecodable byte on line 4" in err.problem


# ------------------------------------------------------------------------- fuzzing


def mutations(name: str, rng: random.Random) -> list[tuple[str, bytes]]:
    """Hostile variants of the reader's clean corpus file."""
    text = clean(name).decode("utf-8-sig")
    lines = text.splitlines()
    header, rows = lines[0], lines[1:]
    n = len(header.split(","))
    out = [
        ("random bytes", rng.randbytes(2000)),
        ("random printable", "".join(rng.choice("ab,\"'1.-\n ") for _ in range(3000)).encode()),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(200)),
        ("nul in a row", "\n".join([header, rows[0].replace(",", "\x00", 1), *rows[1:]]).encode()),
        ("bad utf-8 in header", header.encode() + b"\xc3\x28\n" + "\n".join(rows).encode()),
        ("bad utf-8 in a row", ("\n".join([header, *rows]) + "\n").encode() + b"\xe2\x82\n"),
        ("lone CRs", "\r".join([header, *rows]).encode()),
        ("form feeds", "\n".join([header, *(r + "\x0c" for r in rows)]).encode()),
        ("header only, huge", (header + "," + "h" * 200_000 + "\n").encode()),
        ("huge unquoted line", "\n".join([header, "9" * 500_000, *rows]).encode()),
        (
            "huge quoted field",
            "\n".join([header, '"' + "7" * 300_000 + '",' + rows[0], *rows]).encode(),
        ),
        ("unclosed quote", "\n".join([header, '"' + rows[0], *rows[1:]]).encode()),
        (
            "colliding header names",
            "\n".join(
                [
                    header + ",raw_line,n_fields,fields,_source_row,date_text,value_text,"
                    "month_text,series_id_text,scheduled_text," + header,
                    *(r + "," * (n + 10) for r in rows),
                ]
            ).encode(),
        ),
        ("header repeated as rows", "\n".join([header] * 5).encode()),
    ]
    for k in range(6):
        garbled = [
            ",".join(rng.choice([*GARBAGE, f]) for f in r.split(",")) if rng.random() < 0.7 else r
            for r in rows
        ]
        out.append((f"garbage values {k}", "\n".join([header, *garbled]).encode()))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_fuzzed_files_load_quarantine_or_are_unreadable(name: str, tmp_path: Path) -> None:
    rng = random.Random(f"alvh-{name}")
    for what, data in mutations(name, rng):
        for suffix in (".csv", ".zip"):
            payload = data if suffix == ".csv" else zipped(data, "member.csv")
            path = write(tmp_path, name, payload, suffix)
            try:
                outcome(name, path)
            except Exception as e:  # pragma: no cover - the failure report
                raise AssertionError(f"{name}: {what} ({suffix}) raised {e!r}") from e
