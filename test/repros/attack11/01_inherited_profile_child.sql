-- attack11 01: candidate_profile with an inheritance child (made by its owner).
-- The replaced query (SELECT p.attributes FROM candidate_profile p WHERE ...,
-- no ONLY) reads the child's rows; the probe reads only the parent's index.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
-- the owner (superuser here) adds a child table of the profile
CREATE TABLE profile_archive () INHERITS (candidate_profile);
GRANT SELECT, INSERT ON profile_archive TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 4) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '5', 'high');
SELECT job_id FROM assign_workflow(10, :wf);
RESET ROLE;
-- candidate 1's profile lives in the child (tenant given explicitly)
INSERT INTO profile_archive (id, tenant, candidate_id, attributes) VALUES (1000001, 'org:a', 1, '{"score": 9}');
SET ROLE app;
SELECT count(*) FROM add_candidate(1, 10);
SELECT candidate_id, attributes FROM candidate_profile ORDER BY 1;
SELECT (move_to_next_stage(1, 10)).warnings;
SELECT candidate_id, alerts_raised, warnings FROM stage_transition WHERE job_id = 10 ORDER BY id;
SELECT candidate_id, message, facts FROM alert_event ORDER BY id;
-- expected (main 4ad9093): move warnings [] (score 9 >= 2); history alerts_raised 1 warnings [];
--   one alert_event 'high' with facts {"score": 9}
-- actual (attack11 2dfa274..1111600): warnings [{"field": "score", ... "field \"score\" is missing"}];
--   alert_event 'rule "score" failed: score gte 2' with facts {} (the probe reads only the parent's index)
-- run: /work/tools/pgsandbox attack11 bash test/repros/attack11/run.sh $PWD $PWD/test/repros/attack11/01_inherited_profile_child.sql
