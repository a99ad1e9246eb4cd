\set SHOW_CONTEXT never
\set VERBOSITY verbose
SET ROLE app;
-- client: a rich block rule on stage 2 and a warn rule on stage 3 (replacing), a client candidate 778
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
UPDATE stage_rule SET condition = '{"all": [{"field": "salary", "op": "lte", "value": {"field": "budget"}},
   {"some": {"field": "exp", "where": {"field": "years", "op": "gte", "value": 50}}},
   {"field": "email", "op": "matches", "value": "^zzz"},
   {"not": {"field": "ssn", "op": "exists"}},
   {"field": "city", "op": "in", "value": ["Paris"]}]}' WHERE stage_id = 2;
UPDATE stage_rule SET condition = (SELECT condition FROM stage_rule WHERE stage_id = 2) WHERE stage_id = 3;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (778, '{"salary": 200000, "budget": 123456, "exp": [{"years": 7}], "email": "ann@secret.example", "ssn": "999-11-2222", "city": "Berlin"}');
SELECT candidate_id FROM add_candidate(778, 10);
COMMIT;
BEGIN; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT move_to_stage(778, 10, 2);
ROLLBACK;
BEGIN; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT jsonb_pretty(jsonb_agg(to_jsonb(m))) FROM move_candidates(10, ARRAY[778]::bigint[], 2) m;
SELECT jsonb_pretty(to_jsonb(m)) FROM move_to_stage(778, 10, 3) m;
SELECT warnings FROM stage_transition WHERE candidate_id = 778 ORDER BY id;
SELECT message, facts FROM alert_event WHERE candidate_id = 778;
SELECT e::text FROM workflow_events_since(NULL, 1000) e WHERE e::text LIKE '%778%';
COMMIT;
