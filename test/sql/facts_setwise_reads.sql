-- The set-wise reads of a statement's changes of facts (issue 21,
-- facts_changed_trigger.c): a run of changes of one tenant's candidates is
-- read by one scan over the run's candidates (visits_keyed), a run of
-- several tenants by one LATERAL probe per change (visits_set); the events
-- already raised in a visit are read after the evaluation, only for the
-- visits where an alert fires (repeats), as the row-at-a-time path reads
-- them only for those (the events' INSERT).  Each set-wise statement is
-- compared with the same statement on other candidates with
-- workflow_ext.history_batch_size = 1 (each change evaluated at once in its
-- row trigger): the same events, in the same order, with the same ids taken
-- (repeats too).  Runs as wf_fsr_app, an ordinary role: row-level security
-- applies.  In a database of its own: an auto_advance stage anywhere in the
-- schema turns the set-wise path off, and earlier test files leave some in
-- the suite's database (there, this file passed with the code before it).
\set own_db wf_facts_setwise_reads
\i test/sql/include/own_database.psql
CREATE FUNCTION test_workflow(name text, n integer, last_hired boolean DEFAULT true)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    wid bigint;
BEGIN
    INSERT INTO workflow (name) VALUES (name) RETURNING id INTO wid;
    INSERT INTO workflow_stage (workflow_id, name, position, kind)
    SELECT wid, 's' || i, i, CASE WHEN last_hired AND i = n THEN 'hired' ELSE 'normal' END
      FROM generate_series(1, n) i;
    RETURN wid;
END $$;
GRANT EXECUTE ON FUNCTION test_workflow(text, integer, boolean) TO PUBLIC;
CREATE FUNCTION test_stage(wid bigint, k integer) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM workflow_stage WHERE workflow_id = wid AND position = k $$;
GRANT EXECUTE ON FUNCTION test_stage(bigint, integer) TO PUBLIC;
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_fsr_app;
RESET client_min_messages;
CREATE ROLE wf_fsr_app;
GRANT workflow_app TO wf_fsr_app;
SET ROLE wf_fsr_app;
SET workflow_ext.tenant = 'org:fsr';
SET workflow_ext.actor = 'user:fay';

\echo '== 1. Fixture: stage 2 with two alerts; candidates 1-40 in jobs 600 and 601, 101-140 in 602 and 603'
SELECT test_workflow('Set-wise reads', 3, false) AS wf \gset
SELECT test_stage(:wf, 1) AS one \gset
SELECT test_stage(:wf, 2) AS two \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (:two, 'flag', 'eq', 'true', 'flagged'), (:two, 'late', 'eq', 'true', 'late');
SELECT count(*) AS jobs FROM generate_series(600, 603) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('flag', g % 100 % 3 = 0, 'late', false)
  FROM generate_series(1, 40) g UNION ALL
SELECT g, jsonb_build_object('flag', g % 100 % 3 = 0, 'late', false)
  FROM generate_series(101, 140) g;
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(600, 601) j, generate_series(1, 40) g UNION ALL
SELECT j, g FROM generate_series(602, 603) j, generate_series(101, 140) g;
UPDATE candidate_stage SET stage_id = :two WHERE job_id BETWEEN 600 AND 603;
SELECT job_id, count(*) AS entry_events FROM alert_event WHERE job_id BETWEEN 600 AND 603 GROUP BY 1 ORDER BY 1;
-- Each statement's events as (candidate modulo 100, job modulo 2, message,
-- cause, the event id's distance from the last id taken before the
-- statement): the same list for both paths means the same events, in the
-- same order, with the same ids taken in between (a repeat takes its id).
RESET ROLE;
CREATE TABLE fsr_mark (path text PRIMARY KEY, last_id bigint);
GRANT ALL ON fsr_mark TO wf_fsr_app;
CREATE FUNCTION fsr_mark(p text) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$
INSERT INTO fsr_mark SELECT p, last_value FROM public.alert_event_id_seq
ON CONFLICT (path) DO UPDATE SET last_id = EXCLUDED.last_id $$;
GRANT EXECUTE ON FUNCTION fsr_mark(text) TO wf_fsr_app;
CREATE FUNCTION fsr_events(p text, lo bigint, hi bigint) RETURNS TABLE (c bigint, j text, message text, cause text, id_after bigint)
LANGUAGE sql AS $$
SELECT e.candidate_id % 100, CASE WHEN e.job_id >= 610 THEN 'org:fsr2' ELSE (e.job_id % 2)::text END,
       e.message, e.cause, e.id - m.last_id
  FROM alert_event e, fsr_mark m WHERE m.path = p AND e.id > m.last_id AND e.candidate_id BETWEEN lo AND hi
   AND e.tenant IN ('org:fsr', 'org:fsr2') AND e.job_id IN (600, 601, 602, 603, 610, 611) $$;
