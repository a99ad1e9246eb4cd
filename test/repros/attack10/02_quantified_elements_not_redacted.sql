-- attack10 D2 (fixed on branch attack10, test attack10): a quantified group's "elements_explained"
-- (one entry per element of the array, with its inner leaves' results) was not among the keys
-- wf_redact_leaves() drops (stage_alerts.c copies_facts: "elements" was listed, the key is
-- "elements_explained"), so the agency reading a client's shared pipeline learned the client's
-- candidate facts: how many elements an array has and, per element, which inner leaves passed
-- (an eq leaf that passed gives the value exactly).  In the DETAIL of a blocked move, in
-- move_candidates' detail, in move_result.warnings, and in the history rows of the shared
-- workflow (the client's own moves included), which stage_transition's policy shows to the agency
-- (it hides only rows with "actual").
-- Run from the worktree root on a fresh database: psql -X -d db -f test/repros/attack10/02_quantified_elements_not_redacted.sql
\o /dev/null
\i test/repros/attack10/00_fixture.sql
\o
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
UPDATE candidate_profile SET attributes = '{"years": 9, "convictions": [{"year": 2001, "kind": "fraud"}, {"year": 2015, "kind": "theft"}, {"year": 2020, "kind": "dui"}]}'
 WHERE candidate_id = 2;
UPDATE stage_rule SET condition = '{"some": {"field": "convictions", "where": {"all": [{"field": "kind", "op": "eq", "value": "fraud"}, {"field": "year", "op": "gte", "value": 2010}]}}}'
 WHERE stage_id = 2;
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (3, 'clean', '{"none": {"field": "convictions", "where": {"field": "kind", "op": "eq", "value": "theft"}}}', 'warn');
-- the agency (org:b, read-only share) moves the client's candidate 2
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bea';
SELECT * FROM move_to_next_stage(2, 100);
-- expected: DETAIL's failed leaf {"op": "some", "path": "$", "field": "convictions", "passed": false, "result": false,
--           "negated": false, "expected": {...}} and nothing of the elements
-- actual (main at 4ad9093): ..., "elements_explained": [
--   {"leaves": [{"op": "gte", "path": "$.some.where.all[1]", "field": "year", ...}]},   <- element 0 passed kind eq "fraud": it IS fraud
--   {"leaves": [{"op": "eq", "path": "$.some.where.all[0]", "field": "kind", ...}]},    <- element 1 is not fraud
--   {"leaves": [{"op": "eq", "path": "$.some.where.all[0]", "field": "kind", ...}]}]    <- three elements
-- the client moves the candidate into the warn stage; the agency reads the history row
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
SELECT to_stage_id FROM move_to_stage(2, 100, 3);
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bea';
SELECT id, actor, warnings FROM stage_transition WHERE job_id = 100 AND candidate_id = 2 AND warnings <> '[]';
-- expected: warnings without elements_explained
-- actual (main): [{"op": "none", ..., "elements_explained": [{"leaves": [{"op": "eq", "path": "$.none.where",
--   "field": "kind", "passed": false, "result": true, ..., "expected": "theft"}]}]}]   <- an element's kind IS "theft"
RESET ROLE;
