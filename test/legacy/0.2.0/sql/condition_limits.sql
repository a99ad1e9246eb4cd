-- Bounded work in the condition functions (issue 7 section 11): "matches"
-- scans at most 256 KiB of text, the regexes of one condition share one
-- memory budget, and long evaluations honour statement_timeout (57014).  No
-- timing is asserted: a statement either is cancelled or it is not.  Needs
-- setup (test_error).
\set SHOW_CONTEXT never

-- A text longer than 262144 bytes is not scanned: false, and explained.
SELECT condition_matches('{"field": "s", "op": "matches", "value": "z$"}',
                         jsonb_build_object('s', repeat('a', 262143) || 'z')) AS at_bound,
       condition_matches('{"field": "s", "op": "matches", "value": "z$"}',
                         jsonb_build_object('s', repeat('a', 262144) || 'z')) AS over_bound,
       condition_matches('{"not": {"field": "s", "op": "matches", "value": "z$"}}',
                         jsonb_build_object('s', repeat('a', 262144) || 'z')) AS over_bound_negated;
SELECT evaluate_condition('{"field": "s", "op": "matches", "value": "^a"}',
                          jsonb_build_object('s', repeat('a', 300000)))->'leaves'->0->>'reason' AS why;
-- Other string operators read any length, in linear time.
SELECT condition_matches(jsonb_build_object('field', 's', 'op', 'contains', 'value', repeat('a', 2000) || 'b'),
                         jsonb_build_object('s', repeat('a', 1000000))) AS almost_everywhere,
       condition_matches('{"field": "s", "op": "contains", "value": "NEEDLE", "ignore_case": true}',
                         jsonb_build_object('s', repeat('x', 1000000) || 'needle')) AS folded;

-- All regexes of a condition share 8 MiB: one large pattern fits, 300 do not.
SELECT validate_condition('{"field": "s", "op": "matches", "value": "[a-z0-9]{100,1000}x"}');
SELECT test_error(format('SELECT validate_condition(%L)',
         jsonb_build_object('any', (SELECT jsonb_agg(jsonb_build_object('field', 's' || i, 'op', 'matches',
                                                                        'value', '[a-z0-9]{100,1000}x'))
                                      FROM generate_series(1, 300) i))));

-- statement_timeout stops one long evaluation: 10,000 operands against
-- 200,000 array items (2e9 comparisons; code that never polls for
-- interrupts runs it to the end before it notices).
CREATE TEMP TABLE test_long_cond AS
SELECT jsonb_build_object('field', 'a', 'op', 'in', 'value', jsonb_agg(-g)) AS cond
  FROM generate_series(1, 10000) g;
CREATE TEMP TABLE test_long_facts AS
SELECT jsonb_build_object('a', jsonb_agg(g)) AS facts FROM generate_series(1, 200000) g;
-- (PL/pgSQL's WHEN OTHERS does not catch a cancel: a helper that does.)
CREATE FUNCTION test_cancelled(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SET statement_timeout = '200ms';
SELECT test_cancelled('SELECT condition_matches(c.cond, f.facts) FROM test_long_cond c, test_long_facts f');
SELECT test_cancelled('SELECT evaluate_condition(c.cond, f.facts) FROM test_long_cond c, test_long_facts f');
-- ... and a long scan, row after row.
SELECT test_cancelled($$SELECT count(*) FROM generate_series(1, 1000000000) g
                     WHERE condition_matches('{"field": "x", "op": "lt", "value": 0}', jsonb_build_object('x', g))$$);
RESET statement_timeout;
-- The backend is fine afterwards, and the same evaluation on a small input answers.
SELECT condition_matches(c.cond, '{"a": [1, 2, -3]}') AS small_in FROM test_long_cond c;
DROP FUNCTION test_cancelled(text);

-- Explanations show facts bounded (review finding: every leaf copied the whole
-- fact, 100 leaves over a 100,000-element array took 1.7 GB): texts cut at 256
-- bytes, arrays after 20 elements, nested arrays summarized.
SELECT length(evaluate_condition(
         (SELECT jsonb_build_object('all', jsonb_agg(jsonb_build_object('field', 'a', 'op', 'eq', 'value', i)))
            FROM generate_series(1, 100) i),
         jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 100000) g)))::text) < 100000 AS bounded;
SELECT e->'leaves'->0->'actual' AS first_leaf_actual
  FROM evaluate_condition('{"field": "a", "op": "contains", "value": 0}',
                          jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 25) g))) e;
SELECT e->'leaves'->0->'actual' AS nested
  FROM evaluate_condition('{"field": "a", "op": "size_eq", "value": 0}',
                          '{"a": [[1, [2, 3]], "x"]}') e;
SELECT length(e->'leaves'->0->>'actual') AS cut_length, right(e->'leaves'->0->>'actual', 20) AS cut_end
  FROM evaluate_condition('{"field": "t", "op": "eq", "value": "x"}',
                          jsonb_build_object('t', repeat('é', 300))) e;
