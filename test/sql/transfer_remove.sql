-- Transferring a candidate between jobs and removing one from a job (0.3.0):
-- history in both jobs, events in the feed, a plain DELETE recorded like
-- remove_candidate(), every refusal with its SQLSTATE and reason.
-- Everything runs as wf_tr_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_tr_app;
RESET client_min_messages;
CREATE ROLE wf_tr_app;
GRANT workflow_app TO wf_tr_app;   -- the README's grant set (test/sql/include/app_grants.psql)
SET ROLE wf_tr_app;

\echo '== 1. Fixture: acme has two backend jobs on one workflow and a sales job on another'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('TR backend', 3, false) AS wf \gset
SELECT test_workflow('TR sales', 2, false) AS sales \gset
SELECT test_stage(:wf, 1) AS b1, test_stage(:wf, 2) AS b2, test_stage(:wf, 3) AS b3,
       test_stage(:sales, 1) AS s1, test_stage(:sales, 2) AS s2 \gset
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (:s2, 'speaks german', '{"field": "german", "op": "eq", "value": true}');
SELECT share_workflow(:wf, NULL);
SELECT share_workflow(:sales, NULL);
SELECT share_workflow(:wf, 'user:cole', true);   -- cole may edit (and so transfer out); the rest read
SELECT job_id FROM assign_workflow(501, :wf);
SELECT job_id FROM assign_workflow(502, :wf);
SELECT job_id FROM assign_workflow(601, :sales);
SELECT candidate_id FROM add_candidate(7, 501);
SELECT candidate_id FROM add_candidate(8, 501);
SELECT candidate_id FROM add_candidate(9, 501);
SELECT to_stage_name FROM move_to_next_stage(7, 501);
COMMIT;
-- another organization, with the same job ids
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT test_workflow('TR globex', 2, false) AS gwf \gset
SELECT job_id FROM assign_workflow(777, :gwf);
SELECT candidate_id FROM add_candidate(7, 777);
COMMIT;

\echo '== 2. transfer_candidate: the new row, the old one transferred, history in both jobs'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:cole';
SELECT job_id, candidate_id, stage_id = :b1 AS first_stage, status, added_by
  FROM transfer_candidate(7, 501, 502, reason => 'better fit');
SELECT job_id, status, stage_id = :b2 AS stays_in_stage FROM candidate_stage
 WHERE candidate_id = 7 ORDER BY job_id;
SELECT job_id, from_stage_id = to_stage_id AS same_stage, from_status, to_status, actor, reason,
       related_job_id
  FROM stage_transition WHERE candidate_id = 7 AND tenant = 'org:tr-acme' ORDER BY id;
-- into a named stage
SELECT stage_id = :b3 AS at_b3, status FROM transfer_candidate(8, 501, 502, :b3);
COMMIT;

\echo '== 3. A transferred row is closed for good'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT reopen_candidate(7, 501)');
SELECT test_error('SELECT reject_candidate(7, 501)');
SELECT test_error('SELECT move_to_next_stage(7, 501)');
SELECT test_error('UPDATE candidate_stage SET status = ''active'' WHERE job_id = 501 AND candidate_id = 7');
-- the status is transfer_candidate()'s to set
SELECT test_error('UPDATE candidate_stage SET status = ''transferred'' WHERE job_id = 501 AND candidate_id = 9');
SELECT test_error('SELECT set_candidate_status(9, 501, ''transferred'', NULL)');
COMMIT;

