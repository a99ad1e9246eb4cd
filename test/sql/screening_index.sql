-- Screening through an index (0.3.0): condition_matches(condition, facts)
-- over a column with a GIN jsonb index is answered by a Bitmap Index Scan on
-- the condition's prefilter (condition_index_prefilter), the condition itself
-- rechecked on each row (the Filter line); the answers are the same with and
-- without the index, over documents chosen to be awkward: numeric strings,
-- nulls, arrays, nested objects, Unicode that normalizes, huge numbers.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP TABLE IF EXISTS screening_docs, screening_conditions;
RESET client_min_messages;

\echo '== 1. Fixture: 3,000 ordinary documents and the odd ones'
CREATE TABLE screening_docs (id int PRIMARY KEY, doc jsonb);
INSERT INTO screening_docs
SELECT c, jsonb_build_object('a', c % 100, 'city', (ARRAY['Oslo', 'Paris', 'Lima'])[1 + c % 3],
                             'tags', jsonb_build_array(c % 7, 'x' || c % 5),
                             'nested', jsonb_build_object('x', c % 2 = 0, 'y', c % 11),
                             'd', '2024-03-0' || (1 + c % 9))
  FROM generate_series(1, 3000) c;
INSERT INTO screening_docs (id, doc) VALUES
  (10001, '{"a": "5", "city": "oslo"}'),                          -- numeric string; case
  (10002, '{"a": null, "city": null, "p": null}'),                -- nulls
  (10003, '{"a": [5, 6], "city": ["Oslo"], "tags": 7}'),          -- arrays where scalars were
  (10004, '{"a": 5.000, "nested": {"x": true, "y": [11]}}'),      -- 5 written otherwise
  (10005, '{"a": 1e400, "big": 9007199254740993}'),               -- beyond a double; beyond 2^53
  (10006, '{"a": 1e-400, "big": 9007199254740992}'),
  (10007, '{"city": "\u212Aelvin", "p": 1}'),                     -- KELVIN SIGN: NFC is "Kelvin"
  (10008, '{"city": "Kelvin", "p": {"q": 1}}'),
  (10009, '{"city": "Montre\u0301al"}'),                          -- decomposed
  (10010, '{"city": "Montréal"}'),
  (10011, '{"d": "2024-03-01T00:00:00Z", "a": 5}'),               -- a date written as a timestamp
  (10012, '{"nested": [{"x": true}], "a": {"b": 5}}'),            -- a key through an array
  (10013, '{"a.b": 5, "say \"hi\"": "yes"}'),                     -- keys that need quoting
  (10014, '{"grösse": 5, "city": "Straße"}');
-- a fact past 1,024 significant digits on each side of 5, equal to 5 as a double
INSERT INTO screening_docs VALUES (10015, ('{"a": 4.' || repeat('9', 2000) || '}')::jsonb),
                                  (10016, ('{"a": 5.' || repeat('0', 2000) || '1}')::jsonb);
ANALYZE screening_docs;

CREATE TABLE screening_conditions (n int PRIMARY KEY, condition jsonb);
INSERT INTO screening_conditions VALUES
  (1, '{"field": "a", "op": "eq", "value": 5}'),
  (2, '{"field": "a", "op": "in", "value": [5, "5", null]}'),
  (3, '{"field": "city", "op": "eq", "value": "Oslo"}'),
  (4, '{"field": "city", "op": "eq", "value": "Kelvin"}'),
  (5, '{"field": "city", "op": "eq", "value": "Montréal"}'),
  (6, '{"field": "city", "op": "eq", "value": "OSLO", "ignore_case": true}'),
  (7, '{"field": "tags", "op": "contains", "value": 6}'),
  (8, '{"field": "nested.x", "op": "eq", "value": true}'),
  (9, '{"all": [{"field": "a", "op": "gte", "value": 5}, {"field": "city", "op": "in", "value": ["Oslo", "Lima"]},
                {"field": "d", "op": "matches", "value": "0[12]$"}]}'),
  (10, '{"any": [{"field": "big", "op": "eq", "value": 9007199254740993}, {"field": "nested.y", "op": "eq", "value": 10}]}'),
  (11, '{"field": "a", "op": "between", "value": [4.5, 5]}'),
  (12, '{"field": "p", "op": "exists"}'),
  (13, '{"field": "d", "op": "eq", "value": "2024-03-01"}'),
  (14, '{"field": "a", "op": "gt", "value": 1e20}'),
  (15, '{"field": "$[\"a.b\"]", "op": "eq", "value": 5}'),
  (16, '{"field": "grösse", "op": "in", "value": [5, 6]}'),
  (17, '{"all": [{"field": "city", "op": "eq", "value": "Paris"}, {"not": {"field": "a", "op": "eq", "value": 5}}]}'),
  (18, '{"any": [{"field": "a", "op": "eq", "value": 5}, {"field": "city", "op": "starts_with", "value": "O"}]}'),
  (19, '{"field": "a", "op": "lt", "value": 0}'),
  (20, '{"field": "a", "op": "eq", "value": 0.05e2}');

