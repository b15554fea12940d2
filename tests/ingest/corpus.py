"""The shared harness for the readers' bad-input corpora (``tests/data/bad_inputs/<reader>``):
expected.json, the parametrized cases, exact counts and codes, conservation line by line,
raw lines as delivered, and unreadable files."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import REJECTED_SCHEMA, ReadResult, UnreadableFileError

BAD_INPUTS = Path(__file__).parents[1] / "data" / "bad_inputs"


def load_expected(folder: Path) -> dict[str, dict]:
    """The corpus's expected.json: file name -> expected outcome."""
    return json.loads((folder / "expected.json").read_text())


def corpus_cases(folder: Path) -> tuple[list[str], list[str]]:
    """(readable, unreadable) file names of the corpus, sorted."""
    expected = load_expected(folder)
    readable = sorted(f for f, e in expected.items() if "unreadable" not in e)
    unreadable = sorted(f for f, e in expected.items() if "unreadable" in e)
    return readable, unreadable


def assert_matches_expected(result: ReadResult, expected: Mapping) -> None:
    """rows_read, loaded and the exact reason-code counts of one expected.json entry; a
    ``clean_`` file quarantines nothing."""
    assert result.rows_read == expected["rows_read"]
    assert result.accepted.height == expected["loaded"]
    assert dict(Counter(result.rejected["reason_code"])) == expected["quarantined"]
    if Path(result.path).name.startswith("clean_"):
        assert result.rejected.height == 0


def assert_conserved(result: ReadResult, schema: Mapping, key: Sequence[str]) -> None:
    """Both schemas, rows_read = loaded + quarantined, and no key loaded twice."""
    assert result.accepted.schema == pl.Schema({**schema, "_source_row": pl.Int64()})
    assert result.rejected.schema == pl.Schema(REJECTED_SCHEMA)
    assert result.rows_read == result.accepted.height + result.rejected.height
    assert result.accepted.select(key).is_duplicated().sum() == 0


def payload(path: Path) -> bytes:
    """The file's bytes as delivered (the one member of a ``.zip``)."""
    data = path.read_bytes()
    if path.suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read(zf.namelist()[0])
    return data


def delivered_lines(path: Path, *, splitlines: bool = False) -> dict[int, str]:
    """Physical lines as delivered (1-based, BOM removed): split at LF with a trailing CR
    dropped, or with ``splitlines`` wherever ``str.splitlines`` splits."""
    text = payload(path).decode("utf-8-sig")
    if splitlines:
        return dict(enumerate(text.splitlines(), start=1))
    return {i: ln.removesuffix("\r") for i, ln in enumerate(text.split("\n"), start=1)}


def data_line_numbers(
    lines: Mapping[int, str], is_header: Callable[[str], bool] | None = None
) -> list[int]:
    """Numbers of the non-blank lines after the header: the first line ``is_header``
    accepts (by default the first non-blank line)."""
    numbered = sorted(lines.items())
    header = next(i for i, ln in numbered if (is_header(ln) if is_header else ln.strip()))
    return [i for i, ln in numbered if i > header and ln.strip()]


def assert_raw_lines_delivered(
    result: ReadResult,
    path: Path,
    *,
    is_header: Callable[[str], bool] | None = None,
    splitlines: bool = False,
) -> None:
    """Every data line is loaded or quarantined exactly once, and every raw_line equals
    the line as delivered (see ``delivered_lines`` and ``data_line_numbers``)."""
    lines = delivered_lines(path, splitlines=splitlines)
    got = sorted([*result.accepted["_source_row"], *result.rejected["source_row"]])
    assert got == data_line_numbers(lines, is_header)
    for row, raw in result.rejected.select("source_row", "raw_line").iter_rows():
        assert raw == lines[row]


def assert_unreadable(reader: Callable[[Path], ReadResult], path: Path, problem: str) -> None:
    """Reading ``path`` raises UnreadableFileError naming the file and ``problem``."""
    with pytest.raises(UnreadableFileError) as err:
        reader(path)
    assert err.value.path == str(path)
    assert str(path) in str(err.value)
    assert problem in str(err.value)