\echo '== 4. Refusals: each with its SQLSTATE and reason, nothing changed'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT count(*) AS history_before FROM stage_transition \gset
-- already in the target job (the transferred row stays in its job too)
SELECT test_error('SELECT transfer_candidate(7, 502, 501)');
SELECT test_error('SELECT transfer_candidate(9, 501, 501)');
-- not active
SELECT status FROM reject_candidate(9, 501, 'no');
SELECT test_error('SELECT transfer_candidate(9, 501, 601)');
SELECT status FROM reopen_candidate(9, 501);
-- the target stage's rule blocks: 23514, nothing changes
SELECT test_error(format('SELECT transfer_candidate(9, 501, 601, %s)', :s2));
SELECT status FROM candidate_stage WHERE job_id = 501 AND candidate_id = 9;
SELECT count(*) AS rows_in_601 FROM candidate_stage WHERE job_id = 601;
-- a stage of another workflow
SELECT test_error(format('SELECT transfer_candidate(9, 501, 601, %s)', :b2));
-- jobs and candidates not found: no existence leak of globex's job 777
SELECT test_error('SELECT transfer_candidate(9, 501, 999)');
SELECT test_error('SELECT transfer_candidate(9, 999, 501)');
SELECT test_error('SELECT transfer_candidate(9, 501, 777)');
SELECT test_error('SELECT transfer_candidate(12345, 501, 601)');
-- a job another organization shares with acme is visible, but its candidate 9 is another person
SET LOCAL workflow_ext.tenant = 'org:tr-globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT share_workflow(:gwf, NULL, false, 'org:tr-acme');
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
-- (a share across tenants is an offer: acme's administrator accepts it for the tenant)
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:gwf, true);
SET LOCAL workflow_ext.tenant_admin = off;
SELECT job_tenant(777) AS shared_job_of;
SELECT test_error('SELECT transfer_candidate(9, 501, 777)');
SELECT test_error('SELECT transfer_candidate(NULL, 501, 601)');
SELECT count(*) - :history_before AS history_written FROM stage_transition;
COMMIT;

\echo '== 5. remove_candidate and a plain DELETE: recorded, never silent'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT remove_candidate(9, 501, 'duplicate profile');
SELECT count(*) AS rows_left FROM candidate_stage WHERE job_id = 501 AND candidate_id = 9;
SET LOCAL workflow_ext.reason = 'cleanup by the ORM';
DELETE FROM candidate_stage WHERE job_id = 502 AND candidate_id = 8;
SELECT job_id, candidate_id, from_stage_id = to_stage_id AS in_place, to_stage_id IN (:b1, :b3) AS stage_known,
       from_status, to_status, actor, reason
  FROM stage_transition WHERE to_status = 'removed' AND tenant = 'org:tr-acme' ORDER BY id;
-- not found
SELECT test_error('SELECT remove_candidate(9, 501)');
SELECT test_error('SELECT remove_candidate(9, 999)');
-- globex's job 777, shared read-only with acme above: visible, not removable
SELECT test_error('SELECT remove_candidate(7, 777)');
-- removed, the candidate may come back: a new entry
SET LOCAL workflow_ext.reason = '';
SELECT status FROM add_candidate(9, 501);
COMMIT;
-- a grantee who may only read the workflow cannot remove (42501), nor its plain DELETE
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:tr-acme';
SET LOCAL workflow_ext.actor = 'user:reader';
SELECT test_error('SELECT remove_candidate(9, 501)');
-- nor make the candidate leave by a transfer (red team round 5): the same right as removing
SELECT test_error('SELECT transfer_candidate(9, 501, 502)');
DELETE FROM candidate_stage WHERE job_id = 501 AND candidate_id = 9;
SELECT count(*) AS still_there FROM candidate_stage WHERE job_id = 501 AND candidate_id = 9;
COMMIT;

\echo '== 6. The event feed: a transfer and a removal each an event'
SET workflow_ext.tenant = 'org:tr-acme';
SET workflow_ext.actor = 'user:ann';
SELECT event->>'kind' AS kind, event->>'job_id' AS job, event->>'candidate_id' AS candidate,
       event->>'from_status' AS from_status, event->>'to_status' AS to_status,
       event->>'to_job_id' AS to_job, event->>'from_job_id' AS from_job, event->>'reason' AS reason
  FROM workflow_events_since(NULL, 100000)
 WHERE (event->>'job_id')::bigint IN (501, 502) AND event->>'kind' IN ('transfer', 'removal', 'enter');
-- globex (which shares job 777 with acme) sees none of acme's transfers and removals
SET workflow_ext.tenant = 'org:tr-globex';
SET workflow_ext.actor = 'user:gus';
SELECT count(*) AS globex_sees FROM workflow_events_since(NULL, 100000)
 WHERE event->>'kind' IN ('transfer', 'removal') OR (event->>'job_id')::bigint IN (501, 502);
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 7. Removals and transfers in history are unambiguous (funnels count them)'
SELECT to_status, count(*) FROM stage_transition
 WHERE tenant = 'org:tr-acme' AND to_status IN ('removed', 'transferred')
 GROUP BY to_status ORDER BY to_status;

DROP ROLE wf_tr_app;
