-- front22d finding 2 (PRE-EXISTING, in main since dec0277, not introduced by
-- front22d): job_candidates through the front always sends tenant_admin 'off'
-- (rows_call passes admin NULL to call_shard), so a tenant administrator
-- (SET workflow_ext.tenant_admin = on on the front) does not see the rows of
-- a workflow of its tenant it does not own, while the old path (shard_call,
-- call_tenant(..., 'job_candidates', ...)) and every other read
-- (stage_candidates) do.  Breaks docs/scale-out.md: "The front session's
-- workflow_ext.tenant_admin travels with every call".
-- Layout as 01; run after 01 (job 100 of alice, 3 candidates), as app:
--   psql -X -h $SOCK -p 6610 -U app -d wf -f 02_...sql
SELECT t AS a FROM unnest(array['org:acme','org:beta','org:gamma','org:delta']) t
 WHERE tenant_partition(t) = 0 LIMIT 1 \gset
SET workflow_ext.tenant_admin = on;
SELECT count(*) AS adm_rows FROM job_candidates(100, NULL, :'a', 'user:adm');                   -- 0 (expected 3)
SELECT jsonb_array_length(call_tenant(:'a', 'user:adm', 'job_candidates', '{"job_id": 100}')) AS adm_old;  -- 3
