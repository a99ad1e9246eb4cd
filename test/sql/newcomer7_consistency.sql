-- newcomer7 (test/repros/newcomer7/ 03, 08, 09, 12): a NULL id is 22023
-- null_argument naming the argument in every API function; assign_workflow
-- decides rights before state; the sharer's UPDATE of accepted_at of a share
-- with its own whole tenant is 42501 not_grantee like any other; every feed
-- event names its tenant.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc7_app;
RESET client_min_messages;
CREATE ROLE wf_nc7_app;
GRANT workflow_app TO wf_nc7_app;
SET ROLE wf_nc7_app;
-- an answer with the ids that depend on the tests before named
CREATE FUNCTION pg_temp.named(e text, ids bigint[], names text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. cardinality(ids) LOOP
        e := regexp_replace(e, '\m' || ids[i] || '\M', names[i], 'g');
    END LOOP;
    RETURN e;
END $$;

\echo '== 1. a NULL id (or id list) is 22023 null_argument naming the argument, everywhere'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7';
SET LOCAL workflow_ext.actor = 'user:nina';
SELECT test_workflow('Nulls', 3) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
SELECT job_id FROM assign_workflow(1234, :wf);
SELECT count(*) AS added FROM add_candidate(456, 1234);
CREATE TEMP TABLE null_call (call text, argument text);
INSERT INTO null_call VALUES
  ('move_to_next_stage(NULL, 1234)', 'candidate_id'), ('move_to_next_stage(456, NULL)', 'job_id'),
  ('move_to_stage(NULL, 1234, :s2)', 'candidate_id'), ('move_to_stage(456, NULL, :s2)', 'job_id'),
  ('move_to_stage(456, 1234, NULL)', 'stage_id'),
  ('move_candidates(NULL, ARRAY[456], :s2)', 'job_id'), ('move_candidates(1234, NULL, :s2)', 'candidate_ids'),
  ('add_candidate(NULL, 1234)', 'candidate_id'), ('add_candidate(458, NULL)', 'job_id'),
  ('reject_candidate(NULL, 1234)', 'candidate_id'), ('reject_candidate(456, NULL)', 'job_id'),
  ('withdraw_candidate(NULL, 1234)', 'candidate_id'), ('withdraw_candidate(456, NULL)', 'job_id'),
  ('reopen_candidate(NULL, 1234)', 'candidate_id'), ('reopen_candidate(456, NULL)', 'job_id'),
  ('set_candidate_status(NULL, 1234, ''rejected'', ''r'')', 'candidate_id'),
  ('set_candidate_status(456, NULL, ''rejected'', ''r'')', 'job_id'),
  ('set_candidate_status(456, 1234, NULL, ''r'')', 'status'),
  ('transfer_candidate(NULL, 1234, 1235)', 'candidate_id'), ('transfer_candidate(456, NULL, 1235)', 'from_job_id'),
  ('transfer_candidate(456, 1234, NULL)', 'to_job_id'),
  ('remove_candidate(NULL, 1234)', 'candidate_id'), ('remove_candidate(456, NULL)', 'job_id'),
  ('assign_workflow(NULL, :wf)', 'job_id'), ('assign_workflow(1234, NULL)', 'workflow_id'),
  ('share_workflow(NULL, ''user:x'')', 'workflow_id'), ('unshare_workflow(NULL, ''user:x'')', 'workflow_id'),
  ('accept_share(NULL)', 'workflow_id'), ('decline_share(NULL)', 'workflow_id'), ('leave_share(NULL)', 'workflow_id'),
  ('transfer_workflow_ownership(NULL, ''user:x'')', 'workflow_id'),
  ('archive_workflow(NULL)', 'workflow_id'), ('unarchive_workflow(NULL)', 'workflow_id'),
  ('archive_stage(NULL)', 'stage_id'), ('unarchive_stage(NULL)', 'stage_id'),
  ('clone_workflow(NULL, ''x'')', 'workflow_id'), ('clone_workflow(:wf, NULL)', 'name'),
  ('reorder_stages(NULL, ARRAY[1])', 'workflow_id'), ('reorder_stages(:wf, NULL)', 'stage_ids'),
  ('get_stage_rule(NULL)', 'stage_id'), ('get_stage_alerts(NULL)', 'stage_id'),
  ('acknowledge_alert(NULL)', 'alert_event_id'),
  ('candidate_facts(NULL)', 'candidate_id'), ('candidate_facts(NULL, 1234)', 'candidate_id'),
  ('candidate_facts(456, NULL)', 'job_id'),
  ('evaluate_condition(''{"field": "a", "op": "eq", "value": 1}'', 456, NULL)', 'job_id');
-- one row per call that does not answer 22023 null_argument naming its argument: none
SELECT c.call, r.e AS answered
  FROM null_call c,
       LATERAL (SELECT test_error('SELECT * FROM ' || replace(replace(c.call, ':s2', :'s2'), ':wf', :'wf')) AS e) r
 WHERE split_part(r.e, ':', 1) <> '22023'
    OR substring(r.e FROM '"reason": "([a-z_]+)"') IS DISTINCT FROM 'null_argument'
    OR substring(r.e FROM '"argument": "([a-z_]+)"') IS DISTINCT FROM c.argument
 ORDER BY c.call;
SELECT count(*) AS calls_tried FROM null_call;
-- the message names the argument, never "job <NULL> not found"
SELECT test_error('SELECT move_to_next_stage(456, NULL)');
SELECT test_error('SELECT reject_candidate(NULL, 1234)');
SELECT test_error('SELECT transfer_candidate(456, 1234, NULL)');
-- what stays: the optional arguments keep their meaning, and the stage list's check
SELECT test_error('SELECT * FROM pipeline_funnel(NULL, NULL)');
SELECT pg_temp.named(test_error(format('SELECT reorder_stages(%s, ARRAY[%s])', :wf, :s2)), ARRAY[:wf], ARRAY['<wf>']);
ROLLBACK;

\echo '== 2. assign_workflow: rights before state; a read-only grantee may run a new job on the workflow'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Backend', 2) AS backend \gset
SELECT test_workflow('Intern', 2) AS intern \gset
SELECT share_workflow(:backend, NULL), share_workflow(:intern, NULL);
SELECT job_id FROM assign_workflow(1234, :backend);
SELECT job_id FROM assign_workflow(1300, :backend);
SELECT count(*) AS added FROM add_candidate(456, 1234);
SET LOCAL workflow_ext.actor = 'user:ivy';   -- the tenant-wide share: read-only
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1300, %s)', :intern)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS no_candidates;
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1234, %s)', :intern)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS with_candidates;
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1234, %s)', :backend)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS stamped_again;
SELECT job_id, workflow_id = :backend AS on_backend, assigned_by FROM assign_workflow(1900, :backend);
-- the editor: state is still refused, with its own reason
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1234, %s)', :intern)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS editor_with_candidates;
SELECT archive_workflow(:intern) IS NOT NULL AS archived;
SET LOCAL workflow_ext.actor = 'user:ivy';
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1300, %s)', :intern)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS readonly_to_archived;
SELECT pg_temp.named(test_error(format('SELECT assign_workflow(1901, %s)', :intern)), ARRAY[:backend, :intern], ARRAY['<backend>', '<intern>']) AS new_job_to_archived;
ROLLBACK;

