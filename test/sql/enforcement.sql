-- Issue "enforcement you can trust": a stage's rule holds on every path that
-- moves a candidate, and history and alerts say exactly what happened.  Each
-- write path as ORMs and tools send it, moves inside moves, events and facts
-- that never break a move.  Stands alone: loads what it needs.
\set own_db wf_enforcement
\i test/sql/include/own_database.psql
-- One organization; its members act as themselves (the trigger below acts as
-- user:trigger in the same tenant).
SET workflow_ext.tenant = 'org:enf';
SET workflow_ext.actor = 'user:enf';

-- A workflow e1 .. e4 (e4 hired); e2 blocks without "ok"; e3 warns.
INSERT INTO workflow (name) VALUES ('Enforcement') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
    (:wid, 'e1', 1, 'normal'), (:wid, 'e2', 2, 'normal'), (:wid, 'e3', 3, 'normal'), (:wid, 'e4', 4, 'hired');
SELECT id AS e1 FROM workflow_stage WHERE workflow_id = :wid AND position = 1 \gset
SELECT id AS e2 FROM workflow_stage WHERE workflow_id = :wid AND position = 2 \gset
SELECT id AS e3 FROM workflow_stage WHERE workflow_id = :wid AND position = 3 \gset
SELECT id AS e4 FROM workflow_stage WHERE workflow_id = :wid AND position = 4 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:e2, 'needs ok', '{"field": "ok", "op": "eq", "value": true}');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:e4, 'offer ok', '{"field": "ok", "op": "eq", "value": true}');
SELECT job_id FROM assign_workflow(9100, :wid);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (1, '{"ok": true}'), (2, '{"ok": true}'), (3, '{"ok": true}'), (4, '{"ok": false}');

\echo '== INSERT ... ON CONFLICT DO NOTHING for a candidate already in the job is a no-op'
SELECT candidate_id FROM add_candidate(4, 9100);
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:e1, 'entry needs ok', '{"field": "ok", "op": "eq", "value": true}');
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9100, 4) ON CONFLICT (tenant, job_id, candidate_id) DO NOTHING;
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9100, 4) ON CONFLICT DO NOTHING;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9100, 4)');
-- ... and a new candidate is still checked.
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"ok": false}');
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9100, 5) ON CONFLICT DO NOTHING');
-- ON CONFLICT DO UPDATE of an existing row is a move, checked like any other,
-- also when it moves to the stage the insert named (EXCLUDED.stage_id).
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9100, 4) ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = %s', :e2));
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (9100, 4, %s) ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = EXCLUDED.stage_id', :e2));
UPDATE candidate_profile SET attributes = '{"ok": true}' WHERE candidate_id = 4;
INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (9100, 4, :e2)
    ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = EXCLUDED.stage_id;
SELECT stage_id = :e2 AS upsert_moved, (SELECT count(*) FROM stage_transition t WHERE t.candidate_id = 4 AND t.to_stage_id = :e2) AS recorded
  FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 4;
SELECT to_stage_name FROM move_to_stage(4, 9100, :e1);
UPDATE candidate_profile SET attributes = '{"ok": false}' WHERE candidate_id = 4;
DELETE FROM stage_rule WHERE stage_id = :e1;

\echo '== A stale full-row save is refused (transition_id is the optimistic lock)'
SELECT candidate_id FROM add_candidate(1, 9100);
CREATE TEMP TABLE orm_read AS SELECT * FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
SELECT status FROM reject_candidate(1, 9100, 'meanwhile');
-- The ORM writes back every column it read: the rejection must not be undone.
SELECT test_error($$UPDATE candidate_stage c SET stage_id = r.stage_id, status = r.status, entered_at = r.entered_at,
                    transition_id = r.transition_id, visit_transition_id = r.visit_transition_id
                    FROM orm_read r WHERE c.id = r.id$$);
