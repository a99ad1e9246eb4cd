-- Per-call-site caches of the condition functions (issue 8 section 1): a call
-- site that is called again with another condition must not answer with the
-- condition it compiled first.  Stands alone: loads what it needs.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
RESET client_min_messages;

-- PL/pgSQL re-binds the same expression (one FmgrInfo) with new values.
DO $$ DECLARE c jsonb; BEGIN
  FOREACH c IN ARRAY ARRAY['{"field":"y","op":"gte","value":3}'::jsonb,
                           '{"field":"y","op":"gt","value":3}'::jsonb] LOOP
    RAISE NOTICE 'matches %: %', c->>'op', condition_matches(c, '{"y":3}');
  END LOOP; END $$;
-- Same size, other bytes (lt / gt), and back to the first condition.
DO $$ DECLARE c jsonb; BEGIN
  FOREACH c IN ARRAY ARRAY['{"field":"y","op":"lt","value":4}'::jsonb,
                           '{"field":"y","op":"gt","value":4}'::jsonb,
                           '{"field":"y","op":"lt","value":4}'::jsonb] LOOP
    RAISE NOTICE 'matches %: % / explained: % / leaves: %', c->>'op',
      condition_matches(c, '{"y":3}'),
      evaluate_condition(c, '{"y":3}')->'result',
      condition_leaves(c)->0->>'op';
  END LOOP; END $$;
-- One variable reassigned in place, read through one expression.
DO $$ DECLARE c jsonb := '{"field":"y","op":"eq","value":1}'; r boolean; i int; BEGIN
  FOR i IN 1..3 LOOP
    r := condition_matches(c, '{"y":2}');
    RAISE NOTICE 'eq %: %', c->'value', r;
    c := jsonb_set(c, '{value}', to_jsonb(i + 1));
  END LOOP; END $$;
-- An invalid condition between two valid ones leaves no stale cache behind.
DO $$ DECLARE c jsonb; BEGIN
  FOREACH c IN ARRAY ARRAY['{"field":"y","op":"eq","value":3}'::jsonb,
                           '{"field":"y","op":"nope","value":3}'::jsonb,
                           '{"field":"y","op":"ne","value":3}'::jsonb] LOOP
    BEGIN
      RAISE NOTICE '%: %', c->>'op', condition_matches(c, '{"y":3}');
    EXCEPTION WHEN invalid_parameter_value THEN
      RAISE NOTICE '%: 22023', c->>'op';
    END;
  END LOOP; END $$;

-- A PL/pgSQL function called per row with different conditions.
CREATE FUNCTION test_cache_matches(c jsonb, f jsonb) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RETURN condition_matches(c, f); END $$;
CREATE FUNCTION test_cache_explain(c jsonb, f jsonb) RETURNS jsonb LANGUAGE plpgsql AS
$$ BEGIN RETURN evaluate_condition(c, f)->'result'; END $$;
SELECT v.op, test_cache_matches(jsonb_build_object('field', 'y', 'op', v.op, 'value', 3), '{"y": 3}') AS matches,
       test_cache_explain(jsonb_build_object('field', 'y', 'op', v.op, 'value', 3), '{"y": 3}') AS explained
  FROM (VALUES (1, 'gte'), (2, 'gt'), (3, 'eq'), (4, 'ne'), (5, 'lte'), (6, 'lt')) v(n, op) ORDER BY n;

-- SQL functions, inlined and not (SET stops inlining).
CREATE FUNCTION test_cache_sql(c jsonb, f jsonb) RETURNS boolean LANGUAGE sql AS
$$ SELECT condition_matches(c, f) $$;
CREATE FUNCTION test_cache_sql_noinline(c jsonb, f jsonb) RETURNS boolean LANGUAGE sql
SET search_path = public AS $$ SELECT condition_matches(c, f) $$;
SELECT v.op, test_cache_sql(jsonb_build_object('field', 'y', 'op', v.op, 'value', 3), '{"y": 3}') AS inlined,
       test_cache_sql_noinline(jsonb_build_object('field', 'y', 'op', v.op, 'value', 3), '{"y": 3}') AS not_inlined
  FROM (VALUES (1, 'gte'), (2, 'gt'), (3, 'gte'), (4, 'lt')) v(n, op) ORDER BY n;

-- Prepared statements with changing parameters, custom and generic plans.
PREPARE test_cache_p(jsonb) AS SELECT condition_matches($1, '{"y": 3}') AS m, evaluate_condition($1, '{"y": 3}')->'result' AS e;
SET plan_cache_mode = force_generic_plan;
EXECUTE test_cache_p('{"field":"y","op":"gte","value":3}');
EXECUTE test_cache_p('{"field":"y","op":"gt","value":3}');
SET plan_cache_mode = force_custom_plan;
EXECUTE test_cache_p('{"field":"y","op":"gt","value":3}');
EXECUTE test_cache_p('{"field":"y","op":"gte","value":3}');
RESET plan_cache_mode;
DEALLOCATE test_cache_p;

-- A condition per row in one query (the column changes, the call site stays).
SELECT v.n, condition_matches(v.c, '{"y": 3}') AS matches, condition_leaves(v.c)->0->>'op' AS op
  FROM (VALUES (1, '{"field":"y","op":"gte","value":3}'::jsonb), (2, '{"field":"y","op":"gt","value":3}'),
               (3, '{"field":"y","op":"gt","value":3}'), (4, '{"field":"y","op":"gte","value":3}')) v(n, c)
 ORDER BY v.n;

-- A constant condition is compiled once and stays right over many rows.
SELECT count(*) FILTER (WHERE condition_matches('{"field":"y","op":"gt","value":3}', jsonb_build_object('y', g))) AS gt3
  FROM generate_series(1, 10) g;

DROP FUNCTION test_cache_matches(jsonb, jsonb), test_cache_explain(jsonb, jsonb),
              test_cache_sql(jsonb, jsonb), test_cache_sql_noinline(jsonb, jsonb);