CREATE FUNCTION fsr_differences() RETURNS TABLE (path text, c bigint, j text, message text, cause text, id_after bigint)
LANGUAGE sql AS $$
(SELECT 'set-wise only', * FROM fsr_events('set-wise', 1, 99) EXCEPT SELECT 'set-wise only', * FROM fsr_events('row by row', 101, 199))
UNION ALL
(SELECT 'row by row only', * FROM fsr_events('row by row', 101, 199) EXCEPT SELECT 'row by row only', * FROM fsr_events('set-wise', 1, 99))
ORDER BY 1, 6 $$;
SET ROLE wf_fsr_app;

\echo '== 2. One tenant, each candidate in two jobs: repeats left out, new events in order, ids as row by row'
SELECT fsr_mark('set-wise');
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', candidate_id % 100 % 3 = 0, 'late', candidate_id % 100 % 4 = 0)
 WHERE candidate_id BETWEEN 1 AND 40;
SELECT fsr_mark('row by row');
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', candidate_id % 100 % 3 = 0, 'late', candidate_id % 100 % 4 = 0)
 WHERE candidate_id BETWEEN 101 AND 140;
RESET workflow_ext.history_batch_size;
SELECT count(*) AS events, count(*) FILTER (WHERE message = 'late') AS late FROM fsr_events('set-wise', 1, 99);
SELECT * FROM fsr_differences();
-- and again: every firing alert a repeat, nothing written, the ids taken all the same
SELECT fsr_mark('set-wise');
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id BETWEEN 1 AND 40;
SELECT fsr_mark('row by row');
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id BETWEEN 101 AND 140;
RESET workflow_ext.history_batch_size;
SELECT fsr_mark('after');
SELECT count(*) AS events FROM fsr_events('set-wise', 1, 99);
SELECT (SELECT last_id FROM fsr_mark WHERE path = 'row by row') - (SELECT last_id FROM fsr_mark WHERE path = 'set-wise')
       AS ids_taken_set_wise,
       (SELECT last_id FROM fsr_mark WHERE path = 'after') - (SELECT last_id FROM fsr_mark WHERE path = 'row by row')
       AS ids_taken_row_by_row;
SELECT * FROM fsr_differences();

\echo '== 3. alert_event is read only where an alert fires, as row by row'
-- Without SELECT on alert_event the events' INSERT cannot read the repeats:
-- a change that fires no alert runs no statement on alert_event (row by row
-- and set-wise alike), a change that fires one fails (42501), both ways.
-- (Set-wise, the events already raised were read for every visit before:
-- the first statement failed there.)
RESET ROLE;
BEGIN;
REVOKE SELECT ON alert_event FROM workflow_app;
SET LOCAL ROLE wf_fsr_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = jsonb_build_object('flag', false, 'late', false)
                    WHERE candidate_id IN (1, 2, 4, 5)$$) AS set_wise_none_fires;
