-- Stages that move their candidates on by themselves (workflow_stage.auto_advance)
-- and declarative actions on entry (workflow_stage.on_enter, stage_action
-- events in the feed).  Everything runs as wf_auto_app, an ordinary role:
-- row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_auto_app;
RESET client_min_messages;
CREATE ROLE wf_auto_app;
GRANT workflow_app TO wf_auto_app;   -- the README's grant set (test/sql/include/app_grants.psql)
SET ROLE wf_auto_app;

-- Every move of a candidate, in order (as the acting tenant sees it).
CREATE FUNCTION pg_temp.moves(cand bigint, job bigint) RETURNS TABLE (move text, actor text, reason text)
LANGUAGE sql AS $$
    SELECT coalesce(f.name, '-') || ' -> ' || s.name || CASE WHEN t.from_stage_id = t.to_stage_id
                                                           THEN ' (' || t.to_status || ')' ELSE '' END,
           t.actor, t.reason
      FROM stage_transition t JOIN workflow_stage s ON s.id = t.to_stage_id
      LEFT JOIN workflow_stage f ON f.id = t.from_stage_id
     WHERE t.candidate_id = cand AND t.job_id = job ORDER BY t.id
$$;
CREATE FUNCTION pg_temp.stands(cand bigint, job bigint) RETURNS text
LANGUAGE sql AS $$
    SELECT s.name || ' (' || c.status || ')' FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
     WHERE c.candidate_id = cand AND c.job_id = job
$$;

\echo '== 1. The fixture: Applied -> Screen -> Phone -> Onsite -> Offer -> Hired'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
INSERT INTO workflow (name) VALUES ('Engineering') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position, auto_advance, on_enter, kind) VALUES
  (:wf, 'Applied', 1, true, NULL, 'normal'),
  (:wf, 'Screen', 2, true, '{"email_template": "screen-invite"}', 'normal'),
  (:wf, 'Phone', 3, true, '{"email_template": "phone-screen-invite", "notify": ["recruiter"]}', 'normal'),
  (:wf, 'Onsite', 4, true, NULL, 'normal'),
  (:wf, 'Offer', 5, false, '{"task": "prepare offer"}', 'normal'),
  (:wf, 'Hired', 6, false, NULL, 'hired');
SELECT test_stage(:wf, 1) AS applied, test_stage(:wf, 2) AS screen, test_stage(:wf, 3) AS phone,
       test_stage(:wf, 4) AS onsite, test_stage(:wf, 5) AS offer, test_stage(:wf, 6) AS hired \gset
