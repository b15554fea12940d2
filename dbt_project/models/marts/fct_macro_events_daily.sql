-- Macro event calendar and point-in-time CPI/PPI signals per trading day (grain: date).
--
-- Events: FOMC decisions (stg_fed__fomc_decisions) and CPI/PPI release dates
-- (stg_macro__release_calendar). Scheduled FOMC meetings and BLS release dates are published
-- in advance, so "next" dates use them; an unscheduled FOMC action is known only from its
-- own decision date (never listed as "next", and its event window starts on the first
-- session on or after it). Trading days are NYSE sessions (int_calendar__nyse_sessions).
--
-- CPI/PPI values are point in time: an unvintaged observation counts from its release date
-- (as the first print), a vintaged one (ALFRED realtime_start) from its vintage date; on a
-- day the latest-known row of each reference month wins. A print released after day t is
-- invisible on t and a later revision never changes a day already past.
{%- set n = var('event_window_days') | int %}
{%- set months = var('range_bound_months') | int %}
{%- set sigmas = var('range_bound_sigmas') | float %}
{%- set series = {'cpi': 'CPILFESL', 'ppi': 'PPIACO'} %}
{%- set event_types = ['fomc', 'cpi', 'ppi'] %}

with days as (

    select date
    from {{ ref('int_index_levels__pivoted') }}
    where {{ in_window('date') }}

),

sessions as (

    select session_date, session_index
    from {{ ref('int_calendar__nyse_sessions') }}

),

day_index as (

    select days.date, sessions.session_index
    from days
    left join sessions on days.date = sessions.session_date

),

fomc as (

    select decision_date, coalesce(scheduled, false) as scheduled
    from {{ ref('stg_fed__fomc_decisions') }}

),

release_calendar as (

    select series_id, reference_period, release_date
    from {{ ref('stg_macro__release_calendar') }}
    where series_id in ('{{ series.values() | join("', '") }}')

),

-- every event with whether it is known before it happens
events as (

    select 'fomc' as event_type, decision_date as event_date, scheduled as known_in_advance
    from fomc
    {%- for key, series_id in series.items() %}
    union all
    select distinct '{{ key }}' as event_type, release_date as event_date, true as known_in_advance
    from release_calendar
    where series_id = '{{ series_id }}'
    {%- endfor %}

),

events_before as (

    select events.*, sessions.session_index as index_on_or_before
    from events
    asof left join sessions on events.event_date >= sessions.session_date

),

events_located as (

    select
        events_before.*,
        sessions.session_index as index_on_or_after,
        -- window in session indices: a known-in-advance event on a non-session day (weekend,
        -- holiday) counts for both adjacent sessions; an unscheduled action only from the
        -- first session on or after it (it was not known before).
        case
            when events_before.known_in_advance
                then events_before.index_on_or_before - {{ n }}
            else sessions.session_index
        end as window_first_index,
        sessions.session_index + {{ n }} as window_last_index
    from events_before
    asof left join sessions on events_before.event_date <= sessions.session_date

),

