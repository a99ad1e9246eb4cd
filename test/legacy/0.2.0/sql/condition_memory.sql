-- Memory per row in the condition functions (issue 8 section 2): a query whose
-- condition changes on every row frees each row's work with the row.  The
-- backend's memory contexts are summed while the query's portal is still open
-- (on its last row), for a short and a long run of the same query; the
-- difference is what the extra rows left behind.  Before the fix 50,000 rows
-- kept about 21 MB; the bound asserted is 2 MB.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
RESET client_min_messages;

CREATE TEMP TABLE test_mem AS
SELECT g,
       jsonb_build_object('all', jsonb_build_array(
         jsonb_build_object('field', 'x', 'op', 'eq', 'value', g),
         jsonb_build_object('field', 'y.z', 'op', 'matches', 'value', 'a' || g),
         jsonb_build_object('field', 'tags', 'op', 'contains', 'value', 't' || g))) AS cond,
       jsonb_build_object('x', g, 'y', jsonb_build_object('z', 'a1'), 'tags', jsonb_build_array('t1', 't2', 't3')) AS facts
  FROM generate_series(1, 50000) g;

-- Sum of all memory contexts of this backend, taken on row n of the query.
CREATE FUNCTION test_mem_at(fn text, n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r record; m bigint;
BEGIN
  FOR r IN EXECUTE format('SELECT g, %s AS v FROM test_mem WHERE g <= %s', fn, n) LOOP
    IF r.g = n THEN
      SELECT sum(total_bytes) INTO m FROM pg_backend_memory_contexts;
    END IF;
  END LOOP;
  RETURN m;
END $$;

SELECT fn, test_mem_at(fn, 50000) - test_mem_at(fn, 1000) < 2 * 1024 * 1024 AS bounded
  FROM unnest(ARRAY['condition_matches(cond, facts)', 'evaluate_condition(cond, facts)',
                    'condition_leaves(cond)']) fn;
-- And the answers are still right on the rows where they should be true.
SELECT count(*) FILTER (WHERE condition_matches(cond, facts)) AS matched,
       count(*) FILTER (WHERE (evaluate_condition(cond, facts)->>'result')::boolean) AS explained
  FROM test_mem;
DROP FUNCTION test_mem_at(text, int);
