-- README "Events", the durable feed: an event names job_id, candidate_id, workflow_id, ... but not the
-- tenant. Job and candidate ids are per tenant, so a reader that sees more than one tenant's
-- pipelines (an agency: its own job on a client's workflow; a BYPASSRLS/superuser consumer) gets
-- events it cannot attribute without reading stage_transition back by transition_id.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/12_feed_events_name_no_tenant.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Acme backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT share_workflow(1, 'user:agent-7', false, 'org:agency');
SET workflow_ext.tenant = 'org:agency'; SET workflow_ext.actor = 'user:agent-7';
SELECT accept_share(1);
SELECT job_id, tenant FROM assign_workflow(1234, 1);       -- the agency's own job 1234, on the client's workflow
SELECT stage_id FROM add_candidate(456, 1234);             -- the agency's own candidate 456
-- two events the agency cannot tell apart (the client's and its own), apart from ids and times:
SELECT event - 'at' - 'transition_id' AS event_without_ids FROM workflow_events_since(NULL, 100);
SELECT event ? 'tenant' AS has_tenant FROM workflow_events_since(NULL, 100);
-- what it has to do instead
SELECT e.event->>'transition_id' AS transition_id, st.tenant
  FROM workflow_events_since(NULL, 100) e JOIN stage_transition st ON st.id = (e.event->>'transition_id')::bigint;
