-- The facts of candidate_profile and job_profile read by a direct probe of
-- their unique index on (tenant, id) (src/pg/facts_source.c, probe_read),
-- as the query SELECT attributes ... WHERE id = $1 AND tenant = $2 read
-- them as the tables' owner: the row's own tenant only, {} when there is
-- none, under the latest snapshot after the statement's own changes (a
-- writable CTE's, a trigger's run earlier in the same statement), the same
-- set-wise, row by row and through move_to_stage().  (The latest snapshot
-- under REPEATABLE READ: spec facts_move_race.)
-- Everything runs as wf_fp_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_fp_app;
RESET client_min_messages;
CREATE ROLE wf_fp_app;
GRANT workflow_app TO wf_fp_app;
SET workflow_ext.actor = 'user:ann';

\echo '== 1. Fixture: stage 2 warns unless references >= 1 and the job has a budget, and alerts on score >= 10; jobs 7301-7303 in org:fp, candidates 1-6'
SET workflow_ext.tenant = 'org:fp_other';
SET ROLE wf_fp_app;
-- another organization's profiles and job facts under the same ids
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, '{"score": 99, "references": 5}' FROM generate_series(1, 6) g;
INSERT INTO job_profile (job_id, attributes)
SELECT j, '{"budget": 1}' FROM generate_series(7301, 7303) j;
RESET ROLE;
SET workflow_ext.tenant = 'org:fp';
SET ROLE wf_fp_app;
BEGIN;
SELECT test_workflow('Probe', 3) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (:s2, 'references', '{"all": [{"field": "references", "op": "gte", "value": 1},
                                {"field": "budget", "op": "exists", "source": "job"}]}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '10', 'scored');
SELECT count(*) AS jobs FROM generate_series(7301, 7303) j, assign_workflow(j, :wf);
-- candidate 1: its own profile; 2: none in org:fp (only org:fp_other's);
-- 3: a profile changed by the moving statement itself; 4: a profile made
-- by a trigger during the statement; 5, 6: low scores
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (1, '{"score": 50, "references": 2}'), (3, '{"score": 1, "references": 0}'),
  (5, '{"score": 2, "references": 1}'), (6, '{"score": 3}');
INSERT INTO job_profile (job_id, attributes) VALUES (7301, '{"budget": 10}'), (7302, '{"budget": 10}');
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(7301, 7303) j, generate_series(1, 6) g;
COMMIT;
RESET ROLE;
-- candidate 4's profile appears when its pipeline row is updated (a BEFORE trigger of the application's)
CREATE FUNCTION fp_make_profile() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    IF NEW.candidate_id = 4 AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        INSERT INTO candidate_profile (candidate_id, attributes) VALUES (4, '{"score": 40, "references": 3}')
        ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = excluded.attributes;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fp_make_profile BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION fp_make_profile();
SET ROLE wf_fp_app;