-- The ids each condition accepts, read by a sequential scan or through the index.
CREATE FUNCTION screened(how text) RETURNS TABLE (n int, ids int[])
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  PERFORM set_config('enable_seqscan', (how = 'scan')::text, true);
  PERFORM set_config('enable_bitmapscan', (how = 'index')::text, true);
  PERFORM set_config('enable_indexscan', (how = 'index')::text, true);
  FOR c IN SELECT * FROM screening_conditions ORDER BY 1 LOOP
    n := c.n;
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM screening_docs
                     WHERE condition_matches(%L, doc)', c.condition) INTO ids;
    RETURN NEXT;
  END LOOP;
END $$;

-- The plan of one condition, in a line: the scan, and the index condition when used.
CREATE FUNCTION screening_plan(condition jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
  out text := '';
BEGIN
  SET LOCAL enable_seqscan = off;
  FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT id FROM screening_docs WHERE condition_matches(%L, doc)',
                             condition) LOOP
    IF line ~ 'Scan|Index Cond' THEN
      out := out || CASE WHEN out = '' THEN '' ELSE ' / ' END || btrim(regexp_replace(line, '->|on screening_docs.*$', '', 'g'));
    END IF;
  END LOOP;
  RETURN out;
END $$;

SELECT n, ids[1:6] AS first_ids, cardinality(ids) AS matched FROM screened('scan') ORDER BY n;

\echo '== 2. A jsonb_path_ops index: equalities; plans and identical answers'
CREATE INDEX screening_docs_path ON screening_docs USING gin (doc jsonb_path_ops);
BEGIN;
SELECT n, screening_plan(condition) FROM screening_conditions ORDER BY n;
COMMIT;
EXPLAIN (COSTS OFF) SELECT id FROM screening_docs
 WHERE condition_matches('{"all": [{"field": "a", "op": "in", "value": [5, 6]}, {"field": "city", "op": "matches", "value": "^O"}]}', doc);
SELECT s.n, s.ids = i.ids AS same_with_index, cardinality(i.ids) AS matched
  FROM screened('scan') s JOIN screened('index') i USING (n) ORDER BY n;
DROP INDEX screening_docs_path;

\echo '== 3. A jsonb_ops index: existence and numeric ranges narrow to the documents with the key'
CREATE INDEX screening_docs_ops ON screening_docs USING gin (doc);
BEGIN;
SELECT n, screening_plan(condition) FROM screening_conditions WHERE n IN (9, 11, 12, 14, 19) ORDER BY n;
COMMIT;
SELECT s.n, s.ids = i.ids AS same_with_index, cardinality(i.ids) AS matched
  FROM screened('scan') s JOIN screened('index') i USING (n) ORDER BY n;

\echo '== 4. A parameter: the prefilter computed when the scan starts (generic plan)'
PREPARE screen_by(jsonb) AS SELECT count(*) FROM screening_docs WHERE condition_matches($1, doc);
SET plan_cache_mode = force_generic_plan;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE screen_by('{"field": "a", "op": "eq", "value": 5}');
EXECUTE screen_by('{"field": "a", "op": "eq", "value": 5}');
EXECUTE screen_by('{"field": "city", "op": "ne", "value": "Oslo"}');   -- no prefilter: every document
RESET enable_seqscan;
SELECT count(*) FROM screening_docs WHERE condition_matches('{"field": "city", "op": "ne", "value": "Oslo"}', doc);
RESET plan_cache_mode;
DEALLOCATE screen_by;

