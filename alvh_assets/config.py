"""One typed, validated configuration for every parameter of the ALVH methodology.

Defaults are the numbers of ``docs/methodology.md`` (seed references in each field's
description; **[choice]** marks our choice where the seeds are silent). Load with
:func:`load_config` from YAML, with per-run overrides as ``{"section.field": value}``.
An invalid value raises :class:`ConfigError` naming the field and its allowed range.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _f(default: Any, ge: float | None = None, le: float | None = None, **kw: Any) -> Any:
    return Field(default, ge=ge, le=le, **kw)


def _mart(default: Any, ge: float | None = None, le: float | None = None, **kw: Any) -> Any:
    """A field the dbt marts read: passed to dbt as the var of the same name
    (:func:`mart_vars`), its default also declared in ``dbt_project.yml`` (tested equal)."""
    return Field(default, ge=ge, le=le, json_schema_extra={"dbt_var": True}, **kw)


class CondorConfig(_Section):
    """SPX iron condor rules (methodology §2)."""

    pop_min: float = _f(0.70, 0.5, 0.99, description="lowest accepted probability of profit (000)")
    pop_target: float = _f(0.75, 0.5, 0.99, description="target probability of profit (000)")
    pop_max: float = _f(0.80, 0.5, 0.99, description="highest accepted probability of profit (000)")
    entry_dte_min: int = _f(30, 1, 365, description="shortest entry DTE [choice]")
    entry_dte_max: int = _f(45, 1, 365, description="longest entry DTE [choice]")
    roots: tuple[Literal["SPX", "SPXW"], ...] = Field(
        ("SPX", "SPXW"), description="expiries eligible for entry: monthly and/or weekly [choice]"
    )
    wing_mode: Literal["width", "delta"] = Field(
        "delta",
        description="long wings by fixed width or by delta target [choice; delta since "
        "2026-12, docs/condor_rules_evidence.md]",
    )
    wing_width_points: float = _f(50.0, 5.0, 500.0, description="wing width in SPX points [choice]")
    wing_delta: float = _f(
        0.05, 0.01, 0.25, description="long-wing |delta| target (Cboe CNDR) [choice]"
    )
    risk_budget_pct: float = _f(
        0.20, 0.01, 1.0, description="max loss of all condors as share of capital [choice]"
    )
    roll_delta_trigger: float = _f(
        0.30,
        0.05,
        0.95,
        description="roll a side when its short |delta| exceeds this (002) [choice]",
    )
    profit_take_pct: float = _f(
        0.50, 0.05, 1.0, description="close at this share of credit [choice]"
    )
    exit_dte: int = _f(
        0,
        0,
        365,
        description="close at this many days to expiry; 0 = hold to settlement [choice; 0 "
        "since 2026-12, docs/condor_rules_evidence.md]",
    )
    stop_loss_multiple: float = _f(
        2.0, 0.5, 10.0, description="close when the loss reaches this multiple of credit [choice]"
    )
    distorted_strike_steps: int = _f(
        1, 0, 10, description="strike steps for the distorted-fundamentals adjustment (001)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> CondorConfig:
        if not self.pop_min <= self.pop_target <= self.pop_max:
            raise ValueError("need pop_min <= pop_target <= pop_max")
        if self.entry_dte_min > self.entry_dte_max:
            raise ValueError("need entry_dte_min <= entry_dte_max")
        return self


class BucketConfig(_Section):
    """One ALVH bucket: tranche count, maturity range and its share of the hedge budget."""

    tranches: int = _f(4, 1, 10, description="number of tranches (004)")
    budget_share: float = _f(0.4, 0.0, 1.0, description="share of the hedge budget [choice]")
    dte_min: int = _f(0, 0, 1200, description="shortest maturity in days (004)")
    dte_max: int = _f(30, 1, 1200, description="longest maturity in days (004)")

    @model_validator(mode="after")
    def _ordered(self) -> BucketConfig:
        if self.dte_min > self.dte_max:
            raise ValueError("need dte_min <= dte_max")
        return self


class HedgeConfig(_Section):
    """ALVH 4/4/2 layers and budget caps (methodology §3)."""

    short_term: BucketConfig = BucketConfig(tranches=4, budget_share=0.4, dte_min=0, dte_max=30)
    medium_term: BucketConfig = BucketConfig(tranches=4, budget_share=0.4, dte_min=30, dte_max=90)
    long_dated: BucketConfig = BucketConfig(tranches=2, budget_share=0.2, dte_min=90, dte_max=400)
    first_layer_min: float = _f(
        0.15,
        0.0,
        1.0,
        description="budget base without a P/CF: the low end of the first layer's 15-25% of "
        "notional (000) [choice]",
    )
    ceiling_min: float = _f(0.18, 0.0, 1.0, description="neutral-to-bullish ceiling, low (003)")
    ceiling_max: float = _f(0.25, 0.0, 1.0, description="neutral-to-bullish ceiling, high (003)")
    valuation_budget_min: float = _f(
        0.12, 0.0, 1.0, description="budget at P/CF >= threshold (003)"
    )
    valuation_budget_max: float = _f(0.28, 0.0, 1.0, description="budget at P/CF <= floor (003)")
    pcf_threshold: float = _f(11.0, 1.0, 100.0, description="P/CF below which budget grows (003)")
    pcf_floor: float = _f(
        7.0, 0.5, 100.0, description="P/CF at which the budget reaches its maximum [choice]"
    )
    pe_block: float = _f(24.0, 5.0, 100.0, description="no new layers above this P/E (003)")
    calendar_premium_ratio: float = _f(
        0.15, 0.0, 1.0, description="VIX call calendar size × condor premium (003)"
    )
    calendar_front_dte: int = _f(
        30, 8, 120, description="VIX call calendar: front (short) leg's target DTE [choice]"
    )
    mid_layer_narrow_steps: int = _f(
        1,
        0,
        5,
        description="condor short strikes moved toward the money for the mid-layer spread (001)",
    )
    gross_leverage_cap: float = _f(3.2, 1.0, 20.0, description="gross leverage cap (003)")
    beta_cap: float = _f(0.35, 0.0, 2.0, description="max combined CAPM beta vs SPX (003)")
    beta_window: int = _f(60, 10, 756, description="rolling beta window in days [choice]")
    breakeven_shift_min: float = _f(0.012, 0.0, 0.2, description="break-even shift, low (003)")
    breakeven_shift_max: float = _f(0.018, 0.0, 0.2, description="break-even shift, high (003)")
    liquidity_multiple: float = _f(
        1.8, 0.0, 20.0, description="liquid hedge value ÷ largest FOMC-window slippage (003)"
    )
    cost_ceiling_ratio: float = _f(
        1.0, 0.0, 5.0, description="hedge spend ÷ condor time value captured, max (000)"
    )
    contribution_target_bp_week: float = _f(
        40.0, 0.0, 1000.0, description="monitored ALVH contribution, bp/week (003)"
    )
    contribution_window_days: int = _f(30, 5, 365, description="window of that metric (003)")
    monetize_gain: float = _f(
        1.0, 0.1, 20.0, description="monetize a short-term tranche at this gain (+100%) (004)"
    )
    short_term_call_otm: float = _f(
        0.10,
        0.0,
        2.0,
        description="short-term VIX call spread: long strike over the VX future [choice]",
    )
    short_term_cap_otm: float = _f(
        0.60, 0.0, 5.0, description="short-term VIX call spread: short (upper-wing) strike [choice]"
    )
    medium_put_otm: float = _f(
        0.05, 0.0, 0.5, description="medium-term SPX put strike below the forward [choice]"
    )
    long_call_otm: float = _f(
        0.30, 0.0, 3.0, description="long-dated VIX call strike above the VX future [choice]"
    )
    min_open_dte: int = _f(7, 1, 90, description="never open a hedge with fewer days left [choice]")
    event_spread_multiple: float = _f(
        2.0, 1.0, 10.0, description="bid-ask widening assumed inside an FOMC window [choice]"
    )
    erp_threshold: float = _mart(
        0.065, 0.0, 0.5, description="implied ERP for mid-layer spread (001)"
    )
    rv20_threshold: float = _mart(0.18, 0.0, 2.0, description="20-day realized vol ceiling (001)")

    @model_validator(mode="after")
    def _consistent(self) -> HedgeConfig:
        shares = self.short_term.budget_share + self.medium_term.budget_share
        shares += self.long_dated.budget_share
        if abs(shares - 1.0) > 1e-9:
            raise ValueError(f"bucket budget_share values must sum to 1 (got {shares:g})")
        for lo, hi in (
            ("ceiling_min", "ceiling_max"),
            ("valuation_budget_min", "valuation_budget_max"),
            ("breakeven_shift_min", "breakeven_shift_max"),
            ("pcf_floor", "pcf_threshold"),
        ):
            if getattr(self, lo) > getattr(self, hi):
                raise ValueError(f"need {lo} <= {hi}")
        return self


class SignalConfig(_Section):
    """Indicator and signal definitions (methodology §3, 'Signals')."""

    macd_fast: int = _mart(12, 2, 100, description="MACD fast EMA span (000, 001)")
    macd_slow: int = _mart(26, 3, 200, description="MACD slow EMA span (000, 001)")
    macd_signal: int = _mart(9, 2, 100, description="MACD signal EMA span (000, 001)")
    rsi_period: int = _mart(14, 2, 100, description="RSI period, Wilder smoothing (001, 002)")
    rsi_overbought: float = _mart(
        70.0, 50.0, 100.0, description="VIX RSI level for distortion (001)"
    )
    ad_high_lookback: int = _mart(20, 5, 252, description="days for SPX / A/D highs [choice]")
    ad_divergence_pct: float = _mart(
        0.02,
        0.0,
        0.5,
        description=(
            "A/D divergence: the cumulative A/D line below its ad_high_lookback-day high by at"
            " least this share of the ad_high_lookback-day sum of issues traded (advances +"
            " declines), base-free; a divergence counts for 5 sessions (methodology §3) [choice]"
        ),
    )
    steepening_points: float = _mart(
        0.02, 0.0, 1.0, description="slope rise that counts as steepening [choice]"
    )
    steepening_days: int = _mart(5, 1, 60, description="window of the steepening test [choice]")
    event_window_days: int = _mart(
        1, 0, 10, description="± trading days around FOMC/CPI/PPI [choice]"
    )
    range_bound_sigmas: float = _mart(1.0, 0.1, 5.0, description="CPI/PPI range-bound band (003)")
    range_bound_months: int = _mart(12, 3, 60, description="trailing MoM window (003)")
    iv_rank_window: int = _mart(252, 20, 2520, description="IV rank / percentile window [choice]")

    @model_validator(mode="after")
    def _ordered(self) -> SignalConfig:
        if self.macd_fast >= self.macd_slow:
            raise ValueError("need macd_fast < macd_slow")
        return self


class RegimeConfig(_Section):
    """Regime thresholds (methodology §3, 'Regimes') [choice]."""

    calm_vix: float = _mart(15.0, 5.0, 100.0, description="calm below this VIX")
    neutral_vix: float = _mart(20.0, 5.0, 100.0, description="neutral below this VIX")
    stressed_vix: float = _mart(30.0, 5.0, 150.0, description="stressed at or above this VIX")
    flat_slope_band: float = _mart(0.01, 0.0, 0.2, description="|VX2/VX1-1| within this is 'flat'")
    trend_sma_days: int = _mart(50, 5, 400, description="SPX average for neutral_to_bullish")
    extreme_pe: float = _mart(24.0, 5.0, 100.0, description="P/E for extreme_valuation (003)")

    @model_validator(mode="after")
    def _ordered(self) -> RegimeConfig:
        if not self.calm_vix <= self.neutral_vix <= self.stressed_vix:
            raise ValueError("need calm_vix <= neutral_vix <= stressed_vix")
        return self


class BaselineConfig(_Section):
    """The three comparison hedges (methodology §4)."""

    vxth_levels: tuple[float, float, float] = Field(
        (15.0, 30.0, 50.0),
        description="Cboe VXTH: VX future levels splitting the four spend bands (§4 item 2)",
    )
    vxth_monthly_pct: tuple[float, float, float, float] = Field(
        (0.0, 0.01, 0.005, 0.0),
        description="Cboe VXTH: premium as a share of NAV per month in each band (§4 item 2)",
    )
    single_layer_delta: float = _f(
        0.30, 0.05, 0.95, description="single-layer VIX call delta (Cboe VXTH, §4 item 2)"
    )
    single_layer_dte: int = _f(30, 7, 120, description="single-layer VIX call maturity (004)")
    static_put_otm: float = _f(
        0.10, 0.0, 0.5, description="static SPX put moneyness (000) [choice]"
    )
    static_put_months: int = _f(12, 1, 36, description="static SPX put maturity (000) [choice]")


class CndrConfig(_Section):
    """The Cboe CNDR reference strategy ``cboe_cndr`` (methodology §4 item 5): the strike
    deltas of Cboe's SPX iron condor index. Its size uses ``condor.risk_budget_pct`` (the
    house condor's risk budget share of NAV), its account the short rate like every cash."""

    short_delta: float = _f(
        0.20, 0.05, 0.45, description="|delta| of the short put and call (Cboe CNDR: ~0.20)"
    )
    long_delta: float = _f(
        0.05, 0.01, 0.25, description="|delta| of the long put and call (Cboe CNDR: ~0.05)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> CndrConfig:
        if self.long_delta >= self.short_delta:
            raise ValueError("need long_delta < short_delta")
        return self


class ExecutionConfig(_Section):
    """Trading costs and account [choice]."""

    initial_capital: float = _f(1_000_000.0, 10_000.0, 1e10, description="starting capital, USD")
    commission_per_contract: float = _f(0.65, 0.0, 20.0, description="broker commission, USD")
    exchange_fee_per_contract: float = _f(0.66, 0.0, 20.0, description="exchange + ORF fees, USD")
    slippage_share_of_half_spread: float = _f(
        0.5, 0.0, 1.0, description="share of the half-spread crossed beyond mid"
    )


class StressWindow(_Section):
    """A named stress window of methodology §4 (inclusive dates)."""

    name: str
    start: dt.date
    end: dt.date


DEFAULT_STRESS_WINDOWS = (
    StressWindow(
        name="2008-09/11 financial crisis", start=dt.date(2008, 9, 1), end=dt.date(2008, 11, 30)
    ),
    StressWindow(name="2010-05 flash crash", start=dt.date(2010, 5, 1), end=dt.date(2010, 5, 31)),
    StressWindow(name="2011-08 US downgrade", start=dt.date(2011, 8, 1), end=dt.date(2011, 8, 31)),
    StressWindow(
        name="2015-08 China devaluation", start=dt.date(2015, 8, 1), end=dt.date(2015, 8, 31)
    ),
    StressWindow(name="2018-02 Volmageddon", start=dt.date(2018, 2, 1), end=dt.date(2018, 2, 28)),
    StressWindow(
        name="2018-10/12 Q4 sell-off", start=dt.date(2018, 10, 1), end=dt.date(2018, 12, 31)
    ),
    StressWindow(
        name="2020-02/03 COVID crash", start=dt.date(2020, 2, 1), end=dt.date(2020, 3, 31)
    ),
)


class AttributionConfig(_Section):
    """Performance metrics and stress windows (methodology §4)."""

    trading_days_per_year: int = _f(252, 200, 366, description="annualization of daily returns")
    cvar_level: float = _f(0.95, 0.5, 0.999, description="CVaR confidence level (§4)")
    stress_windows: tuple[StressWindow, ...] = Field(
        DEFAULT_STRESS_WINDOWS, description="named stress windows (§4)"
    )
    hedge_spend_min_pct_nav_yr: float = _f(
        0.01, 0.0, 1.0, description="hedge premium paid a year, low anchor, share of avg NAV (§3)"
    )
    hedge_spend_max_pct_nav_yr: float = _f(
        0.12, 0.0, 1.0, description="hedge premium paid a year, high anchor, share of avg NAV (§3)"
    )
    hedge_min_capital_sessions: int = _f(
        60,
        1,
        5000,
        description="sessions with an open hedge leg a period needs before its hedge XIRR and "
        "hedge capital cost are shown (fewer: n/a) [choice]",
    )

    @model_validator(mode="after")
    def _spend_band(self) -> AttributionConfig:
        if self.hedge_spend_min_pct_nav_yr > self.hedge_spend_max_pct_nav_yr:
            raise ValueError("need hedge_spend_min_pct_nav_yr <= hedge_spend_max_pct_nav_yr")
        return self


class IngestConfig(_Section):
    """Guards of the ingest's "check before delete" (``alvh_assets.ingest.landing_checks``)."""

    max_day_shrink: float = _f(
        0.5,
        0.0,
        1.0,
        description="largest share of a stored day's rows (per delivery group) a replacement "
        "may drop without --force; a day left with no row is always refused [choice]",
    )


GridValues = list[bool | int | float | str] | str
"""One axis of a named grid: a list of values, or ``"start:stop:step"`` (``grid.py``)."""


class ResearchConfig(_Section):
    """Sweeps run as a Dagster asset (``research_sweep``; ``docs/research.md``) [choice]."""

    grids: dict[str, dict[str, GridValues]] = Field(
        default_factory=dict,
        description="named sweep grids: name -> {section.field: [values] or 'start:stop:step'} "
        "(the syntax of `alvh sweep --grid-file`)",
    )
    sweep_grid: str | None = Field(
        None, description="the grid of `grids` the research_sweep asset runs (none: no sweep)"
    )
    bootstrap_reps: int = _f(
        1000, 10, 1_000_000, description="bootstrap resamples per combination (`--reps`)"
    )
    workers: int | None = _f(
        None, 1, 256, description="worker processes of the sweep (none: one per core)"
    )

    @model_validator(mode="after")
    def _named(self) -> ResearchConfig:
        if self.sweep_grid is not None and self.sweep_grid not in self.grids:
            names = ", ".join(sorted(self.grids)) or "none"
            raise ValueError(f"sweep_grid '{self.sweep_grid}' is not a grid (grids: {names})")
        return self


class AlvhConfig(_Section):
    """Every parameter of the methodology, grouped by section."""

    condor: CondorConfig = CondorConfig()
    hedge: HedgeConfig = HedgeConfig()
    signals: SignalConfig = SignalConfig()
    regimes: RegimeConfig = RegimeConfig()
    baselines: BaselineConfig = BaselineConfig()
    cndr: CndrConfig = CndrConfig()
    execution: ExecutionConfig = ExecutionConfig()
    attribution: AttributionConfig = AttributionConfig()
    ingest: IngestConfig = IngestConfig()
    research: ResearchConfig = ResearchConfig()
    sample_start: dt.date = Field(dt.date(2007, 7, 2), description="default range start")
    sample_end: dt.date = Field(dt.date(2009, 6, 30), description="default range end")
    sample_seed: int = _f(20080915, 0, 2**32 - 1, description="sample-market seed")
    warmup_days: int = _f(
        400,
        0,
        3650,
        description="calendar days of daily history ingested before the start, so "
        "indicators (200-day SMA, MACD, RSI) are warm on the first day",
    )

    data_start: dt.date | None = Field(
        None,
        description="first day of daily data: the first trading-day partition of the "
        "Dagster assets (none before it); default: warmup_days before sample_start, where "
        "the demo's daily ingest begins. Set it to the first day of the landing files to "
        "load an earlier history",
    )

    @model_validator(mode="after")
    def _range(self) -> AlvhConfig:
        if self.sample_start > self.sample_end:
            raise ValueError("need sample_start <= sample_end")
        return self

    def first_data_day(self) -> dt.date:
        """The first day of daily data: ``data_start``, else ``warmup_days`` before
        ``sample_start`` (calendar days; the partitions begin at the session on or after)."""
        if self.data_start is not None:
            return self.data_start
        return self.sample_start - dt.timedelta(days=self.warmup_days)


def mart_vars(config: AlvhConfig) -> dict[str, Any]:
    """The dbt vars of a run: every field declared with :func:`_mart`, by its name, from the
    validated config (the names are unique across sections)."""
    out: dict[str, Any] = {}
    for section_name in type(config).model_fields:
        section = getattr(config, section_name)
        for name, info in getattr(type(section), "model_fields", {}).items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get("dbt_var"):
                if name in out:
                    raise AssertionError(f"dbt var {name} declared in two sections")
                out[name] = getattr(section, name)
    return out


class ConfigError(ValueError):
    """An invalid configuration value; the message names the field and the allowed range."""


def _field_info(path: tuple[Any, ...]) -> Any:
    model: Any = AlvhConfig
    info = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def _allowed(info: Any) -> str:
    if info is None:
        return ""
    lo = hi = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    if lo is None and hi is None:
        return ""
    return (
        f"; allowed range [{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
    )


def _explain(err: ValidationError, source: str) -> ConfigError:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if isinstance(p, str))
        name = ".".join(loc) or "(config)"
        got = f" (got {e['input']!r})" if e["type"] != "value_error" else ""
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: field '{name}': {msg}{got}{_allowed(_field_info(loc))}")
    return ConfigError("\n".join(lines))


