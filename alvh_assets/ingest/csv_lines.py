"""Read a vendor CSV (plain or zipped) into one row per physical line, fields split.

Every reader starts here, so every reader handles the same real-world variants: a UTF-8
BOM, CRLF line ends, blank lines (skipped, not rows), an optional one-line preamble
(e.g. CFE's disclaimer), quoted and space-padded fields, and a zip holding one CSV.
Lines are split on commas; lines containing a double quote go through :mod:`csv` so
quoted commas stay inside their field. Fields are returned stripped of padding and quotes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from alvh_assets.ingest.quarantine import UnreadableFileError


@dataclass(frozen=True)
class CsvLines:
    """A file's header (normalised names) and its data lines.

    ``lines`` has ``_source_row`` (1-based physical line number, counting the header and
    preamble), ``raw_line`` (the text as delivered) and ``fields`` (list of stripped
    strings; length may differ from the header's: readers quarantine such rows).
    """

    path: Path
    sha256: str
    header: list[str]
    lines: pl.DataFrame


def normalise_name(name: str) -> str:
    """``' Trade Date '`` -> ``'trade_date'`` (lower case, spaces/dashes to underscores)."""
    return name.strip().strip('"').strip().lower().replace(" ", "_").replace("-", "_")


def _file_bytes(path: Path) -> tuple[bytes, bytes]:
    """(the file's bytes, the CSV payload: the bytes themselves or the zip's one member)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableFileError(path, f"cannot open file ({e.strerror})") from None
    if path.suffix.lower() != ".zip":
        return data, data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise UnreadableFileError(
                    path, f"zip must hold exactly one CSV, found {len(members)} members"
                )
            return data, zf.read(members[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise UnreadableFileError(path, f"unreadable zip archive ({e})") from None


def _split(lines: pl.Series) -> pl.Series:
    """Fields per line: fast comma split (stripped only when some field has padding),
    :mod:`csv` for lines with quotes."""
    fast = lines.str.split(",")
    if lines.str.contains(r"(?:^|,)\s|\s(?:,|$)").any():
        fast = fast.list.eval(pl.element().str.strip_chars())
    quoted = lines.str.contains('"', literal=True)
    if not quoted.any():
        return fast
    parsed = [
        [f.strip() for f in next(csv.reader([ln], skipinitialspace=True))] if q else None
        for ln, q in zip(lines.to_list(), quoted.to_list(), strict=True)
    ]
    slow = pl.Series(parsed, dtype=pl.List(pl.Utf8))
    return pl.select(pl.when(quoted).then(slow).otherwise(fast)).to_series()


_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines split at CRLF, CR or LF only (``str.splitlines`` would also split at form
    feeds and other separators inside a field). A final line end adds no line."""
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _line_series(text: str) -> pl.Series:
    """:func:`split_lines` as a string Series (split natively when there is no CR)."""
    if "\r" in text:
        return pl.Series("raw_line", split_lines(text), dtype=pl.Utf8)
    lines = pl.Series("raw_line", [text]).str.split("\n").explode(empty_as_null=True)
    return lines.head(-1) if text.endswith("\n") else lines


def physical_lines(path: Path | str) -> list[str]:
    """The file's text lines as delivered (zip payload for a ``.zip``), index 0 = line 1."""
    _, data = _file_bytes(Path(path))
    return split_lines(data.decode("utf-8-sig", errors="replace"))


def read_csv_lines(
    path: Path | str, first_column: str | tuple[str, ...], preamble_max: int = 1
) -> CsvLines:
    """Read ``path`` and locate its header: the first line whose first field normalises to
    ``first_column`` (or one of several names), after at most ``preamble_max`` preamble
    lines.

    Raises :class:`UnreadableFileError` for a missing/broken zip, non-UTF-8 bytes, an
    empty file or a missing header.
    """
    path = Path(path)
    raw_bytes, data = _file_bytes(path)
    sha = hashlib.sha256(raw_bytes).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UnreadableFileError(
            path, f"not a UTF-8 text CSV (undecodable byte at offset {e.start})"
        ) from None
    if not text.strip():
        raise UnreadableFileError(path, "file is empty")
    if "\x00" in text:
        raise UnreadableFileError(path, "binary content (NUL bytes): not a CSV")
    raw = _line_series(text)
    frame = pl.DataFrame(
        {"_source_row": pl.int_range(1, raw.len() + 1, eager=True), "raw_line": raw}
    ).filter(pl.col("raw_line").str.strip_chars() != "")
    names = (first_column,) if isinstance(first_column, str) else first_column
    header_at = None
    for i, line in enumerate(frame["raw_line"].head(preamble_max + 1).to_list()):
        first = line.split(",", 1)[0]
        if normalise_name(first) in names:
            header_at = i
            break
    if header_at is None:
        seen = frame["raw_line"][0][:80]
        raise UnreadableFileError(
            path, f"wrong header: expected a first column {' or '.join(names)}, found {seen!r}"
        )
    header_line = frame["raw_line"][header_at]
    header = [normalise_name(h) for h in next(csv.reader([header_line]))]
    lines = frame.slice(header_at + 1)
    return CsvLines(
        path=path,
        sha256=sha,
        header=header,
        lines=lines.with_columns(_split(lines["raw_line"]).alias("fields")),
    )
