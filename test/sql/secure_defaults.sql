-- Secure by default (issue 18 items 2, 4, 12): nothing granted to PUBLIC, the
-- README's one grant set for the application role, ids no caller can take
-- ahead of the shared sequences, engine-stamped columns on every write path,
-- and a restore that is the operator's word (row_security = off), not a
-- matter of who copies.  Stands alone.
\set own_db wf_secure_defaults
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_sec_nobody;
DROP ROLE IF EXISTS wf_sec_app;
RESET client_min_messages;
CREATE ROLE wf_sec_nobody LOGIN;          -- can only log in
CREATE ROLE wf_sec_app LOGIN;
GRANT workflow_app TO wf_sec_app;         -- the README's grant set (own_database.psql)
CREATE FUNCTION test_workflow(name text, n integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE wid bigint;
BEGIN
    INSERT INTO workflow (name) VALUES (name) RETURNING id INTO wid;
    INSERT INTO workflow_stage (workflow_id, name, position)
    SELECT wid, 's' || i, i FROM generate_series(1, n) i;
    RETURN wid;
END $$;
CREATE FUNCTION test_stage(wid bigint, k integer) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM workflow_stage WHERE workflow_id = wid AND position = k $$;

\echo '== 1. Nothing of the extension is granted to PUBLIC'
SELECT count(*) AS public_acls
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext',
       LATERAL aclexplode(c.relacl) a
 WHERE a.grantee = 0;
SELECT count(*) AS public_column_acls
  FROM pg_attribute at JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = at.attrelid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext',
       LATERAL aclexplode(at.attacl) a
 WHERE a.grantee = 0;
-- the policies' checks, which read the tables whatever the caller's rights,
-- and the helpers that run as the owner are not PUBLIC's either
SELECT p.oid::regprocedure AS helper, has_function_privilege('wf_sec_nobody', p.oid, 'EXECUTE') AS nobody_may
  FROM pg_proc p WHERE p.proname IN ('visible_workflow_array', 'editable_workflow_array', 'shared_workflow_array',
                                     'shared_pipeline', 'own_pipeline', 'job_tenant', 'pipeline_tenant') ORDER BY p.oid::regprocedure::text;

\echo '== 2. A role that can only log in reads, writes, locks and counts nothing'
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
SELECT test_workflow('pipeline', 3) AS wid \gset
INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, :wid);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"secret": 1}');
SELECT add_candidate(1, 10) IS NOT NULL AS added;
SET ROLE wf_sec_nobody;
SELECT t AS relation,
       test_error(format('SELECT 1 FROM %I LIMIT 1', t)) AS read,
       test_error(format('DELETE FROM %I', t)) AS delete
  FROM unnest(ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert', 'job_workflow',
                    'candidate_profile', 'job_profile', 'candidate_stage', 'stage_transition', 'alert_event',
                    'facts_source', 'workflow_with_stages', 'stage_with_rules']) t;
SELECT test_error('INSERT INTO workflow (name) VALUES (''x'')') AS insert_workflow;
SELECT test_error('LOCK TABLE candidate_stage IN ACCESS EXCLUSIVE MODE') AS lock_exclusive;
SELECT test_error('LOCK TABLE workflow IN ACCESS SHARE MODE') AS lock_share;
SELECT s AS sequence, test_error(format('SELECT nextval(%L)', s)) AS nextval,
       test_error(format('SELECT last_value FROM %I', s)) AS read
  FROM unnest(ARRAY['workflow_id_seq', 'candidate_stage_id_seq', 'stage_transition_id_seq']) s;
SELECT test_error('SELECT visible_workflow_array()') AS policy_helper;
SELECT test_error('SELECT job_tenant(10)') AS job_tenant;
-- facts read by the engine as the owner: only for a caller who may read them
SELECT test_error('SELECT candidate_facts(1)') AS candidate_facts;
SELECT test_error('SELECT move_to_next_stage(1, 10)') AS move;
-- the functions that run as the owner for whatever actor the session names
-- (red team round 5: it read another tenant's offers, declined them for its
-- grantee and gave a workflow away): the application role's alone
SELECT f AS owner_function, test_error('SELECT ' || f) AS call
  FROM unnest(ARRAY['pending_shares()', 'accept_share(1)', 'decline_share(1)', 'leave_share(1)',
                    'transfer_workflow_ownership(1, ''user:mallory'')', 'visible_workflow(1)']) f;
-- what remains: the pure condition functions
SELECT condition_matches('{"field": "a", "op": "eq", "value": 1}', '{"a": 1}') AS pure_function;
RESET ROLE;

