-- The condition functions against a real server: condition_matches,
-- evaluate_condition, validate_condition, condition_leaves.
\set SHOW_CONTEXT never

SELECT condition_matches('{"field": "a", "op": "eq", "value": 1}', '{"a": 1}') AS eq,
       condition_matches('{"field": "a.b", "op": "in", "value": ["x", "y"]}', '{"a": {"b": "y"}}') AS nested_in,
       condition_matches('{"field": "tags", "op": "contains", "value": "go"}', '{"tags": ["rust", "go"]}') AS contains,
       condition_matches('{"field": "d", "op": "lt", "value": "2024-01-01"}', '{"d": "2023-12-31T23:00:00-02:00"}') AS dates_with_offsets,  -- 01:00Z on Jan 1 is not before Jan 1
       condition_matches('{"field": "e", "op": "matches", "value": "^[a-z]+@x\\.org$"}', '{"e": "ann@x.org"}') AS re2,
       condition_matches('{"field": "n", "op": "between", "value": [1, 5]}', '{"n": 5.0}') AS between,
       condition_matches('{"field": "m", "op": "not_exists"}', '{}') AS missing,
       condition_matches('{"field": "a", "op": "eq", "value": 1}', '[1]') AS facts_not_object,
       condition_matches(NULL, '{}') IS NULL AS strict_null;

-- Bulk screening: the compiled condition is cached across rows.
SELECT count(*) FILTER (WHERE condition_matches(
         '{"all": [{"field": "years", "op": ">=", "value": 3}, {"field": "city", "op": "=", "value": "Berlin"}]}',
         jsonb_build_object('years', g % 10, 'city', CASE WHEN g % 2 = 0 THEN 'Berlin' ELSE 'Paris' END))) AS matched,
       count(*) AS total
  FROM generate_series(1, 10000) g;
-- Different conditions row by row recompile correctly.
SELECT c, condition_matches(c::jsonb, '{"x": 2}')
  FROM (VALUES ('{"field": "x", "op": "eq", "value": 2}'), ('{"field": "x", "op": "eq", "value": 3}'),
               ('{"field": "x", "op": "eq", "value": 2}')) v(c);

SELECT jsonb_pretty(evaluate_condition(
  '{"all": [{"field": "years", "op": "gte", "value": 3}, {"not": {"field": "city", "op": "eq", "value": "Paris"}},
            {"field": "salary", "op": "lt", "value": 100}]}',
  '{"years": 2, "city": "Paris", "salary": "lots"}'));

SELECT validate_condition('{"any": [{"field": "a", "op": "exists"}]}');  -- valid: no error
SELECT test_error($$SELECT validate_condition('{"all": [{"field": "a", "op": "like", "value": 1}]}')$$);
SELECT test_error($$SELECT validate_condition('{"field": "a", "op": "in", "value": "x"}')$$);
SELECT test_error($$SELECT validate_condition('{"field": "a", "op": "matches", "value": "(["}')$$);
SELECT test_error($$SELECT validate_condition(NULL)$$);
SELECT test_error($$SELECT condition_matches('{"field": "a", "op": "nope", "value": 1}', '{}')$$);
SELECT test_error($$SELECT evaluate_condition('{"all": []}', '{}')$$);

SELECT jsonb_pretty(condition_leaves('{"all": [{"field": "a", "op": "<=", "value": 3}, {"not": {"field": "b", "op": "exists"}}]}'));

-- Numbers read from jsonb (fast path and fallback) compare like the doubles
-- of the condition: integers, fractions, negatives, large and tiny values.
SELECT n, condition_matches(jsonb_build_object('field', 'x', 'op', 'eq', 'value', n), jsonb_build_object('x', n)) AS eq_self,
       condition_matches(jsonb_build_object('field', 'x', 'op', 'lt', 'value', n), jsonb_build_object('x', n)) AS lt_self,
       evaluate_condition(jsonb_build_object('field', 'x', 'op', 'eq', 'value', 0), jsonb_build_object('x', n))->'leaves'->0->'actual' AS seen
  FROM unnest(ARRAY[0, 1, -1, 7, 10000, 123456789, 9007199254740993, -42.5, 0.1, 3.14159, 0.000001,
                    123456.789012, 1e20, 1e-25, 12345678901234567890.5]::numeric[]) n;
SELECT condition_matches('{"field": "x", "op": "between", "value": [0.1, 0.3]}', '{"x": 0.2}') AS fraction_between,
       condition_matches('{"field": "x", "op": "gt", "value": 99999.99}', '{"x": 100000}') AS crosses_digit_group,
       condition_matches('{"field": "x", "op": "lt", "value": -0.5}', '{"x": -0.75}') AS negative_fraction;

-- Key lookups remember where a key was found in the previous document and try
-- there first: documents whose keys sit elsewhere, are missing, or where a
-- different key of the same length sits at the remembered place, still find
-- the right member (one call site, rows in this order).
SELECT d, condition_matches('{"all": [{"field": "ab", "op": "eq", "value": 1}, {"field": "o.zz", "op": "eq", "value": 2}]}', d) AS matches,
       evaluate_condition('{"field": "ab", "op": "exists"}', d)->'leaves'->0->'actual' AS ab
  FROM (VALUES (1, '{"ab": 1, "o": {"zz": 2}}'::jsonb),
               (2, '{"aa": 9, "ab": 1, "ac": 3, "o": {"yy": 1, "zz": 2}}'),
               (3, '{"ab": 1, "o": {"zz": 2}}'),
               (4, '{"ac": 1, "o": {"zz": 2}}'),
               (5, '{"a": 1, "b": 2, "aa": 0, "ab": 1, "abc": 4, "o": {"zz": 3}}'),
               (6, '{"ab": 2, "o": {"a": 1, "zz": 2}}'),
               (7, '{"ab": 1, "o": []}'),
               (8, '{"ab": 1, "o": {"zz": 2}}')) AS t(i, d)
 ORDER BY i;