SELECT status FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
SELECT status FROM reopen_candidate(1, 9100);
-- Same after a move made meanwhile: the stale save does not move the candidate back.
DELETE FROM orm_read;
INSERT INTO orm_read SELECT * FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
SELECT to_stage_id = :e2 AS moved FROM move_to_next_stage(1, 9100);
SELECT test_error($$UPDATE candidate_stage c SET stage_id = r.stage_id, status = r.status,
                    transition_id = r.transition_id FROM orm_read r WHERE c.id = r.id$$);
SELECT stage_id = :e2 AS still_in_e2 FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
-- A fresh full-row save (same transition_id) is an ordinary update; a made-up one is refused.
UPDATE candidate_stage c SET status = c.status, transition_id = c.transition_id WHERE job_id = 9100 AND candidate_id = 1;
SELECT test_error('UPDATE candidate_stage SET transition_id = transition_id + 1000 WHERE job_id = 9100 AND candidate_id = 1');
SELECT test_error('UPDATE candidate_stage SET visit_transition_id = NULL WHERE job_id = 9100 AND candidate_id = 1');
-- An UPDATE that leaves transition_id out behaves as before: a checked move.
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9100 AND candidate_id = 4', :e2));

\echo '== The restore path is closed to applications'
CREATE TEMP TABLE kept AS SELECT * FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
DELETE FROM candidate_stage WHERE job_id = 9100 AND candidate_id = 1;
-- Re-inserting it at the hired stage with its old transition: refused, also for a superuser's INSERT.
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id, workflow_id, stage_id, status, transition_id, visit_transition_id) SELECT job_id, candidate_id, workflow_id, %s, ''hired'', transition_id, visit_transition_id FROM kept', :e4));
SELECT test_error('INSERT INTO candidate_stage SELECT * FROM kept');
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_enf_app;
RESET client_min_messages;
CREATE ROLE wf_enf_app;
GRANT workflow_app TO wf_enf_app;
SET ROLE wf_enf_app;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id, transition_id) SELECT job_id, candidate_id, transition_id FROM pg_temp.kept');
RESET ROLE;
SELECT count(*) AS history_rows_to_e4 FROM stage_transition WHERE candidate_id = 1 AND to_stage_id = :e4;

\echo '== A rule saved with a client-side created_at (Django auto_now_add) still gets its alerts'
INSERT INTO stage_rule (stage_id, name, condition, on_fail, created_at)
VALUES (:e3, 'warns', '{"any": [{"field": "city", "op": "eq", "value": "Berlin"}, {"field": "relocate", "op": "eq", "value": true}]}',
        'warn', now() - interval '1 day');
SELECT rule_path, field_name, fires_on FROM alert WHERE stage_id = :e3 ORDER BY rule_path;

\echo '== Rule alerts speak for the rule: only when it fails as a whole, one per failed leaf'
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (10, '{"ok": true, "city": "Berlin", "relocate": false}'),
    (11, '{"ok": true, "city": "Paris", "relocate": false}');
SELECT candidate_id FROM add_candidate(10, 9100);
SELECT candidate_id FROM add_candidate(11, 9100);
SELECT alerts_raised, jsonb_array_length(warnings) AS warnings FROM move_to_stage(10, 9100, :e3);
SELECT alerts_raised, jsonb_array_length(warnings) AS warnings FROM move_to_stage(11, 9100, :e3);
SELECT e.candidate_id, a.rule_path, e.cause FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.job_id = 9100 AND e.candidate_id IN (10, 11) ORDER BY 1, 2;
-- On facts change alike: Berlin moves to Paris, the rule now fails for 10 too.
UPDATE candidate_profile SET attributes = attributes || '{"city": "Paris"}' WHERE candidate_id = 10;
SELECT e.candidate_id, a.rule_path, e.cause FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.job_id = 9100 AND e.candidate_id = 10 ORDER BY 1, 2;

