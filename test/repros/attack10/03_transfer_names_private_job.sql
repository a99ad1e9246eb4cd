-- attack10 D3 (low): the history of a shared pipeline names the client's jobs outside the share.
-- A transfer out of a shared job into a job on a workflow the agency does not see writes, in the
-- shared job's history, related_job_id = the private job, and the feed's transfer event carries
-- to_job_id: the agency learns that the client has job 200 (and that candidate 2 went there),
-- which every function answers for it exactly like a job that does not exist (P0002 job_not_found,
-- job_tenant NULL). README, Tenants and actors: "nothing of one tenant reaches another's actors
-- except through a workflow shared across tenants, which opens its definitions and pipelines".
-- Expected (one reading): the agency sees the transfer row with related_job_id NULL (or not at all)
-- when it does not see the other job; actual: related_job_id = 200, to_job_id = 200.
-- Run from the worktree root on a fresh database.
\o /dev/null
\i test/repros/attack10/00_fixture.sql
\o
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
SELECT job_id, status FROM transfer_candidate(2, 100, 200, NULL, 'internal move');   -- into the private workflow's job
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bea';
SELECT job_tenant(200) AS job_200_for_agency;                        -- NULL: "no such job"
SELECT * FROM move_to_next_stage(2, 200);                             -- P0002 job 200 not found
SELECT job_id, candidate_id, to_status, related_job_id, reason FROM stage_transition WHERE to_status = 'transferred';
-- actual: 100 | 2 | transferred | 200 | internal move
SELECT event ->> 'kind' AS kind, event ->> 'to_job_id' AS to_job_id FROM workflow_events_since(NULL, 100) WHERE event ->> 'kind' = 'transfer';
-- actual: transfer | 200
-- the other direction: a transfer from the private job into a shared one names it in the entry row
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
SELECT job_id FROM transfer_candidate(3, 200, 101, NULL, 'from private');
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bea';
SELECT job_id, candidate_id, to_status, related_job_id FROM stage_transition WHERE job_id = 101;
-- actual: 101 | 3 | active | 200
SELECT event ->> 'kind' AS kind, event ->> 'from_job_id' AS from_job_id FROM workflow_events_since(NULL, 100) WHERE event ->> 'job_id' = '101';
-- actual: enter | 200
RESET ROLE;
