-- attack10 D1 (fixed on branch attack10, test attack10 section 2): the front's reads candidate_history and alert_events (shard_call) do not resolve
-- the job id as every other job-taking operation does (job_tenant(): the caller's own tenant's job
-- first, seen or not, then the one job of that id shared with it). They filter on the bare id,
-- so for an agency that runs its own job 100 they mix the client's job 100 (another organization,
-- other people under the same candidate ids) into "job 100", and for an actor of the agency who
-- does not see the agency's own job 100 they answer with the client's job 100, while the moves,
-- job_candidates and stage_counts say the job is not found / empty for that same caller.
-- Run from the worktree root on a fresh database: psql -X -d db -f test/repros/attack10/01_front_reads_ignore_job_tenant.sql
\o /dev/null
\i test/repros/attack10/00_fixture.sql
\o
SET ROLE app;
-- the agency runs its own job 100 (on its own workflow 3, which only its administrator bob sees)
-- with its own candidate 1 (another person than org:a's candidate 1)
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bob'; SET workflow_ext.tenant_admin = on;
SELECT j.job_id, c.candidate_id FROM assign_workflow(100, 3) j, add_candidate(1, 100) c;
RESET workflow_ext.tenant_admin;

-- 1. bob (administrator of org:b): job 100 is org:b's own job 100
SELECT jsonb_path_query_array(result, '$[*].tenant') AS job_candidates_tenants
  FROM shard_call('org:b', 'user:bob', 'job_candidates', '{"job_id": 100, "$tenant_admin": "on"}');
-- ["org:b"]: the own job, as job_tenant(100) = org:b says
SELECT jsonb_path_query_array(result, '$[*].tenant') AS candidate_history_tenants
  FROM shard_call('org:b', 'user:bob', 'candidate_history', '{"candidate_id": 1, "job_id": 100, "$tenant_admin": "on"}');
-- expected: ["org:b"]  (the history of org:b's candidate 1 in org:b's job 100)
-- actual:   ["org:a", "org:a", "org:b"]  (org:a's candidate 1 in org:a's job 100 mixed in)

-- 2. bea (org:b, not an administrator: she does not see workflow 3, so org:b's own job 100 is unseen)
SELECT error_sqlstate, error_message FROM shard_call('org:b', 'user:bea', 'move_to_next_stage', '{"job_id": 100, "candidate_id": 1}');
-- P0002 job 100 not found: an own job id is never resolved to another tenant's job
SELECT result AS job_candidates FROM shard_call('org:b', 'user:bea', 'job_candidates', '{"job_id": 100}');
-- []
SELECT jsonb_path_query_array(result, '$[*] ? (@.tenant != "org:b") .job_id') AS other_tenant_rows
  FROM shard_call('org:b', 'user:bea', 'candidate_history', '{"candidate_id": 1, "job_id": 100}');
-- expected: []    actual: [100, 100]  (org:a's job 100 answers for the agency's own job id)

-- 3. alert_events has the same filter (e.job_id = jid, no tenant): an event in org:a's job 100
--    visible to the agency is listed as an event of "job 100" for bob, whose job 100 is his own.
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
UPDATE workflow_stage SET sla = '1 millisecond' WHERE id = 1;
SELECT pg_sleep(0.05);
SELECT raise_overdue_alerts() > 0 AS sla_event_raised;     -- candidate 2 of org:a's job 100
SELECT jsonb_path_query_array(result, '$[*].tenant') AS alert_events_tenants
  FROM shard_call('org:b', 'user:bob', 'alert_events', '{"job_id": 100, "$tenant_admin": "on"}');
-- expected: []  (org:b's job 100 has no alert event)   actual: ["org:a"]
RESET ROLE;
