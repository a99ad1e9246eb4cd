-- Repro facts21e/11 (after setup.sql and 00_fixture.psql).  An owner's AFTER trigger on
-- candidate_profile normalises the facts in an exception block (a committed subtransaction):
-- {"go": false} becomes {"go": true}.  The author documents that such a query runs before the
-- pending change is evaluated; the consequence goes further: the pending change is then
-- evaluated with the facts it recorded (given = {"go": false}), which no longer hold, against
-- the stage the nested change moved the candidate to.  Stage 1 advances by itself into stage 2
-- when "go" is true; stage 2 has an alert "go eq false" ('not ready').
-- history_batch_size = 1 and main: candidate moves to stage 2, no 'not ready' event.
-- set-wise: candidate moves to stage 2 AND 'not ready' fires (facts {"go": false}) on a visit
-- whose candidate's facts say go = true.
SET workflow_ext.actor = 'user:x';
SET workflow_ext.tenant = 'org:a';
SELECT test_workflow('Adv', 3) AS aw \gset
UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = :aw AND position = 1;
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:aw, 2), 'go', '{"field": "go", "op": "eq", "value": true}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (test_stage(:aw, 2), 'go', 'eq', 'false', 'not ready');
SELECT count(*) FROM generate_series(500, 501) j, assign_workflow(j, :aw);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(51, 54) g;
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (500, 51), (500, 52), (501, 53), (501, 54);
CREATE FUNCTION zz_normalise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.attributes -> 'go' = 'false' THEN
    BEGIN
      UPDATE public.candidate_profile SET attributes = attributes || '{"go": true}'
       WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
    EXCEPTION WHEN lock_not_available THEN NULL;
    END;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_normalise AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION zz_normalise();
SET ROLE r_app;
UPDATE candidate_profile SET attributes = '{"go": false}' WHERE candidate_id IN (51, 52);
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"go": false}' WHERE candidate_id IN (53, 54);
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT CASE WHEN c.job_id = 500 THEN 'set-wise' ELSE 'row by row' END AS path, c.candidate_id, s.position AS stage, p.attributes AS facts_now
  FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id JOIN candidate_profile p ON p.tenant = c.tenant AND p.candidate_id = c.candidate_id
 WHERE c.job_id IN (500, 501) ORDER BY 2;
SELECT CASE WHEN job_id = 500 THEN 'set-wise' ELSE 'row by row' END AS path, candidate_id, message, cause, facts
  FROM alert_event WHERE job_id IN (500, 501) ORDER BY id;
