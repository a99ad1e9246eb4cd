-- stamp_facts_row() replaced two triggers: candidate_profile_touch (BEFORE UPDATE, sets updated_at)
-- and stamp_tenant (tenant check). Triggers fire in name order, so in 0.3.0 before this change an
-- owner's BEFORE UPDATE trigger named between 'candidate_profile_touch' and 'stamp_tenant'
-- (e.g. 'd_log', 'e_pin') saw NEW.updated_at already stamped, and its own updated_at stayed.
-- Now the stamp of updated_at comes after it (in 'stamp_tenant'): it sees the old value, and its
-- value is overwritten. Same for job_profile ('job_profile_touch' < 'k_*' < 'stamp_tenant').
CREATE TABLE stamp_log (tg text, tbl text, saw_now boolean);
GRANT INSERT, SELECT ON stamp_log TO PUBLIC;
CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO stamp_log VALUES (TG_NAME, TG_TABLE_NAME, NEW.updated_at = now()); RETURN NEW; END $$;
CREATE FUNCTION pin_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := '2000-01-01'; RETURN NEW; END $$;
CREATE TRIGGER d_log BEFORE UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION log_row();
CREATE TRIGGER e_pin BEFORE UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION pin_updated();
CREATE TRIGGER k_log BEFORE UPDATE ON job_profile FOR EACH ROW EXECUTE FUNCTION log_row();
CREATE TRIGGER l_pin BEFORE UPDATE ON job_profile FOR EACH ROW EXECUTE FUNCTION pin_updated();
UPDATE candidate_profile SET updated_at = '1999-01-01' WHERE candidate_id = 1;
INSERT INTO job_profile (job_id, attributes) VALUES (100, '{}');
UPDATE job_profile SET updated_at = '1999-01-01' WHERE job_id = 100;
TRUNCATE stamp_log;
SET ROLE att_app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"x": 1}' WHERE candidate_id = 1;
UPDATE job_profile SET attributes = '{"x": 1}' WHERE job_id = 100;
-- before the change: d_log/k_log saw now() (t); updated_at pinned to 2000 by e_pin/l_pin
-- after: they saw the old value (f); updated_at = now()
SELECT tg, tbl, saw_now FROM stamp_log ORDER BY tg;
SELECT candidate_id, updated_at = '2000-01-01' AS pinned_by_owner, updated_at = now() AS stamped_now FROM candidate_profile WHERE candidate_id = 1;
SELECT job_id, updated_at = '2000-01-01' AS pinned_by_owner, updated_at = now() AS stamped_now FROM job_profile WHERE job_id = 100;
ROLLBACK;
RESET ROLE;
SELECT tgname, tgrelid::regclass, tgfoid::regproc FROM pg_trigger WHERE tgrelid IN ('candidate_profile'::regclass, 'job_profile'::regclass) AND NOT tgisinternal ORDER BY 2, 1;
