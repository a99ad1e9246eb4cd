-- Attacks on the policies' cached check (policy_cache.c), found by review:
-- each section failed before its fix.  The answers of visible_workflow_array(),
-- editable_workflow_array(), shared_workflow_array() and shared_pipeline()
-- must be those of the rule written as a plain SQL query
-- (include/policy_reference.psql, "old" below) in every situation.
-- Everything runs as ordinary roles with the README's grants.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_pca_app;
DROP ROLE IF EXISTS wf_pca_login;
RESET client_min_messages;
CREATE ROLE wf_pca_app;
CREATE ROLE wf_pca_login LOGIN PASSWORD 'wf-pca-login';   -- (connected to below, by password where the cluster asks one)
GRANT workflow_app TO wf_pca_app, wf_pca_login;
SELECT current_database() AS pca_db, current_user AS pca_super \gset
\i test/sql/include/policy_reference.psql
-- every workflow, whoever sees it (a superuser's view, for the names)
CREATE VIEW pca_workflow_all AS SELECT id, tenant, name FROM workflow;

-- The kinds whose reference (old) and C (new) answers differ for the session's tenant, actor
-- and claim ('' when none): a volatile function, so every call takes a new
-- snapshot (and, in a writing statement, sees the rows written so far).
CREATE FUNCTION pca_diff() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d text[] := '{}';
    t text;
BEGIN
    IF visible_workflow_array() IS DISTINCT FROM policy_ref.visible() THEN
        d := d || 'visible'::text;
    END IF;
    IF editable_workflow_array() IS DISTINCT FROM policy_ref.visible(true) THEN
        d := d || 'editable'::text;
    END IF;
    IF shared_workflow_array() IS DISTINCT FROM policy_ref.shared() THEN
        d := d || 'shared'::text;
    END IF;
    IF shared_workflow_array(true) IS DISTINCT FROM policy_ref.shared(true) THEN
        d := d || 'shared_edit'::text;
    END IF;
    FOREACH t IN ARRAY ARRAY['org:ra', 'org:rb', 'org:rc'] LOOP
        IF EXISTS (SELECT 1 FROM pca_workflow_all w
                    WHERE shared_pipeline(w.id, t) IS DISTINCT FROM ((w.id, t) IN (SELECT * FROM policy_ref.shared_pipelines()))
                       OR shared_pipeline(w.id, t, true) IS DISTINCT FROM ((w.id, t) IN (SELECT * FROM policy_ref.shared_pipelines(true)))) THEN
            d := d || ('pipelines@' || t);
        END IF;
        IF EXISTS (SELECT 1 FROM pca_workflow_all w
                    WHERE own_pipeline(w.id, t) IS DISTINCT FROM (t = current_tenant() AND w.id IN (SELECT unnest(policy_ref.visible())))
                       OR own_pipeline(w.id, t, true) IS DISTINCT FROM (t = current_tenant() AND w.id IN (SELECT unnest(policy_ref.visible(true))))) THEN
            d := d || ('own@' || t);
        END IF;
    END LOOP;
    RETURN array_to_string(d, ',');
END $$;
-- The names of the workflows visible_workflow_array() gives (new) and
-- the reference gives (old).
CREATE FUNCTION pca_visible(OUT new text, OUT old text) LANGUAGE sql AS $$
    SELECT (SELECT coalesce(string_agg(name, ',' ORDER BY name), '') FROM pca_workflow_all WHERE id = ANY (visible_workflow_array())),
           (SELECT coalesce(string_agg(name, ',' ORDER BY name), '') FROM pca_workflow_all WHERE id = ANY (policy_ref.visible()))
$$;
GRANT SELECT ON pca_workflow_all TO wf_pca_app, wf_pca_login;
GRANT EXECUTE ON FUNCTION pca_diff(), pca_visible() TO wf_pca_app, wf_pca_login;

SET ROLE wf_pca_app;
\echo '== 1. Fixture: org:ra shares with its whole tenant and with rb1 of org:rb; org:rb with the whole of org:ra'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:ra';
SET LOCAL workflow_ext.actor = 'user:ra1';
INSERT INTO workflow (name) VALUES ('RA whole tenant') RETURNING id AS w_rat \gset
SELECT test_workflow('RA to rb1', 2, false) AS w_rab \gset
SELECT share_workflow(:w_rat, NULL);
SELECT share_workflow(:w_rab, 'user:rb1', true, 'org:rb');
SELECT job_id FROM assign_workflow(901, :w_rab);
SELECT candidate_id FROM add_candidate(9011, 901);
SET LOCAL workflow_ext.actor = 'user:ra2';
INSERT INTO workflow (name) VALUES ('RA2 private') RETURNING id AS w_ra2 \gset
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rb';
SET LOCAL workflow_ext.actor = 'user:rb1';
INSERT INTO workflow (name) VALUES ('RB to org:ra') RETURNING id AS w_rbt \gset
SELECT share_workflow(:w_rbt, NULL, true, 'org:ra');
SELECT accept_share(:w_rab);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:ra';
SET LOCAL workflow_ext.actor = 'user:ra1';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w_rbt, true);
COMMIT;
RESET ROLE;