\echo '== 5. condition_index_prefilter shows the jsonpath; the three-argument form is screened too'
SELECT n, condition_index_prefilter(condition) AS path_ops, condition_index_prefilter(condition, true) AS jsonb_ops
  FROM screening_conditions ORDER BY n;
BEGIN;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM screening_docs
 WHERE condition_matches('{"all": [{"field": "a", "op": "eq", "value": 5}, {"field": "d", "op": "within_last", "value": "P1D"}]}',
                         doc, '2024-03-02');
SELECT array_agg(id ORDER BY id) FROM screening_docs
 WHERE condition_matches('{"all": [{"field": "a", "op": "eq", "value": 5}, {"field": "d", "op": "within_last", "value": "P1D"}]}',
                         doc, '2024-03-02');
COMMIT;
-- an invalid condition is not indexed at plan time: it fails when it runs, as without an index
SELECT test_error($$SELECT count(*) FROM screening_docs WHERE condition_matches('{"field": "a", "op": "nope"}', doc)$$);

-- the planner's estimate of the rows a constant condition accepts is its prefilter's, from the
-- column's statistics (SupportRequestSelectivity), not a third of the table: within 3x of the
-- true count for these (the table's 3,016 rows all sampled by ANALYZE); condition 4 has no
-- prefilter (ASCII text with K), so the default third
CREATE FUNCTION pg_temp.estimated_rows(condition jsonb) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE format('EXPLAIN (FORMAT JSON) SELECT id FROM screening_docs WHERE condition_matches(%L, doc)', condition)
    INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Rows')::numeric;
END $$;
SELECT n, s.matched, condition_index_prefilter(c.condition, true) IS NOT NULL AS has_prefilter,
       e.estimated BETWEEN s.matched / 3.0 AND s.matched * 3 + 10 AS estimate_within_3x,
       e.estimated < (SELECT count(*) FROM screening_docs) / 3.0 - 1 AS below_default_third
  FROM (SELECT n, cardinality(ids) AS matched FROM screened('scan')) s
  JOIN screening_conditions c USING (n),
       LATERAL (SELECT pg_temp.estimated_rows(c.condition) AS estimated) e
 WHERE n IN (1, 2, 3, 4, 8, 10, 12) ORDER BY n;
DROP FUNCTION pg_temp.estimated_rows(jsonb);

\echo '== 6. What makes condition_matches fail whatever the row still fails through the index'
-- (red team: the prefilter matched no document, so no row reached condition_matches and the
-- query answered nothing instead of raising 22023)
BEGIN;
SET LOCAL enable_seqscan = off;
-- relative time without a reference instant: no prefilter at plan time
SELECT test_error($$SELECT count(*) FROM screening_docs WHERE condition_matches(
  '{"all": [{"field": "a", "op": "eq", "value": 123456789}, {"field": "d", "op": "within_last", "value": "P1D"}]}', doc)$$);
-- an infinite reference instant, as a constant and computed when the scan starts
SELECT test_error($$SELECT count(*) FROM screening_docs
  WHERE condition_matches('{"field": "a", "op": "eq", "value": 123456789}', doc, 'infinity')$$);
SELECT test_error($$SELECT count(*) FROM screening_docs
  WHERE condition_matches('{"field": "a", "op": "eq", "value": 123456789}', doc, 'infinity'::text::timestamptz)$$);
EXPLAIN (COSTS OFF) SELECT count(*) FROM screening_docs
  WHERE condition_matches('{"field": "a", "op": "eq", "value": 123456789}', doc, '2024-03-02'::text::timestamptz);
SELECT count(*) FROM screening_docs
  WHERE condition_matches('{"field": "a", "op": "eq", "value": 5}', doc, '2024-03-02'::text::timestamptz);
COMMIT;
-- parameters of a generic plan: checked when the scan starts
PREPARE screen_at(jsonb, timestamptz) AS SELECT count(*) FROM screening_docs WHERE condition_matches($1, doc, $2);
PREPARE screen_now(jsonb) AS SELECT count(*) FROM screening_docs WHERE condition_matches($1, doc);
SET plan_cache_mode = force_generic_plan;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE screen_now('{"field": "a", "op": "eq", "value": 123456789}');
SELECT test_error($$EXECUTE screen_now('{"all": [{"field": "a", "op": "eq", "value": 123456789}, {"field": "d", "op": "within_last", "value": "P1D"}]}')$$);
SELECT test_error($$EXECUTE screen_now('{"field": "a", "op": "nope"}')$$);
SELECT test_error($$EXECUTE screen_at('{"field": "a", "op": "eq", "value": 123456789}', '-infinity')$$);
EXECUTE screen_at('{"all": [{"field": "a", "op": "eq", "value": 5}, {"field": "d", "op": "within_last", "value": "P1D"}]}', '2024-03-02');
EXECUTE screen_at('{"field": "a", "op": "eq", "value": 5}', NULL);
RESET enable_seqscan;
RESET plan_cache_mode;
DEALLOCATE screen_at;
DEALLOCATE screen_now;

\echo '== 7. Every (leaf, fact) pair of awkward values: what condition_matches accepts, the prefilter keeps'
-- (red team's differential check, kept small: 3.9M pairs and 4,400 random conditions over
-- both opclasses found no document the prefilter dropped; these pairs keep that invariant)
CREATE TEMP TABLE awkward (v jsonb);
INSERT INTO awkward VALUES ('3'), ('3.0'), ('-0'), ('0'), ('-3'), ('9007199254740993'), ('9007199254740992'),
  ('0.1'), ('2.5'), ('1e20'), ('3.00000000000000000000001'), ('2.9999999999999999999'), ('1e-300'),
  ('"3"'), ('""'), ('"true"'), ('"null"'), ('"Kelvin"'), ('"\u212Aelvin"'), ('"Straße"'), ('"STRASSE"'),
  ('"Montréal"'), ('"Montre\u0301al"'), ('"2024-03-01"'), ('"2024-03-01T00:00:00Z"'), ('"x"'), ('"X"'),
  ('"\") || true || (\""'), ('"a;b"'), ('"a\u037Eb"'), ('"`"'), ('"\u1FEF"'), ('"\\"'), ('"nl\n"'),
  ('true'), ('false'), ('null');
CREATE TEMP TABLE awkward_facts (doc jsonb);
INSERT INTO awkward_facts
SELECT jsonb_build_object(k, f) FROM (SELECT v FROM awkward UNION ALL VALUES ('1e400'::jsonb), ('1e-400'),
       (('3.' || repeat('0', 1100) || '1')::jsonb), (('2.' || repeat('9', 1100))::jsonb)) a(f),
       unnest(ARRAY['a', 'x"y', ') || true || (']) k
UNION ALL SELECT jsonb_build_object('a', jsonb_build_array(f, '"x"'::jsonb)) FROM awkward a(f)
UNION ALL SELECT jsonb_build_object('a', jsonb_build_object('b', f)) FROM awkward a(f)
UNION ALL VALUES ('{}'::jsonb), ('[{"a": 3}]'), ('3'), ('{"a": null}');
CREATE TEMP TABLE awkward_leaves AS
SELECT c, condition_index_prefilter(c) AS path_ops, condition_index_prefilter(c, true) AS ops
  FROM (SELECT jsonb_build_object('field', f, 'op', op, 'value', v) AS c
          FROM awkward, unnest(ARRAY['a', '$["x\"y"]', '$[") || true || ("]', 'a.b']) f,
               unnest(ARRAY['eq', 'contains', 'gt', 'gte', 'lt', 'lte']) op
        UNION ALL
        SELECT jsonb_build_object('field', 'a', 'op', 'in', 'value', jsonb_build_array(v, w))
          FROM awkward, (SELECT v FROM awkward ORDER BY v::text LIMIT 5) w(w)
        UNION ALL VALUES ('{"field": "a", "op": "exists"}'::jsonb)) l
 WHERE test_error(format('SELECT validate_condition(%L)', c)) = 'no error';
SELECT count(*) AS leaves, count(path_ops) AS with_path_ops, count(ops) AS with_ops,
       (SELECT count(*) FROM awkward_facts) AS facts FROM awkward_leaves;
SELECT count(*) FILTER (WHERE condition_matches(c, doc) AND path_ops IS NOT NULL) AS accepted_path_ops,
       count(*) FILTER (WHERE condition_matches(c, doc) AND ops IS NOT NULL) AS accepted_ops,
       count(*) FILTER (WHERE condition_matches(c, doc) AND NOT doc @? coalesce(path_ops, '$')) AS dropped_path_ops,
       count(*) FILTER (WHERE condition_matches(c, doc) AND NOT doc @? coalesce(ops, '$')) AS dropped_ops
  FROM awkward_leaves, awkward_facts;
DROP TABLE awkward, awkward_facts, awkward_leaves;

\echo '== 8. Under row-level security, as the tenant: condition_matches_leakproof is searched through the index'
-- A tenant's query runs under the table's policies; the planner searches an index
-- with a condition before the policies only when the function is LEAKPROOF.
SELECT p.oid::regprocedure AS function, p.proleakproof
  FROM pg_proc p WHERE p.proname IN ('condition_matches', 'condition_matches_leakproof') ORDER BY p.proname, p.pronargs;   -- (not "1::text": a constant, no order)
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_screen_app;
RESET client_min_messages;
CREATE ROLE wf_screen_app;
GRANT workflow_app TO wf_screen_app;
GRANT SELECT ON screening_docs, screening_conditions TO wf_screen_app;
-- a table of profiles under row-level security, as the extension's candidate_profile (the
-- tenant's rows only, tenant = current_tenant()), owned by the superuser, read by the application
CREATE TABLE screening_profiles (candidate_id bigint, tenant text, attributes jsonb);
ALTER TABLE screening_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY screening_profiles_tenant ON screening_profiles USING (tenant = current_tenant());
GRANT SELECT ON screening_profiles TO wf_screen_app;
-- two tenants, the same candidate ids and documents; the other tenant also has documents that are
-- invalid conditions, on which a function run before the policy would raise
INSERT INTO screening_profiles SELECT id, t, doc FROM screening_docs, unnest(ARRAY['org:screen-a', 'org:screen-b']) t;
INSERT INTO screening_profiles VALUES
  (20001, 'org:screen-b', '{"field": "a", "op": "nope", "secret": "salary 200k"}'),
  (20002, 'org:screen-b', '{"field": "a", "op": "within_last", "value": "P1D"}'),
  (20003, 'org:screen-b', '{"a": 5, "city": "Oslo", "secret": "b only"}');
CREATE INDEX screening_profiles_doc ON screening_profiles USING gin (attributes jsonb_path_ops);
ANALYZE screening_profiles;
SET ROLE wf_screen_app;

-- The ids each condition accepts in the caller's tenant: by the scan with condition_matches
-- (which the policies make a scan anyway), through the index and by the scan with the leakproof form.
CREATE FUNCTION pg_temp.screened_profiles(how text, fn text) RETURNS TABLE (n int, ids bigint[])
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  PERFORM set_config('enable_seqscan', (how = 'scan')::text, true);
  PERFORM set_config('enable_bitmapscan', (how = 'index')::text, true);
  PERFORM set_config('enable_indexscan', (how = 'index')::text, true);
  FOR c IN SELECT * FROM screening_conditions ORDER BY 1 LOOP
    n := c.n;
    EXECUTE format('SELECT coalesce(array_agg(candidate_id ORDER BY candidate_id), ''{}'') FROM screening_profiles
                     WHERE %I(%L, attributes)', fn, c.condition) INTO ids;
    RETURN NEXT;
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.profile_plan(fn text, condition jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
  out text := '';
BEGIN
  SET LOCAL enable_seqscan = off;
  FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT candidate_id FROM screening_profiles WHERE %I(%L, attributes)',
                             fn, condition) LOOP
    IF line ~ 'Scan|Index Cond' THEN
      out := out || CASE WHEN out = '' THEN '' ELSE ' / ' END || btrim(regexp_replace(line, '->|on screening_profiles.*$', '', 'g'));
    END IF;
  END LOOP;
  RETURN out;
END $$;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:screen-a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT current_user, (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypasses_rls;
-- the plans: condition_matches scans (not leakproof); the leakproof form uses the index
SELECT pg_temp.profile_plan('condition_matches', '{"field": "a", "op": "eq", "value": 5}') AS condition_matches;
SELECT pg_temp.profile_plan('condition_matches_leakproof', '{"field": "a", "op": "eq", "value": 5}') AS leakproof;
EXPLAIN (COSTS OFF) SELECT candidate_id FROM screening_profiles
 WHERE condition_matches_leakproof('{"field": "city", "op": "eq", "value": "Oslo"}', attributes);
-- every condition of section 1: the same ids by the three ways, and they are this tenant's
-- documents' ids (tenant b's extra rows never show)
SELECT s.n, s.ids = i.ids AS same_through_index, s.ids = l.ids AS same_leakproof_scan,
       s.ids = (SELECT coalesce(array_agg(id::bigint ORDER BY id), '{}') FROM screening_docs d, screening_conditions k
                 WHERE k.n = s.n AND condition_matches(k.condition, d.doc)) AS same_as_documents,
       cardinality(i.ids) AS matched
  FROM pg_temp.screened_profiles('scan', 'condition_matches') s
  JOIN pg_temp.screened_profiles('index', 'condition_matches_leakproof') i USING (n)
  JOIN pg_temp.screened_profiles('scan', 'condition_matches_leakproof') l USING (n) ORDER BY n;
-- the index was used for them (the leakproof form), and the other tenant's row with a=5 stays hidden
SET LOCAL enable_seqscan = off;
SELECT count(*) AS a_eq_5, bool_and(candidate_id < 20000) AS own_rows_only FROM screening_profiles
 WHERE condition_matches_leakproof('{"field": "a", "op": "eq", "value": 5}', attributes);
RESET enable_seqscan;
COMMIT;

\echo '== 9. The leakproof form raises nothing about a row: NULL where condition_matches raises'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:screen-a';
SET LOCAL workflow_ext.actor = 'user:ann';
-- a condition read from the row (the other tenant's invalid ones included, were the function to
-- run before the policies): NULL, never an error naming the row's content
SELECT count(*) AS matched, count(*) FILTER (WHERE r IS NULL) AS null_answers
  FROM (SELECT condition_matches_leakproof(attributes, '{"a": 5}') AS r FROM screening_profiles) x;
SELECT condition_matches_leakproof('{"field": "a", "op": "nope"}'::text::jsonb, '{}') AS invalid,
       condition_matches_leakproof('{"field": "d", "op": "within_last", "value": "P1D"}'::text::jsonb, '{}') AS no_instant,
       condition_matches_leakproof('{"field": "d", "op": "exists"}', '{"d": 1}', 'infinity'::text::timestamptz) AS infinite,
       condition_matches_leakproof('{"field": "d", "op": "within_last", "value": "P1D"}', '{"d": "2024-03-01"}',
                                   '2024-03-01T12:00:00Z') AS with_instant;
-- a constant that condition_matches refuses on every row is refused when the query is planned,
-- whatever the rows: also where the tenant has none
SET LOCAL workflow_ext.tenant = 'org:screen-empty';
SELECT count(*) AS rows_of_empty_tenant FROM screening_profiles;
SELECT test_error($$SELECT count(*) FROM screening_profiles WHERE condition_matches_leakproof('{"field": "a", "op": "nope"}', attributes)$$);
SELECT test_error($$SELECT count(*) FROM screening_profiles
  WHERE condition_matches_leakproof('{"field": "d", "op": "within_last", "value": "P1D"}', attributes)$$);
SELECT test_error($$SELECT count(*) FROM screening_profiles
  WHERE condition_matches_leakproof('{"field": "d", "op": "exists"}', attributes, 'infinity')$$);
-- (condition_matches raises only on a row: none here)
SELECT count(*) FROM screening_profiles WHERE condition_matches('{"field": "a", "op": "nope"}', attributes);
COMMIT;
-- a parameter of a generic plan: through the index, an invalid one answers no row
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:screen-a';
SET LOCAL workflow_ext.actor = 'user:ann';
PREPARE screen_tenant(jsonb) AS SELECT count(*) FROM screening_profiles WHERE condition_matches_leakproof($1, attributes);
SET LOCAL plan_cache_mode = force_generic_plan;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE screen_tenant('{"field": "a", "op": "eq", "value": 5}');
EXECUTE screen_tenant('{"field": "a", "op": "eq", "value": 5}');
EXECUTE screen_tenant('{"field": "a", "op": "nope"}');
DEALLOCATE screen_tenant;
COMMIT;

\echo '== 10. Another tenant''s hostile documents: the leakproof form still raises nothing'
-- documents of tenant b chosen to make a function raise, as facts and as conditions: a number
-- of 131,000 digits, 3,000 levels of nesting, out-of-range and invalid dates, 300,000 elements,
-- a long text to normalize; read before the policy (the index, and the Filter's order)
RESET ROLE;
INSERT INTO screening_profiles VALUES
  (30001, 'org:screen-b', ('{"a": ' || repeat('9', 131000) || ', "d": "294276-12-31T23:59:59Z"}')::jsonb),
  (30002, 'org:screen-b', (repeat('{"a": ', 3000) || '5' || repeat('}', 3000))::jsonb),
  (30003, 'org:screen-b', '{"a": "2024-02-30", "d": "-4713-01-01", "city": "Oslo\u0301"}'),
  (30004, 'org:screen-b', ('{"a": [' || (SELECT string_agg(g::text, ',') FROM generate_series(1, 300000) g) || ']}')::jsonb),
  (30005, 'org:screen-b', ('{"city": "' || repeat('e' || chr(769), 100000) || '", "d": "2024-01-01T00:00:00+99:99"}')::jsonb),
  (30006, 'org:screen-b', '{"field": "a", "op": "matches", "value": "(("}'),
  (30007, 'org:screen-b', '{"field": "a", "op": "within_next", "value": "P300000Y"}');
ANALYZE screening_profiles;
SET ROLE wf_screen_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:screen-a';
SET LOCAL workflow_ext.actor = 'user:ann';
CREATE FUNCTION pg_temp.hostile_counts(how text) RETURNS TABLE (n int, matched bigint)
LANGUAGE plpgsql AS $$
DECLARE
  c jsonb;
  k int := 0;
BEGIN
  PERFORM set_config('enable_seqscan', (how = 'scan')::text, true);
  PERFORM set_config('enable_bitmapscan', (how = 'index')::text, true);
  FOREACH c IN ARRAY ARRAY['{"field": "a", "op": "eq", "value": 5}', '{"field": "a", "op": "gte", "value": 1e300}',
                            '{"field": "a", "op": "contains", "value": 299999}', '{"field": "city", "op": "eq", "value": "Oslo", "ignore_case": true}',
                            '{"field": "city", "op": "matches", "value": "é"}', '{"field": "a", "op": "size_gte", "value": 2}',
                            '{"some": {"field": "a", "where": {"field": "x", "op": "exists"}}}']::jsonb[] LOOP
    k := k + 1;
    n := k;
    SELECT count(*) INTO matched FROM screening_profiles WHERE condition_matches_leakproof(c, attributes);
    RETURN NEXT;
  END LOOP;
  FOREACH c IN ARRAY ARRAY['{"field": "d", "op": "within_last", "value": "P1D"}', '{"field": "d", "op": "older_than", "value": "P1Y"}']::jsonb[] LOOP
    k := k + 1;
    n := k;
    SELECT count(*) INTO matched FROM screening_profiles
     WHERE condition_matches_leakproof(c, attributes, '2024-03-02T00:00:00Z');
    RETURN NEXT;
    k := k + 1;
    n := k;
    SELECT count(*) INTO matched FROM screening_profiles
     WHERE condition_matches_leakproof(c, attributes, '294276-12-31T23:00:00Z');
    RETURN NEXT;
  END LOOP;
END $$;
-- the same counts by the scan and through the index, the tenant's own documents only
SELECT s.n, s.matched, s.matched = i.matched AS same_through_index
  FROM pg_temp.hostile_counts('scan') s JOIN pg_temp.hostile_counts('index') i USING (n) ORDER BY n;
-- the rows as conditions (policy after the function): NULL or an answer, never an error
SELECT count(*) AS rows, count(*) FILTER (WHERE r IS NULL) AS null_answers
  FROM (SELECT condition_matches_leakproof(attributes, attributes, '2024-03-02T00:00:00Z') AS r FROM screening_profiles) x;
DROP FUNCTION pg_temp.hostile_counts(text);
COMMIT;
DROP FUNCTION pg_temp.screened_profiles(text, text), pg_temp.profile_plan(text, jsonb);
RESET ROLE;
DROP TABLE screening_profiles;
REVOKE ALL ON screening_docs, screening_conditions FROM wf_screen_app;
DROP ROLE wf_screen_app;

DROP TABLE screening_docs, screening_conditions;
DROP FUNCTION screened(text), screening_plan(jsonb);