\echo '== Once per visit, really: reject and reopen do not start a new visit'
SELECT status FROM reject_candidate(11, 9100, 'r');
SELECT status FROM reopen_candidate(11, 9100);
UPDATE candidate_profile SET attributes = attributes || '{"note": "x"}' WHERE candidate_id = 11;
SELECT count(*) AS events_for_11 FROM alert_event WHERE candidate_id = 11;
SELECT transition_id <> visit_transition_id AS status_changes_kept_the_visit FROM candidate_stage WHERE candidate_id = 11;

\echo '== Sentinel ids: 0 and negative ids are ids'
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (0, '{"ok": false}'), (-7, '{"ok": true}');
SELECT candidate_id, stage_id = :e1 AS first_stage FROM add_candidate(0, 9100);
SELECT test_error('SELECT move_to_next_stage(0, 9100)');
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id, workflow_id, stage_id) VALUES (9100, 12, %s, %s)', :wid, :e2));
SELECT candidate_id FROM add_candidate(-7, 9100);
SELECT to_stage_id = :e2 AS moved FROM move_to_next_stage(-7, 9100);
SELECT from_stage_id IS NULL AS entered, to_stage_id FROM stage_transition WHERE candidate_id = 0;
SELECT assign_workflow(0, :wid) IS NOT NULL AS job_zero;
SELECT candidate_id, job_id FROM add_candidate(-1, 0);

\echo '== Moves inside moves: each transition keeps its own actor, reason and result'
SELECT candidate_id FROM add_candidate(2, 9100);
SELECT candidate_id FROM add_candidate(3, 9100);
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:e3, 'ok', 'eq', 'true', 'in e3');
-- An application trigger on alert_event (installed by the DBA) moves others.
-- It fires inside the move, under the move function's pinned search_path
-- (pg_catalog, pg_temp), so it names the extension's schema (README: Moves).
CREATE FUNCTION app_on_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id = 1 AND NEW.message = 'in e3' THEN
        SET LOCAL workflow_ext.actor = 'user:trigger';
        PERFORM public.reject_candidate(2, 9100, 'B');
        PERFORM public.move_to_stage(3, 9100, (SELECT id FROM public.workflow_stage
                                                 WHERE workflow_id = NEW.workflow_id AND position = 2), 'C');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER app_on_alert AFTER INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION app_on_alert();
INSERT INTO candidate_stage (job_id, candidate_id) SELECT job_id, candidate_id FROM kept;
SELECT alerts_raised, to_stage_id = :e3 AS to_e3 FROM move_to_stage(1, 9100, :e3, 'A');
SELECT candidate_id, reason, actor, to_status FROM stage_transition
 WHERE job_id = 9100 AND candidate_id IN (1, 2, 3) AND reason IS NOT NULL ORDER BY id;
DROP TRIGGER app_on_alert ON alert_event;
-- A plain UPDATE takes its reason from workflow_ext.reason.
SET workflow_ext.reason = 'bulk screen';
UPDATE candidate_stage SET status = 'withdrawn' WHERE job_id = 9100 AND candidate_id = 3;
RESET workflow_ext.reason;
SELECT reason FROM stage_transition WHERE candidate_id = 3 ORDER BY id DESC LIMIT 1;

\echo '== Events cannot break a move: 2,000 firing alerts, a bounded payload'
INSERT INTO workflow (name) VALUES ('Noisy') RETURNING id AS nwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:nwid, 'n1', 1) RETURNING id AS n1 \gset
INSERT INTO alert (stage_id, field_name, operator, message) SELECT :n1, 'ok', 'exists', 'alert ' || g FROM generate_series(1, 2000) g;
SELECT job_id FROM assign_workflow(9200, :nwid);
SELECT candidate_id FROM add_candidate(1, 9200);
SELECT count(*) AS noisy_events FROM alert_event WHERE job_id = 9200;
SELECT alerts_raised FROM stage_transition WHERE job_id = 9200;

\echo '== Deleting a stage that only history mentions is refused; history stays readable'
SELECT to_stage_id = :e3 AS moved FROM move_to_stage(-7, 9100, :e3);
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', :e2));

