{#-
    Generic test: a boolean SQL expression holds on every row (rows where it is false fail;
    a null result passes, so write "x is not null and ..." to require a value). Optional
    `where` restricts the rows checked.
-#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), true)
{%- if where_clause is not none %}
  and ({{ where_clause }})
{%- endif %}
{% endtest %}
