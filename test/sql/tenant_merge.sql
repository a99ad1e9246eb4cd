-- merge_into_tenant(): putting actors that are each their own tenant (as
-- after an update from 0.2.0) into one organization.  The actors work as
-- wf_merge_app, an ordinary role (row-level security applies); the merge is
-- a superuser's (or the database owner's).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_merge_app;
RESET client_min_messages;
CREATE ROLE wf_merge_app;
GRANT workflow_app TO wf_merge_app;
SET ROLE wf_merge_app;

\echo '== 1. Two actors, each its own tenant (no workflow_ext.tenant), who share with each other'
SET workflow_ext.actor = 'merge:ann';
SELECT test_workflow('Merge A', 3) AS wf_a \gset
SELECT job_id FROM assign_workflow(501, :wf_a);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (601, '{"years": 5}');
SELECT tenant, status FROM add_candidate(601, 501);
SELECT to_stage_name FROM move_to_next_stage(601, 501);
SELECT share_workflow(:wf_a, NULL, false, 'merge:ben');      -- the whole of ben's tenant
SELECT share_workflow(:wf_a, 'merge:ben', true);              -- ben himself (his own tenant), may edit
SET workflow_ext.actor = 'merge:ben';
-- Across tenants a share is an offer: ben accepts the one with him, and
-- leaves the one with his whole tenant pending (the merge keeps his answer).
SELECT accept_share(:wf_a);
SELECT test_workflow('Merge B', 2) AS wf_b \gset
SELECT job_id FROM assign_workflow(502, :wf_b);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (602, '{"years": 2}');
SELECT tenant, status FROM add_candidate(602, 502);
SELECT share_workflow(:wf_b, 'merge:ann');
-- ben also has a job 501 and a candidate 601 of his own: ids are each tenant's.
SELECT test_workflow('Merge B2', 1) AS wf_b2 \gset
SELECT job_id FROM assign_workflow(501, :wf_b2);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (601, '{"years": 1}');
-- Each sees its own profiles only.
SELECT candidate_facts(602) AS ben_reads_602, candidate_facts(601) AS ben_reads_601;
SET workflow_ext.actor = 'merge:ann';
SELECT accept_share(:wf_b);
SELECT candidate_facts(602) AS ann_reads_602;
SELECT name FROM workflow WHERE name LIKE 'Merge %' ORDER BY name;
RESET ROLE;
RESET workflow_ext.actor;
SELECT w.name, s.tenant, s.grantee_tenant, s.grantee, s.can_edit, s.accepted_at IS NOT NULL AS accepted
  FROM workflow_share s JOIN workflow w ON w.id = s.workflow_id
 WHERE w.name LIKE 'Merge %' ORDER BY w.name, s.id;

