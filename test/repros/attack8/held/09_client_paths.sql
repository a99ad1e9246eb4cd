\set SHOW_CONTEXT never
\set VERBOSITY terse
SET ROLE app;
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT share_workflow(1, 'user:ivy');
COMMIT;
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
MERGE INTO candidate_stage c USING (VALUES (11::bigint, 902::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k AND c.tenant = current_tenant() WHEN NOT MATCHED THEN INSERT (job_id, candidate_id) VALUES (v.j, v.k);
WITH x AS (INSERT INTO candidate_stage (job_id, candidate_id) VALUES (11, 900), (11, 901) RETURNING candidate_id) SELECT count(*) FROM x;
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (11, 903) ON CONFLICT DO NOTHING;
SET LOCAL workflow_ext.actor = 'user:ivy';
SELECT candidate_id FROM add_candidate(904, 10);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 905);
SET LOCAL workflow_ext.actor = 'user:adm'; SET LOCAL workflow_ext.tenant_admin = on;
SELECT candidate_id FROM add_candidate(906, 10);
SELECT candidate_id FROM add_candidate(907, 99);
SET LOCAL workflow_ext.tenant_admin = off; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT job_id, candidate_id, stage_id, added_by FROM candidate_stage WHERE candidate_id >= 900 ORDER BY 2;
COMMIT;
RESET ROLE;
-- COPY by a BYPASSRLS/superuser acting for the client and for the agency into the agency's own job
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
COPY candidate_stage (job_id, candidate_id) FROM stdin;
11	950
\.
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:ed';
COPY candidate_stage (job_id, candidate_id) FROM stdin;
500	951
\.
SELECT tenant, job_id, candidate_id FROM candidate_stage WHERE candidate_id >= 950;
COMMIT;
-- isolation levels for the agency's refusal
SET ROLE app;
BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 999);
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT candidate_id FROM add_candidate(999, 10);
ROLLBACK;
