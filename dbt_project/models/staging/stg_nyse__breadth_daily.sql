-- NYSE daily breadth counts.
select
    date,
    total_issues,
    advances,
    declines,
    unchanged,
    advances - declines as net_advances
from {{ source('raw', 'nyse_breadth_daily') }}
