-- Daily market regime and hedge-budget flags of methodology §3 (grain: date).
--
-- regime, first rule that matches (precedence stressed > elevated > neutral > calm):
--   stressed : vix >= stressed_vix, or backwardation (slope < 0)
--   elevated : neutral_vix <= vix < stressed_vix, or |slope| <= flat_slope_band
--   neutral  : calm_vix <= vix < neutral_vix and contango (slope > 0)
--   calm     : vix < calm_vix and contango
-- A day no rule matches (the inputs a rule needs are missing, e.g. VIX < neutral_vix with
-- no VX curve) gets regime null, never a guess; regime_rule says why.
-- Inputs are the same-day rows of the upstream marts (none needs history here).
{%- set calm = var('calm_vix') | float %}
{%- set neutral = var('neutral_vix') | float %}
{%- set stressed = var('stressed_vix') | float %}
{%- set band = var('flat_slope_band') | float %}

with term_structure as (

    select * from {{ ref('fct_vix_term_structure_daily') }}
    where {{ in_window('date') }}

),

indicators as (

    select * from {{ ref('fct_indicators_daily') }}
    where {{ in_window('date') }}

),

events as (

    select * from {{ ref('fct_macro_events_daily') }}
    where {{ in_window('date') }}

),

valuation as (

    select * from {{ ref('fct_valuation_daily') }}
    where {{ in_window('date') }}

),

inputs as (

    select
        term_structure.date,
        term_structure.vix_close,
        term_structure.slope,
        term_structure.contango,
        term_structure.backwardation,
        term_structure.steepening,
        indicators.spx_close,
        indicators.spx_sma_50,
        indicators.spx_sma_trend,
        indicators.rv20,
        indicators.vix_rsi,
        indicators.ad_divergence,
        valuation.erp_proxy,
        valuation.peak_earnings_pe,
        valuation.pe,
        events.event_window,
        -- rounded to 1e-12: a slope of exactly ±band counts as flat despite float noise
        round(abs(term_structure.slope), 12) <= {{ band }} as flat_slope
    from term_structure
    left join indicators on term_structure.date = indicators.date
    left join events on term_structure.date = events.date
    left join valuation on term_structure.date = valuation.date

),

classified as (

    select
        *,
        case
            when vix_close >= {{ stressed }} then 'vix >= stressed_vix'
            when backwardation then 'backwardation'
            when vix_close >= {{ neutral }} and vix_close < {{ stressed }}
                then 'neutral_vix <= vix < stressed_vix'
            when flat_slope then '|slope| <= flat_slope_band'
            when vix_close >= {{ calm }} and vix_close < {{ neutral }} and contango
                then 'calm_vix <= vix < neutral_vix and contango'
            when vix_close < {{ calm }} and contango then 'vix < calm_vix and contango'
            when vix_close is null then 'unclassified: vix missing'
            when slope is null then 'unclassified: slope missing'
            else 'unclassified'
        end as regime_rule
    from inputs

),

regimes as (

    select
        *,
        case
            when regime_rule in ('vix >= stressed_vix', 'backwardation') then 'stressed'
            when regime_rule in (
                    'neutral_vix <= vix < stressed_vix', '|slope| <= flat_slope_band'
                ) then 'elevated'
            when regime_rule = 'calm_vix <= vix < neutral_vix and contango' then 'neutral'
            when regime_rule = 'vix < calm_vix and contango' then 'calm'
        end as regime
    from classified

)

select
    date,
    regime,
    regime_rule,
    spx_close > spx_sma_trend and regime in ('calm', 'neutral') as neutral_to_bullish,
    (
        erp_proxy > {{ var('erp_threshold') | float }}
        and rv20 < {{ var('rv20_threshold') | float }}
    ) as distorted_fundamentals,
    -- methodology §3 "no new layers" (seed 003): the P/E on peak earnings, not the trailing
    -- P/E (which explodes when earnings collapse); distorted_fundamentals above reads the
    -- excess CAPE yield (fct_valuation_daily.erp_proxy)
    peak_earnings_pe > {{ var('extreme_pe') | float }} as extreme_valuation,
    event_window,
    ad_divergence,
    vix_rsi > {{ var('rsi_overbought') | float }} as vix_rsi_overbought,
    vix_rsi > {{ var('rsi_overbought') | float }} and ad_divergence as vix_rsi_ad_distortion,
    steepening,
    ad_divergence and steepening as ad_divergence_with_steepening,
    vix_close,
    slope,
    contango,
    backwardation,
    flat_slope,
    spx_close,
    spx_sma_50,
    spx_sma_trend,
    rv20,
    vix_rsi,
    erp_proxy,
    peak_earnings_pe,
    pe
from regimes