SET LOCAL workflow_ext.history_batch_size = 1;
SELECT test_error($$UPDATE candidate_profile SET attributes = jsonb_build_object('flag', false, 'late', false)
                    WHERE candidate_id IN (101, 102, 104, 105)$$) AS row_by_row_none_fires;
RESET workflow_ext.history_batch_size;
SELECT test_error($$UPDATE candidate_profile SET attributes = jsonb_build_object('flag', true, 'late', false)
                    WHERE candidate_id IN (1, 2)$$) AS set_wise_one_fires;
SET LOCAL workflow_ext.history_batch_size = 1;
SELECT test_error($$UPDATE candidate_profile SET attributes = jsonb_build_object('flag', true, 'late', false)
                    WHERE candidate_id IN (101, 102)$$) AS row_by_row_one_fires;
ROLLBACK;
SET ROLE wf_fsr_app;
-- an event the writer cannot read (a SELECT policy of the owner's hides 'late') is no repeat
-- to the read: proposed, and left out by the INSERT's ON CONFLICT, both ways
RESET ROLE;
CREATE POLICY fsr_hide_late ON alert_event AS RESTRICTIVE FOR SELECT USING (message <> 'late');
SET ROLE wf_fsr_app;
SELECT fsr_mark('set-wise');
UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id BETWEEN 1 AND 40;
SELECT fsr_mark('row by row');
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id BETWEEN 101 AND 140;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP POLICY fsr_hide_late ON alert_event;
SET ROLE wf_fsr_app;
SELECT count(*) AS events FROM fsr_events('set-wise', 1, 99);
SELECT * FROM fsr_differences();

\echo '== 4. Several tenants in one statement (the owner''s): read change by change, the same events'
RESET ROLE;
SET workflow_ext.tenant = 'org:fsr2';
SELECT test_workflow('Set-wise reads 2', 3, false) AS wf2 \gset
SELECT test_stage(:wf2, 2) AS two2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:two2, 'flag', 'eq', 'true', 'flagged');
SELECT count(*) AS jobs FROM generate_series(610, 611) j, assign_workflow(j, :wf2);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, '{"flag": false}'::jsonb FROM generate_series(1, 40) g UNION ALL
SELECT g, '{"flag": false}'::jsonb FROM generate_series(101, 140) g;
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT 610, g FROM generate_series(1, 40) g UNION ALL SELECT 611, g FROM generate_series(101, 140) g;
UPDATE candidate_stage SET stage_id = :two2 WHERE job_id IN (610, 611);
SELECT fsr_mark('set-wise');
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('flag', candidate_id % 100 % 2 = 0, 'late', true)
 WHERE candidate_id BETWEEN 1 AND 40 AND tenant IN ('org:fsr', 'org:fsr2');
SELECT fsr_mark('row by row');
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('flag', candidate_id % 100 % 2 = 0, 'late', true)
 WHERE candidate_id BETWEEN 101 AND 140 AND tenant IN ('org:fsr', 'org:fsr2');
RESET workflow_ext.history_batch_size;
SELECT count(*) FILTER (WHERE j <> 'org:fsr2') AS events_org_fsr FROM fsr_events('set-wise', 1, 99);
-- (the same events; their order follows the heap order of the two tenants' profiles, which the
-- earlier sections left different for the two sets of candidates)
(SELECT 'set-wise only' AS path, c, j, message, cause FROM fsr_events('set-wise', 1, 99)
 EXCEPT ALL SELECT 'set-wise only', c, j, message, cause FROM fsr_events('row by row', 101, 199))
UNION ALL
(SELECT 'row by row only', c, j, message, cause FROM fsr_events('row by row', 101, 199)
 EXCEPT ALL SELECT 'row by row only', c, j, message, cause FROM fsr_events('set-wise', 1, 99));
SET workflow_ext.tenant = 'org:fsr';

DROP FUNCTION fsr_differences(), fsr_events(text, bigint, bigint), fsr_mark(text);
DROP TABLE fsr_mark;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_fsr_app;
