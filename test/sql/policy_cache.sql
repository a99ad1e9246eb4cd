-- The policies' check (policy_cache.c): visible_workflow_array(),
-- editable_workflow_array(), shared_workflow_array(boolean) and
-- shared_pipeline(bigint, text, boolean) give exactly what the rule written
-- as a plain SQL query gives (include/policy_reference.psql, "old" below),
-- for every tenant, actor and administrator claim, refuse where it refuses,
-- and follow shares answered, revoked and rolled back in the same transaction.
-- Everything runs as wf_pc_app, an ordinary role with the README's grants.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_pc_app;
RESET client_min_messages;
CREATE ROLE wf_pc_app;
GRANT workflow_app TO wf_pc_app;
\i test/sql/include/policy_reference.psql

-- the reference (old) and the C checks (new), side by side, for the session's tenant, actor and claim: each
-- side a sorted, distinct text (workflow names, so that ids do not show)
CREATE FUNCTION pc_answers(OUT kind text, OUT old text, OUT new text) RETURNS SETOF record
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH w AS (SELECT id, name FROM workflow_all),
  names(kind, old, new) AS (
    SELECT 'visible',
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(policy_ref.visible()) v JOIN w ON w.id = v),
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(visible_workflow_array()) v JOIN w ON w.id = v)
    UNION ALL
    SELECT 'editable',
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(policy_ref.visible(true)) v JOIN w ON w.id = v),
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(editable_workflow_array()) v JOIN w ON w.id = v)
    UNION ALL
    SELECT 'shared',
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(policy_ref.shared()) v JOIN w ON w.id = v),
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(shared_workflow_array()) v JOIN w ON w.id = v)
    UNION ALL
    SELECT 'shared_edit',
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(policy_ref.shared(true)) v JOIN w ON w.id = v),
           (SELECT string_agg(DISTINCT w.name, ',') FROM unnest(shared_workflow_array(true)) v JOIN w ON w.id = v)
    UNION ALL
    SELECT 'pipelines',
           (SELECT string_agg(DISTINCT w.name || '@' || p.tenant, ',') FROM policy_ref.shared_pipelines() p JOIN w ON w.id = p.workflow_id),
           (SELECT string_agg(DISTINCT w.name || '@' || t.tenant, ',')
              FROM w CROSS JOIN (SELECT DISTINCT tenant FROM workflow_all) t
             WHERE shared_pipeline(w.id, t.tenant))
    UNION ALL
    SELECT 'pipelines_edit',
           (SELECT string_agg(DISTINCT w.name || '@' || p.tenant, ',') FROM policy_ref.shared_pipelines(true) p JOIN w ON w.id = p.workflow_id),
           (SELECT string_agg(DISTINCT w.name || '@' || t.tenant, ',')
              FROM w CROSS JOIN (SELECT DISTINCT tenant FROM workflow_all) t
             WHERE shared_pipeline(w.id, t.tenant, true)))
  SELECT n.kind, coalesce(n.old, ''), coalesce(n.new, '') FROM names n;
