-- Several organizations, an agency, candidates in several jobs, and the documented errors.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/02_orgs.sql'
\i test/repros/newcomer7/_setup.psql
\set ann   'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:ann'';  SET workflow_ext.tenant_admin = off;'
\set cole  'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:cole''; SET workflow_ext.tenant_admin = off;'
\set hank  'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:hank''; SET workflow_ext.tenant_admin = off;'
\set ivy   'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:ivy'';  SET workflow_ext.tenant_admin = off;'
\set ada   'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:ada'';  SET workflow_ext.tenant_admin = on;'
\set gina  'SET workflow_ext.tenant = ''org:globex''; SET workflow_ext.actor = ''user:gina''; SET workflow_ext.tenant_admin = off;'
\set agent 'SET workflow_ext.tenant = ''org:agency''; SET workflow_ext.actor = ''user:agent-7''; SET workflow_ext.tenant_admin = off;'
\set boss  'SET workflow_ext.tenant = ''org:agency''; SET workflow_ext.actor = ''user:boss''; SET workflow_ext.tenant_admin = on;'

-- acme: ann builds three workflows (1 Backend, 2 Intern, 3 Sales)
:ann
INSERT INTO workflow (name) VALUES ('Backend'), ('Intern'), ('Sales');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Onsite',3,'normal'),(1,'Offer',4,'normal'),(1,'Hired',5,'hired'),
  (2,'Applied',1,'normal'),(2,'Hired',2,'hired'),
  (3,'Applied',1,'normal'),(3,'Hired',2,'hired');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (2, 'experienced',
  '{"field": "years_experience", "op": "gte", "value": 3}');
SELECT job_id FROM assign_workflow(1234, 1);
SELECT job_id FROM assign_workflow(1300, 1);
SELECT job_id FROM assign_workflow(1400, 2);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (456, '{"years_experience": 5, "salary": 90000}'), (789, '{"years_experience": 1}'), (111, '{"years_experience": 7}');
-- 456 applies to three jobs
SELECT job_id, stage_id FROM add_candidate(456, 1234);
SELECT job_id, stage_id FROM add_candidate(456, 1300);
SELECT job_id, stage_id FROM add_candidate(456, 1400);
SELECT job_id, stage_id FROM add_candidate(789, 1234);
SELECT job_id, stage_id FROM add_candidate(111, 1234);

-- cole (same org, not shared yet) sees nothing of ann's
:cole
SELECT count(*) AS cole_sees_workflows FROM workflow;
SELECT * FROM t.try('cole moves before share', 'P0002', 'job_not_found', $$SELECT move_to_next_stage(456, 1234)$$);
:ann
SELECT share_workflow(1, NULL);
SELECT share_workflow(2, NULL);

-- globex: same job and candidate ids, another company
:gina
INSERT INTO workflow (name) VALUES ('Globex pipeline') RETURNING id;  -- 4
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (4,'New',1),(4,'Interview',2),(4,'Offer',3);
SELECT job_id FROM assign_workflow(1234, 4);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 0, "name": "another person"}');
SELECT job_id, stage_id, tenant FROM add_candidate(456, 1234);
SELECT count(*) AS gina_sees_pipeline_rows FROM candidate_stage;
SELECT count(*) AS gina_sees_events FROM workflow_events_since(NULL, 1000);
:ann
SELECT count(*) AS ann_sees_pipeline_rows FROM candidate_stage;

-- team work in acme
:hank
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
SELECT * FROM t.try('hank: blocked rule', '23514', 'rule_blocked', $$SELECT move_to_next_stage(789, 1234)$$);
:ivy
SELECT * FROM t.try('ivy (read-only share) removes', '42501', 'not_editable', $$SELECT remove_candidate(111, 1234, 'x')$$);
SELECT * FROM t.try('ivy transfers', '42501', 'not_editable', $$SELECT transfer_candidate(111, 1234, 1300)$$);
SELECT * FROM t.try('ivy archives a stage', '42501', 'read_only', $$SELECT archive_stage(3)$$);
SELECT * FROM t.try('ivy reassigns job 1300', '42501', 'read_only', $$SELECT assign_workflow(1300, 2)$$);
UPDATE workflow_stage SET name = 'Renamed by ivy' WHERE id = 3;    -- RLS: 0 rows, no error (documented)
SELECT * FROM t.try('ivy shares', '42501', 'not_owner', $$SELECT share_workflow(1, 'user:x')$$);
-- bulk move by a mover
:cole
SELECT candidate_id, outcome, sqlstate FROM move_candidates(1234, ARRAY[111, 456, 789, 111, NULL]);
UPDATE candidate_stage SET stage_id = 3 WHERE job_id = 1234 AND candidate_id IN (111, 456);  -- bulk ORM move
SELECT candidate_id, stage_id FROM candidate_stage WHERE job_id = 1234 ORDER BY 1;

