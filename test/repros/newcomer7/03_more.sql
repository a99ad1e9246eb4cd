-- Follow-ups: offers answered by the sharer, ambiguity, redaction, acknowledgements, role trigger.
-- Shows (a'): the sharer's UPDATE workflow_share SET accepted_at = ... of a within-tenant share is
-- silently ignored (README: 42501 not_grantee for an UPDATE of accepted_at by the sharer); the rest
-- behaves as documented (the 'ivy move_candidates' line is a blocked candidate, hence a row: see 04).
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/03_more.sql'
\i test/repros/newcomer7/_setup.psql
\set ann   'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:ann'';  SET workflow_ext.tenant_admin = off;'
\set ivy   'SET workflow_ext.tenant = ''org:acme''; SET workflow_ext.actor = ''user:ivy'';  SET workflow_ext.tenant_admin = off;'
\set gina  'SET workflow_ext.tenant = ''org:globex''; SET workflow_ext.actor = ''user:gina''; SET workflow_ext.tenant_admin = off;'
\set agent 'SET workflow_ext.tenant = ''org:agency''; SET workflow_ext.actor = ''user:agent-7''; SET workflow_ext.tenant_admin = off;'
:ann
INSERT INTO workflow (name) VALUES ('Backend'), ('Intern');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Onsite',3,'normal'),(1,'Hired',4,'hired'),
  (2,'Applied',1,'normal'),(2,'Hired',2,'hired');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (2, 'experienced',
  '{"field": "years_experience", "op": "gte", "value": 3}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (3, 'salary', '>', '100', 'high salary');
SELECT job_id FROM assign_workflow(1234, 1);
SELECT job_id FROM assign_workflow(1400, 2);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 1, "salary": 500}'), (457, '{"years_experience": 9, "salary": 500}');
SELECT stage_id FROM add_candidate(456, 1234);
SELECT stage_id FROM add_candidate(457, 1234);
SELECT share_workflow(1, NULL);
SELECT share_workflow(2, NULL);
-- (a) the sharer answers its own cross-tenant offer by UPDATE
SELECT share_workflow(1, 'user:agent-7', false, 'org:agency');
SELECT * FROM t.try('sharer accepts by UPDATE', '42501', 'not_grantee',
  $$UPDATE workflow_share SET accepted_at = now() WHERE workflow_id = 1 AND grantee_tenant = 'org:agency'$$);
-- (a') the sharer "accepts" the within-tenant share again: README says accepted_at is the engine's clock
SELECT accepted_at AS before FROM workflow_share WHERE workflow_id = 1 AND grantee IS NULL \gset
SELECT * FROM t.try('sharer rewrites accepted_at of the tenant share', '42501', 'not_grantee',
  $$UPDATE workflow_share SET accepted_at = '2000-01-01' WHERE workflow_id = 1 AND grantee IS NULL$$);
SELECT accepted_at, :'before'::timestamptz = accepted_at AS unchanged FROM workflow_share WHERE workflow_id = 1 AND grantee IS NULL;

-- (f) acknowledging an alert twice
SELECT to_stage_name FROM move_to_stage(457, 1234, 3);
SELECT id AS ev FROM alert_event LIMIT 1 \gset
SELECT acknowledged_by FROM acknowledge_alert(:ev);
SELECT * FROM t.try('ack twice', '55000', 'already_acknowledged', format('SELECT acknowledge_alert(%s)', :ev));

-- (i) the read-only grantee stamps a job's assignment again, and assigns a new job
:ivy
SELECT * FROM t.try('ivy stamps job 1400 again', '42501', 'read_only', $$SELECT assign_workflow(1400, 2)$$);
SELECT * FROM t.try('ivy assigns a new job to a read-only workflow', '00000', NULL, $$SELECT assign_workflow(1900, 2)$$);
SELECT * FROM t.try('ivy: job with candidates to another workflow', '42501', 'read_only', $$SELECT assign_workflow(1234, 2)$$);

-- (b) globex's job 1234 with the same candidate id 456, both shared with the agency
:gina
INSERT INTO workflow (name) VALUES ('Globex') RETURNING id;  -- 3
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (3,'New',1),(3,'Interview',2);
SELECT job_id FROM assign_workflow(1234, 3);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT share_workflow(3, 'user:agent-7', false, 'org:agency');
:agent
SELECT accept_share(1);
SELECT accept_share(3);
SELECT * FROM t.try('agency: pipeline id both clients use', '21000', 'ambiguous_job', $$SELECT move_to_next_stage(456, 1234)$$);
SELECT * FROM t.try('agency: move_candidates on an ambiguous job', '21000', 'ambiguous_job', $$SELECT * FROM move_candidates(1234, ARRAY[457])$$);
SELECT * FROM t.try('agency: job_tenant', '21000', 'ambiguous_job', $$SELECT job_tenant(1234)$$);
UPDATE candidate_stage SET stage_id = 2 WHERE job_id = 1234 AND candidate_id = 456 AND tenant = 'org:acme';
-- (c) the agency's blocked move: failed leaves redacted, HINT changed
\set VERBOSITY verbose
UPDATE candidate_stage SET stage_id = 2 WHERE job_id = 1234 AND candidate_id = 456 AND tenant = 'org:acme';
SELECT count(*) AS agency_feed FROM workflow_events_since(NULL, 1000);
SELECT event->>'kind' AS kind, event->>'job_id' AS job, event->'facts' AS facts, event->>'message' AS msg FROM workflow_events_since(NULL, 1000);
SELECT leave_share(1);
SELECT count(*) AS agency_feed_after_leave FROM workflow_events_since(NULL, 1000);

-- (j) declined stays declined when shared again
:ann
SELECT share_workflow(2, 'user:agent-7', false, 'org:agency');
:agent
SELECT decline_share(2);
:ann
SELECT share_workflow(2, 'user:agent-7', true, 'org:agency');
:agent
SELECT count(*) AS pending_after_reshare FROM pending_shares();

-- (e) README's role trigger: a move_candidates call stops at it (documented); what the caller gets
RESET ROLE;
CREATE SCHEMA app;
CREATE TABLE app.team_role (tenant text, actor text, role text, PRIMARY KEY (tenant, actor));
GRANT USAGE ON SCHEMA app TO workflow_app;
GRANT SELECT ON app.team_role TO workflow_app;
CREATE FUNCTION app.only_recruiters_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM app.team_role r WHERE r.tenant = public.current_tenant()
                      AND r.actor = public.current_actor() AND r.role IN ('recruiter', 'coordinator')) THEN
        RAISE EXCEPTION '% may not move candidates', public.current_actor() USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER only_recruiters_move BEFORE UPDATE OF stage_id ON candidate_stage
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id) EXECUTE FUNCTION app.only_recruiters_move();
INSERT INTO app.team_role VALUES ('org:acme','user:ann','recruiter'),('org:acme','user:ivy','interviewer');
SET ROLE app;
:ivy
SELECT * FROM t.try('ivy move_candidates', '42501', NULL, $$SELECT * FROM move_candidates(1234, ARRAY[456])$$);
SELECT * FROM t.try('ivy rejects (status: not UPDATE OF stage_id)', '42501', NULL, $$SELECT reject_candidate(456, 1234, 'ivy says no')$$);
SELECT * FROM t.try('ivy adds a candidate (INSERT)', '42501', NULL, $$SELECT add_candidate(457, 1400)$$);
SELECT * FROM t.try('ivy transfers (INSERT+status)', '42501', NULL, $$SELECT remove_candidate(457, 1234)$$);
