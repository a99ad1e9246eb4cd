-- Entry events written without ON CONFLICT (a statement's own new visits) only while no arbiter
-- of alert_event could decide anything: an owner's BEFORE INSERT trigger rewriting the events, a
-- partial unique index under a nondeterministic collation, a coarser operator class on a key
-- column, a rule on alert_event.  Each case: job 9001 row by row (history_batch_size = 1)
-- against job 9002 (or 9004) in bulk, the same outcome.  The review of bulk21e
-- (test/repros/bulk21e/01, 02, 04, 08), then entry events a change of facts raised first (the
-- review of bulk21f: test/repros/bulk21f/01, 02, 05); all in one transaction rolled back, each case in a
-- savepoint of its own over the same fixture.  Section 1 first: single moves while the
-- backend's kept verdict (src/pg/event_arbiters.c) must follow the owner's DDL.
BEGIN;
-- the owner's unique indexes below are made over this section's events only (the earlier
-- tests' events, repeats across visits, would violate them): the rest is deleted, and comes back
-- with the ROLLBACK at the end
DELETE FROM alert_event;
-- Fixture for the bulk21e repros: run after test/sql/setup.sql (extension + helpers), as the superuser.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS att_app;
RESET client_min_messages;
\ir include/app_grants.psql
CREATE ROLE att_app;
GRANT workflow_app TO att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_workflow('Att', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
-- stage 2: two alerts that fire on entry for everyone
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:s2, 'score', 'gte', '0', 'scored', 'candidate'),
  (:s2, 'score', 'gte', '0', 'scored too', 'candidate');
SELECT count(*) FROM generate_series(9001, 9004) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 10) g
  ON CONFLICT DO NOTHING;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(9001, 9004) j, generate_series(1, 10) g;
-- summary of one job's events
CREATE FUNCTION att_summary(jid bigint) RETURNS TABLE (transitions bigint, events bigint, causes text) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM stage_transition WHERE job_id = jid), (SELECT count(*) FROM alert_event WHERE job_id = jid),
       (SELECT string_agg(cause || ':' || n, ',' ORDER BY cause) FROM (SELECT cause, count(*) n FROM alert_event WHERE job_id = jid GROUP BY cause) c) $$;
-- att_pair(template): runs format(template, 9001) row by row (history_batch_size = 1) and
-- format(template, 9002) bulk, as the caller; returns both outcomes.
CREATE FUNCTION att_pair(template text, OUT row_by_row text, OUT bulk text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('workflow_ext.history_batch_size', '1', true);
  row_by_row := test_error(replace(template, '$J', '9001'));
  PERFORM set_config('workflow_ext.history_batch_size', '1000', true);
  bulk := test_error(replace(template, '$J', '9002'));
END $$;
-- a job's events, ids as ranks per candidate (to compare 9001 with 9002)
CREATE FUNCTION att_events(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, message text, cause text,
    stage_pos int, transition_rank bigint, reason text) LANGUAGE sql AS $$
WITH t AS (SELECT t.id, t.reason, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id) AS rank FROM public.stage_transition t WHERE t.job_id = jid)
SELECT e.candidate_id, rank() OVER (PARTITION BY e.candidate_id ORDER BY e.id), e.message, e.cause,
       (SELECT position FROM public.workflow_stage s WHERE s.id = e.stage_id), t.rank, t.reason
  FROM public.alert_event e LEFT JOIN t ON t.id = e.transition_id WHERE e.job_id = jid $$;
CREATE FUNCTION att_history(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, from_pos int, to_pos int,
    reason text, alerts_raised int) LANGUAGE sql AS $$
SELECT t.candidate_id, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id),
       (SELECT position FROM public.workflow_stage s WHERE s.id = t.from_stage_id), (SELECT position FROM public.workflow_stage s WHERE s.id = t.to_stage_id),
       t.reason, t.alerts_raised FROM public.stage_transition t WHERE t.job_id = jid $$;
CREATE FUNCTION att_diff(OUT events_diff bigint, OUT history_diff bigint, OUT events_9001 bigint, OUT events_9002 bigint) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM ((SELECT * FROM att_events(9001) EXCEPT ALL SELECT * FROM att_events(9002))
          UNION ALL (SELECT * FROM att_events(9002) EXCEPT ALL SELECT * FROM att_events(9001))) d),
       (SELECT count(*) FROM ((SELECT * FROM att_history(9001) EXCEPT ALL SELECT * FROM att_history(9002))
          UNION ALL (SELECT * FROM att_history(9002) EXCEPT ALL SELECT * FROM att_history(9001))) d),
       (SELECT count(*) FROM alert_event WHERE job_id = 9001), (SELECT count(*) FROM alert_event WHERE job_id = 9002) $$;
