-- newcomer7 #2: the README's role trigger (Organizations and teams) holds on
-- every path it claims -- moves and status changes, by function, bulk move or
-- plain UPDATE -- and lets a stage's own auto_advance through, which
-- is_auto_advance(NEW.transition_id) recognises (the engine's state in C, not
-- a setting).  Runs as wf_nc7c_app, an ordinary role with the README's grant
-- set: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc7c_app;
RESET client_min_messages;
CREATE ROLE wf_nc7c_app;
GRANT workflow_app TO wf_nc7c_app;
-- SQLSTATE and message of a statement's error ('no error' when none)
CREATE FUNCTION nc7c_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

\echo '== 1. is_auto_advance outside a change: false'
SELECT is_auto_advance(NULL) AS null_id, is_auto_advance(1) AS some_id;

\echo '== 2. the README''s trigger, verbatim (schema app)'
CREATE SCHEMA app;
CREATE TABLE app.team_role (tenant text, actor text, role text, PRIMARY KEY (tenant, actor));
GRANT USAGE ON SCHEMA app TO workflow_app;
GRANT SELECT ON app.team_role TO workflow_app;
CREATE FUNCTION app.only_recruiters_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF public.is_auto_advance(NEW.transition_id) THEN
        RETURN NEW;             -- the stage moves its candidate on by itself: its next rule holds
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app.team_role r WHERE r.tenant = public.current_tenant()
                      AND r.actor = public.current_actor() AND r.role IN ('recruiter', 'coordinator')) THEN
        RAISE EXCEPTION '% may not move candidates or change their status', public.current_actor()
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER only_recruiters_move BEFORE UPDATE ON candidate_stage
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION app.only_recruiters_move();
INSERT INTO app.team_role VALUES ('org:nc7c', 'user:ann', 'recruiter'), ('org:nc7c', 'user:hank', 'hiring_manager'),
    ('org:nc7c', 'user:ivy', 'interviewer');
SET ROLE wf_nc7c_app;
SET workflow_ext.tenant = 'org:nc7c';
SET workflow_ext.actor = 'user:ann';
-- Screen advances by itself into Onsite once two scorecards are in
INSERT INTO workflow (name) VALUES ('nc7c Frontend') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position, auto_advance)
VALUES (:wf, 'Applied', 1, false), (:wf, 'Screen', 2, true), (:wf, 'Onsite', 3, false), (:wf, 'Offer', 4, false);
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'two scorecards', '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}'
  FROM workflow_stage WHERE workflow_id = :wf AND name = 'Onsite';
SELECT share_workflow(:wf, NULL);
SELECT job_id FROM assign_workflow(7100, :wf);
SELECT count(*) FROM generate_series(1, 4) g, add_candidate(g, 7100);
SELECT to_stage_name FROM move_to_next_stage(1, 7100);
SELECT to_stage_name FROM move_to_next_stage(2, 7100);

\echo '== 3. the interviewer''s scorecard writes: the second auto-advances, as the interviewer'
SET workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 1}' WHERE job_id = 7100 AND candidate_id = 1;
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 2}' WHERE job_id = 7100 AND candidate_id = 1;
SELECT s.name AS stage, c.status, c.attributes FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 WHERE c.job_id = 7100 AND c.candidate_id = 1;
SELECT t.actor, f.name AS from_stage, s.name AS to_stage, t.reason
  FROM stage_transition t LEFT JOIN workflow_stage f ON f.id = t.from_stage_id JOIN workflow_stage s ON s.id = t.to_stage_id
 WHERE t.job_id = 7100 AND t.candidate_id = 1 ORDER BY t.id;
-- a write that advances nothing (Applied does not advance by itself)
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 2}' WHERE job_id = 7100 AND candidate_id = 3;
-- a set-wise write of several rows, one of them advancing
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 3}' WHERE job_id = 7100 AND candidate_id IN (2, 3);
SELECT c.candidate_id, s.name AS stage FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 WHERE c.job_id = 7100 ORDER BY 1;

\echo '== 4. the interviewer''s own moves and status changes: refused on every path'
SELECT nc7c_try('SELECT move_to_next_stage(4, 7100)');
SELECT nc7c_try(format('SELECT move_to_stage(4, 7100, %s)', (SELECT id FROM workflow_stage WHERE workflow_id = :wf AND name = 'Screen')));
SELECT nc7c_try('SELECT * FROM move_candidates(7100, ARRAY[4]::bigint[])');
SELECT nc7c_try(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7100 AND candidate_id = 4',
                       (SELECT id FROM workflow_stage WHERE workflow_id = :wf AND name = 'Screen')));
SELECT nc7c_try('SELECT reject_candidate(4, 7100)');
SELECT nc7c_try('SELECT withdraw_candidate(4, 7100)');
SELECT nc7c_try($$UPDATE candidate_stage SET status = 'rejected' WHERE job_id = 7100 AND candidate_id = 4$$);
-- naming the engine's reason does not make a change the engine's
SET workflow_ext.reason = 'auto_advance';
SELECT nc7c_try('SELECT move_to_next_stage(4, 7100)');
RESET workflow_ext.reason;
-- nor does the transition id of the row (the guard stamps a fresh one on every change)
SELECT nc7c_try(format('UPDATE candidate_stage SET stage_id = %s, transition_id = %s WHERE job_id = 7100 AND candidate_id = 1',
                       (SELECT id FROM workflow_stage WHERE workflow_id = :wf AND name = 'Offer'),
                       (SELECT transition_id FROM candidate_stage WHERE job_id = 7100 AND candidate_id = 1)));
SELECT is_auto_advance(transition_id) FROM candidate_stage WHERE job_id = 7100 AND candidate_id = 1;

\echo '== 5. the hiring manager: no reject either'
SET workflow_ext.actor = 'user:hank';
SELECT nc7c_try('SELECT reject_candidate(4, 7100)');

\echo '== 6. the recruiter moves, rejects and reopens'
SET workflow_ext.actor = 'user:ann';
SELECT to_stage_name FROM move_to_next_stage(1, 7100);
SELECT status FROM reject_candidate(4, 7100);
SELECT status FROM reopen_candidate(4, 7100);
-- moved into Screen with two scorecards already in: Screen then Onsite by itself
SELECT to_stage_name FROM move_to_next_stage(3, 7100);
SELECT c.candidate_id, s.name AS stage, c.status FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 WHERE c.job_id = 7100 ORDER BY 1;
SELECT t.candidate_id, t.actor, s.name AS to_stage, t.to_status, t.reason
  FROM stage_transition t JOIN workflow_stage s ON s.id = t.to_stage_id
 WHERE t.job_id = 7100 AND t.tenant = 'org:nc7c' ORDER BY t.id;
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
RESET ROLE;
DROP TRIGGER only_recruiters_move ON candidate_stage;
DROP SCHEMA app CASCADE;
DROP FUNCTION nc7c_try(text);
DROP ROLE wf_nc7c_app;
