-- attack12 fixture: run as a superuser on a fresh database (psql -X -v ON_ERROR_STOP=1 -f),
-- from the repository's root.  org:a; application role app (workflow_app's grant set).
-- Workflow 1: stages 1 Applied, 2 Screen (alert 'flag eq true' -> 'flagged'),
-- 3 Onsite (alert on the JOB's facts: 'budget gt 10' -> 'rich job').
-- Jobs 100, 101 on workflow 1; candidates 1..6 in both jobs; 1..3 at Screen, 4..6 at Onsite.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; END IF;
END $$;
\i examples/app-grants.sql
GRANT workflow_app TO app;
RESET client_min_messages;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('W');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Onsite',3,'normal'),(1,'Hired',4,'hired');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (2, 'flag', 'eq', 'true', 'flagged');
INSERT INTO alert (stage_id, field_name, source, operator, value, message) VALUES (3, 'budget', 'job', 'gt', '10', 'rich job');
SELECT assign_workflow(100, 1), assign_workflow(101, 1);
INSERT INTO job_profile (job_id, attributes) VALUES (100, '{"budget": 5}'), (101, '{"budget": 5}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false}' FROM generate_series(1, 6) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(100, 101) j, generate_series(1, 6) g;
UPDATE candidate_stage SET stage_id = 2 WHERE candidate_id BETWEEN 1 AND 3;
UPDATE candidate_stage SET stage_id = 3 WHERE candidate_id BETWEEN 4 AND 6;
RESET ROLE;
