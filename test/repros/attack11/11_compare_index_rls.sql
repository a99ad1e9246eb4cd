-- attack11 11: index / ownership / RLS / serializable scenarios, main (4ad9093) vs attack11
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE ROLE own NOLOGIN;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
 (:s2, 'score', '{"all":[{"field":"score","op":"gte","value":2},{"field":"budget","op":"exists","source":"job"}]}', 'warn');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"budget": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 40) g;
SELECT count(*) FROM generate_series(1, 40) g, add_candidate(g, 10);
RESET ROLE;
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN ('candidate_profile'::regclass, 'job_profile'::regclass) ORDER BY 1;
\echo == S serializable: SIRead locks of one move
SET ROLE app;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT (move_to_next_stage(1, 10)).warnings;
SELECT locktype, relation::regclass, page, tuple FROM pg_locks WHERE mode = 'SIReadLock' AND pid = pg_backend_pid() AND relation::regclass::text ~ 'profile' ORDER BY 1, 2, 3, 4;
COMMIT;
RESET ROLE;
\echo == H1 unique index replaced by one in collation "C" / DESC
SELECT test_error('ALTER TABLE candidate_profile DROP CONSTRAINT candidate_profile_candidate_id_key');
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'candidate_profile'::regclass ORDER BY 1;
CREATE UNIQUE INDEX cp_c ON candidate_profile (tenant COLLATE "C", candidate_id);
CREATE UNIQUE INDEX cp_desc ON candidate_profile (tenant, candidate_id DESC);
SET ROLE app;
SELECT (move_to_next_stage(2, 10)).warnings;
RESET ROLE;
\echo == H2 owner of the tables changed to a non-superuser; FORCE RLS
SELECT test_error('ALTER TABLE candidate_profile OWNER TO own');
SELECT test_error('ALTER TABLE workflow_stage OWNER TO own');
SELECT test_error('ALTER TABLE job_profile OWNER TO own');
DO $$ DECLARE n text; BEGIN
  FOR n IN SELECT nspname FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema)' LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO own', n);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO own', n);
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO own', n);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO own', n);
  END LOOP; END $$;
SELECT relname, relowner::regrole, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN ('candidate_profile','workflow_stage','job_profile') ORDER BY 1;
SET ROLE app;
SELECT test_error('SELECT (move_to_next_stage(3, 10)).warnings');
SELECT (move_to_next_stage(3, 10)).warnings;
RESET ROLE;
ALTER TABLE candidate_profile FORCE ROW LEVEL SECURITY;
SET ROLE app;
SELECT (move_to_next_stage(4, 10)).warnings;
RESET ROLE;
ALTER TABLE candidate_profile NO FORCE ROW LEVEL SECURITY;
REVOKE SELECT ON candidate_profile FROM own;
SET ROLE app;
SELECT test_error('SELECT (move_to_next_stage(5, 10)).warnings');
RESET ROLE;
GRANT SELECT ON candidate_profile TO own;
CREATE POLICY own_sees_odd ON candidate_profile TO own USING (candidate_id % 2 = 1);
ALTER TABLE candidate_profile FORCE ROW LEVEL SECURITY;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings FROM generate_series(6, 9) g;
RESET ROLE;
ALTER ROLE own BYPASSRLS;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings FROM generate_series(10, 11) g;
RESET ROLE;
ALTER ROLE own NOBYPASSRLS;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings FROM generate_series(12, 13) g;
RESET ROLE;
ALTER ROLE own SUPERUSER;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings FROM generate_series(14, 15) g;
RESET ROLE;
ALTER ROLE own NOSUPERUSER;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings FROM generate_series(16, 17) g;
RESET ROLE;
SELECT id, candidate_id, alerts_raised, left(warnings::text, 80) FROM stage_transition ORDER BY id;