END $$;
-- the same as a given tenant, actor and claim (the settings stay for the session)
CREATE FUNCTION pc_answers_as(tenant text, actor text, admin text, OUT kind text, OUT old text, OUT new text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('workflow_ext.tenant', tenant, false),
          set_config('workflow_ext.actor', actor, false),
          set_config('workflow_ext.tenant_admin', admin, false);
  RETURN QUERY SELECT * FROM pc_answers();
END $$;
-- every workflow, whoever sees it (a superuser's view, for the names)
CREATE VIEW workflow_all AS SELECT id, tenant, name FROM workflow;
GRANT SELECT ON workflow_all TO wf_pc_app;
GRANT EXECUTE ON FUNCTION pc_answers(), pc_answers_as(text, text, text) TO wf_pc_app;

SET ROLE wf_pc_app;
\echo '== 1. Three tenants, owners, shares within and across tenants in every state'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:a1';
INSERT INTO workflow (name) VALUES ('A1 whole tenant') RETURNING id AS w_a1t \gset
INSERT INTO workflow (name) VALUES ('A1 to a2 edit') RETURNING id AS w_a1e \gset
INSERT INTO workflow (name) VALUES ('A1 private') RETURNING id AS w_a1p \gset
SELECT test_workflow('A1 to b1', 2, false) AS w_a1b \gset
SELECT share_workflow(:w_a1t, NULL);
SELECT share_workflow(:w_a1e, 'user:a2', true);
SELECT share_workflow(:w_a1b, 'user:b1', true, 'org:b');
SELECT job_id FROM assign_workflow(1, :w_a1b);
SELECT candidate_id FROM add_candidate(11, 1);
SET LOCAL workflow_ext.actor = 'user:a2';
INSERT INTO workflow (name) VALUES ('A2 private') RETURNING id AS w_a2p \gset
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:b1';
SELECT test_workflow('B1 to a1 accepted', 2, false) AS w_b1acc \gset
INSERT INTO workflow (name) VALUES ('B1 to org:a pending') RETURNING id AS w_b1pend \gset
SELECT test_workflow('B1 to a2 declined', 2, false) AS w_b1dec \gset
INSERT INTO workflow (name) VALUES ('B1 to org:c accepted') RETURNING id AS w_b1c \gset
SELECT share_workflow(:w_b1acc, 'user:a1', false, 'org:a');
SELECT share_workflow(:w_b1pend, NULL, false, 'org:a');
SELECT share_workflow(:w_b1dec, 'user:a2', true, 'org:a');
SELECT share_workflow(:w_b1c, NULL, true, 'org:c');
SELECT job_id FROM assign_workflow(2, :w_b1acc);
SELECT candidate_id FROM add_candidate(21, 2);
-- b1 accepts a1's share: org:b's own pipelines on a1's workflow
SELECT accept_share(:w_a1b);
SELECT job_id FROM assign_workflow(3, :w_a1b);
SELECT candidate_id FROM add_candidate(31, 3);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:a1';
SELECT accept_share(:w_b1acc);
SET LOCAL workflow_ext.actor = 'user:a2';
SELECT decline_share(:w_b1dec);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:c';
SET LOCAL workflow_ext.actor = 'user:c1';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w_b1c, true);
INSERT INTO workflow (name) VALUES ('C1 private') RETURNING id AS w_c1p \gset
COMMIT;

\echo '== 2. The matrix: every tenant, actor and administrator claim gives the same answers'
-- (rows where old and new differ: none)
SELECT t.tenant, a.actor, adm.admin, x.kind, x.old, x.new
  FROM unnest(ARRAY['org:a', 'org:b', 'org:c', 'org:none']) t(tenant),
       unnest(ARRAY['user:a1', 'user:a2', 'user:b1', 'user:c1', 'user:x']) a(actor),
       unnest(ARRAY['off', 'on']) adm(admin),
       LATERAL pc_answers_as(t.tenant, a.actor, adm.admin) x
 WHERE x.old IS DISTINCT FROM x.new;
-- and the matrix is not empty: what each caller sees (the same both ways)
SELECT t.tenant, a.actor, adm.admin, x.kind, x.new AS answer
  FROM unnest(ARRAY['org:a', 'org:b', 'org:c']) t(tenant),
       unnest(ARRAY['user:a1', 'user:a2', 'user:b1', 'user:c1']) a(actor),
       unnest(ARRAY['off', 'on']) adm(admin),
       LATERAL pc_answers_as(t.tenant, a.actor, adm.admin) x
 WHERE x.new <> '' AND (t.tenant, a.actor) IN (('org:a', 'user:a1'), ('org:a', 'user:a2'), ('org:b', 'user:b1'), ('org:c', 'user:c1'))
 ORDER BY 1, 2, 3, 4;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET workflow_ext.tenant_admin;

\echo '== 3. Shares answered, revoked and rolled back within one transaction'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:a2';
SELECT kind, new FROM pc_answers() WHERE kind IN ('visible', 'pipelines') AND old = new;
-- the pending offer to the whole of org:a, accepted by an administrator
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w_b1pend, true);
RESET workflow_ext.tenant_admin;
SELECT kind, new FROM pc_answers() WHERE kind IN ('visible', 'pipelines') AND old = new;
-- the declined share, accepted after all, in a savepoint rolled back
SAVEPOINT s;
SELECT accept_share(:w_b1dec);
SELECT kind, new FROM pc_answers() WHERE kind IN ('visible', 'editable') AND old = new;
-- the policies see it too, from the next statement on
SELECT count(*) AS stages_seen FROM workflow_stage WHERE workflow_id = :w_b1dec;
SELECT name FROM workflow WHERE id = :w_b1dec;
ROLLBACK TO SAVEPOINT s;
SELECT kind, new FROM pc_answers() WHERE kind IN ('visible', 'editable') AND old = new;
SELECT count(*) AS after_rollback FROM workflow WHERE id = :w_b1dec;
-- the owner revokes a1's share and a2's edit share in the same transaction
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:b1';
SELECT unshare_workflow(:w_b1pend, NULL, 'org:a');
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:a2';
SELECT kind, new FROM pc_answers() WHERE kind IN ('visible', 'pipelines') AND old = new;
SELECT count(*) AS revoked_seen FROM workflow WHERE id = :w_b1pend;
-- a workflow created in the transaction is visible to the next statement
INSERT INTO workflow (name) VALUES ('A2 new in transaction') RETURNING id AS w_new \gset
SELECT name FROM workflow WHERE id = :w_new;
SELECT count(*) AS old_new_differ FROM pc_answers() WHERE old <> new;
ROLLBACK;

