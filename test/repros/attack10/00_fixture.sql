-- attack10 fixture: run as a superuser on a fresh database (psql -X -v ON_ERROR_STOP=1 -f).
-- Three organizations: org:a (client; ann owner, ada admin, rita read-only colleague),
-- org:b (agency; bob admin, bea user), org:c (third: cat). Application role app (workflow_app).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; END IF;
END $$;
\i examples/app-grants.sql
GRANT workflow_app TO app;
-- a schema of the application role's own, before the extension's on its path
DROP SCHEMA IF EXISTS evil CASCADE;
CREATE SCHEMA evil AUTHORIZATION app;
RESET client_min_messages;
SET ROLE app;
-- org:a ---------------------------------------------------------------
BEGIN; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('A shared');                 -- 1
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Onsite',3,'normal'),(1,'Hired',4,'hired');  -- 1..4
INSERT INTO stage_rule (stage_id, name, condition) VALUES (2, 'senior', '{"field": "years", "op": "gte", "value": 3}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (3, 'salary', '>', '100', 'A: salary high');
INSERT INTO workflow (name) VALUES ('A private');                -- 2
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (2,'P1',1,'normal'),(2,'P2',2,'normal');  -- 5,6
SELECT assign_workflow(100, 1); SELECT assign_workflow(101, 1); SELECT assign_workflow(200, 2);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (1, '{"years": 5, "salary": 500, "secret": "A1"}'), (2, '{"years": 1, "secret": "A2"}'), (3, '{"years": 9}');
INSERT INTO job_profile (job_id, attributes) VALUES (100, '{"budget": 111}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (6, 'years', '>', '1', 'A private: senior');
SELECT add_candidate(1, 100); SELECT add_candidate(2, 100); SELECT add_candidate(3, 200);
SELECT move_to_stage(1, 100, 3);                                 -- alert event 1 (shared workflow)
SELECT move_to_stage(3, 200, 6);                                 -- alert event 2 (private workflow)
INSERT INTO rejection_reason (code, label, kind) VALUES ('a-skills', 'A skills', 'rejected');
SELECT share_workflow(1, NULL, false, 'org:b');                  -- an offer to all of org:b
SELECT share_workflow(1, 'user:rita', false);                    -- read-only colleague
COMMIT;
-- org:b ---------------------------------------------------------------
BEGIN; SET LOCAL workflow_ext.tenant = 'org:b'; SET LOCAL workflow_ext.actor = 'user:bob'; SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(1, true);
INSERT INTO workflow (name) VALUES ('B own');                    -- 3
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (3,'B1',1,'normal'),(3,'B2',2,'normal');  -- 7,8
SELECT assign_workflow(300, 3);
SELECT assign_workflow(301, 1);                                  -- the agency's own job on A's workflow
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"years": 0, "secret": "B1"}'), (50, '{"years": 4}');
SELECT add_candidate(50, 300); SELECT add_candidate(1, 301);
COMMIT;
-- org:c ---------------------------------------------------------------
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:cat';
INSERT INTO workflow (name) VALUES ('C own');                    -- 4
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (4,'C1',1,'normal'),(4,'C2',2,'normal');  -- 9,10
SELECT assign_workflow(400, 4);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (60, '{"years": 4}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (10, 'years', '>', '1', 'C: senior');
SELECT add_candidate(60, 400);
SELECT move_to_stage(60, 400, 10);                               -- alert event 3
COMMIT;
RESET ROLE;
