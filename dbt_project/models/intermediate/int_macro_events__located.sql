-- Every macro event located among the NYSE sessions (grain: event_type, event_date).
--
-- Events: FOMC decisions (stg_fed__fomc_decisions) and the CPI/PPI release dates of the
-- release calendar, one row per series and release date. Scheduled FOMC meetings and BLS
-- release dates are published in advance (known_in_advance); an unscheduled FOMC action is
-- known only from its own decision date. index_on_or_before / index_on_or_after: the
-- session_index (int_calendar__nyse_sessions) of the last session on or before the event and
-- of the first session on or after it (equal on a session; null beyond the calendar).
{%- set series = macro_series() %}

with sessions as (

    select
        session_date,
        session_index
    from {{ ref('int_calendar__nyse_sessions') }}

),

fomc as (

    select
        decision_date,
        coalesce(scheduled, false) as scheduled
    from {{ ref('stg_fed__fomc_decisions') }}

),

release_calendar as (

    select
        series_id,
        release_date
    from {{ ref('stg_macro__release_calendar') }}
    where {{ in_macro_series('series_id') }}

),

-- every event with whether it is known before it happens
events as (

    select
        'fomc' as event_type,
        decision_date as event_date,
        scheduled as known_in_advance
    from fomc
    {%- for key, series_id in series.items() %}
        union all
        select distinct
            '{{ key }}' as event_type,
            release_date as event_date,
            true as known_in_advance
        from release_calendar
        where series_id = '{{ series_id }}'
    {%- endfor %}

),

events_before as (

    select
        events.*,
        sessions.session_index as index_on_or_before
    from events
    asof left join sessions on events.event_date >= sessions.session_date

),

events_located as (

    select
        events_before.*,
        sessions.session_index as index_on_or_after
    from events_before
    asof left join sessions on events_before.event_date <= sessions.session_date

)

select * from events_located