\echo '== 4. The pipelines of a shared workflow: the grantee sees the owner''s, not another grantee''s'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:b1';
-- org:a's pipeline on a1's workflow, and org:b's own
SELECT job_id, candidate_id, tenant FROM candidate_stage ORDER BY tenant, job_id;
SET LOCAL workflow_ext.tenant = 'org:c';
SET LOCAL workflow_ext.actor = 'user:c1';
-- org:c accepted a workflow of b1's that has no pipeline: it sees none of org:b's
-- other pipelines, nor org:a's on the workflow org:b may use
SELECT job_id, candidate_id, tenant FROM candidate_stage ORDER BY tenant, job_id;
COMMIT;

\echo '== 5. Index usability kept: the list of workflows is a BitmapOr of two index scans'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:a1';
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT name FROM workflow;
SELECT name FROM workflow ORDER BY name;
COMMIT;
RESET ROLE;

\echo '== 6. The cache trigger fires only on workflow and workflow_share'
CREATE TABLE pc_scratch (x int);
CREATE TRIGGER pc_scratch_written AFTER INSERT ON pc_scratch
    FOR EACH STATEMENT EXECUTE FUNCTION policy_cache_written();
SELECT test_error('INSERT INTO pc_scratch VALUES (1)') AS other_table;
DROP TABLE pc_scratch;

\echo '== 7. The checks refuse where the reference refuses: require_actor, require_tenant, trusted_role'
CREATE FUNCTION pc_refusals(OUT kind text, OUT new text, OUT old text) RETURNS SETOF record
LANGUAGE sql AS $$
    SELECT 'visible', test_error('SELECT visible_workflow_array()'), test_error('SELECT policy_ref.visible()')
    UNION ALL
    SELECT 'editable', test_error('SELECT editable_workflow_array()'), test_error('SELECT policy_ref.visible(true)')
    UNION ALL
    SELECT 'shared', test_error('SELECT shared_workflow_array()'), test_error('SELECT policy_ref.shared()')
    UNION ALL
    SELECT 'pipeline', test_error('SELECT shared_pipeline(1, ''org:b'')'), test_error('SELECT policy_ref.shared_pipeline(1, ''org:b'')')
    UNION ALL
    SELECT 'own', test_error('SELECT own_pipeline(1, ''org:a'')'), test_error('SELECT policy_ref.own_pipeline(1, ''org:a'')')
$$;
GRANT EXECUTE ON FUNCTION pc_refusals() TO wf_pc_app;
-- no actor where one is required (new and old the same refusal: one row per case)
SET workflow_ext.require_actor = on;
SET ROLE wf_pc_app;
SELECT DISTINCT 'require_actor' AS case, new, new = old AS same FROM pc_refusals();
RESET ROLE;
RESET workflow_ext.require_actor;
SET workflow_ext.require_tenant = on;
SET ROLE wf_pc_app;
SET workflow_ext.actor = 'user:a1';
SELECT DISTINCT 'require_tenant' AS case, new, new = old AS same FROM pc_refusals();
RESET ROLE;
RESET workflow_ext.require_tenant;
-- a role outside trusted_role naming another actor, or claiming tenant_admin
SET workflow_ext.trusted_role = 'pg_read_all_data';
SET ROLE wf_pc_app;
SET workflow_ext.tenant = 'org:a';
SELECT DISTINCT 'untrusted actor' AS case, new, new = old AS same FROM pc_refusals();
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
SET workflow_ext.tenant_admin = on;
SELECT DISTINCT 'untrusted admin' AS case, new, new = old AS same FROM pc_refusals();
RESET workflow_ext.tenant_admin;
-- and its own role's identity, which it may use, answers (nothing of it here)
SELECT DISTINCT 'own role' AS case, new, new = old AS same FROM pc_refusals();
RESET ROLE;
RESET workflow_ext.trusted_role;
DROP FUNCTION pc_refusals();
DROP VIEW workflow_all;
DROP FUNCTION pc_answers_as(text, text, text);
DROP FUNCTION pc_answers();
SET client_min_messages = warning;
DROP SCHEMA policy_ref CASCADE;   -- (include/policy_reference.psql)
RESET client_min_messages;

-- No policy calls a SECURITY DEFINER or set-returning function (planned per
-- statement): every one reads the C checks above (and the actor's settings).
SELECT string_agg(DISTINCT p.proname, ', ' ORDER BY p.proname) AS policies_call,
       count(*) FILTER (WHERE p.prosecdef OR p.proretset) AS security_definer_or_set_returning
  FROM pg_policy pol
  JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = pol.oid
                  AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid
 WHERE pol.polrelid IN (SELECT objid FROM pg_depend
                         WHERE classid = 'pg_class'::regclass AND deptype = 'e'
                           AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext'));
