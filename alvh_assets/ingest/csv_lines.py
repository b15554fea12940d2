"""Read a vendor CSV (plain or zipped) into one row per physical line, fields split.

Every reader starts here, so every reader handles the same real-world variants: a UTF-8
BOM, CRLF line ends, blank lines (skipped, not rows), an optional one-line preamble
(e.g. CFE's disclaimer), quoted and space-padded fields, and a zip holding one CSV.
Lines are split on commas; lines containing a double quote go through :mod:`csv` so
quoted commas stay inside their field. Fields are returned stripped of padding and quotes.

Whatever the bytes, reading either returns lines or raises
:class:`~alvh_assets.ingest.quarantine.UnreadableFileError` with a one-line problem: a
broken, truncated or corrupt zip (bad deflate stream, bad CRC, unsupported compression,
encryption, a member declared larger than :data:`MAX_MEMBER_BYTES`), non-UTF-8 bytes
(naming the line), NUL bytes, an empty file, no header. Problem texts never echo file
content beyond the offending field: values go through :func:`shown` (at most
:data:`SHOWN_MAX` characters, non-printables escaped) and header names through
:func:`shown_name` (only when they look like a column name).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from alvh_assets.ingest.quarantine import UnreadableFileError

SHOWN_MAX = 40
"""At most this many characters of a file's content are quoted in a problem text."""
MAX_MEMBER_BYTES = 2**31
"""A zip member declared larger than this (2 GiB) is refused unread (a daily Cboe option
file is a few MB)."""
_NAME_LIKE = re.compile(r"[A-Za-z0-9_ .()%^-]{1,40}")
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)
"""What :mod:`zipfile` raises on damaged archives: bad CRC or local header (BadZipFile),
corrupt deflate stream (zlib.error), truncation (EOFError), bad offsets (OSError,
ValueError, struct.error), unsupported compression (NotImplementedError), encryption
(RuntimeError)."""


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """``value`` quoted for a message: non-printable characters escaped (``\\x00``,
    ``\\n``), cut to ``limit`` characters with ``…`` marking the cut."""
    text = str(value)
    cut = len(text) > limit
    text = text[:limit]
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return "'" + text + ("…" if cut else "") + "'"


def shown_name(name: str) -> str:
    """A header name for a message: quoted when it looks like a column name (letters,
    digits, ``_ .()%^-``, at most 40 characters), else only described by its length, so
    a file that is not a CSV (``root:x:0:0:root:/root:/bin/bash``) is never echoed."""
    if _NAME_LIKE.fullmatch(name):
        return repr(name)
    return f"a {len(name)}-character non-name"


def listing(names: list[str] | tuple[str, ...], limit: int = 6) -> str:
    """The reader's own column names, comma-separated, at most ``limit`` (``… and N more``)."""
    listed = ", ".join(names[:limit])
    return listed + (f" and {len(names) - limit} more" if len(names) > limit else "")


def shown_names(names: list[str] | tuple[str, ...], limit: int = 5) -> str:
    """Up to ``limit`` names through :func:`shown_name`, comma-separated (``… and N more``)."""
    listed = ", ".join(shown_name(n) for n in names[:limit])
    return listed + (f" and {len(names) - limit} more" if len(names) > limit else "")


def header_problem(expected: tuple[str, ...] | list[str], found: list[str]) -> str:
    """What is wrong with ``found`` against the ``expected`` column names, naming only the
    offending columns: missing ones, unexpected ones (via :func:`shown_names`), repeats,
    or the order."""
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    repeated = sorted({c for c in found if found.count(c) > 1})
    parts = []
    if missing:
        parts.append(f"missing {listing(missing)}")
    if extra:
        parts.append(f"unexpected {shown_names(extra)}")
    if repeated:
        parts.append(f"repeated {shown_names(repeated)}")
    if not parts:
        parts.append("columns out of order")
    return "; ".join(parts)


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
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as e:
        raise UnreadableFileError(path, f"unreadable zip archive ({_one_line(e)})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise UnreadableFileError(
                path, f"zip must hold exactly one CSV, found {len(members)} members"
            )
        member = members[0]
        if member.file_size > MAX_MEMBER_BYTES:
            raise UnreadableFileError(
                path,
                f"zip member {shown(member.filename)} too large "
                f"({member.file_size} bytes declared, at most {MAX_MEMBER_BYTES})",
            )
        try:
            return data, zf.read(member)
        except _ZIP_ERRORS as e:
            raise UnreadableFileError(
                path, f"corrupt zip member {shown(member.filename)}: {_one_line(e)}"
            ) from None


def _one_line(error: BaseException) -> str:
    """An exception as one short line: its type and message, non-printables escaped."""
    message = str(error).splitlines()[0] if str(error) else ""
    kind = type(error).__name__
    return f"{kind}: {shown(message, 80)[1:-1]}" if message else kind


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
        _csv_fields(ln) if q else None
        for ln, q in zip(lines.to_list(), quoted.to_list(), strict=True)
    ]
    slow = pl.Series(parsed, dtype=pl.List(pl.Utf8))
    return pl.select(pl.when(quoted).then(slow).otherwise(fast)).to_series()


def _csv_fields(line: str) -> list[str]:
    """One quoted line's fields via :mod:`csv` (stripped). A line :mod:`csv` refuses (a
    field beyond its size limit) is split at every comma with quotes removed: its field
    count or values then fail the reader's row rules instead of raising."""
    try:
        fields = next(csv.reader([line], skipinitialspace=True), [])
    except csv.Error:
        fields = line.replace('"', "").split(",")
    return [f.strip() for f in fields]


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
        line = data.count(b"\n", 0, e.start) + 1
        raise UnreadableFileError(
            path, f"not a UTF-8 text CSV (undecodable byte on line {line}, offset {e.start})"
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
        seen = normalise_name(frame["raw_line"][0].split(",", 1)[0])
        raise UnreadableFileError(
            path,
            f"wrong header: expected a first column {' or '.join(names)}, found {shown_name(seen)}",
        )
    header_line = frame["raw_line"][header_at]
    header = [normalise_name(h) for h in _csv_fields(header_line)]
    lines = frame.slice(header_at + 1)
    return CsvLines(
        path=path,
        sha256=sha,
        header=header,
        lines=lines.with_columns(_split(lines["raw_line"]).alias("fields")),
    )
