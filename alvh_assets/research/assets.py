"""Dagster asset ``research_sweep``: the sweep of the grid named in the config
(``research.sweep_grid``; :mod:`alvh_assets.research.configured`).

One unpartitioned multi-asset writes the three sweep tables; a rerun resumes the same sweep
(finished combinations are skipped). It is in no daily job: ``research_sweep_job`` runs it.
Checks: the keys of every table unique and not null, PSR and DSR probabilities.
"""

import json

import dagster as dg

from alvh_assets import warehouse as wh
from alvh_assets.dagster_support import (
    WriterRun,
    Written,
    keys_unique_rules,
    sql_checks,
    sql_rule,
    table_key,
    table_specs,
    writer_asset,
)
from alvh_assets.metadata import markdown_table
from alvh_assets.research import sweep as sw
from alvh_assets.research.configured import run_configured_sweep

OWNERS = ["team:alvh-quant"]
DEPS = [
    dg.AssetKey(["strategy", "account_daily"]),
    dg.AssetKey(["pricing", "option_greeks"]),
    dg.AssetKey(["marts", "fct_regime_daily"]),
    dg.AssetKey(["marts", "fct_indicators_daily"]),
]
KEYS = {
    sw.RUNS: ("sweep_id", "combination", "strategy"),
    sw.SIGNIFICANCE: ("sweep_id", "combination", "versus", "metric"),
    sw.DEFLATED: ("sweep_id", "strategy"),
}
DESCRIPTIONS = {
    sw.RUNS: "The strategies and their attribution over every combination of a sweep grid "
    "(in-process on the marts and pricing; nothing re-ingested, re-priced or rebuilt): one "
    "typed column per swept field (section__field), the config hash, the "
    "attribution.performance metrics of the whole range, the daily Sharpe moments and "
    "PSR(0). The asset runs the grid named by research.sweep_grid (docs/research.md).",
    sw.SIGNIFICANCE: "ALVH minus each other strategy per combination in Sharpe, CAGR, max "
    "drawdown and hedge spend, with the 95% percentile CI of a paired stationary block "
    "bootstrap (Politis & Romano 1994).",
    sw.DEFLATED: "Per strategy, the combination with the highest Sharpe ratio and its "
    "deflated Sharpe ratio given the number of combinations (Bailey & López de Prado 2014).",
}
SPECS = table_specs(KEYS, DESCRIPTIONS, "research", OWNERS, DEPS)


def _sweep(ctx: WriterRun) -> list[Written]:
    """Run (or resume) the configured grid; metadata: combinations, finished, ALVH's best
    combination and its DSR."""
    cfg = ctx.alvh.load()
    overrides = json.loads(ctx.alvh.overrides_json)
    with ctx.warehouse.connect() as con:
        try:
            done = run_configured_sweep(
                con,
                cfg,
                ctx.alvh.config_path,
                overrides,
                on_progress=lambda d, t: ctx.log.info(f"combinations {d}/{t}"),
            )
        except sw.SweepError as e:
            raise dg.Failure(description=str(e)) from e
        sid = done.result.sweep_id
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t} WHERE sweep_id = ?", [sid]).fetchone()[0]
            for t in KEYS
        }
        deflated = wh.read_frame(
            con,
            f"SELECT strategy, best_combination, sharpe, psr, dsr FROM {sw.DEFLATED} "
            "WHERE sweep_id = ? ORDER BY strategy",
            [sid],
        )
    r = done.result
    per = r.seconds_per_combination
    span = f"{r.window[0]}..{r.window[1]}"
    sweep = {
        "sweep_id": sid,
        "grid": done.grid,
        "swept": ", ".join(done.keys),
        "combinations": r.total,
        "finished": done.finished,
        "ran": r.ran,
        "skipped": r.skipped,
        "seconds_per_combination": round(per, 2) if per is not None else "-",
    }
    best = {
        "best_combination": done.best_combination if done.best_combination is not None else "-",
        "best_params": json.dumps(done.best_params),
        "dsr": dg.MetadataValue.float(float(done.dsr)) if done.dsr is not None else "-",
    }
    preview = {"deflated": dg.MetadataValue.md(markdown_table(deflated))} if deflated.height else {}
    return [
        Written(sw.RUNS, counts[sw.RUNS], window=span, metadata={**sweep, **best}),
        Written(sw.SIGNIFICANCE, counts[sw.SIGNIFICANCE], window=span, metadata=sweep),
        Written(sw.DEFLATED, counts[sw.DEFLATED], window=span, metadata={**best, **preview}),
    ]


research_sweep = writer_asset("research_sweep", SPECS, _sweep, daily=False)

PROBABILITY = "SELECT sweep_id, {keys}, {col} FROM {table} WHERE {col} NOT BETWEEN 0 AND 1 LIMIT 50"
RESEARCH_RULES = [
    *keys_unique_rules(KEYS),
    sql_rule(
        table_key(sw.RUNS),
        "psr_is_a_probability",
        "PSR(0) is within [0, 1] where defined.",
        PROBABILITY.format(keys="combination, strategy", col="psr", table=sw.RUNS),
    ),
    sql_rule(
        table_key(sw.SIGNIFICANCE),
        "ci_brackets_nothing_inverted",
        "Every bootstrap interval has ci_low <= ci_high.",
        f"SELECT sweep_id, combination, versus, metric, ci_low, ci_high FROM {sw.SIGNIFICANCE} "
        "WHERE ci_low > ci_high LIMIT 50",
    ),
    sql_rule(
        table_key(sw.DEFLATED),
        "dsr_is_a_probability",
        "DSR is within [0, 1] where defined.",
        PROBABILITY.format(keys="strategy", col="dsr", table=sw.DEFLATED),
    ),
]
RESEARCH_ASSETS = [research_sweep]
RESEARCH_CHECKS = sql_checks(RESEARCH_RULES)