\echo '== 1. the verdict kept per backend follows the catalogs: single moves before, during and after an owner''s trigger'
-- (first in the file: this backend has kept no verdict yet.  The plain INSERT's verdict is
-- read once and kept until alert_event's relcache entry or a function changes: a stale one
-- would write the collapsed events without ON CONFLICT, 23505)
SAVEPOINT case_8;
RESET ROLE;
CREATE FUNCTION att_collapse8() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cause = 'entry' AND NEW.job_id = 9001 THEN
    NEW.alert_id := (SELECT min(id) FROM public.alert WHERE stage_id = NEW.stage_id);
  END IF;
  RETURN NEW;
END $$;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(1, 9001, %s)', :s2)) AS no_trigger_yet;
RESET ROLE;
CREATE TRIGGER att_collapse8 BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION att_collapse8();
SET ROLE att_app;
SELECT test_error(format('SELECT move_to_stage(2, 9001, %s)', :s2)) AS trigger_created;
RESET ROLE;
DROP TRIGGER att_collapse8 ON alert_event;
SET ROLE att_app;
SELECT test_error(format('SELECT move_to_stage(3, 9001, %s)', :s2)) AS trigger_dropped;
RESET ROLE;
SAVEPOINT trigger_rolled_back;
CREATE TRIGGER att_collapse8 BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION att_collapse8();
SET ROLE att_app;
SELECT test_error(format('SELECT move_to_stage(4, 9001, %s)', :s2)) AS trigger_in_savepoint;
RESET ROLE;
ROLLBACK TO SAVEPOINT trigger_rolled_back;
SET ROLE att_app;
SELECT test_error(format('SELECT move_to_stage(5, 9001, %s)', :s2)) AS savepoint_rolled_back;
RESET ROLE;
-- a function of the owner's made a member of the extension is still the owner's code (only the
-- extension's C functions count as its own): ON CONFLICT kept
CREATE TRIGGER att_collapse8 BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION att_collapse8();
ALTER EXTENSION workflow_ext ADD FUNCTION att_collapse8();
SET ROLE att_app;
SELECT test_error(format('SELECT move_to_stage(6, 9001, %s)', :s2)) AS member_of_the_extension;
RESET ROLE;
ALTER EXTENSION workflow_ext DROP FUNCTION att_collapse8();
SELECT candidate_id, count(*) AS events, count(DISTINCT alert_id) AS alerts
  FROM alert_event WHERE job_id = 9001 AND cause = 'entry' GROUP BY 1 ORDER BY 1;
ROLLBACK TO SAVEPOINT case_8;
\echo '== 2. an owner''s BEFORE INSERT trigger on alert_event rewriting alert_id or cause: the repeat skipped in bulk as row by row'
SAVEPOINT case_1;
RESET ROLE;
CREATE FUNCTION att_collapse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cause = 'entry' AND NEW.job_id IN (9001, 9002) THEN
    -- the owner's policy: one entry event per visit, under the stage's first alert
    NEW.alert_id := (SELECT min(id) FROM public.alert WHERE stage_id = NEW.stage_id);
  END IF;
  IF NEW.cause = 'entry' AND NEW.job_id IN (9003, 9004) THEN
    NEW.cause := 'sla';   -- the owner re-labels entry events (sla_once: one per visit)
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER att_collapse BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION att_collapse();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
\echo '-- row by row: job 9001 (alert_id collapsed), 9003 (cause relabelled)'
SET workflow_ext.history_batch_size = 1;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9003', :s2)) AS row_by_row_9003;
RESET workflow_ext.history_batch_size;
\echo '-- bulk: job 9002, 9004 (same data)'
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9004', :s2)) AS bulk_9004;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9004) j, att_summary(j) s;
DROP TRIGGER att_collapse ON alert_event;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_1;
\echo '== 3. an owner''s partial unique index WHERE cause = ''ENTRY'' under a case-insensitive collation: kept as an arbiter'
SAVEPOINT case_2;
RESET ROLE;
CREATE COLLATION att_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE UNIQUE INDEX att_entry_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id)
  WHERE cause = 'ENTRY' COLLATE att_ci;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_back;