\echo '== 3. The documented grant set works, and gives no sequence and no strong lock on history'
SET ROLE wf_sec_app;
SELECT candidate_facts(1) AS facts;
SELECT to_stage_id = test_stage(:wid, 2) AS moved FROM move_to_next_stage(1, 10);
SELECT count(*) AS history FROM stage_transition WHERE candidate_id = 1;
SELECT test_error('SELECT nextval(''workflow_id_seq'')') AS nextval;
SELECT test_error('SELECT setval(''candidate_stage_id_seq'', 1000000)') AS setval;
SELECT test_error('LOCK TABLE stage_transition IN ACCESS EXCLUSIVE MODE') AS lock_history;
SELECT test_error('LOCK TABLE facts_source IN ROW EXCLUSIVE MODE') AS lock_facts_source;
RESET ROLE;

\echo '== 4. Ids no caller can take ahead of the sequence'
SET ROLE wf_sec_app;
SELECT test_error('INSERT INTO workflow (id, name) VALUES (1000000000, ''squat'')') AS explicit_id;
SELECT test_error('INSERT INTO workflow (id, name) OVERRIDING SYSTEM VALUE VALUES (1000000000, ''squat'')') AS overriding;
SELECT test_error('INSERT INTO candidate_profile (id, candidate_id) VALUES (1000000000, 2)') AS explicit_profile_id;
SELECT test_error(format('UPDATE workflow SET id = 1000000000 WHERE id = %s', :wid)) AS update_id;
SELECT test_error('INSERT INTO candidate_stage (id, job_id, candidate_id) VALUES (1000000000, 10, 3)') AS pipeline_id;
-- DEFAULT, or no id at all, is the engine's next id
INSERT INTO workflow (id, name) VALUES (DEFAULT, 'orm') RETURNING id > :wid AS stamped;
INSERT INTO job_profile (job_id) VALUES (10) RETURNING id IS NOT NULL AS stamped;
-- a full-row write-back of the same id is no change
UPDATE workflow SET id = id, name = 'pipeline' WHERE id = :wid;
RESET ROLE;
-- COPY cannot give one either (a superuser's COPY that is no restore included)
SELECT test_error('COPY workflow (id, name) FROM PROGRAM ''echo 2000000000,copied'' WITH (FORMAT csv)') AS copy_id;
SELECT count(*) AS squatted FROM workflow WHERE id >= 1000000000;

\echo '== 5. Engine-stamped columns on every write path'
SET ROLE wf_sec_app;
-- candidate_stage: added_by, entered_at, tenant on INSERT
INSERT INTO candidate_stage (job_id, candidate_id, added_by, entered_at, tenant)
VALUES (10, 4, 'user:forger', '2000-01-01', 'org:b')
RETURNING added_by, entered_at > '2020-01-01' AS entered_now, tenant, transition_id IS NOT NULL AS has_transition;
SELECT entered_at AS entered_before FROM candidate_stage WHERE job_id = 10 AND candidate_id = 1 \gset
-- entered_at written during a reject and a reopen: the visit's time stays
UPDATE candidate_stage SET status = 'rejected', entered_at = '2000-01-01' WHERE job_id = 10 AND candidate_id = 1;
SELECT status, entered_at = :'entered_before' AS entered_kept FROM candidate_stage WHERE job_id = 10 AND candidate_id = 1;
UPDATE candidate_stage SET status = 'active', entered_at = '2999-01-01' WHERE job_id = 10 AND candidate_id = 1;
SELECT status, entered_at = :'entered_before' AS entered_kept FROM candidate_stage WHERE job_id = 10 AND candidate_id = 1;
-- and during a move: the move's time
UPDATE candidate_stage SET stage_id = test_stage(:wid, 3), entered_at = '2000-01-01' WHERE job_id = 10 AND candidate_id = 1;
SELECT entered_at > '2020-01-01' AS entered_now FROM candidate_stage WHERE job_id = 10 AND candidate_id = 1;
-- added_by and the transition columns are refused on UPDATE
SELECT test_error('UPDATE candidate_stage SET added_by = ''user:forger'' WHERE candidate_id = 4') AS added_by;
SELECT test_error('UPDATE candidate_stage SET visit_transition_id = 1 WHERE candidate_id = 4') AS visit;
-- job_workflow: assigned_by/assigned_at on INSERT, UPDATE and ON CONFLICT DO UPDATE
INSERT INTO job_workflow (job_id, workflow_id, assigned_by, assigned_at)
VALUES (11, :wid, 'user:forger', '2000-01-01')
RETURNING assigned_by, assigned_at > '2020-01-01' AS assigned_now;
UPDATE job_workflow SET assigned_by = 'user:forger', assigned_at = '2000-01-01' WHERE job_id = 11
RETURNING assigned_by, assigned_at > '2020-01-01' AS assigned_now;
INSERT INTO job_workflow (job_id, workflow_id) VALUES (11, :wid)
ON CONFLICT (tenant, job_id) DO UPDATE SET assigned_by = 'user:forger', assigned_at = '2000-01-01'
RETURNING assigned_by, assigned_at > '2020-01-01' AS assigned_now;
-- workflow: owner and tenant on INSERT
INSERT INTO workflow (name, owner, tenant) VALUES ('forged', 'user:forger', 'org:b') RETURNING owner, tenant;
RESET ROLE;
-- history: no direct write, with or without COPY
SELECT test_error('COPY stage_transition (tenant, job_id, candidate_id, workflow_id, to_stage_id, to_status, actor) FROM PROGRAM ''echo org:a,10,1,1,1,active,user:forger'' WITH (FORMAT csv)') AS copy_history;

-- when a share was offered is the engine's clock too (red team round 5: a
-- sharer back-dated its offers to sit first in the grantee's list)
SET ROLE wf_sec_app;
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee, created_at)
VALUES (:wid, 'org:b', 'user:bea', '1970-01-01');
SELECT created_at > now() - interval '1 hour' AS offered_now FROM workflow_share WHERE grantee = 'user:bea';
UPDATE workflow_share SET created_at = '2100-01-01' WHERE grantee = 'user:bea';
SELECT created_at > now() - interval '1 hour' AND created_at <= now() AS still_when_offered
  FROM workflow_share WHERE grantee = 'user:bea';
