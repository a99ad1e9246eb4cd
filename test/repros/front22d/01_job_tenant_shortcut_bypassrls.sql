-- front22d defect 1: the read's job_tenant shortcut (JOB_TENANT in
-- proxy/workflow_ext_proxy.c) relies on job_workflow's RLS policy to hide an
-- own job the actor does not see.  A front role whose user mapping names a
-- shard role that bypasses RLS (the layout's own operator mapping: postgres ->
-- wf_admin, a shard superuser; or any BYPASSRLS / table-owner role) gets the
-- rows of an own job the actor does not see, where job_tenant() -- and the old
-- path, call_tenant(..., 'job_candidates', ...) (shard_call) -- answers NULL
-- (no rows).  Breaks: "the same answer in every case" (CHANGELOG, docs
-- Routing: "an unseen own job ... answer as before").
--
-- Layout: scripts/scale-out.sh up with WF_SCALE_PORT=6610 (front 6610, shard0
-- 6611), sockets in /tmp/attack-front22d-scale/sock.  Run with
--   psql -X -h $SOCK -p 6610 -U postgres -d wf -v sock=$SOCK -f 01_...sql
\set ON_ERROR_STOP 1
-- a tenant on p0; alice's workflow, job 100, three candidates (as the app)
SELECT t AS a FROM unnest(array['org:acme','org:beta','org:gamma','org:delta']) t
 WHERE tenant_partition(t) = 0 LIMIT 1 \gset
SET ROLE app;
SET workflow_ext.tenant = :'a'; SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "w"}'))->>'id' AS wid \gset
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)) IS NOT NULL;
SELECT assign_workflow(100, :wid) IS NOT NULL;
SELECT count(*) FROM (SELECT add_candidate(i, 100) FROM generate_series(1, 3) i) x;
-- the app (wf_front: RLS applies): bob does not see alice's workflow
SELECT count(*) AS app_bob_rows FROM job_candidates(100, NULL, :'a', 'user:bob');               -- 0
RESET ROLE;
RESET workflow_ext.tenant; RESET workflow_ext.actor;
-- the operator (mapping wf_admin, superuser on the shard): same call
SELECT count(*) AS su_bob_rows FROM job_candidates(100, NULL, :'a', 'user:bob');                -- 3 (defect; expected 0)
SELECT count(*) AS su_nobody_rows FROM job_candidates(100, NULL, :'a', 'user:nobody');          -- 3 (defect; expected 0)
-- the old path, same role, same arguments: job_tenant() answers NULL
SELECT jsonb_array_length(call_tenant(:'a', 'user:bob', 'job_candidates', '{"job_id": 100}')) AS su_bob_old;  -- 0
-- A non-superuser mapped to a BYPASSRLS shard role behaves the same:
--   on shard0: CREATE ROLE wf_bypass LOGIN BYPASSRLS PASSWORD 'wf-scale-secret' IN ROLE wf_app;
--   on the front: CREATE ROLE rep LOGIN; GRANT USAGE ON FOREIGN SERVER workflow_shards TO rep;
--     CREATE USER MAPPING FOR rep SERVER workflow_shards OPTIONS (user 'wf_bypass', password 'wf-scale-secret');
--   as rep: job_candidates(100, NULL, :'a', 'user:bob') -> 3 rows; call_tenant(...'job_candidates'...) -> 0.