-- Screen: the candidate's experience; Phone: the job is open for phone screens;
-- Onsite: two scorecards of this application; Offer: a warning rule; Hired: none.
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (:screen, 'experienced', '{"field": "years", "op": "gte", "value": 3}'),
  (:phone, 'phone screens open', '{"field": "phone_screens", "op": "eq", "value": true, "source": "job"}'),
  (:onsite, 'two scorecards', '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (:offer, 'offer approved', '{"field": "offer_approved", "op": "eq", "value": true, "source": "application"}', 'warn');
SELECT name, position, auto_advance, on_enter FROM workflow_stage WHERE workflow_id = :wf ORDER BY position;
SELECT share_workflow(:wf, NULL);
SELECT job_id FROM assign_workflow(1, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (1, '{"phone_screens": false}');
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (10, '{"years": 5}'), (11, '{"years": 1}'), (12, '{"years": 8}');
COMMIT;

\echo '== 2. On entry: the chain runs as far as the rules hold, in the same statement'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:sam';
-- 10 is experienced: Applied -> Screen; the job has no phone screens yet: stops there
SELECT candidate_id, (SELECT name FROM workflow_stage WHERE id = stage_id) AS stage, status
  FROM add_candidate(10, 1);
-- 11 is not: stays in Applied
SELECT candidate_id, (SELECT name FROM workflow_stage WHERE id = stage_id) AS stage FROM add_candidate(11, 1);
SELECT * FROM pg_temp.moves(10, 1);
SELECT * FROM pg_temp.moves(11, 1);
COMMIT;

\echo '== 3. Job facts change: every candidate the job holds in an auto stage whose next rule now holds moves on'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:hana';
UPDATE job_profile SET attributes = '{"phone_screens": true}' WHERE job_id = 1;
-- 10: Screen -> Phone (Onsite needs scorecards); 11 still waits in Applied (Screen's rule)
SELECT pg_temp.stands(10, 1) AS c10, pg_temp.stands(11, 1) AS c11;
-- recorded with the actor whose change caused it, reason auto_advance
SELECT * FROM pg_temp.moves(10, 1);
COMMIT;

\echo '== 4. Candidate facts change: 11 gains experience, the chain runs Applied -> Screen -> Phone'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:ivo';
UPDATE candidate_profile SET attributes = '{"years": 4}' WHERE candidate_id = 11;
SELECT * FROM pg_temp.moves(11, 1);
-- a further change of the same facts: no second move out of a visit that is over
UPDATE candidate_profile SET attributes = '{"years": 6}' WHERE candidate_id = 11;
SELECT count(*) AS auto_moves_of_11 FROM stage_transition
 WHERE candidate_id = 11 AND job_id = 1 AND reason = 'auto_advance';
COMMIT;

\echo '== 5. Application facts change: the scorecards arrive, 10 moves to the onsite'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:jo';
UPDATE candidate_stage SET attributes = '{"scorecards": 1}' WHERE job_id = 1 AND candidate_id = 10;
SELECT pg_temp.stands(10, 1) AS one_scorecard;
UPDATE candidate_stage SET attributes = '{"scorecards": 2}' WHERE job_id = 1 AND candidate_id = 10;
SELECT pg_temp.stands(10, 1) AS two_scorecards;
SELECT * FROM pg_temp.moves(10, 1) OFFSET 3;
COMMIT;

\echo '== 6. A warning rule that fails does not advance; once it holds, it does'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:jo';
-- 10 stands in Onsite (auto); Offer's warn rule fails: no move, no warning history
UPDATE candidate_stage SET attributes = attributes || '{"offer_approved": false}' WHERE job_id = 1 AND candidate_id = 10;
SELECT pg_temp.stands(10, 1) AS not_approved;
UPDATE candidate_stage SET attributes = attributes || '{"offer_approved": true}' WHERE job_id = 1 AND candidate_id = 10;
SELECT pg_temp.stands(10, 1) AS approved;
SELECT to_stage_id = :offer AS into_offer, reason, warnings FROM stage_transition
 WHERE candidate_id = 10 AND job_id = 1 ORDER BY id DESC LIMIT 1;
-- Offer does not advance by itself: the hiring is a person's move
SELECT to_stage_name FROM move_to_next_stage(10, 1);
SELECT pg_temp.stands(10, 1) AS hired;
COMMIT;

\echo '== 7. A move back re-enters the auto stages: the chain fires again, once per visit'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:kim';
-- 11 stands in Phone; moved back to Applied, the rules still hold: it comes back to Phone
SELECT (SELECT name FROM workflow_stage WHERE id = to_stage_id) AS move_result_stage
  FROM move_to_stage(11, 1, :applied, 'screen again');
SELECT pg_temp.stands(11, 1) AS after_back_move;
SELECT * FROM pg_temp.moves(11, 1) OFFSET 2;
-- each visit advanced at most once
SELECT t.from_stage_id, count(*) AS advances
  FROM stage_transition t
 WHERE t.candidate_id = 11 AND t.job_id = 1 AND t.reason = 'auto_advance'
 GROUP BY t.from_stage_id, (SELECT max(v.id) FROM stage_transition v
                             WHERE v.candidate_id = 11 AND v.job_id = 1 AND v.to_stage_id = t.from_stage_id
                               AND v.id < t.id)
 HAVING count(*) > 1;
COMMIT;

\echo '== 8. Not for a candidate who is not active; a reopened one moves on'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:lea';
SELECT candidate_id FROM add_candidate(13, 1);
SELECT status FROM reject_candidate(13, 1, 'not now');
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (13, '{"years": 9}');
SELECT pg_temp.stands(13, 1) AS rejected_stays;
SELECT (SELECT name FROM workflow_stage WHERE id = stage_id) AS stage, status FROM reopen_candidate(13, 1);
SELECT pg_temp.stands(13, 1) AS reopened;
SELECT * FROM pg_temp.moves(13, 1);
COMMIT;

\echo '== 9. A next stage without a rule, or archived, is never entered by itself'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT test_workflow('Plain', 3, false) AS plain \gset
SELECT share_workflow(:plain, NULL);
UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = :plain;
SELECT job_id FROM assign_workflow(2, :plain);
SELECT (SELECT name FROM workflow_stage WHERE id = stage_id) AS no_rule_no_move FROM add_candidate(10, 2);
-- with a rule that holds, but the stage archived: no move either
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:plain, 2), 'any', '{"field": "years", "op": "exists"}');
UPDATE workflow_stage SET archived_at = now() WHERE id = test_stage(:plain, 2);
UPDATE candidate_profile SET attributes = attributes || '{"x": 1}' WHERE candidate_id = 10;
SELECT pg_temp.stands(10, 2) AS archived_next_no_move;
UPDATE workflow_stage SET archived_at = NULL WHERE id = test_stage(:plain, 2);
UPDATE candidate_profile SET attributes = attributes || '{"x": 2}' WHERE candidate_id = 10;
SELECT pg_temp.stands(10, 2) AS unarchived_moves;
COMMIT;

\echo '== 10. on_enter: stage_action events in the feed, one per entry, as the stage was at the entry'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
-- an edit of the actions later does not change what the feed delivered
UPDATE workflow_stage SET on_enter = '{"email_template": "phone-screen-invite-v2"}' WHERE id = :phone;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT e.event->>'candidate_id' AS candidate, s.name AS stage, e.event->'actions' AS actions,
       e.event->>'actor' AS actor, e.event->>'reason' AS reason,
       (e.event->>'transition_id')::bigint = t.id AND t.to_stage_id = s.id AS of_the_entry
  FROM workflow_events_since(NULL, 100000) e
  JOIN workflow_stage s ON s.id = (e.event->>'stage_id')::bigint
  JOIN stage_transition t ON t.id = (e.event->>'transition_id')::bigint
 WHERE e.event->>'kind' = 'stage_action' AND (e.event->>'job_id')::bigint = 1
 ORDER BY (e.event->>'transition_id')::bigint;
-- exactly one per entry into a stage with actions
SELECT (SELECT count(*) FROM workflow_events_since(NULL, 100000) e
         WHERE e.event->>'kind' = 'stage_action' AND (e.event->>'job_id')::bigint = 1) AS actions,
       (SELECT count(*) FROM stage_transition t JOIN workflow_stage s ON s.id = t.to_stage_id
         WHERE t.job_id = 1 AND t.from_stage_id IS DISTINCT FROM t.to_stage_id
           AND s.name IN ('Screen', 'Phone', 'Offer')) AS entries_with_actions;
-- a cursor of a stage action resumes after it
SELECT cursor AS action_cursor FROM workflow_events_since(NULL, 100000) e
 WHERE e.event->>'kind' = 'stage_action' ORDER BY cursor LIMIT 1 \gset
SELECT :'action_cursor' ~ ':2:' AS kind_2,
       (SELECT count(*) FROM workflow_events_since(:'action_cursor', 100000)) <
       (SELECT count(*) FROM workflow_events_since(NULL, 100000)) AS resumes;
-- the new actions for the next entry
SELECT pg_temp.stands(12, 1) AS before;
SELECT candidate_id FROM add_candidate(12, 1);
SELECT t.on_enter FROM stage_transition t WHERE t.candidate_id = 12 AND t.job_id = 1 AND t.to_stage_id = :phone;
COMMIT;

\echo '== 11. on_enter is NULL or a JSON object of at most 64 KB'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT test_error(format('UPDATE workflow_stage SET on_enter = %L WHERE id = %s', '["email"]', :offer));
SELECT test_error(format('UPDATE workflow_stage SET on_enter = %L WHERE id = %s', '"email"', :offer));
SELECT test_error(format('INSERT INTO workflow_stage (workflow_id, name, position, on_enter) VALUES (%s, %L, 7, %L)',
                         :wf, 'Later', jsonb_build_object('body', repeat('x', 70000))));
SELECT test_error(format('UPDATE workflow_stage SET on_enter = %L WHERE id = %s', 'null', :offer));
UPDATE workflow_stage SET on_enter = NULL WHERE id = :offer;
SELECT on_enter IS NULL AS cleared FROM workflow_stage WHERE id = :offer;
-- clone_workflow copies both settings
SELECT clone_workflow(:wf, 'Engineering copy') AS copy \gset
SELECT name, auto_advance, on_enter FROM workflow_stage WHERE workflow_id = :copy ORDER BY position LIMIT 3;
ROLLBACK;

\echo '== 12. A chain never loops: an application trigger bouncing the candidate back stops it'
RESET ROLE;
CREATE FUNCTION pg_temp.bounce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE public.candidate_stage SET stage_id = OLD.stage_id
     WHERE job_id = NEW.job_id AND candidate_id = NEW.candidate_id AND tenant = NEW.tenant;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bounce AFTER UPDATE OF stage_id ON candidate_stage FOR EACH ROW
    WHEN (NEW.candidate_id = 14 AND NEW.stage_id = :screen) EXECUTE FUNCTION pg_temp.bounce();
SET ROLE wf_auto_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:max';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (14, '{"years": 1}');
SELECT candidate_id FROM add_candidate(14, 1);
UPDATE candidate_profile SET attributes = '{"years": 3}' WHERE candidate_id = 14;
-- the chain runs Applied -> Screen -> Phone; the trigger on entering Screen bounces it back to
-- Applied, whose stage would enter Screen again: not twice in one chain, it stays
SELECT * FROM pg_temp.moves(14, 1);
SELECT pg_temp.stands(14, 1) AS bounced;
COMMIT;
RESET ROLE;
DROP TRIGGER zz_bounce ON candidate_stage;
SET ROLE wf_auto_app;

\echo '== 13. Another tenant sees none of it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:other';
SET LOCAL workflow_ext.actor = 'user:zed';
SELECT count(*) AS other_sees_events FROM workflow_events_since(NULL, 100000);
SELECT count(*) AS other_sees_history FROM stage_transition;
SELECT count(*) AS other_sees_stages FROM workflow_stage;
-- the same ids in another tenant: its facts move nothing of org:auto's
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (11, '{"years": 99}');
INSERT INTO job_profile (job_id, attributes) VALUES (1, '{"phone_screens": true}');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:auto';
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT count(*) AS auto_history_unchanged FROM stage_transition WHERE actor = 'user:zed';
COMMIT;

RESET ROLE;