\echo '== Alert events keep their transition and stage without foreign keys of their own'
-- The C code writes every alert_event with the visit's transition and its
-- to_stage_id: the stage is kept by stage_transition's keys, the transition
-- by the trigger stage_transition_keeps_alert_events (23503 as before).
INSERT INTO workflow (name) VALUES ('Kept') RETURNING id AS kwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:kwid, 'k1', 1), (:kwid, 'k2', 2), (:kwid, 'k3', 3);
SELECT id AS k2 FROM workflow_stage WHERE workflow_id = :kwid AND position = 2 \gset
INSERT INTO alert (stage_id, field_name, operator, message) VALUES (:k2, 'ok', 'exists', 'k2 a'), (:k2, 'ok', 'exists', 'k2 b');
SELECT job_id FROM assign_workflow(9400, :kwid);
SELECT candidate_id FROM add_candidate(1, 9400);
SELECT alerts_raised FROM move_to_next_stage(1, 9400);
SELECT to_stage_name FROM move_to_next_stage(1, 9400);
SELECT count(*) AS k2_events, count(DISTINCT e.transition_id) AS visits,
       bool_and(t.to_stage_id = e.stage_id AND t.to_stage_id = :k2) AS stage_is_the_visits
  FROM alert_event e JOIN stage_transition t ON t.id = e.transition_id WHERE e.job_id = 9400;
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', :k2));
SELECT transition_id AS k2_visit FROM alert_event WHERE job_id = 9400 LIMIT 1 \gset
SELECT test_error(format('DELETE FROM stage_transition WHERE id = %s', :k2_visit));
SELECT test_error(format('UPDATE stage_transition SET id = -id WHERE id = %s', :k2_visit));
-- A status change is no new visit; the move back is, and raises again.
SELECT to_stage_name, alerts_raised FROM move_to_stage(1, 9400, :k2);
SELECT count(*) AS k2_events, count(DISTINCT transition_id) AS visits FROM alert_event WHERE job_id = 9400;
-- All events of a move are one INSERT; the guard admits each announced row
-- once, in order, and nothing else: a trigger (of a role granted TRIGGER on
-- alert_event) adding a row beside them, with the next announced id or with
-- the one being written, makes the move fail and leaves no row.
CREATE FUNCTION forge_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.alert_event (id, tenant, job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message)
    VALUES (NEW.id + TG_ARGV[0]::int, NEW.tenant, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id, NEW.transition_id,
            'sla', 'warning', 'forged');
    RETURN NEW;
END $$;
SELECT id AS k3 FROM workflow_stage WHERE workflow_id = :kwid AND position = 3 \gset
SELECT to_stage_name FROM move_to_stage(1, 9400, :k3);
CREATE TRIGGER a_forge BEFORE INSERT ON alert_event FOR EACH ROW WHEN (NEW.message <> 'forged')
    EXECUTE FUNCTION forge_event('1');
SELECT test_error(format('SELECT move_to_stage(1, 9400, %s)', :k2));
DROP TRIGGER a_forge ON alert_event;
CREATE TRIGGER a_forge BEFORE INSERT ON alert_event FOR EACH ROW WHEN (NEW.message <> 'forged')
    EXECUTE FUNCTION forge_event('0');
SELECT test_error(format('SELECT move_to_stage(1, 9400, %s)', :k2));
DROP TRIGGER a_forge ON alert_event;
DROP FUNCTION forge_event();
SELECT count(*) AS forged FROM alert_event WHERE message = 'forged';
SELECT to_stage_name, alerts_raised FROM move_to_stage(1, 9400, :k2);

\echo '== Bulk UPDATE: what a row''s checks allocate goes with the row'
INSERT INTO workflow (name) VALUES ('Bulk') RETURNING id AS bwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:bwid, 'b1', 1), (:bwid, 'b2', 2);
SELECT id AS b2 FROM workflow_stage WHERE workflow_id = :bwid AND position = 2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:b2, 'bulk warn',
    '{"all": [{"field": "pad", "op": "eq", "value": "no"}, {"field": "n", "op": "lt", "value": 0}]}', 'warn');