\echo '== 2. Who may merge, and what it takes'
SET ROLE wf_merge_app;
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ARRAY[''merge:ann'', ''merge:ben''])');
RESET ROLE;
SELECT test_error('SELECT merge_into_tenant(NULL, ARRAY[''merge:ann''])');
SELECT test_error('SELECT merge_into_tenant(''  '', ARRAY[''merge:ann''])');
SELECT test_error('SELECT merge_into_tenant(''merge:org'', NULL)');
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ''{}'')');
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ARRAY[''merge:ann'', NULL])');
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ARRAY[''merge:ann'', ''''])');
SELECT test_error(format('SELECT merge_into_tenant(%L, ARRAY[''merge:ann''])', U&'\200B\00A0'));  -- invisible: blank

\echo '== 3. The same ids in two of the tenants: refused, all of them named, nothing moved'
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ARRAY[''merge:ann'', ''merge:ben''])');
SELECT count(*) AS rows_of_merge_org FROM workflow WHERE tenant = 'merge:org';
-- The application renumbers: ben's second job and his profile of 601 go.
SET ROLE wf_merge_app;
SET workflow_ext.actor = 'merge:ben';
DELETE FROM job_workflow WHERE job_id = 501;
DELETE FROM candidate_profile WHERE candidate_id = 601;
RESET ROLE;
RESET workflow_ext.actor;

\echo '== 4. The merge: every row of both tenants, shares within the organization'
SELECT updated_at AS a_updated_at FROM workflow WHERE id = :wf_a \gset
SELECT count(*) AS history_before FROM stage_transition WHERE tenant IN ('merge:ann', 'merge:ben') \gset
SELECT * FROM merge_into_tenant('merge:org', ARRAY['merge:ann', 'merge:ben']);
SELECT tenant, count(*) FROM workflow WHERE name LIKE 'Merge %' GROUP BY tenant;
SELECT count(*) = :history_before AS history_moved_as_it_was,
       bool_and(actor IN ('merge:ann', 'merge:ben')) AS actors_kept
  FROM stage_transition WHERE tenant = 'merge:org';
SELECT updated_at = :'a_updated_at' AS updated_at_untouched, owner FROM workflow WHERE id = :wf_a;
SELECT tenant, assigned_by FROM job_workflow WHERE job_id IN (501, 502) ORDER BY job_id;
-- The two shares of A with ben are one, the one he accepted (can_edit kept);
-- B's share with ann is within the tenant.
SELECT w.name, s.tenant, s.grantee_tenant, s.grantee, s.can_edit, s.accepted_at IS NOT NULL AS accepted
  FROM workflow_share s JOIN workflow w ON w.id = s.workflow_id
 WHERE w.name LIKE 'Merge %' ORDER BY w.name, s.id;
-- Nothing else of the tenants is left behind; merging again moves nothing.
SELECT count(*) AS left_behind FROM candidate_stage WHERE tenant IN ('merge:ann', 'merge:ben');
SELECT sum(rows_moved) AS moved_again FROM merge_into_tenant('merge:org', ARRAY['merge:ann', 'merge:ben']);

\echo '== 5. Acting for the organization: candidates are shared, workflows as shared'
SET ROLE wf_merge_app;
SET workflow_ext.tenant = 'merge:org';
SET workflow_ext.actor = 'merge:ann';
SELECT name FROM workflow WHERE name LIKE 'Merge %' ORDER BY name;   -- A (hers), B (shared with her)
SELECT candidate_facts(602) AS ann_reads_602;
SELECT to_stage_name FROM move_to_next_stage(602, 502);
SET workflow_ext.actor = 'merge:ben';
SELECT name FROM workflow WHERE name LIKE 'Merge %' ORDER BY name;   -- A (shared with him), B, B2
SELECT candidate_facts(601) AS ben_reads_601;
SELECT to_stage_name FROM move_to_next_stage(601, 501);
-- The tenant of a row still never changes otherwise.
SELECT regexp_replace(test_error(format('UPDATE workflow SET tenant = ''merge:ben'' WHERE id = %s', :wf_b)),
                      '(workflow |"id": )[0-9]+', '\1<B>', 'g') AS tenant_change;
-- Shared with the whole organization, a workflow reaches every actor of it.
SET workflow_ext.actor = 'merge:cole';
SELECT count(*) AS cole_sees FROM workflow WHERE name LIKE 'Merge %';
SET workflow_ext.actor = 'merge:ben';
SELECT share_workflow(:wf_b2, NULL);
SET workflow_ext.actor = 'merge:cole';
SELECT name FROM workflow WHERE name LIKE 'Merge %' ORDER BY name;
-- Without workflow_ext.tenant an actor is its own tenant again.
RESET workflow_ext.tenant;
SET workflow_ext.actor = 'merge:ann';
SELECT count(*) AS ann_sees_without_tenant FROM workflow WHERE name LIKE 'Merge %';
RESET ROLE;
RESET workflow_ext.actor;

\echo '== 6. Into an organization that has rows: its ids count too'
SET ROLE wf_merge_app;
SET workflow_ext.actor = 'merge:cy';
SELECT test_workflow('Merge C', 1) AS wf_c \gset
SELECT job_id FROM assign_workflow(502, :wf_c);
SELECT tenant, status FROM add_candidate(602, 502);
RESET ROLE;
RESET workflow_ext.actor;
SELECT test_error('SELECT merge_into_tenant(''merge:org'', ARRAY[''merge:cy''])');
DROP ROLE wf_merge_app;