-- documented errors (acme)
:ann
SELECT * FROM t.try('share with owner', '22023', 'share_with_owner', $$SELECT share_workflow(1, 'user:ann')$$);
SELECT * FROM t.try('blank grantee', '22023', 'invalid_grantee', $$SELECT share_workflow(1, '  ')$$);
SELECT * FROM t.try('already in job', '23505', 'already_in_job', $$SELECT add_candidate(456, 1234)$$);
SELECT * FROM t.try('stale expected', '55000', 'stale_expected_stage', $$SELECT move_to_next_stage(456, 1234, 1)$$);
SELECT * FROM t.try('already in stage', '55000', 'already_in_stage', $$SELECT move_to_stage(456, 1234, 3)$$);
SELECT * FROM t.try('stage not of job', 'P0002', 'stage_not_found', $$SELECT move_to_stage(456, 1234, 6)$$);
SELECT * FROM t.try('job not found', 'P0002', 'job_not_found', $$SELECT move_to_next_stage(456, 9999)$$);
SELECT * FROM t.try('candidate not found', 'P0002', 'candidate_not_found', $$SELECT move_to_next_stage(4242, 1234)$$);
SELECT * FROM t.try('NULL candidate', 'P0002', 'candidate_not_found', $$SELECT move_to_next_stage(NULL, 1234)$$);
SELECT * FROM t.try('NULL job', '22023', 'null_argument', $$SELECT move_to_next_stage(456, NULL)$$);
SELECT * FROM t.try('transfer not in job', 'P0002', 'candidate_not_in_job', $$SELECT transfer_candidate(4242, 1234, 1300)$$);
SELECT * FROM t.try('transfer into job already in', '23505', 'already_in_job', $$SELECT transfer_candidate(456, 1234, 1300)$$);
SELECT to_stage_name FROM move_to_next_stage(456, 1234);  -- Offer
SELECT to_stage_name FROM move_to_next_stage(456, 1234);  -- Hired
SELECT * FROM t.try('move hired', '55000', 'not_active', $$SELECT move_to_next_stage(456, 1234)$$);
SELECT * FROM t.try('reopen hired', '55000', 'not_reopenable', $$SELECT reopen_candidate(456, 1234)$$);
SELECT * FROM t.try('reject hired', '55000', NULL, $$SELECT reject_candidate(456, 1234, 'x')$$);
-- 456 hired in 1234: still active in 1300 and 1400, nothing says so
SELECT job_id, status FROM candidate_stage WHERE candidate_id = 456 ORDER BY job_id;
SELECT * FROM t.try('last stage', '55000', 'last_stage', $$SELECT move_to_next_stage(456, 1400)$$);
SELECT to_stage_name FROM move_to_next_stage(456, 1400);
SELECT * FROM t.try('last stage (hired)', '55000', 'last_stage', $$SELECT move_to_next_stage(456, 1400)$$);
SELECT status FROM reject_candidate(789, 1234, 'junior');
SELECT * FROM t.try('reject twice', '55000', 'status_unchanged', $$SELECT reject_candidate(789, 1234, 'again')$$);
SELECT * FROM t.try('transfer rejected', '55000', 'not_active', $$SELECT transfer_candidate(789, 1234, 1300)$$);
SELECT * FROM t.try('reopen active', '55000', 'status_unchanged', $$SELECT reopen_candidate(111, 1234)$$);
SELECT * FROM t.try('UPDATE status hired', '55000', 'hired_by_stage', $$UPDATE candidate_stage SET status = 'hired' WHERE job_id = 1300 AND candidate_id = 456$$);
SELECT * FROM t.try('stage and status', '55000', 'stage_and_status', $$UPDATE candidate_stage SET status = 'rejected', stage_id = 2 WHERE job_id = 1300 AND candidate_id = 456$$);
SELECT * FROM t.try('transferred by UPDATE', '55000', 'transfer_by_function', $$UPDATE candidate_stage SET status = 'transferred' WHERE job_id = 1300 AND candidate_id = 456$$);
SELECT * FROM t.try('key immutable', '55000', 'key_immutable', $$UPDATE candidate_stage SET job_id = 1301 WHERE job_id = 1300 AND candidate_id = 456$$);
SELECT * FROM t.try('added_by immutable', '55000', 'added_by_immutable', $$UPDATE candidate_stage SET added_by = 'x' WHERE job_id = 1300 AND candidate_id = 456$$);
SELECT * FROM t.try('invalid status insert', '55000', 'invalid_status', $$INSERT INTO candidate_stage (job_id, candidate_id, status) VALUES (1234, 777, 'hired')$$);
SELECT * FROM t.try('workflow mismatch', '55000', 'workflow_mismatch', $$INSERT INTO candidate_stage (job_id, candidate_id, workflow_id) VALUES (1234, 778, 2)$$);
SELECT * FROM t.try('transition columns', '55000', 'transition_columns', $$INSERT INTO candidate_stage (job_id, candidate_id, transition_id) VALUES (1234, 779, 1)$$);
SELECT * FROM t.try('reassign job with candidates', '55000', 'job_has_candidates', $$SELECT assign_workflow(1234, 2)$$);
SELECT * FROM t.try('delete job_workflow with candidates', '55000', 'job_has_candidates', $$DELETE FROM job_workflow WHERE job_id = 1234$$);
INSERT INTO workflow (name) VALUES ('Empty');  -- 5
SELECT job_id FROM assign_workflow(1500, 5);
SELECT * FROM t.try('no stages', '55000', 'no_stages', $$SELECT add_candidate(456, 1500)$$);
SELECT * FROM t.try('id given', '428C9', 'id_assigned', $$INSERT INTO workflow (id, name) VALUES (99, 'x')$$);
SELECT * FROM t.try('tenant change', '42501', 'tenant_immutable', $$UPDATE workflow SET tenant = 'org:globex' WHERE id = 1$$);
SELECT * FROM t.try('owner change', '42501', 'owner_by_function', $$UPDATE workflow SET owner = 'user:cole' WHERE id = 1$$);
SELECT * FROM t.try('stale transition', '40001', 'stale_transition', $$UPDATE candidate_stage SET stage_id = 2, transition_id = 1 WHERE job_id = 1234 AND candidate_id = 111$$);
SELECT * FROM t.try('bad condition', '22023', 'invalid_condition', $$INSERT INTO stage_rule (stage_id, name, condition) VALUES (3, 'bad', '{"field": "x", "op": "nope", "value": 1}')$$);
SELECT * FROM t.try('funnel scope', '22023', 'funnel_scope_missing', $$SELECT * FROM pipeline_funnel()$$);
SELECT * FROM t.try('funnel workflow unseen', 'P0002', 'workflow_not_found', $$SELECT * FROM pipeline_funnel(NULL, 4)$$);
SELECT * FROM t.try('funnel job unseen', 'P0002', 'job_not_found', $$SELECT * FROM pipeline_funnel(9999)$$);
SELECT * FROM t.try('bad cursor', '22023', 'invalid_cursor', $$SELECT * FROM workflow_events_since('garbage', 10)$$);
SELECT * FROM t.try('bad max', '22023', 'invalid_max_events', $$SELECT * FROM workflow_events_since(NULL, 0)$$);
SELECT * FROM t.try('no rule', 'P0002', 'rule_not_found', $$SELECT get_stage_rule(1)$$);
SELECT * FROM t.try('no alerts', 'P0002', 'alerts_not_found', $$SELECT get_stage_alerts(1)$$);
SELECT * FROM t.try('no share to answer', 'P0002', 'no_share', $$SELECT accept_share(1)$$);
SELECT * FROM t.try('unshare none', 'P0002', 'share_not_found', $$SELECT unshare_workflow(1, 'user:nobody')$$);
SELECT * FROM t.try('reorder bad', '22023', 'invalid_stage_order', $$SELECT reorder_stages(1, ARRAY[1]::bigint[])$$);
SELECT * FROM t.try('on_enter array', '22023', 'invalid_on_enter', $$UPDATE workflow_stage SET on_enter = '[1]' WHERE id = 3$$);
SELECT * FROM t.try('history write', '42501', 'history_write', $$INSERT INTO stage_transition (job_id, candidate_id, workflow_id, to_stage_id, to_status, actor) VALUES (1234, 1, 1, 1, 'active', 'x')$$);
SELECT * FROM t.try('delete workflow in history', '23503', 'workflow_in_history', $$DELETE FROM workflow WHERE id = 1$$);
SELECT * FROM t.try('candidate_facts NULL', '22023', 'null_argument', $$SELECT candidate_facts(NULL)$$);
SELECT * FROM t.try('alert event not found', 'P0002', 'alert_event_not_found', $$SELECT acknowledge_alert(99999)$$);
SELECT * FROM t.try('archived workflow assign', '55000', 'workflow_archived', $$SELECT archive_workflow(3); SELECT assign_workflow(1600, 3)$$);
SELECT * FROM t.try('not grantee accepts (sharer)', '42501', 'not_grantee', $$UPDATE workflow_share SET accepted_at = now() WHERE workflow_id = 1$$);

