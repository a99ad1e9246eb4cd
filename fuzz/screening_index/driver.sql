SET client_min_messages = warning;
CREATE TABLE fz_path AS SELECT * FROM fz_docs;
CREATE TABLE fz_ops AS SELECT * FROM fz_docs;
CREATE INDEX ON fz_path USING gin (doc jsonb_path_ops);
CREATE INDEX ON fz_ops USING gin (doc);
ANALYZE fz_path; ANALYZE fz_ops;

CREATE OR REPLACE FUNCTION fz_custom(tbl text, c jsonb, idx bool, three bool, fn text DEFAULT 'condition_matches') RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  PERFORM set_config('enable_seqscan', (NOT idx)::text, true);
  PERFORM set_config('enable_bitmapscan', idx::text, true);
  PERFORM set_config('enable_indexscan', idx::text, true);
  IF three THEN
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM %I WHERE %I(%L, doc, ''2024-03-02Z'')', tbl, fn, c) INTO r;
  ELSE
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM %I WHERE %I(%L, doc)', tbl, fn, c) INTO r;
  END IF;
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;

-- generic plans: static SQL in PL/pgSQL, the condition a parameter
CREATE OR REPLACE FUNCTION fz_gen_path(c jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_path WHERE condition_matches(c, doc);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;
CREATE OR REPLACE FUNCTION fz_gen_ops(c jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_ops WHERE condition_matches(c, doc);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;
CREATE OR REPLACE FUNCTION fz_gen3_ops(c jsonb, at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_ops WHERE condition_matches(c, doc, at);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;

-- condition_matches_leakproof (LEAKPROOF: NULL where condition_matches raises on a row), generic plans
CREATE OR REPLACE FUNCTION fz_lp_gen_path(c jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_path WHERE condition_matches_leakproof(c, doc);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;
CREATE OR REPLACE FUNCTION fz_lp_gen_ops(c jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_ops WHERE condition_matches_leakproof(c, doc);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;
CREATE OR REPLACE FUNCTION fz_lp_gen3_path(c jsonb, at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO r FROM fz_path WHERE condition_matches_leakproof(c, doc, at);
  RETURN r::text;
EXCEPTION WHEN OTHERS THEN RETURN 'ERR ' || SQLSTATE;
END $$;

SET plan_cache_mode = force_generic_plan;
DO $$
DECLARE c record; base text; base3 text; v text; m text;
BEGIN
  FOR c IN SELECT * FROM fz_conds ORDER BY n LOOP
    base := fz_custom('fz_docs', c.condition, false, false);
    base3 := fz_custom('fz_docs', c.condition, false, true);
    FOREACH m IN ARRAY ARRAY['idx_path', 'idx_ops', 'gen_path', 'gen_ops', 'idx3_path', 'idx3_ops', 'gen3_ops',
                             'lp_scan', 'lp_idx_path', 'lp_idx_ops', 'lp_gen_path', 'lp_gen_ops',
                             'lp_scan3', 'lp_idx3_ops', 'lp_gen3_path'] LOOP
      PERFORM set_config('enable_seqscan', 'off', true);
      PERFORM set_config('enable_bitmapscan', 'on', true);
      v := CASE m WHEN 'idx_path' THEN fz_custom('fz_path', c.condition, true, false)
                  WHEN 'idx_ops' THEN fz_custom('fz_ops', c.condition, true, false)
                  WHEN 'gen_path' THEN fz_gen_path(c.condition)
                  WHEN 'gen_ops' THEN fz_gen_ops(c.condition)
                  WHEN 'idx3_path' THEN fz_custom('fz_path', c.condition, true, true)
                  WHEN 'idx3_ops' THEN fz_custom('fz_ops', c.condition, true, true)
                  WHEN 'gen3_ops' THEN fz_gen3_ops(c.condition, '2024-03-02Z')
                  WHEN 'lp_scan' THEN fz_custom('fz_docs', c.condition, false, false, 'condition_matches_leakproof')
                  WHEN 'lp_idx_path' THEN fz_custom('fz_path', c.condition, true, false, 'condition_matches_leakproof')
                  WHEN 'lp_idx_ops' THEN fz_custom('fz_ops', c.condition, true, false, 'condition_matches_leakproof')
                  WHEN 'lp_gen_path' THEN fz_lp_gen_path(c.condition)
                  WHEN 'lp_gen_ops' THEN fz_lp_gen_ops(c.condition)
                  WHEN 'lp_scan3' THEN fz_custom('fz_docs', c.condition, false, true, 'condition_matches_leakproof')
                  WHEN 'lp_idx3_ops' THEN fz_custom('fz_ops', c.condition, true, true, 'condition_matches_leakproof')
                  WHEN 'lp_gen3_path' THEN fz_lp_gen3_path(c.condition, '2024-03-02Z') END;
      -- the leakproof form answers what condition_matches answers; where that raises, a
      -- constant condition raises the same when planned, a generic plan's parameter matches nothing
      IF v IS DISTINCT FROM (CASE WHEN m LIKE '%3%' THEN base3 ELSE base END)
         AND NOT (m LIKE 'lp_gen%' AND v = '{}' AND (CASE WHEN m LIKE '%3%' THEN base3 ELSE base END) LIKE 'ERR%') THEN
        INSERT INTO fz_result VALUES (c.n, m, v || ' vs ' || CASE WHEN m LIKE '%3%' THEN base3 ELSE base END);
      END IF;
    END LOOP;
    INSERT INTO fz_result VALUES (c.n, 'base', base);
  END LOOP;
END $$;
\echo summary
SELECT count(*) FILTER (WHERE mode = 'base') AS conditions,
       count(*) FILTER (WHERE mode = 'base' AND ids LIKE 'ERR%') AS errors,
       count(*) FILTER (WHERE mode = 'base' AND ids NOT LIKE 'ERR%' AND ids <> '{}') AS nonempty,
       count(*) FILTER (WHERE mode <> 'base') AS mismatches
  FROM fz_result;
SELECT count(*) AS with_prefilter_path FROM fz_conds c WHERE (SELECT ids FROM fz_result r WHERE r.n = c.n AND mode = 'base') NOT LIKE 'ERR%' AND condition_index_prefilter(condition) IS NOT NULL;
SELECT count(*) AS with_prefilter_ops FROM fz_conds c WHERE (SELECT ids FROM fz_result r WHERE r.n = c.n AND mode = 'base') NOT LIKE 'ERR%' AND condition_index_prefilter(condition, true) IS NOT NULL;
SELECT r.n, r.mode, left(r.ids, 200), left(c.condition::text, 400) FROM fz_result r JOIN fz_conds c USING (n) WHERE mode <> 'base' ORDER BY n, mode LIMIT 60;
SELECT ids AS error, count(*) FROM fz_result WHERE mode = 'base' AND ids LIKE 'ERR%' GROUP BY 1;
SELECT count(*) AS prefiltered_nonempty_path FROM fz_conds c JOIN fz_result r ON r.n = c.n AND r.mode = 'base'
 WHERE r.ids NOT LIKE 'ERR%' AND r.ids <> '{}' AND condition_index_prefilter(condition) IS NOT NULL;
SELECT count(*) AS prefiltered_nonempty_ops FROM fz_conds c JOIN fz_result r ON r.n = c.n AND r.mode = 'base'
 WHERE r.ids NOT LIKE 'ERR%' AND r.ids <> '{}' AND condition_index_prefilter(condition, true) IS NOT NULL;
SELECT sum(cardinality(r.ids::int[])) AS matched_rows_prefiltered FROM fz_conds c JOIN fz_result r ON r.n = c.n AND r.mode = 'base'
 WHERE r.ids NOT LIKE 'ERR%' AND condition_index_prefilter(condition, true) IS NOT NULL;
