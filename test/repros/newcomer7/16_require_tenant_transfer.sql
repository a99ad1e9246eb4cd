-- require_tenant/require_actor for a multi-organization database. With them on, an actor/tenant
-- set at session level (SET, not in the current transaction) is ignored: 42501 "workflow_ext.actor
-- is not set" while SHOW workflow_ext.actor shows it. The README's Settings table does not say so
-- (its tour sets the actor with a session-level SET). Then a transfer into a job on another workflow.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/16_require_tenant_transfer.sql'
\i test/repros/newcomer7/_setup.psql
RESET ROLE;
ALTER DATABASE postgres SET workflow_ext.require_tenant = on;
ALTER DATABASE postgres SET workflow_ext.require_actor = on;
\c postgres
SET ROLE app;
\set VERBOSITY verbose
SHOW workflow_ext.require_tenant;
SET LOCAL workflow_ext.tenant = 'org:acme';     -- outside a transaction: a WARNING, nothing set
SELECT * FROM t.try('no tenant', '42501', 'tenant_required', $$INSERT INTO workflow (name) VALUES ('x')$$);
SELECT * FROM t.try('no tenant: a read', '42501', 'tenant_required', $$SELECT count(*) FROM workflow$$);
SET workflow_ext.tenant = 'org:acme';
SELECT * FROM t.try('no actor', '42501', 'actor_required', $$INSERT INTO workflow (name) VALUES ('x')$$);
SET workflow_ext.actor = 'user:ann';
SHOW workflow_ext.actor;
SELECT * FROM t.try('session-level SET with require_actor', '00000', NULL, $$SELECT current_actor()$$);
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend'), ('Sales');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2),(2,'New',1),(2,'Call',2),(2,'Offer',3);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT job_id FROM assign_workflow(5000, 2);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT * FROM t.try('transfer to a stage of the source workflow', 'P0002', 'stage_not_found', $$SELECT transfer_candidate(456, 1234, 5000, to_stage_id => 2)$$);
SELECT job_id, stage_id, workflow_id, status FROM transfer_candidate(456, 1234, 5000, to_stage_id => 4, reason => 'better fit for sales');
SELECT job_id, candidate_id, status, stage_id FROM candidate_stage ORDER BY job_id;
SELECT event->>'kind' AS kind, event->>'job_id' AS job, event->>'to_job_id' AS to_job, event->>'from_job_id' AS from_job FROM workflow_events_since(NULL, 100);
COMMIT;