\echo '== 2. ignore_system_indexes, which any role may set when it connects, hides no share with a whole tenant'
-- (it made the index probes heap scans, where "grantee IS NULL" matched nothing)
\set pca_conn 'dbname=' :pca_db ' user=wf_pca_login password=wf-pca-login options=-cignore_system_indexes=on'
\c :pca_conn
SET client_min_messages = error;   -- (a WARNING for the system's own toast indexes)
SELECT current_user, current_setting('ignore_system_indexes') AS ignore_system_indexes;
SET workflow_ext.tenant = 'org:ra';
SET workflow_ext.actor = 'user:ra2';
SELECT * FROM pca_visible();
SELECT pca_diff() AS differ;
SELECT name FROM workflow ORDER BY name;
SET workflow_ext.tenant = 'org:rb';
SET workflow_ext.actor = 'user:rb1';
SELECT pca_diff() AS differ;
SELECT job_id, candidate_id, tenant FROM candidate_stage WHERE job_id = 901;
\set pca_conn 'dbname=' :pca_db ' user=' :pca_super
\c :pca_conn
RESET client_min_messages;

\echo '== 3. NULL arguments answer as the reference does'
SET ROLE wf_pca_app;
SET workflow_ext.tenant = 'org:rb';
SET workflow_ext.actor = 'user:rb1';
-- "can_edit OR NOT NULL" keeps the shares with can_edit
SELECT shared_workflow_array(NULL) = policy_ref.shared(NULL) AS same,
       cardinality(shared_workflow_array(NULL)) AS n;
SET workflow_ext.tenant = 'org:ra';
SET workflow_ext.actor = 'user:ra2';
SELECT (SELECT name FROM pca_workflow_all WHERE id = x.w) AS workflow, x.t, x.e, shared_pipeline(x.w, x.t, x.e) AS new,
       policy_ref.shared_pipeline(x.w, x.t, x.e) AS old
  FROM (VALUES (:w_rbt, 'org:rb', NULL::boolean), (:w_rbt, 'org:rb', false), (NULL, 'org:rb', false),
               (NULL, 'org:rc', false), (:w_rbt, NULL, false), (:w_rab, NULL, false), (NULL, NULL, false),
               (NULL, NULL, NULL)) x(w, t, e)
 ORDER BY 1, 2, 3;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;

\echo '== 4. A volatile function called by the statement writing a workflow or a share sees its rows so far'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:ra';
SET LOCAL workflow_ext.actor = 'user:ra2';
-- an answer kept from before the write, in the same transaction
SELECT pca_diff() AS differ;
-- RETURNING runs after each row: the second row's call saw the first row only
INSERT INTO workflow (name) VALUES ('RA2 new 1'), ('RA2 new 2'), ('RA2 new 3')
RETURNING name, pca_diff() AS differ, (pca_visible()).new LIKE '%' || name || '%' AS sees_itself;
-- a data-modifying WITH, read by a volatile function in the same statement
WITH n AS (INSERT INTO workflow (name) VALUES ('RA2 new 4'), ('RA2 new 5') RETURNING name)
SELECT name, pca_diff() AS differ FROM n ORDER BY name;
-- a removal: the removed workflows leave the answer row by row
DELETE FROM workflow WHERE name LIKE 'RA2 new %' RETURNING name, pca_diff() AS differ;
ROLLBACK;
-- the same as the first write of the transaction, on workflow_share, in a loop
-- of subtransactions that fail half of the time
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:ra';
SET LOCAL workflow_ext.actor = 'user:ra1';
SELECT pca_diff() AS differ;
DO $$
DECLARE
    i int;
    d text;
BEGIN
    FOR i IN 1..4 LOOP
        BEGIN
            PERFORM share_workflow(w.id, 'user:ra' || (i + 2)) FROM pca_workflow_all w WHERE w.name = 'RA to rb1';
            PERFORM set_config('workflow_ext.actor', 'user:ra' || (i + 2), true);
            d := pca_diff();
            IF d <> '' OR NOT (SELECT (pca_visible()).new LIKE '%RA to rb1%') THEN
                RAISE EXCEPTION 'iteration %: old and new differ: %', i, d;
            END IF;
            IF i % 2 = 0 THEN
                RAISE EXCEPTION 'roll back' USING ERRCODE = 'P0003';
            END IF;
        EXCEPTION WHEN SQLSTATE 'P0003' THEN
            -- (the rolled back subtransaction took its SET LOCAL along)
            PERFORM set_config('workflow_ext.actor', 'user:ra' || (i + 2), true);
            d := pca_diff();
            IF d <> '' OR (SELECT (pca_visible()).new LIKE '%RA to rb1%') THEN
                RAISE EXCEPTION 'iteration % rolled back: old and new differ: %', i, d;
            END IF;
        END;
        PERFORM set_config('workflow_ext.actor', 'user:ra1', true);
    END LOOP;
END $$;
SET LOCAL workflow_ext.actor = 'user:ra3';
SELECT pca_diff() AS differ, (pca_visible()).new AS ra3_sees;
SET LOCAL workflow_ext.actor = 'user:ra4';
SELECT pca_diff() AS differ, (pca_visible()).new AS ra4_sees;
ROLLBACK;

\echo '== 5. The pipeline tables test own_pipeline() row by row, a binary search'
-- (workflow_id = ANY (visible_workflow_array()) in a filter compared each row
-- with every id: 30,000 rows read by an administrator of a tenant with 3,000
-- workflows took 15 times as long as with the old helpers)
SELECT tablename, policyname, cmd,
       coalesce(qual, '') LIKE '%own_pipeline(workflow_id, tenant%' AS using_own,
       coalesce(with_check, '') LIKE '%own_pipeline(workflow_id, tenant%' AS check_own,
       coalesce(qual, '') || coalesce(with_check, '') LIKE '%workflow_array%' AS any_array
  FROM pg_policies
 WHERE tablename IN ('job_workflow', 'candidate_stage', 'stage_transition', 'alert_event')
 ORDER BY 1, 2;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:ra';
SET LOCAL workflow_ext.actor = 'user:ra1';
SELECT job_id, candidate_id FROM candidate_stage WHERE job_id = 901 ORDER BY 1, 2;
SELECT own_pipeline(w.id, 'org:ra') AS visible, own_pipeline(w.id, 'org:ra', true) AS editable,
       own_pipeline(w.id, 'org:rb') AS other_tenant, own_pipeline(w.id, NULL) AS no_tenant
  FROM pca_workflow_all w WHERE w.name = 'RB to org:ra';
SET LOCAL workflow_ext.actor = 'user:ra2';
SELECT w.name, own_pipeline(w.id, 'org:ra') AS visible, own_pipeline(w.id, 'org:ra', true) AS editable
  FROM pca_workflow_all w WHERE w.tenant IN ('org:ra', 'org:rb') ORDER BY w.name;
COMMIT;
RESET ROLE;

DROP FUNCTION pca_diff();
DROP FUNCTION pca_visible();
SET client_min_messages = warning;
DROP SCHEMA policy_ref CASCADE;   -- (include/policy_reference.psql)
RESET client_min_messages;
DROP VIEW pca_workflow_all;