\echo '== 2. Set-wise (job 7301), row by row (7302), through move_to_stage() (7303): the same facts'
-- candidate 3's profile changes in the statement that moves it (a writable CTE)
BEGIN;
WITH c AS (UPDATE candidate_profile SET attributes = '{"score": 30, "references": 4}' WHERE candidate_id = 3 RETURNING 1)
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7301 AND stage_id = :s1 AND (SELECT count(*) FROM c) = 1;
-- the same again for job 7302, row by row (candidate 3's facts already changed)
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7302 AND stage_id = :s1;
COMMIT;
SELECT count(*) AS moved FROM generate_series(1, 6) g, move_to_stage(g, 7303, :s2);
RESET ROLE;
-- per candidate and job: the warning (references or the job's budget missing) and the alert's event with its facts
SELECT t.job_id, t.candidate_id, t.alerts_raised, jsonb_array_length(t.warnings) AS warnings,
       e.facts AS event_facts
  FROM stage_transition t LEFT JOIN alert_event e ON e.transition_id = t.id
 WHERE t.job_id BETWEEN 7301 AND 7303 AND t.to_stage_id = :s2
 ORDER BY t.job_id, t.candidate_id;
-- the three jobs' moves differ only where the job's facts do (7303 has no job_profile row in org:fp)
SELECT t.candidate_id, count(DISTINCT (t.alerts_raised, jsonb_array_length(t.warnings), e.facts)) AS answers
  FROM stage_transition t LEFT JOIN alert_event e ON e.transition_id = t.id
 WHERE t.job_id IN (7301, 7302) AND t.to_stage_id = :s2
 GROUP BY t.candidate_id ORDER BY t.candidate_id;

DROP TRIGGER fp_make_profile ON candidate_stage;
DROP FUNCTION fp_make_profile();

\echo '== 3. A profile table with an inheritance child (its owner''s): the child''s rows are the facts too, as the query read them (attack11 01)'
CREATE TABLE fp_profile_archive () INHERITS (candidate_profile);
CREATE TABLE fp_job_archive () INHERITS (job_profile);
INSERT INTO fp_profile_archive (id, tenant, candidate_id, attributes) VALUES (-7, 'org:fp', 7, '{"score": 70, "references": 7}');
INSERT INTO fp_job_archive (id, tenant, job_id, attributes) VALUES (-7304, 'org:fp', 7304, '{"budget": 7}'), (-7305, 'org:fp', 7305, '{"budget": 7}');
SET ROLE wf_fp_app;
SELECT count(*) AS jobs FROM generate_series(7304, 7305) j, assign_workflow(j, :wf);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (7304, 7), (7305, 7);
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7304 AND candidate_id = 7;
SELECT (move_to_stage(7, 7305, :s2)).warnings;
RESET ROLE;
-- no warning (references 7, the job's budget), an alert event with the child's facts, both ways
SELECT t.job_id, t.candidate_id, t.alerts_raised, jsonb_array_length(t.warnings) AS warnings, e.facts AS event_facts
  FROM stage_transition t LEFT JOIN alert_event e ON e.transition_id = t.id
 WHERE t.job_id IN (7304, 7305) AND t.to_stage_id = :s2
 ORDER BY t.job_id;
DROP TABLE fp_profile_archive, fp_job_archive;
-- (ANALYZE clears relhassubclass now that the children are gone: the probe reads again)
ANALYZE candidate_profile, job_profile;
SELECT relname, relhassubclass FROM pg_class WHERE relname IN ('candidate_profile', 'job_profile') ORDER BY 1;

\echo '== 4. The unique index with a superuser''s operator class (pg_catalog.= with a comparison function of its own): no probe, the query reads as the owner (attack11 02)'
CREATE FUNCTION fp_int8_cmp(a bigint, b bigint) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF current_user = 'wf_fp_app' THEN
        RAISE NOTICE 'fp_int8_cmp ran as the application role';
    END IF;
    RETURN btint8cmp(a, b);
END $$;
CREATE OPERATOR CLASS fp_int8_ops FOR TYPE bigint USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 fp_int8_cmp(bigint, bigint);
ALTER TABLE candidate_profile DROP CONSTRAINT candidate_profile_candidate_id_key;
CREATE UNIQUE INDEX fp_profile_key ON candidate_profile (tenant, candidate_id fp_int8_ops);
SET ROLE wf_fp_app;
SELECT count(*) AS jobs FROM assign_workflow(7306, :wf);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (7306, 1);
SELECT (move_to_stage(1, 7306, :s2)).warnings;
RESET ROLE;
DROP INDEX fp_profile_key;
ALTER TABLE candidate_profile ADD CONSTRAINT candidate_profile_candidate_id_key UNIQUE (tenant, candidate_id);
DROP OPERATOR CLASS fp_int8_ops USING btree;
DROP OPERATOR FAMILY fp_int8_ops USING btree;
DROP FUNCTION fp_int8_cmp(bigint, bigint);
