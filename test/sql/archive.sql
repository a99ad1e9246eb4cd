-- Archiving workflows and stages (0.3.0): retired definitions take no new
-- entrants, history and those standing there stay; deleting what history
-- names says to archive it.  Runs as wf_arc_app, an ordinary role.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_arc_app;
RESET client_min_messages;
CREATE ROLE wf_arc_app;
GRANT workflow_app TO wf_arc_app;   -- the README's grant set (test/sql/include/app_grants.psql)
-- The HINT of an error (test_error() shows SQLSTATE, message and DETAIL).
CREATE FUNCTION test_hint(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ' HINT: ' || h;
END $$;
GRANT EXECUTE ON FUNCTION test_hint(text) TO wf_arc_app;
SET ROLE wf_arc_app;

\echo '== 1. Fixture: ann''s workflow of four stages, shared read-only with bob and for editing with cid'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Archived process', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3, test_stage(:wf, 4) AS s4 \gset
SELECT share_workflow(:wf, 'user:bob');
SELECT share_workflow(:wf, 'user:cid', true);
SELECT job_id FROM assign_workflow(700, :wf);
SELECT candidate_id, stage_id = :s1 AS in_s1 FROM add_candidate(1, 700);
SELECT candidate_id FROM add_candidate(2, 700);
SELECT candidate_id FROM add_candidate(3, 700);
-- candidate 1 stands in s2 (and the stage cache of this session holds s2)
SELECT to_stage_id = :s2 AS moved_to_s2 FROM move_to_next_stage(1, 700);
COMMIT;

\echo '== 2. Who may archive: editors only; others are told nothing'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:bob';
SELECT test_error(format('SELECT archive_stage(%s)', :s2)) AS bob_archive_stage;
SELECT test_error(format('SELECT archive_workflow(%s)', :wf)) AS bob_archive_workflow;
SELECT test_error(format('SELECT unarchive_stage(%s)', :s2)) AS bob_unarchive_stage;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:dan';
SELECT test_error(format('SELECT archive_stage(%s)', :s2)) AS stranger_archive_stage;
SELECT test_error(format('SELECT archive_workflow(%s)', :wf)) AS stranger_archive_workflow;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:other';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error(format('SELECT unarchive_workflow(%s)', :wf)) AS other_tenant_unarchive;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:cid';
SELECT id = :s2 AS archived_s2, archived_at = now() AS archived_now FROM archive_stage(:s2);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
-- archiving again keeps when it was archived
SELECT archived_at < now() AS kept_first_archived_at FROM archive_stage(:s2);
COMMIT;

\echo '== 3. No new entrants: every path into an archived stage is refused, never skipped'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT move_to_next_stage(2, 700)') AS next_into_archived;
SELECT test_error(format('SELECT move_to_stage(3, 700, %s)', :s2)) AS move_into_archived;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 700 AND candidate_id = 3', :s2)) AS orm_update_into_archived;
SELECT test_hint('SELECT move_to_next_stage(2, 700)') AS hint;
-- candidate 2 did not move, silently or otherwise
SELECT candidate_id, stage_id = :s1 AS still_in_s1 FROM candidate_stage WHERE job_id = 700 AND candidate_id = 2;
-- skipping over it on purpose is a move to another stage
SELECT to_stage_id = :s3 AS skipped_to_s3 FROM move_to_stage(2, 700, :s3);
COMMIT;

\echo '== 4. Who stands in an archived stage stays and may leave it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT stage_id = :s2 AS candidate_1_still_in_s2, status FROM candidate_stage WHERE job_id = 700 AND candidate_id = 1;
SELECT status FROM reject_candidate(1, 700);
SELECT status FROM reopen_candidate(1, 700);
SELECT to_stage_id = :s3 AS left_to_s3 FROM move_to_next_stage(1, 700);
-- and back out of s3 into the archived stage: refused
SELECT test_error(format('SELECT move_to_stage(1, 700, %s)', :s2)) AS back_into_archived;
COMMIT;

\echo '== 5. An archived first stage: a new candidate cannot enter the job'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT archived_at IS NOT NULL AS s1_archived FROM archive_stage(:s1);
SELECT test_error('SELECT add_candidate(4, 700)') AS add_into_archived_first;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (700, 4)') AS orm_insert_into_archived_first;
SELECT archived_at IS NULL AS s1_in_use FROM unarchive_stage(:s1);
SELECT candidate_id, stage_id = :s1 AS in_s1 FROM add_candidate(4, 700);
COMMIT;

\echo '== 6. An archived workflow: no new job, no new candidate; those in it go on'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:cid';
SELECT id = :wf AS archived_wf, archived_at IS NOT NULL AS archived FROM archive_workflow(:wf);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT add_candidate(5, 700)') AS add_to_archived_workflow;
SELECT test_error(format('SELECT assign_workflow(701, %s)', :wf)) AS assign_archived_workflow;
SELECT to_stage_id = :s3 AS candidate_4_moves_on FROM move_to_stage(4, 700, :s3);
SELECT to_stage_id = :s4 AS candidate_2_hired FROM move_to_next_stage(2, 700);
SELECT status FROM candidate_stage WHERE job_id = 700 AND candidate_id = 2;
SELECT archived_at IS NULL AS in_use_again FROM unarchive_workflow(:wf);
SELECT candidate_id FROM add_candidate(5, 700);
COMMIT;

\echo '== 7. Deleting what history names: refused, with what to do instead'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', :s2)) AS delete_stage;
SELECT test_hint(format('DELETE FROM workflow_stage WHERE id = %s', :s2)) AS delete_stage_hint;
SELECT test_error(format('DELETE FROM workflow WHERE id = %s', :wf)) AS delete_workflow;
SELECT test_hint(format('DELETE FROM workflow WHERE id = %s', :wf)) AS delete_workflow_hint;
-- a stage history does not name goes
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:wf, 'spare', 5) RETURNING id AS spare \gset
DELETE FROM workflow_stage WHERE id = :spare;
SELECT count(*) AS stages_left FROM workflow_stage WHERE workflow_id = :wf;
-- and a workflow without history
SELECT test_workflow('Draft', 2) AS draft \gset
DELETE FROM workflow WHERE id = :draft;
SELECT count(*) AS drafts_left FROM workflow WHERE id = :draft;
COMMIT;

\echo '== 8. Lists show archived_at (archived ones are listed, not hidden)'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:arc';
SET LOCAL workflow_ext.actor = 'user:bob';
SELECT s->>'name' AS stage, (s->>'archived_at') IS NOT NULL AS archived
  FROM workflow_with_stages w, jsonb_array_elements(w.stages) s WHERE w.id = :wf;
SELECT name, archived_at IS NOT NULL AS archived FROM stage_with_rules WHERE workflow_id = :wf ORDER BY position;
SELECT name, archived_at IS NULL AS in_use FROM workflow_with_stages WHERE id = :wf;
COMMIT;

RESET ROLE;
DROP FUNCTION test_hint(text);