-- across tenants: an agency
:ann
SELECT share_workflow(1, 'user:agent-7', false, 'org:agency');
SELECT share_workflow(2, 'user:agent-7', false, 'org:agency');
SELECT unarchive_workflow(3) IS NOT NULL;
SELECT share_workflow(3, NULL, false, 'org:agency');
:agent
SELECT workflow_id, workflow_name, tenant, owner, can_edit FROM pending_shares();
SELECT count(*) AS agent_sees_before_accept FROM candidate_stage;
SELECT accept_share(1);
SELECT decline_share(2);
SELECT * FROM t.try('decline accepted', '55000', 'share_accepted', $$SELECT decline_share(1)$$);
SELECT * FROM t.try('leave declined', '55000', 'share_not_accepted', $$SELECT leave_share(2)$$);
SELECT * FROM t.try('tenant share without admin', '42501', 'not_tenant_admin', $$SELECT accept_share(3, true)$$);
SELECT job_id, candidate_id, stage_id, status, tenant FROM candidate_stage ORDER BY 1, 2;
SELECT * FROM t.try('agency adds to client job', '42501', 'other_tenant_job', $$SELECT add_candidate(999, 1300)$$);
SELECT * FROM t.try('agency transfers', '42501', 'other_tenant_job', $$SELECT transfer_candidate(111, 1234, 1300)$$);
SELECT * FROM t.try('agency reads client facts', '42501', 'other_tenant_facts', $$SELECT candidate_facts(111, 1234)$$);
SELECT * FROM t.try('agency writes application facts', '42501', 'other_tenant_facts', $$UPDATE candidate_stage SET attributes = '{"scorecards": 1}' WHERE job_id = 1234 AND candidate_id = 111$$);
SELECT count(*) AS agency_sees_client_profiles FROM candidate_profile;
SELECT to_stage_name FROM move_to_next_stage(111, 1234);
SELECT * FROM t.try('agency blocked move (redacted)', '23514', 'rule_blocked', $$SELECT move_to_stage(456, 1300, 2)$$);
-- agency's own job on the client's workflow
SELECT job_id, tenant FROM assign_workflow(1700, 1);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5001, '{"years_experience": 4}');
SELECT job_id, stage_id FROM add_candidate(5001, 1700);
SELECT count(*) AS agency_events FROM workflow_events_since(NULL, 1000);
:ann
SELECT count(*) AS ann_sees_agency_job FROM candidate_stage WHERE job_id = 1700;
-- globex also shares with the agency a workflow on its job 1234 -> ambiguous id for the agency
:gina
SELECT share_workflow(4, NULL, true, 'org:agency');
:boss
SELECT workflow_id, tenant, grantee FROM pending_shares();
SELECT accept_share(3, true);
SELECT accept_share(4, true);
:agent
SELECT * FROM t.try('ambiguous job', '21000', 'ambiguous_job', $$SELECT move_to_next_stage(111, 1234)$$);
SELECT * FROM t.try('ambiguous funnel', '21000', 'ambiguous_job', $$SELECT * FROM pipeline_funnel(1234)$$);
SELECT stage_name, entered FROM pipeline_funnel(1234, 1);
SELECT leave_share(1);
SELECT count(*) AS after_leave FROM candidate_stage WHERE tenant = 'org:acme';

-- funnels and feed back in acme
:ada
SELECT position, stage_name, entered, current, advanced, rejected, hired, conversion FROM pipeline_funnel(NULL, 1);
SELECT count(*) AS ada_events, count(*) FILTER (WHERE event->>'kind' = 'move') AS moves FROM workflow_events_since(NULL, 1000);

-- too many offers
:ann
INSERT INTO workflow (name) SELECT 'bulk ' || g FROM generate_series(1, 101) g;
SELECT * FROM t.try('101 offers', '54000', 'too_many_offers',
  $$SELECT share_workflow(id, 'user:agent-9', false, 'org:agency') FROM workflow WHERE name LIKE 'bulk %' ORDER BY id$$);

-- untrusted role
RESET ROLE;
CREATE ROLE other LOGIN IN ROLE workflow_app;
SET workflow_ext.trusted_role = 'app';
SET ROLE other;
RESET workflow_ext.tenant; RESET workflow_ext.actor; RESET workflow_ext.tenant_admin;
SET workflow_ext.actor = 'user:mallory';
SELECT * FROM t.try('untrusted role names actor', '42501', 'untrusted_role', $$SELECT current_actor()$$);
