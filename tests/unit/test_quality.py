"""great_expectations on frames read in pieces: counts add up, a bad row in any piece fails."""

from __future__ import annotations

import polars as pl

from alvh_assets.quality import Expectation, Pieces, run_suite

BETWEEN = Expectation("x_le_10", "ExpectColumnValuesToBeBetween", {"column": "x", "max_value": 10})
UNIQUE = Expectation("k_unique", "ExpectColumnValuesToBeUnique", {"column": "k"})


def _outcomes(frame: pl.DataFrame | Pieces) -> dict[str, tuple[bool, int, int]]:
    return {
        o.expectation.name: (o.passed, o.element_count, o.unexpected_count)
        for o in run_suite({"latest": frame}, [BETWEEN, UNIQUE])
    }


def test_pieces_add_up_to_the_whole_frame() -> None:
    whole = pl.DataFrame({"x": [1.0, 2.0, 3.0, 11.0, 5.0, 12.0], "k": [1, 2, 3, 4, 5, 6]})
    pieces = Pieces(lambda: iter([whole.head(2), whole.slice(2, 1), whole.tail(3)]))
    assert (
        _outcomes(pieces)
        == _outcomes(whole)
        == {
            "x_le_10": (False, 6, 2),
            "k_unique": (True, 6, 0),
        }
    )


def test_a_bad_row_only_in_the_last_piece_fails_the_expectation() -> None:
    good = pl.DataFrame({"x": [1.0, 2.0], "k": [1, 2]})
    bad = pl.DataFrame({"x": [3.0, 99.0], "k": [3, 3]})
    outcomes = _outcomes(Pieces(lambda: iter([good, good.with_columns(k=pl.col("k") + 9), bad])))
    assert outcomes["x_le_10"] == (False, 6, 1)
    assert outcomes["k_unique"] == (False, 6, 2)
