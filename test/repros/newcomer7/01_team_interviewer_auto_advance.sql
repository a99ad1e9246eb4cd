-- README "Organizations and teams": the team example verbatim (matches the README), then the README's
-- role trigger (only recruiters and coordinators move) and a stage with auto_advance whose gate is
-- the README's own "two scorecards" rule. Shows: the interviewer's scorecard write (an UPDATE of
-- candidate_stage.attributes, no stage change asked for) fails with 42501 "user:ivy may not move
-- candidates", because the auto-advance it causes is a move recorded as the writer; and the hiring
-- manager, whom the trigger stops from moving, still rejects (status changes pass the trigger).
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/01_team_interviewer_auto_advance.sql'
\i test/repros/newcomer7/_setup.psql
-- the recruiter builds the process and shares it with the whole company
BEGIN; SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend') RETURNING id;                -- 1
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2),(1,'Onsite',3);
INSERT INTO stage_rule (stage_id, name, condition) VALUES (2, 'experienced, within budget',
  '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
            {"field": "expected_salary", "op": "lte", "value": {"field": "budget", "source": "job"}}]}');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (3, 'two scorecards',
  '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}');
SELECT share_workflow(1, NULL);                                             -- every actor of org:acme
SELECT assign_workflow(1234, 1);
COMMIT;
-- the coordinator imports the candidate and the job's budget
BEGIN; SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor = 'user:cole';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 5, "expected_salary": 90000}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 100000}');
SELECT add_candidate(456, 1234);
COMMIT;
-- the hiring manager moves the candidate: same facts, same answer, his name in history
BEGIN; SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor = 'user:hank';
SELECT * FROM move_to_next_stage(456, 1234);
UPDATE candidate_stage SET attributes = '{"scorecards": 2}' WHERE job_id = 1234 AND candidate_id = 456;
SELECT * FROM move_to_next_stage(456, 1234);
COMMIT;
-- ann leaves the company; the administrator hands her workflows over
BEGIN; SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT transfer_workflow_ownership(1, 'user:hank');
SELECT actor, from_stage_id, to_stage_id FROM stage_transition ORDER BY id;   -- user:cole, user:hank, user:hank
COMMIT;

-- after the transfer: does ann (still an actor of org:acme, the whole-tenant share) see it?
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
SELECT id, owner FROM workflow;
SELECT workflow_id, grantee_tenant, grantee, can_edit, accepted_at IS NOT NULL AS accepted FROM workflow_share;

-- The README's role trigger (as the superuser), verbatim
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
INSERT INTO app.team_role VALUES ('org:acme','user:ann','recruiter'),('org:acme','user:cole','coordinator'),
  ('org:acme','user:hank','hiring_manager'),('org:acme','user:ivy','interviewer');
SET ROLE app;

-- a second workflow: Screen auto-advances into Onsite once two scorecards are in
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Frontend') RETURNING id;   -- 2
INSERT INTO workflow_stage (workflow_id, name, position, auto_advance) VALUES (2,'Applied',1,false),(2,'Screen',2,true),(2,'Onsite',3,false),(2,'Offer',4,false);
INSERT INTO stage_rule (stage_id, name, condition) SELECT id, 'two scorecards',
  '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}' FROM workflow_stage WHERE workflow_id = 2 AND name = 'Onsite';
SELECT share_workflow(2, NULL);
SELECT job_id FROM assign_workflow(2000, 2);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (500, '{"years_experience": 2}');
SELECT stage_id FROM add_candidate(500, 2000);
SELECT to_stage_name FROM move_to_next_stage(500, 2000);          -- ann (recruiter) moves to Screen

-- the interviewer submits the scorecard count (an application fact), nothing else
SET workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = '{"scorecards": 2}' WHERE job_id = 2000 AND candidate_id = 500;
SELECT stage_id, attributes FROM candidate_stage WHERE job_id = 2000 AND candidate_id = 500;
-- the hiring manager (not a mover by the app's rule) can still reject/hire? status changes are not UPDATE OF stage_id
SET workflow_ext.actor = 'user:hank';
SELECT * FROM t.try('hank rejects under the role trigger', '42501', NULL,
  $$SELECT reject_candidate(500, 2000, 'meh')$$);
-- move_candidates under the trigger: the README says the call stops at the refusal
SELECT * FROM t.try('hank move_candidates', '42501', NULL,
  $$SELECT * FROM move_candidates(2000, ARRAY[500])$$);