window_hits as (

    select
        day_index.date,
        {%- for e in event_types %}
        bool_or(events_located.event_type = '{{ e }}') as event_window_{{ e }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from day_index
    inner join events_located
        on day_index.session_index
        between events_located.window_first_index and events_located.window_last_index
    group by day_index.date

),

prev_next as (

    select
        days.date,
        max(events.event_date) filter (
            where events.event_type = 'fomc' and events.event_date <= days.date
        ) as prev_fomc_date,
        min(events.event_date) filter (
            where events.event_type = 'fomc' and events.known_in_advance
            and events.event_date > days.date
        ) as next_fomc_date,
        {%- for key in series %}
        max(events.event_date) filter (
            where events.event_type = '{{ key }}' and events.event_date <= days.date
        ) as prev_{{ key }}_release_date,
        min(events.event_date) filter (
            where events.event_type = '{{ key }}' and events.event_date > days.date
        ) as next_{{ key }}_release_date
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from days
    cross join events
    group by days.date

),

next_located as (

    select
        prev_next.*,
        day_index.session_index,
        {%- for col in ['next_fomc_date', 'next_cpi_release_date', 'next_ppi_release_date'] %}
        (
            select min(sessions.session_index)
            from sessions
            where sessions.session_date >= prev_next.{{ col }}
        ) as {{ col }}_session_index
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from prev_next
    left join day_index on prev_next.date = day_index.date

),

-- point-in-time observations: when each value became known
observations as (

    select
        obs.series_id,
        obs.reference_period,
        obs.value,
        obs.vintage,
        case
            when obs.vintage is not null then greatest(obs.vintage, cal.release_date)
            else cal.release_date
        end as known_from
    from {{ ref('stg_fred__observations') }} as obs
    left join release_calendar as cal
        on obs.series_id = cal.series_id and obs.reference_period = cal.reference_period
    where obs.series_id in ('{{ series.values() | join("', '") }}')

),

known_observations as (

    select *
    from observations
    where known_from is not null and {{ up_to_window_end('known_from') }}

),

knowledge_dates as (

    select distinct series_id, known_from as knowledge_date
    from known_observations

),

-- what was known of each reference month on each knowledge date (latest vintage by then)
snapshots as (

    select
        knowledge_dates.series_id,
        knowledge_dates.knowledge_date,
        known_observations.reference_period,
        known_observations.value
    from knowledge_dates
    inner join known_observations
        on knowledge_dates.series_id = known_observations.series_id
        and known_observations.known_from <= knowledge_dates.knowledge_date
    qualify row_number() over (
        partition by
            knowledge_dates.series_id,
            knowledge_dates.knowledge_date,
            known_observations.reference_period
        -- on a tie, an explicit vintage beats an unvintaged row
        order by
            known_observations.known_from desc,
            known_observations.vintage is null,
            known_observations.vintage desc
    ) = 1

),

snapshots_recent as (

    select *
    from (
        select
            *,
            max(reference_period) over (partition by series_id, knowledge_date)
                as latest_reference_period
        from snapshots
    )
    where reference_period
        >= cast(latest_reference_period - to_months({{ months + 1 }}) as date)

),

snapshot_mom as (

    select
        series_id,
        knowledge_date,
        reference_period,
        latest_reference_period,
        case
            when lag(reference_period) over w
                = cast(reference_period - to_months(1) as date)
                then value / lag(value) over w - 1
        end as mom
    from snapshots_recent
    window w as (partition by series_id, knowledge_date order by reference_period)

),

snapshot_stats as (

    select
        series_id,
        knowledge_date,
        latest_reference_period as reference_month,
        max(mom) filter (where reference_period = latest_reference_period) as mom,
        avg(mom) filter (where reference_period < latest_reference_period) as trailing_mean,
        stddev_samp(mom) filter (where reference_period < latest_reference_period)
            as trailing_std,
        count(mom) filter (where reference_period < latest_reference_period) as trailing_n
    from snapshot_mom
    group by series_id, knowledge_date, latest_reference_period

),

{%- for key, series_id in series.items() %}

{{ key }}_known as (

    select
        days.date,
        stats.knowledge_date as {{ key }}_known_since,
        stats.reference_month as {{ key }}_reference_month,
        stats.mom as {{ key }}_mom,
        stats.trailing_mean as {{ key }}_mom_trailing_mean,
        stats.trailing_std as {{ key }}_mom_trailing_std,
        case
            when stats.mom is null or stats.trailing_std is null
                or stats.trailing_n < {{ months }}
                then null
            else round(abs(stats.mom - stats.trailing_mean), 12)
                <= round({{ sigmas }} * stats.trailing_std, 12)
        end as {{ key }}_range_bound
    from days
    asof left join (
        select * from snapshot_stats where series_id = '{{ series_id }}'
    ) as stats
        on days.date >= stats.knowledge_date

),

{%- endfor %}

final as (

    select
        next_located.date,
        next_located.prev_fomc_date,
        next_located.next_fomc_date,
        next_located.prev_cpi_release_date,
        next_located.next_cpi_release_date,
        next_located.prev_ppi_release_date,
        next_located.next_ppi_release_date,
        {%- for key, col in [('fomc', 'next_fomc_date'), ('cpi', 'next_cpi_release_date'),
                             ('ppi', 'next_ppi_release_date')] %}
        next_located.{{ col }}_session_index - next_located.session_index
            as trading_days_to_next_{{ key }},
        datediff('day', next_located.date, next_located.{{ col }})
            as calendar_days_to_next_{{ key }},
        {%- endfor %}
        least(
            next_located.next_fomc_date,
            next_located.next_cpi_release_date,
            next_located.next_ppi_release_date
        ) as next_event_date,
        {%- for e in event_types %}
        case
            when next_located.session_index is not null
                then coalesce(window_hits.event_window_{{ e }}, false)
        end as event_window_{{ e }},
        {%- endfor %}
        case
            when next_located.session_index is not null
                then coalesce(
                    window_hits.event_window_fomc
                    or window_hits.event_window_cpi
                    or window_hits.event_window_ppi,
                    false
                )
        end as event_window,
        {%- for key in series %}
        {{ key }}_known.{{ key }}_known_since,
        {{ key }}_known.{{ key }}_reference_month,
        {{ key }}_known.{{ key }}_mom,
        {{ key }}_known.{{ key }}_mom_trailing_mean,
        {{ key }}_known.{{ key }}_mom_trailing_std,
        {{ key }}_known.{{ key }}_range_bound,
        {%- endfor %}
        cpi_known.cpi_range_bound and ppi_known.ppi_range_bound as range_bound
    from next_located
    left join window_hits on next_located.date = window_hits.date
    left join cpi_known on next_located.date = cpi_known.date
    left join ppi_known on next_located.date = ppi_known.date

)

select * from final
