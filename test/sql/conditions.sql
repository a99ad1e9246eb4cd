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

-- Members past jsonb's offset stride: an object or array with more than 32
-- children keeps every 32nd entry as an offset instead of a length, and the
-- lookups compute offsets themselves (facts.c entry_offset).  Every member of
-- objects of 1 to 300 keys (texts of varying length, numbers, nested objects,
-- arrays) and every element of a 100-element array is found with the value
-- PostgreSQL reads there, and a value one off is not (wrong = 0 both ways).
CREATE TEMP TABLE wide_docs AS
SELECT n, (SELECT jsonb_object_agg('k' || lpad(i::text, 3, '0'),
                                   CASE i % 4 WHEN 0 THEN to_jsonb('v' || repeat('x', i % 7) || i)
                                              WHEN 1 THEN to_jsonb(i * n)
                                              WHEN 2 THEN jsonb_build_object('in', 'n' || repeat('y', i % 5) || i)
                                              ELSE jsonb_build_array(i, 'a' || repeat('z', i % 3) || i) END)
             FROM generate_series(1, n) i)
          || jsonb_build_object('arr', (SELECT jsonb_agg('e' || repeat('w', j % 6) || j) FROM generate_series(0, 99) j)) AS doc
  FROM unnest(ARRAY[1, 31, 32, 33, 64, 65, 100, 300]) n;
WITH probes AS (
  SELECT doc, CASE jsonb_typeof(v)
                WHEN 'object' THEN jsonb_build_object('field', k || '.in', 'op', 'eq', 'value', v -> 'in')
                WHEN 'array' THEN jsonb_build_object('all', jsonb_build_array(
                                    jsonb_build_object('field', k, 'op', 'contains', 'value', v -> 1),
                                    jsonb_build_object('field', '$.' || k || '[0]', 'op', 'eq', 'value', v -> 0)))
                ELSE jsonb_build_object('field', k, 'op', 'eq', 'value', v) END AS good,
              CASE jsonb_typeof(v)
                WHEN 'object' THEN jsonb_build_object('field', k || '.in', 'op', 'eq', 'value', (v ->> 'in') || 'q')
                WHEN 'array' THEN jsonb_build_object('field', k, 'op', 'contains', 'value', (v ->> 1) || 'q')
                WHEN 'number' THEN jsonb_build_object('field', k, 'op', 'eq', 'value', v::numeric + 1)
                ELSE jsonb_build_object('field', k, 'op', 'eq', 'value', (v #>> '{}') || 'q') END AS bad
    FROM wide_docs, jsonb_each(doc) AS e(k, v)
  UNION ALL
  SELECT doc, jsonb_build_object('all', jsonb_build_array(
                jsonb_build_object('field', '$.arr[' || j || ']', 'op', 'eq', 'value', doc -> 'arr' -> j),
                jsonb_build_object('field', 'arr', 'op', 'contains', 'value', doc -> 'arr' -> j))),
              jsonb_build_object('field', '$.arr[' || j || ']', 'op', 'eq', 'value', doc -> 'arr' -> (j + 1))
    FROM wide_docs, generate_series(0, 98) j
)
SELECT count(*) AS probes,
       count(*) FILTER (WHERE NOT condition_matches(good, doc)) AS wrong_missed,
       count(*) FILTER (WHERE condition_matches(bad, doc)) AS wrong_found
  FROM probes;
-- One call site over the documents in turn (the remembered position of a key
-- moves from document to document): k040 and k300 where they exist.
SELECT n, condition_matches('{"field": "k040", "op": "eq", "value": "vxxxxx40"}', doc) AS k040,
       condition_matches('{"field": "k300", "op": "eq", "value": "vxxxxxx300"}', doc) AS k300,
       condition_matches('{"field": "$.arr[97]", "op": "eq", "value": "ew97"}', doc) AS arr97
  FROM wide_docs ORDER BY n;
