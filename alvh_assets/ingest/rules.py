"""Row rules: typed parsing of string fields and the split into accepted / quarantined.

A reader builds a frame of string columns from :class:`~alvh_assets.ingest.csv_lines.CsvLines`
(:func:`columns_from_fields`), adds typed columns with the parsers below, and lists its
:class:`Rule` s in priority order; :func:`split_by_rules` gives each failing row the code
of the *first* rule it breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from alvh_assets.ingest.quarantine import REJECTED_SCHEMA, Reason


@dataclass(frozen=True)
class Rule:
    """``bad`` is True where a row breaks the rule; ``reason`` is the human text (a string
    expression, so it can quote the offending value)."""

    code: Reason
    bad: pl.Expr
    reason: pl.Expr


REASON_VALUE_MAX = 40
"""A value quoted in a reason is cut to this many characters (``…`` marks the cut)."""


def clipped(col: str, limit: int = REASON_VALUE_MAX) -> pl.Expr:
    """``col`` as text for a reason: nulls as 'null', control characters as ``?``, cut to
    ``limit`` characters with ``…`` marking the cut (a reason never carries a whole line)."""
    value = pl.col(col).cast(pl.Utf8).fill_null("null")
    value = value.str.replace_all(r"[\x00-\x1f\x7f]", "?")
    return (
        pl.when(value.str.len_chars() > limit)
        .then(pl.concat_str([value.str.slice(0, limit), pl.lit("…")]))
        .otherwise(value)
    )


def text(template: str, *cols: str) -> pl.Expr:
    """Human reason like ``text("bid {} > ask {}", "bid", "ask")`` (values through
    :func:`clipped`: nulls shown as 'null', at most :data:`REASON_VALUE_MAX` characters)."""
    parts = template.split("{}")
    if len(parts) != len(cols) + 1:
        raise ValueError("template placeholders must match columns")
    exprs: list[pl.Expr] = [pl.lit(parts[0])]
    for col, tail in zip(cols, parts[1:], strict=True):
        exprs += [clipped(col), pl.lit(tail)]
    return pl.concat_str(exprs)


RESERVED_COLUMNS = ("_source_row", "raw_line", "n_fields", "fields")


def columns_from_fields(
    lines: pl.DataFrame, header: Sequence[str], keep: Sequence[str] | None = None
) -> pl.DataFrame:
    """One string column per header name (null where a line has fewer fields) plus
    ``n_fields``, keeping ``_source_row`` and ``raw_line``.

    Only the names in ``keep`` are mapped (all when None), each at its first position in
    the header; a name equal to one of :data:`RESERVED_COLUMNS` is never mapped. So an
    extra or repeated vendor column (``raw_line``, ``date_text``) cannot collide with the
    reader's own columns; readers that need unique names check the header first.
    """
    wanted = None if keep is None else set(keep)
    seen: set[str] = set()
    mapped: list[pl.Expr] = []
    for i, name in enumerate(header):
        if name in seen or name in RESERVED_COLUMNS or (wanted is not None and name not in wanted):
            continue
        seen.add(name)
        mapped.append(pl.col("fields").list.get(i, null_on_oob=True).alias(name))
    return lines.select(
        "_source_row", "raw_line", pl.col("fields").list.len().alias("n_fields"), *mapped
    )


def parse_date(col: str, formats: Sequence[str]) -> pl.Expr:
    """First format that parses (``%Y-%m-%d``, ``%m/%d/%Y``, ``%m/%d/%Y %H:%M:%S`` …)."""
    return pl.coalesce(
        [pl.col(col).str.strptime(pl.Date, f, strict=False, exact=True) for f in formats]
    )


def parse_float(col: str) -> pl.Expr:
    """String -> Float64 (null where empty, not a number, NaN or infinite)."""
    value = pl.col(col).str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def is_empty(col: str) -> pl.Expr:
    """True where a field is missing or blank."""
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")


def not_a_number(raw: str, parsed: str) -> pl.Expr:
    """True where a non-empty field did not parse."""
    return ~is_empty(raw) & pl.col(parsed).is_null()


def column_count_rule(n: int, note: str = "", allowed: pl.Expr | None = None) -> Rule:
    """``wrong_column_count`` unless a line has ``n`` fields; ``allowed`` replaces that
    test (e.g. also accepting an empty trailing field) and ``note`` explains it in the
    reason, like ``"expected 11 fields (or 12 with an empty last), found 13"``."""
    bad = pl.col("n_fields") != n if allowed is None else ~allowed
    return Rule(
        Reason.WRONG_COLUMN_COUNT, bad, text(f"expected {n} fields{note}, found {{}}", "n_fields")
    )


def empty_fields_rule(text_columns: Sequence[str], what: str) -> Rule:
    """``empty_mandatory_field`` where any of ``text_columns`` is empty; the reason is
    ``"empty " + what`` (a human list of the fields)."""
    return Rule(
        Reason.EMPTY_MANDATORY_FIELD,
        pl.any_horizontal(*(is_empty(c) for c in text_columns)),
        pl.lit(f"empty {what}"),
    )


def unparseable_date_rule(
    parsed: str, raw: str, what: str = "date", expected: str | None = None
) -> Rule:
    """``unparseable_date`` where the parsed column ``parsed`` is null, quoting the
    ``raw`` text: ``"unparseable {what} '<raw>'"`` plus ``" (expected {expected})"``."""
    hint = "" if expected is None else f" (expected {expected})"
    return Rule(
        Reason.UNPARSEABLE_DATE,
        pl.col(parsed).is_null(),
        text(f"unparseable {what} '{{}}'{hint}", raw),
    )


def _partition_date(partition_column: str | None) -> pl.Expr:
    if partition_column is None:
        return pl.lit(None, pl.Date).alias("partition_date")
    return pl.col(partition_column).cast(pl.Date, strict=False).alias("partition_date")


def split_by_rules(
    frame: pl.DataFrame, rules: Sequence[Rule], partition_column: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(accepted rows, rejected rows with :data:`REJECTED_SCHEMA`); first failing rule wins.

    ``partition_column`` names the parsed date column that partitions a daily source; it
    is carried into the rejected rows as ``partition_date`` (null where unparseable).
    """
    if not rules:
        return frame, pl.DataFrame(schema=REJECTED_SCHEMA)
    code = pl.when(rules[0].bad.fill_null(False)).then(pl.lit(rules[0].code.value))
    why = pl.when(rules[0].bad.fill_null(False)).then(rules[0].reason)
    for rule in rules[1:]:
        code = code.when(rule.bad.fill_null(False)).then(pl.lit(rule.code.value))
        why = why.when(rule.bad.fill_null(False)).then(rule.reason)
    tagged = frame.with_columns(
        code.otherwise(None).alias("_reason_code"), why.otherwise(None).alias("_reason")
    )
    accepted = tagged.filter(pl.col("_reason_code").is_null()).drop("_reason_code", "_reason")
    rejected = tagged.filter(pl.col("_reason_code").is_not_null()).select(
        pl.col("_source_row").alias("source_row"),
        pl.col("_reason_code").alias("reason_code"),
        pl.col("_reason").alias("reason"),
        "raw_line",
        _partition_date(partition_column),
    )
    return accepted, rejected.cast(REJECTED_SCHEMA)  # type: ignore[arg-type]


