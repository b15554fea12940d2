-- Macro event calendar and point-in-time CPI/PPI signals per trading day (grain: date).
--
-- Joins the events located among the NYSE sessions (int_macro_events__located) and the
-- CPI/PPI prints as known on each knowledge date (int_macro_prints__point_in_time) to the
-- days of the window, with the thresholds of the run: the +-event_window_days session window
-- of each event, and the range-bound test of each series' latest MoM against the
-- range_bound_months changes before it (knowledge cut at window_end). Scheduled events
-- are known in advance, so "next" dates use them; an unscheduled FOMC action is never
-- "next", and its window starts on the first session on or after it.
{%- set n = var('event_window_days') | int %}
{%- set months = var('range_bound_months') | int %}
{%- set sigmas = var('range_bound_sigmas') | float %}
{%- set series = macro_series() %}
{%- set event_types = ['fomc', 'cpi', 'ppi'] %}

with days as (

    select date
    from {{ ref('int_index_levels__pivoted') }}
    where {{ in_window('date') }}

),

sessions as (

    select
        session_date,
        session_index
    from {{ ref('int_calendar__nyse_sessions') }}

),

day_index as (

    select
        days.date,
        sessions.session_index
    from days
    left join sessions on days.date = sessions.session_date

),

events as (

    select
        event_type,
        event_date,
        known_in_advance,
        index_on_or_before,
        index_on_or_after
    from {{ ref('int_macro_events__located') }}

),

events_located as (

    select
        events.*,
        -- window in session indices: a known-in-advance event on a non-session day (weekend,
        -- holiday) counts for both adjacent sessions; an unscheduled action only from the
        -- first session on or after it (it was not known before).
        case
            when events.known_in_advance
                then events.index_on_or_before - {{ n }}
            else events.index_on_or_after
        end as window_first_index,
        events.index_on_or_after + {{ n }} as window_last_index
    from events

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

-- the latest reference month of each snapshot and the range_bound_months changes before it
snapshots_recent as (

    select *
    from (
        select
            series_id,
            knowledge_date,
            reference_period,
            mom,
            max(reference_period) over (partition by series_id, knowledge_date)
                as latest_reference_period
        from {{ ref('int_macro_prints__point_in_time') }}
        where {{ up_to_window_end('knowledge_date') }}
    )
    where reference_period
        >= cast(latest_reference_period - to_months({{ months }}) as date)

),

snapshot_stats as (

    select
        series_id,
        knowledge_date,
        latest_reference_period as reference_month,
        max(mom) filter (where reference_period = latest_reference_period) as mom,
        avg(mom order by reference_period) filter (
            where reference_period < latest_reference_period
        ) as trailing_mean,
        stddev_samp(mom order by reference_period) filter (
            where reference_period < latest_reference_period
        ) as trailing_std,
        count(mom) filter (where reference_period < latest_reference_period) as trailing_n
    from snapshots_recent
    group by series_id, knowledge_date, latest_reference_period

),

{%- for key, series_id in series.items() %}

    {{ key }}_stats as (

        select *
        from snapshot_stats
        where series_id = '{{ series_id }}'

    ),

    {{ key }}_known as (

        select
            days.date,
            stats.knowledge_date as {{ key }}_known_since,
            stats.reference_month as {{ key }}_reference_month,
            stats.mom as {{ key }}_mom,
            stats.trailing_mean as {{ key }}_mom_trailing_mean,
            stats.trailing_std as {{ key }}_mom_trailing_std,
            case
                when
                    stats.mom is null or stats.trailing_std is null
                    or stats.trailing_n < {{ months }}
                    then null
                else round(abs(stats.mom - stats.trailing_mean), 12)
                    <= round({{ sigmas }} * stats.trailing_std, 12)
            end as {{ key }}_range_bound
        from days
        asof left join {{ key }}_stats as stats
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