\echo '== 3. accepted_at of a share with the whole tenant: only its grantee (an administrator) changes it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Shared', 2) AS wf \gset
SELECT share_workflow(:wf, NULL), share_workflow(:wf, 'user:ivy');
SELECT accepted_at AS before FROM workflow_share WHERE workflow_id = :wf AND grantee IS NULL \gset
SELECT pg_temp.named(test_error(format($$UPDATE workflow_share SET accepted_at = '2000-01-01' WHERE workflow_id = %s AND grantee IS NULL$$, :wf)), ARRAY[:wf], ARRAY['<wf>']) AS tenant_share;
SELECT pg_temp.named(test_error(format($$UPDATE workflow_share SET accepted_at = NULL WHERE workflow_id = %s AND grantee IS NULL$$, :wf)), ARRAY[:wf], ARRAY['<wf>']) AS tenant_share_left;
SELECT pg_temp.named(test_error(format($$UPDATE workflow_share SET declined_at = now() WHERE workflow_id = %s AND grantee = 'user:ivy'$$, :wf)), ARRAY[:wf], ARRAY['<wf>']) AS actor_share;
SELECT accepted_at = :'before'::timestamptz AS unchanged FROM workflow_share WHERE workflow_id = :wf AND grantee IS NULL;
-- its grantee: an administrator of the tenant leaves it, at the engine's time
SET LOCAL workflow_ext.tenant_admin = on;
SET LOCAL workflow_ext.actor = 'user:tom';
UPDATE workflow_share SET accepted_at = NULL, declined_at = '2000-01-01' WHERE workflow_id = :wf AND grantee IS NULL;
SELECT accepted_at IS NULL AS left_share, declined_at > '2000-01-01' AS stamped_now
  FROM workflow_share WHERE workflow_id = :wf AND grantee IS NULL;