SELECT job_id FROM assign_workflow(9300, :bwid);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT 100000 + g, jsonb_build_object('n', g, 'pad', repeat('x', 2000)) FROM generate_series(1, 5000) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 9300, 100000 + g FROM generate_series(1, 5000) g;
BEGIN;
UPDATE candidate_stage SET stage_id = :b2 WHERE job_id = 9300;
-- TopTransactionContext and its children: the after-trigger queue only, not the facts.
SELECT sum(total_bytes) < 4 * 1024 * 1024 AS bounded
  FROM pg_backend_memory_contexts WHERE name = 'TopTransactionContext' OR parent = 'TopTransactionContext';
COMMIT;
SELECT count(*) AS moved, count(*) FILTER (WHERE jsonb_array_length(t.warnings) = 2) AS warned
  FROM stage_transition t WHERE t.job_id = 9300 AND t.to_stage_id = :b2;

\echo '== Deleting a rule or an alert whose events fired keeps the events (alert_id cleared)'
SELECT count(*) > 0 AS events_of_noisy FROM alert_event WHERE job_id = 9200 AND alert_id IS NOT NULL;
DELETE FROM alert WHERE stage_id = :n1;
SELECT count(*) AS kept, count(alert_id) AS with_alert_id FROM alert_event WHERE job_id = 9200;
DELETE FROM stage_rule WHERE stage_id = :e3;
SELECT count(*) FILTER (WHERE alert_id IS NULL) > 0 AS rule_events_kept FROM alert_event WHERE job_id = 9100;

\echo '== Facts that are valid but unusual never refuse a facts write'
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (20, '{"ok": true}');
SELECT candidate_id FROM add_candidate(20, 9100);
SELECT to_stage_name FROM move_to_stage(20, 9100, :e3);
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:e3, 'salary', 'gt', '100000', 'high salary');
UPDATE candidate_profile SET attributes = '{"ok": true, "salary": 1e400}' WHERE candidate_id = 20;
UPDATE candidate_profile SET attributes = '{"ok": true, "salary": 1e-400}' WHERE candidate_id = 20;
SELECT attributes ->> 'salary' IS NOT NULL AS kept FROM candidate_profile WHERE candidate_id = 20;
SELECT message, cause FROM alert_event WHERE candidate_id = 20 AND message = 'high salary';

\echo '== Recovery: a dropped facts table is 42P01 everywhere, and the repair works'
CREATE TABLE enf_facts (id bigint PRIMARY KEY, ok boolean);
INSERT INTO enf_facts VALUES (2, true);
SELECT set_candidate_source('enf_facts', 'id');
SELECT candidate_facts(2) ->> 'ok' AS from_table;
DROP TABLE enf_facts;
SELECT test_error('SELECT candidate_facts(2)');
SELECT test_error('SELECT reopen_candidate(2, 9100)') ~ '^(no error|55000)' AS status_change_needs_no_facts;
SELECT test_error(format('SELECT move_to_stage(2, 9100, %s)', :e2));
CREATE TABLE enf_facts2 (cid integer, ok boolean);
INSERT INTO enf_facts2 VALUES (2, true);
SELECT set_candidate_source('enf_facts2', 'cid');
SELECT candidate_facts(2) ->> 'ok' AS repaired;
DROP TABLE enf_facts2;
DELETE FROM facts_source;
SELECT candidate_facts(2) ->> 'ok' AS back_to_profile;

\echo '== Every alert event of this file names a transition of its candidate that entered its stage'
SELECT count(*) > 0 AS has_events, count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM stage_transition t
            WHERE t.id = e.transition_id AND t.to_stage_id = e.stage_id AND t.candidate_id = e.candidate_id
              AND t.job_id = e.job_id AND t.workflow_id = e.workflow_id)) AS orphans
  FROM alert_event e;

\c :home
DROP DATABASE :own_db;
DROP ROLE wf_enf_app;
