-- What was known of each CPI/PPI reference month on each knowledge date (grain: series_id,
-- knowledge_date, reference_period), with its month-on-month change as known then.
--
-- An unvintaged observation counts from its reference month's release date (as the first
-- print; a month without a release date is never used), a vintaged one (ALFRED
-- realtime_start) from its vintage date, not before the release date. A knowledge date is a
-- date something became known; its snapshot holds, per reference month, the latest-known row
-- (on a tie an explicit vintage beats an unvintaged row). So a print released after day t is
-- invisible on t and a later revision never changes a snapshot already past. mom = value /
-- value of the month before - 1, both of the same snapshot (null without that month).

with release_calendar as (

    select
        series_id,
        reference_period,
        release_date
    from {{ ref('stg_macro__release_calendar') }}
    where {{ in_macro_series('series_id') }}

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
    where {{ in_macro_series('obs.series_id') }}

),

known_observations as (

    select *
    from observations
    where known_from is not null

),

knowledge_dates as (

    select distinct
        series_id,
        known_from as knowledge_date
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
        on
            knowledge_dates.series_id = known_observations.series_id
            and knowledge_dates.knowledge_date >= known_observations.known_from
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

snapshot_mom as (

    select
        series_id,
        knowledge_date,
        reference_period,
        value,
        case
            when lag(reference_period) over w
                = cast(reference_period - to_months(1) as date)
                then value / lag(value) over w - 1
        end as mom
    from snapshots
    window w as (partition by series_id, knowledge_date order by reference_period)

)

select * from snapshot_mom
