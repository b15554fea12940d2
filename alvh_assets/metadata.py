"""Small renderers for Dagster metadata shared by every topic's assets."""

from __future__ import annotations

import polars as pl


def markdown_table(frame: pl.DataFrame, rows: int = 20) -> str:
    """The first ``rows`` rows of ``frame`` as a Markdown table (floats to 6 significant
    digits)."""
    head = frame.head(rows)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = (f"{v:.6g}" if isinstance(v, float) else str(v) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
