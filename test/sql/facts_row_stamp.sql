-- The facts tables' stamp (stamp_facts_row(), C): an INSERT gets the acting tenant whatever it
-- says, an UPDATE keeps the tenant (42501 tenant_immutable) and sets updated_at to the
-- transaction's time, whatever it says; a restore (a superuser's COPY with row_security off)
-- keeps the dumped tenant; it refuses to run as anything but a BEFORE row trigger of ours.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_stamp_app;
RESET client_min_messages;
CREATE ROLE wf_stamp_app;
GRANT workflow_app TO wf_stamp_app;

\echo '== 1. INSERT: the acting tenant, whatever the row says (both facts tables, one row and many)'
SET ROLE wf_stamp_app;
SET workflow_ext.tenant = 'org:stamp';
SET workflow_ext.actor = 'user:sia';
INSERT INTO candidate_profile (tenant, candidate_id, attributes) VALUES ('org:other', 7001, '{"a": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"a": 2}' FROM generate_series(7002, 7004) g;
INSERT INTO job_profile (tenant, job_id, attributes) VALUES ('org:other', 7001, '{"open": true}');
INSERT INTO candidate_profile (tenant, candidate_id, attributes) VALUES ('org:other', 7004, '{"a": 3}')
  ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SELECT tenant, candidate_id, attributes FROM candidate_profile WHERE candidate_id BETWEEN 7001 AND 7004 ORDER BY 2;
SELECT tenant, job_id FROM job_profile WHERE job_id = 7001;

\echo '== 2. UPDATE: updated_at is the transaction''s time, whatever the statement sets'
RESET ROLE;
SET session_replication_role = replica;   -- (an old stamp, without the trigger)
UPDATE candidate_profile SET updated_at = '2001-02-03 04:05:06+00' WHERE candidate_id BETWEEN 7001 AND 7004;
UPDATE job_profile SET updated_at = '2001-02-03 04:05:06+00' WHERE job_id = 7001;
RESET session_replication_role;
SET ROLE wf_stamp_app;
BEGIN;
SELECT pg_sleep(0.01);
UPDATE candidate_profile SET attributes = attributes || '{"b": 1}' WHERE candidate_id = 7001;
UPDATE candidate_profile SET updated_at = '1999-01-01', attributes = '{}' WHERE candidate_id = 7002;
UPDATE job_profile SET attributes = '{"open": false}' WHERE job_id = 7001;
SELECT candidate_id, updated_at = now() AS now_stamped, updated_at = '2001-02-03 04:05:06+00' AS kept_old
  FROM candidate_profile WHERE candidate_id BETWEEN 7001 AND 7003 ORDER BY 1;
SELECT updated_at = now() AS job_now_stamped FROM job_profile WHERE job_id = 7001;
COMMIT;

\echo '== 3. The tenant stays: 42501 tenant_immutable, for the application and for a superuser'
SELECT test_error($$UPDATE candidate_profile SET tenant = 'org:other' WHERE candidate_id = 7003$$);
SELECT test_error($$UPDATE job_profile SET tenant = 'org:other' WHERE job_id = 7001$$);
SELECT test_error($$INSERT INTO candidate_profile (candidate_id) VALUES (7003)
                    ON CONFLICT (tenant, candidate_id) DO UPDATE SET tenant = 'org:x'$$);
RESET ROLE;
SELECT test_error($$UPDATE candidate_profile SET tenant = 'org:else' WHERE candidate_id = 7003$$);
SELECT test_error($$UPDATE candidate_profile SET tenant = tenant || '' WHERE candidate_id = 7003$$) AS same_bytes;
SELECT tenant FROM candidate_profile WHERE candidate_id = 7003;

\echo '== 3b. An owner''s BEFORE UPDATE trigger named between the two fires between them, as before'
-- (candidate_profile_touch stamps updated_at, then the owner's d_log, then stamp_tenant checks the
-- tenant: d_log sees the new updated_at, and the one it sets is kept; attack7 D1)
CREATE TABLE stamp_log (candidate_id bigint, saw_now boolean);
CREATE FUNCTION stamp_d_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.stamp_log VALUES (NEW.candidate_id, NEW.updated_at = now());
  IF NEW.candidate_id = 7002 THEN NEW.updated_at := '2000-01-01 00:00:00+00'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER d_log BEFORE UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION stamp_d_log();
UPDATE candidate_profile SET attributes = '{"c": 1}' WHERE candidate_id IN (7001, 7002);
SELECT l.candidate_id, l.saw_now, p.updated_at = '2000-01-01 00:00:00+00' AS owner_value_kept
  FROM stamp_log l JOIN candidate_profile p USING (candidate_id) ORDER BY 1;
DROP TRIGGER d_log ON candidate_profile;
DROP FUNCTION stamp_d_log();
DROP TABLE stamp_log;

\echo '== 4. A restore keeps the dumped tenant; any other COPY is an ordinary write'
SET row_security = off;
COPY candidate_profile (id, tenant, candidate_id, attributes, updated_at) FROM stdin;
970001	org:dumped	7101	{"d": 1}	2002-01-01 00:00:00+00
\.
RESET row_security;
COPY candidate_profile (tenant, candidate_id, attributes) FROM stdin;
org:claimed	7102	{"d": 2}
\.
SELECT tenant, candidate_id, updated_at = '2002-01-01 00:00:00+00' AS dumped_stamp_kept
  FROM candidate_profile WHERE candidate_id IN (7101, 7102) ORDER BY 2;

\echo '== 5. Only as a BEFORE INSERT OR UPDATE row trigger on the extension''s facts tables'
CREATE TABLE stamp_probe (id bigint, tenant text, updated_at timestamptz);
CREATE TRIGGER stamp_probe BEFORE INSERT ON stamp_probe FOR EACH ROW EXECUTE FUNCTION stamp_facts_row();
SELECT test_error($$INSERT INTO stamp_probe VALUES (1, 'x', now())$$);
DROP TRIGGER stamp_probe ON stamp_probe;
SET workflow_ext.tenant = 'org:stamp';
SET workflow_ext.actor = 'user:sia';
SELECT test_workflow('Stamped', 1) AS swf \gset
CREATE TRIGGER stamp_probe BEFORE UPDATE ON workflow FOR EACH ROW EXECUTE FUNCTION stamp_facts_row();
SELECT test_error(format('UPDATE workflow SET name = name WHERE id = %s', :swf)) AS a_definition_table;
DROP TRIGGER stamp_probe ON workflow;
CREATE TRIGGER stamp_probe AFTER INSERT ON candidate_profile FOR EACH ROW EXECUTE FUNCTION stamp_facts_row();
SELECT test_error($$INSERT INTO candidate_profile (candidate_id) VALUES (7103)$$);
DROP TRIGGER stamp_probe ON candidate_profile;
CREATE TRIGGER stamp_probe BEFORE INSERT ON candidate_profile FOR EACH ROW EXECUTE FUNCTION stamp_facts_row('updated_at');
SELECT test_error($$INSERT INTO candidate_profile (candidate_id) VALUES (7103)$$) AS touch_on_insert;
DROP TRIGGER stamp_probe ON candidate_profile;
CREATE TRIGGER stamp_probe BEFORE UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION stamp_facts_row('tenant');
SELECT test_error($$UPDATE candidate_profile SET attributes = '{}' WHERE candidate_id = 7001$$) AS unknown_argument;
DROP TRIGGER stamp_probe ON candidate_profile;
SELECT test_error($$SELECT stamp_facts_row()$$);
DROP TABLE stamp_probe;
SELECT has_function_privilege('public', 'stamp_facts_row()', 'EXECUTE') AS public_may_execute;

DELETE FROM candidate_profile WHERE candidate_id BETWEEN 7001 AND 7102;
DELETE FROM job_profile WHERE job_id = 7001;
DELETE FROM workflow WHERE id = :swf;
DROP ROLE wf_stamp_app;
