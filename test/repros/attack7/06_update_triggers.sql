-- A 0.2.0 database updated to 0.3.0 (ALTER EXTENSION UPDATE): the facts tables' triggers, with an
-- owner's own BEFORE UPDATE trigger on candidate_profile. Run alone (no fixture):
--   createdb upd && psql -d upd -f 06_update_triggers.sql
CREATE EXTENSION plpgsql;
CREATE EXTENSION IF NOT EXISTS workflow_ext VERSION '0.2.0';
CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE '% saw updated_at = now(): %', TG_NAME, NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TRIGGER d_log BEFORE UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION log_row();
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{}');
UPDATE candidate_profile SET updated_at = '1999-01-01';
BEGIN; UPDATE candidate_profile SET attributes = '{"a": 1}'; ROLLBACK;
ALTER EXTENSION workflow_ext UPDATE TO '0.3.0';
SELECT tgname, tgrelid::regclass, tgfoid::regproc, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('candidate_profile'::regclass, 'job_profile'::regclass) AND NOT tgisinternal ORDER BY 2, 1;
SELECT proname FROM pg_proc WHERE proname IN ('stamp_facts_row', 'stamp_tenant', 'touch_updated_at') ORDER BY 1;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
BEGIN; UPDATE candidate_profile SET attributes = '{"a": 2}'; ROLLBACK;
