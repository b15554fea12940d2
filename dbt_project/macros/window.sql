{#- The partition window an incremental run rebuilds (inclusive dates, from --vars). -#}
{% macro in_window(column) -%}
    {{ column }} between cast('{{ var("window_start") }}' as date)
                     and cast('{{ var("window_end") }}' as date)
{%- endmacro %}

{% macro up_to_window_end(column) -%}
    {{ column }} <= cast('{{ var("window_end") }}' as date)
{%- endmacro %}