def split_duplicates(
    accepted: pl.DataFrame,
    keys: Sequence[str],
    what: str,
    partition_column: str | None = None,
    *,
    values: Sequence[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first row of each key (file order) and quarantine the later ones, naming
    the kept row's line number:

    * ``duplicate_key_in_file`` when the later row has the same ``values`` (typed, so
      ``12`` and ``12.0`` are the same; null equals null) as the kept row;
    * ``conflicting_duplicate_key_in_file`` when some differ: "same key as line N with
      different values (col, …)". The first row still loads: the reader cannot know which
      copy is right, and the quarantined copy with its reason makes the conflict visible.

    Linear in rows: the comparison runs only on rows whose key repeats.
    """
    first_row = pl.col("_source_row").min().over(keys)
    tagged = accepted.with_columns(first_row.alias("_first"))
    is_later = pl.col("_source_row") != pl.col("_first")
    kept = tagged.filter(~is_later).drop("_first")
    if kept.height == accepted.height:
        return kept, pl.DataFrame(schema=REJECTED_SCHEMA)
    repeated = tagged.filter(pl.col("_first").count().over(keys) > 1).sort("_source_row")
    differs = {c: pl.col(c).ne_missing(pl.col(c).first().over(keys)) for c in values}
    names = pl.concat_str(
        [pl.when(d).then(pl.lit(c)) for c, d in differs.items()],
        separator=", ",
        ignore_nulls=True,
    )
    conflict = pl.any_horizontal(*differs.values()) if differs else pl.lit(False)
    line = pl.col("_first").cast(pl.Utf8)
    later = repeated.with_columns(conflict.alias("_conflict"), names.alias("_differs"))
    conflict, names = pl.col("_conflict"), pl.col("_differs")
    rejected = later.filter(is_later).select(
        pl.col("_source_row").alias("source_row"),
        pl.when(conflict)
        .then(pl.lit(Reason.CONFLICTING_DUPLICATE_IN_FILE.value))
        .otherwise(pl.lit(Reason.DUPLICATE_IN_FILE.value))
        .alias("reason_code"),
        pl.when(conflict)
        .then(
            pl.concat_str(
                [
                    pl.lit(f"conflicting duplicate {what}: same key as line "),
                    line,
                    pl.lit(" with different values ("),
                    names,
                    pl.lit(")"),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.lit(f"duplicate {what}: same key as line "), line]))
        .alias("reason"),
        "raw_line",
        _partition_date(partition_column),
    )
    return kept, rejected.cast(REJECTED_SCHEMA)  # type: ignore[arg-type]
