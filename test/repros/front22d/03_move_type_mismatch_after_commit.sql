-- front22d finding 3 (low): the moves' binary type check (check_columns,
-- 42804) runs on the shard's answer, i.e. after the move has committed on the
-- shard (one statement, one Sync).  When the front's move_result and the
-- shard's differ in a column type the old text path accepted (int4 text
-- "0" read into a bigint; e.g. a front/shard version skew, or the front
-- owner's ALTER TYPE), every move through the front now moves the candidate
-- on the shard AND raises 42804 to the caller, who will think it failed
-- (a retry then fails with last_stage / moves it again).  The docs say 42804
-- for a mismatch but not that the move has already happened.
-- Layout: scripts/scale-out.sh up (WF_SCALE_PORT=6610), a tenant on p0 with alice's workflow and job 100 (as test/scale/scale_test.py makes them); as postgres on the front.
SELECT t AS a FROM unnest(array['org:acme','org:beta','org:gamma','org:delta']) t
 WHERE tenant_partition(t) = 0 LIMIT 1 \gset
SET ROLE app;
SET workflow_ext.tenant = :'a'; SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "w2"}'))->>'id' AS wid \gset
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)) IS NOT NULL;
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's2', 'position', 2)) IS NOT NULL;
SELECT assign_workflow(200, :wid) IS NOT NULL;
SELECT add_candidate(2, 200) IS NOT NULL;
RESET ROLE;
ALTER TYPE move_result ALTER ATTRIBUTE alerts_raised TYPE bigint;
\c - app
SELECT t AS a FROM unnest(array['org:acme','org:beta','org:gamma','org:delta']) t
 WHERE tenant_partition(t) = 0 LIMIT 1 \gset
SELECT stage_id AS before FROM job_candidates(200, NULL, :'a', 'user:alice') WHERE candidate_id = 2;
SELECT * FROM move_to_next_stage(2, 200, NULL, :'a', 'user:alice');
--   ERROR:  shard p0 sent column 7 of wf_move_to_next_stage_row as type 23, not 20   (42804)
SELECT stage_id AS after_error FROM job_candidates(200, NULL, :'a', 'user:alice') WHERE candidate_id = 2;
--   the candidate moved anyway (before 4 -> after_error 7 in our run)
\c - postgres
ALTER TYPE move_result ALTER ATTRIBUTE alerts_raised TYPE integer;