-- the owner changing can_edit only is no answer
SET LOCAL workflow_ext.tenant_admin = off;
SET LOCAL workflow_ext.actor = 'user:ann';
UPDATE workflow_share SET can_edit = true WHERE workflow_id = :wf AND grantee = 'user:ivy';
SELECT can_edit FROM workflow_share WHERE workflow_id = :wf AND grantee = 'user:ivy';
ROLLBACK;
RESET ROLE;

\echo '== 4. every event of the feed names its tenant: an agency''s own job and its client''s, same ids'
-- (committed: the feed shows committed transactions only)
SET workflow_ext.tenant = 'org:nc7-acme';
SET workflow_ext.actor = 'user:ann';
SET ROLE wf_nc7_app;
INSERT INTO workflow (name) VALUES ('Acme feed') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position, on_enter) VALUES
  (:wf, 'Applied', 1, '{"email_template": "thanks"}'), (:wf, 'Screen', 2, NULL);
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT id, 'salary', '>', '100', 'high salary' FROM workflow_stage WHERE workflow_id = :wf AND position = 1;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (8456, '{"salary": 500}');
SELECT job_id FROM assign_workflow(81234, :wf);
SELECT count(*) AS added FROM add_candidate(8456, 81234);
SELECT share_workflow(:wf, 'user:agent-7', false, 'org:nc7-agency');
SET workflow_ext.tenant = 'org:nc7-agency';
SET workflow_ext.actor = 'user:agent-7';
SELECT accept_share(:wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (8456, '{"salary": 700}');
SELECT job_id, tenant FROM assign_workflow(81234, :wf);
SELECT count(*) AS added FROM add_candidate(8456, 81234);
RESET ROLE;
SELECT e.event ->> 'kind' AS kind, e.event ->> 'tenant' AS tenant, e.event ->> 'job_id' AS job_id,
       e.event ->> 'candidate_id' AS candidate_id
  FROM workflow_events_since(NULL, 100000) e
 WHERE (e.event ->> 'workflow_id')::bigint = :wf;
SELECT count(*) AS events_without_tenant
  FROM workflow_events_since(NULL, 100000) e WHERE NOT e.event ? 'tenant';
-- the tenant is the row's own
SELECT count(*) AS events_not_their_rows
  FROM workflow_events_since(NULL, 100000) e
 WHERE e.event ->> 'tenant' IS DISTINCT FROM
       coalesce((SELECT a.tenant FROM alert_event a WHERE e.event ->> 'kind' = 'alert'
                  AND a.id = (e.event ->> 'alert_event_id')::bigint),
                (SELECT t.tenant FROM stage_transition t WHERE e.event ->> 'kind' <> 'alert'
                  AND t.id = (e.event ->> 'transition_id')::bigint));
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