RESET workflow_ext.history_batch_size;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
DROP INDEX att_entry_once_ever;
CREATE UNIQUE INDEX att_entry_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE cause = 'entry';
SET ROLE att_app;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back_control;
RESET ROLE;
DROP INDEX att_entry_once_ever;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_2;
\echo '== 4. an owner''s unique index with a coarser operator class on transition_id: kept as an arbiter'
SAVEPOINT case_3;
RESET ROLE;
CREATE FUNCTION att_blk_cmp(a bigint, b bigint) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT sign(a / 1000000 - b / 1000000)::int $$;
CREATE FUNCTION att_blk_lt(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) < 0 $$;
CREATE FUNCTION att_blk_le(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) <= 0 $$;
CREATE FUNCTION att_blk_eq(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) = 0 $$;
CREATE FUNCTION att_blk_ge(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) >= 0 $$;
CREATE FUNCTION att_blk_gt(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) > 0 $$;
CREATE OPERATOR <<< (FUNCTION = att_blk_lt, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR <<<= (FUNCTION = att_blk_le, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR === (FUNCTION = att_blk_eq, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR >>>= (FUNCTION = att_blk_ge, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR >>> (FUNCTION = att_blk_gt, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR CLASS att_blk_ops FOR TYPE bigint USING btree AS
  OPERATOR 1 <<<, OPERATOR 2 <<<=, OPERATOR 3 ===, OPERATOR 4 >>>=, OPERATOR 5 >>>,
  FUNCTION 1 att_blk_cmp(bigint, bigint);
CREATE UNIQUE INDEX att_once_per_block ON alert_event (tenant, job_id, candidate_id, transition_id att_blk_ops, alert_id)
  WHERE job_id IN (9001, 9002);
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_back;
RESET workflow_ext.history_batch_size;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
DROP INDEX att_once_per_block;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_3;
\echo '== 5. an owner''s rule on alert_event: bulk refused as row by row (ON CONFLICT with rules, 0A000)'
SAVEPOINT case_4;
RESET ROLE;
CREATE TABLE att_audit (alert_id bigint, job_id bigint);
GRANT INSERT ON att_audit TO PUBLIC;
CREATE RULE att_audit AS ON INSERT TO alert_event DO ALSO INSERT INTO att_audit VALUES (NEW.alert_id, NEW.job_id);
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
SELECT job_id, count(*) AS audited FROM att_audit GROUP BY 1 ORDER BY 1;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_4;
\echo '== 6. an owner''s AFTER INSERT trigger on stage_transition changing the moved candidate''s facts: the entry events are repeats, skipped'
SAVEPOINT case_5;
RESET ROLE;
CREATE FUNCTION att_touch_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.job_id IN (9001, 9002, 9003) AND NEW.from_stage_id IS NOT NULL THEN
    UPDATE public.candidate_profile SET attributes = attributes || jsonb_build_object('moved_at', NEW.id)
     WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER att_touch_facts AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION att_touch_facts();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(1, 9003, %s)', :s2)) AS move_function;
SELECT * FROM att_pair(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1', :s2));
RESET ROLE;
SELECT job_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002, 9003) GROUP BY 1, 2 ORDER BY 1, 2;
SELECT job_id, count(*) AS moves FROM stage_transition WHERE job_id IN (9001, 9002, 9003) AND from_stage_id IS NOT NULL GROUP BY 1 ORDER BY 1;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_5;
\echo '== 7. the application alone: a writable CTE moving a candidate and changing its facts, the facts first: skipped, no 23505'
SAVEPOINT case_6;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT * FROM att_pair(format($q$WITH m AS (UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1 RETURNING candidate_id)
  UPDATE candidate_profile SET attributes = attributes || '{"touched": 1}' WHERE candidate_id = 1$q$, :s2));
SELECT * FROM att_pair(format($q$WITH m AS (UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 2 RETURNING candidate_id)
  UPDATE candidate_profile p SET attributes = attributes || '{"touched": 1}' FROM m WHERE p.candidate_id = m.candidate_id$q$, :s2));
RESET ROLE;
SELECT job_id, candidate_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_6;
\echo '== 8. an owner''s AFTER UPDATE trigger on candidate_stage firing before the record trigger, changing facts: skipped'
SAVEPOINT case_7;
RESET ROLE;
CREATE FUNCTION att_touch_facts2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.job_id IN (9001, 9002, 9003) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
    UPDATE public.candidate_profile SET attributes = attributes || '{"moved": true}'
     WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER a_att_touch_facts AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION att_touch_facts2();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(1, 9003, %s)', :s2)) AS move_function;
SELECT * FROM att_pair(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1', :s2));
RESET ROLE;
SELECT job_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002, 9003) GROUP BY 1, 2 ORDER BY 1, 2;
RESET ROLE;
ROLLBACK TO SAVEPOINT case_7;
\echo '== 9. an owner''s BEFORE INSERT statement trigger on alert_event changing the moved candidate''s facts: ON CONFLICT kept, no 23505'
-- (it fires after the choice of the plain INSERT and before its rows: the facts change raises the
-- new visit's alerts first; attack6 D3, test/repros/attack6/04)
SAVEPOINT case_9;
RESET ROLE;
CREATE FUNCTION att_sync_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('att.busy', true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('att.busy', 'on', true);
    UPDATE public.candidate_profile SET attributes = attributes || '{"synced": true}' WHERE candidate_id IN (7, 8);
    PERFORM set_config('att.busy', 'off', true);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER att_sync_facts BEFORE INSERT ON alert_event FOR EACH STATEMENT EXECUTE FUNCTION att_sync_facts();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(7, 9001, %s)', :s2)) AS single_move;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002 AND candidate_id = 8', :s2)) AS bulk;
RESET ROLE;
SELECT job_id, candidate_id, cause, count(*) FROM alert_event WHERE candidate_id IN (7, 8) AND job_id IN (9001, 9002)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
ROLLBACK TO SAVEPOINT case_9;
ROLLBACK;