def _set_dotted(doc: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = doc
    for p in parents:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override '{dotted}': '{p}' is not a section")
    node[leaf] = value


def load_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> AlvhConfig:
    """Defaults, then the YAML file at ``path`` (if any), then dotted ``overrides``.

    >>> load_config(overrides={"condor.pop_target": 0.72}).condor.pop_target
    0.72
    """
    doc: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{path}: cannot read config: {e}") from e
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping of sections")
        doc = loaded
    for key, value in (overrides or {}).items():
        _set_dotted(doc, key, value)
    if overrides:
        source += " + overrides"
    try:
        return AlvhConfig.model_validate(doc)
    except ValidationError as e:
        raise _explain(e, source) from None


UNHASHED_SECTIONS = {"research"}
"""Sections left out of :func:`config_hash`: they say which sweeps to run, not how the
strategies trade, so naming a grid in the config leaves every combination's hash (and a
sweep's resumption) unchanged."""


def config_hash(cfg: AlvhConfig) -> str:
    """SHA-256 (first 16 hex digits) of the validated config as canonical JSON, without the
    :data:`UNHASHED_SECTIONS`: the identity of a configuration (sweep combinations,
    ``meta.publication.config_hash``)."""
    doc = cfg.model_dump(mode="json", exclude=UNHASHED_SECTIONS)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_override(text: str) -> tuple[str, Any]:
    """``'condor.pop_target=0.72'`` -> ``('condor.pop_target', 0.72)`` (YAML-typed value)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r}: expected section.field=value")
    return key.strip(), yaml.safe_load(raw)


def dump_defaults() -> str:
    """The default configuration as YAML (the documented reference file)."""
    return yaml.safe_dump(AlvhConfig().model_dump(mode="json"), sort_keys=False)
