{#- The macro series of the event calendar and the CPI/PPI signals: key -> FRED series id
    (core CPI, all-commodities PPI). -#}
{% macro macro_series() -%}
    {{ return({'cpi': 'CPILFESL', 'ppi': 'PPIACO'}) }}
{%- endmacro %}

{#- `column in (<the series ids>)` -#}
{% macro in_macro_series(column) -%}
    {{ column }} in ('{{ macro_series().values() | join("', '") }}')
{%- endmacro %}
