-- README "Transferring and removing candidates" shows a removal with reason 'GDPR erasure'. The removal
-- deletes the pipeline row only: the candidate's fact values stay in history (a warn rule's
-- warnings: "actual") and in alert events (the "facts" snapshot), which the application role cannot
-- delete (no DELETE in the grant set), and the README gives no erasure procedure for them.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/14_gdpr_erasure_keeps_facts.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (2, 'has portfolio',
  '{"field": "email", "op": "ends_with", "value": "@portfolio.example"}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (2, 'salary', '>', '100000', 'salary above band');
SELECT job_id FROM assign_workflow(1234, 1);
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (459, '{"email": "jane.doe@private.example", "salary": 150000, "name": "Jane Doe"}');
SELECT stage_id FROM add_candidate(459, 1234);
SELECT to_stage_name, warnings FROM move_to_next_stage(459, 1234);
BEGIN;
SET LOCAL workflow_ext.reason = 'GDPR erasure';
DELETE FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 459;
COMMIT;
DELETE FROM candidate_profile WHERE candidate_id = 459;
-- what is left of Jane Doe
SELECT id, to_status, reason, warnings FROM stage_transition WHERE candidate_id = 459 ORDER BY id;
SELECT id, message, facts FROM alert_event WHERE candidate_id = 459;
SELECT event FROM workflow_events_since(NULL, 100) WHERE event->>'kind' = 'alert';
-- the application cannot delete it
DELETE FROM alert_event WHERE candidate_id = 459;
DELETE FROM stage_transition WHERE candidate_id = 459;
-- the tables' owner can (undocumented as an erasure procedure): alert events first, then history
RESET ROLE;
DELETE FROM alert_event WHERE tenant = 'org:acme' AND candidate_id = 459;
DELETE FROM stage_transition WHERE tenant = 'org:acme' AND candidate_id = 459;
SELECT count(*) AS visits_left FROM stage_visit_row WHERE candidate_id = 459;
