-- README "Organizations and teams": the README's own role trigger and move_candidates().
-- README: "A move_candidates call stops at such a refusal (only a 55000 refusal of a trigger is
-- one candidate's row)". What does an interviewer's move_candidates() give?
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/04_role_trigger_move_candidates.sql'
\i test/repros/newcomer7/_setup.psql
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
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2),(1,'Onsite',3);
SELECT share_workflow(1, NULL);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT count(*) FROM unnest(ARRAY[1,2,3]) c, add_candidate(c, 1234);
SET workflow_ext.actor = 'user:ivy';
SELECT * FROM t.try('ivy move_to_next_stage', '42501', NULL, $$SELECT move_to_next_stage(1, 1234)$$);
SELECT * FROM t.try('ivy UPDATE', '42501', NULL, $$UPDATE candidate_stage SET stage_id = 2 WHERE job_id = 1234 AND candidate_id = 1$$);
SELECT * FROM t.try('ivy move_candidates (expected: the call raises 42501)', '42501', NULL,
  $$SELECT * FROM move_candidates(1234, ARRAY[1, 2])$$);
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(1234, ARRAY[1, 2]);
SELECT candidate_id, stage_id FROM candidate_stage ORDER BY 1;
