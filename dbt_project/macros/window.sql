{#- The partition window an incremental run rebuilds (inclusive dates).

    Dagster passes the window in the environment (ALVH_WINDOW_START / ALVH_WINDOW_END), not as
    --vars: dbt rejects its whole partial parse when --vars change, and the window changes
    every run. The environment is read only while executing (`execute`), never while parsing,
    so dbt does not record the variables as parse inputs and the cached parse stays valid.
    A var given explicitly (dbt unit tests, `dbt build --vars '{window_start: …}'`) wins over
    the environment; neither set means the whole history. -#}
{% macro window_bound(name, default) -%}
    {%- set explicit = var(name, none) -%}
    {%- if explicit is not none -%}
        {{ return(explicit | string) }}
    {%- elif execute -%}
        {{ return(env_var('ALVH_' ~ name | upper, default)) }}
    {%- else -%}
        {{ return(default) }}
    {%- endif -%}
{%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} between cast('{{ window_bound("window_start", "1900-01-01") }}' as date)
                     and cast('{{ window_bound("window_end", "2999-12-31") }}' as date)
{%- endmacro %}

{% macro up_to_window_end(column) -%}
    {{ column }} <= cast('{{ window_bound("window_end", "2999-12-31") }}' as date)
{%- endmacro %}
