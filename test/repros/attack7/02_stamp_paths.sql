-- The stamp on the write paths, to compare with fc50d8e (old PL/pgSQL triggers).
SET ROLE att_app;
-- tenant immutable message/detail
SELECT test_error('UPDATE candidate_profile SET tenant = ''org:b'' WHERE candidate_id = 1');
SELECT test_error('UPDATE candidate_profile SET tenant = NULL WHERE candidate_id = 1');
SELECT test_error('UPDATE job_profile SET tenant = ''org:b''');
-- same value: allowed
UPDATE candidate_profile SET tenant = tenant WHERE candidate_id = 1;
UPDATE candidate_profile SET tenant = 'org:a' WHERE candidate_id = 1;
-- INSERT: the tenant given is replaced
INSERT INTO candidate_profile (candidate_id, tenant) VALUES (50, 'org:b') RETURNING candidate_id, tenant;
INSERT INTO candidate_profile (candidate_id, tenant) VALUES (51, NULL) RETURNING candidate_id, tenant;
-- ON CONFLICT DO UPDATE: same tenant, tenant = EXCLUDED.tenant
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"a": 1}')
  ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes, tenant = EXCLUDED.tenant
  RETURNING candidate_id, tenant, attributes, updated_at = now() AS stamped;
-- MERGE
MERGE INTO candidate_profile p USING (VALUES (1, '{"m": 1}'::jsonb), (52, '{"m": 2}')) v(c, a) ON p.candidate_id = v.c
  WHEN MATCHED THEN UPDATE SET attributes = v.a
  WHEN NOT MATCHED THEN INSERT (candidate_id, attributes) VALUES (v.c, v.a);
SELECT candidate_id, tenant, attributes, updated_at = now() AS stamped FROM candidate_profile WHERE candidate_id IN (1, 52) ORDER BY 1;
-- settings unset
RESET workflow_ext.tenant;
INSERT INTO candidate_profile (candidate_id) VALUES (53) RETURNING tenant;
RESET workflow_ext.actor;
INSERT INTO candidate_profile (candidate_id) VALUES (54) RETURNING tenant ~ '^role:' AS role_tenant;
SET workflow_ext.require_actor = on;
SELECT test_error('INSERT INTO candidate_profile (candidate_id) VALUES (55)');
RESET workflow_ext.require_actor;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET workflow_ext.require_tenant = on;
SELECT test_error('INSERT INTO candidate_profile (candidate_id) VALUES (56)');
RESET workflow_ext.require_tenant;
RESET ROLE;
-- COPY as superuser (restore path and not)
SET workflow_ext.tenant = 'org:a';
COPY candidate_profile (candidate_id, tenant, attributes) FROM stdin;
60	org:zz	{}
\.
SET row_security = off;
COPY candidate_profile (candidate_id, tenant, attributes) FROM stdin;
61	org:zz	{}
\.
RESET row_security;
SELECT candidate_id, tenant FROM candidate_profile WHERE candidate_id IN (60, 61) ORDER BY 1;
-- on another table
SELECT CASE WHEN to_regproc('stamp_facts_row') IS NULL THEN 'stamp_tenant' ELSE 'stamp_facts_row' END AS fn \gset
CREATE TABLE mine (id bigint, tenant text, updated_at timestamptz, candidate_id bigint);
CREATE TRIGGER t BEFORE INSERT ON mine FOR EACH ROW EXECUTE FUNCTION stamp_tenant();
CREATE TRIGGER t2 BEFORE INSERT ON mine FOR EACH ROW EXECUTE FUNCTION :fn();
SELECT test_error('INSERT INTO mine VALUES (1, ''a'', now(), 1)');
-- as statement trigger / AFTER trigger on candidate_profile (superuser, protocol check)
CREATE TRIGGER zz_stmt AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION :fn();
SELECT test_error('UPDATE candidate_profile SET attributes = ''{}'' WHERE candidate_id = 1');
DROP TRIGGER zz_stmt ON candidate_profile;
CREATE TRIGGER zz_del BEFORE DELETE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION :fn();
SELECT test_error('DELETE FROM candidate_profile WHERE candidate_id = 61');
DROP TRIGGER zz_del ON candidate_profile;
-- a table named candidate_profile in another schema
CREATE SCHEMA other;
CREATE TABLE other.candidate_profile (id bigint, tenant text, updated_at timestamptz);
CREATE TRIGGER t BEFORE INSERT ON other.candidate_profile FOR EACH ROW EXECUTE FUNCTION :fn();
SELECT test_error('INSERT INTO other.candidate_profile VALUES (1, ''a'', now())');