DELETE FROM workflow_share WHERE grantee = 'user:bea';
RESET ROLE;

\echo '== 6. A restore is the operator''s word: a superuser''s CSV import is an ordinary write'
SELECT test_stage(:wid, 2) AS s2, test_stage(:wid, 3) AS s3 \gset
-- a rule imported from a CSV (row_security on, the default), a top-level COPY:
-- its alerts are generated
SELECT format('COPY stage_rule (stage_id, name, condition) FROM PROGRAM %L WITH (DELIMITER %L)',
              format('echo ''%s|imported|{"field": "years", "op": "gte", "value": 3}''', :s2), '|') \gexec
SELECT r.name, (SELECT count(*) FROM alert a WHERE a.rule_id = r.id) AS generated_alerts, r.tenant
  FROM stage_rule r WHERE r.stage_id = :s2;
-- a pipeline row imported by a superuser: an ordinary add (first stage, history)
COPY candidate_stage (job_id, candidate_id) FROM PROGRAM 'echo 10,5' WITH (FORMAT csv);
SELECT c.stage_id = test_stage(:wid, 1) AS first_stage, c.tenant, c.transition_id IS NOT NULL AS has_transition,
       (SELECT count(*) FROM stage_transition t WHERE t.candidate_id = 5) AS history
  FROM candidate_stage c WHERE c.job_id = 10 AND c.candidate_id = 5;
-- with row_security = off, what pg_dump's output sets: a restore keeps what was dumped
BEGIN;
SET LOCAL row_security = off;
SELECT restoring() AS restoring_outside_copy;
SELECT format('COPY stage_rule (id, tenant, stage_id, name, condition) FROM PROGRAM %L WITH (DELIMITER %L)',
              format('echo ''777777|org:dumped|%s|restored|{"field": "y", "op": "exists"}''', :s3), '|') \gexec
SELECT r.id, r.tenant, (SELECT count(*) FROM alert a WHERE a.rule_id = r.id) AS generated_alerts
  FROM stage_rule r WHERE r.stage_id = :s3;
ROLLBACK;

\echo '== 7. Other tenants'' workflows are neither read nor counted by a tenant''s list'
-- 3,000 workflows of 30 other tenants; the list of one actor reads its own
-- tenant's rows and its accepted shares through two index scans (BitmapOr):
-- no other tenant's row is filtered (EXPLAIN's "Rows Removed by Filter"
-- counted them all before: a count of every tenant's rows, and a cost every
-- tenant paid for the others' growth).
DO $$ BEGIN
  FOR t IN 1..30 LOOP
    PERFORM set_config('workflow_ext.tenant', 'org:other' || t, true);
    PERFORM set_config('workflow_ext.actor', 'user:other' || t, true);
    INSERT INTO workflow (name) SELECT 'w' || g FROM generate_series(1, 100) g;
  END LOOP;
END $$;
ANALYZE workflow;
CREATE FUNCTION sec_rows_filtered(q text) RETURNS TABLE (scans text, filtered bigint) LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
    RETURN QUERY
    SELECT string_agg(DISTINCT n->>'Node Type', ', ' ORDER BY n->>'Node Type') FILTER (WHERE n->>'Node Type' LIKE '%Scan%'),
           coalesce(sum((n->>'Rows Removed by Filter')::bigint), 0)::bigint
      FROM jsonb_path_query(plan, 'strict $.**') n
     WHERE jsonb_typeof(n) = 'object' AND n ? 'Node Type';
END $$;
GRANT EXECUTE ON FUNCTION sec_rows_filtered(text) TO wf_sec_app;
SET ROLE wf_sec_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:ann';
SELECT * FROM sec_rows_filtered('SELECT count(*) FROM workflow');
SELECT * FROM sec_rows_filtered('SELECT count(*) FROM workflow WHERE name = ''w1''');
RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;

\c :home
DROP DATABASE :own_db;
DROP ROLE wf_sec_nobody;
DROP ROLE wf_sec_app;
