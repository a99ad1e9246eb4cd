-- Condition language 2 (issue 9) through the SQL functions and the pipeline:
-- exact paths, sizes, fact against fact, quantified groups, relative time,
-- Unicode case folding, exact decimals.  Needs setup (test_error,
-- test_workflow, test_stage).
\set SHOW_CONTEXT never

CREATE TEMP TABLE lang2_people (id int, facts jsonb);
INSERT INTO lang2_people VALUES
  (1, '{"name": {"first": "Ann"}, "name.first": "Annie", "education": [{"degree": "MSc"}, {"degree": "BSc"}],
        "skills": ["go", "sql", "c++"], "salary": 90000, "budget": {"max": 100000},
        "experience": [{"title": "Junior Engineer", "years": 1}, {"title": "Senior Engineer", "years": 3}],
        "applied": "2024-05-20", "city": "Straße 1, İstanbul", "id": 9007199254740993}'),
  (2, '{"name": {"first": "Bob"}, "education": [], "skills": [], "salary": 120000, "budget": {"max": 100000},
        "experience": [{"title": "Manager", "years": 5}], "applied": "2024-01-02", "city": "STRASSE 2", "id": 9007199254740992}'),
  (3, '{"name": null, "skills": "go, sql", "salary": "lots", "budget": {"max": null}, "experience": {"title": "x"},
        "applied": "soon", "city": null, "id": "9007199254740993"}'),
  (4, '{}');

-- Exact paths: indexes, keys with dots; dot paths keep their meaning.
SELECT id,
       condition_matches('{"field": "$.education[0].degree", "op": "eq", "value": "MSc"}', facts) AS first_degree,
       condition_matches('{"field": "$[\"name.first\"]", "op": "eq", "value": "Annie"}', facts) AS dotted_key,
       condition_matches('{"field": "name.first", "op": "eq", "value": "Ann"}', facts) AS dot_path,
       condition_matches('{"field": "$.education[5].degree", "op": "not_exists"}', facts) AS out_of_range
  FROM lang2_people ORDER BY id;

-- Sizes: empty and missing are different.
SELECT id,
       condition_matches('{"field": "skills", "op": "size_gte", "value": 3}', facts) AS three_skills,
       condition_matches('{"field": "skills", "op": "size_eq", "value": 0}', facts) AS no_skills,
       evaluate_condition('{"field": "skills", "op": "size_eq", "value": 0}', facts)->'leaves'->0->>'reason' AS why
  FROM lang2_people ORDER BY id;

-- Fact against fact, explained with both sides.
SELECT id,
       condition_matches('{"field": "salary", "op": "lte", "value": {"field": "budget.max"}}', facts) AS within_budget,
       (evaluate_condition('{"field": "salary", "op": "lte", "value": {"field": "budget.max"}}', facts)->'leaves'->0)
         - 'path' - 'field' - 'op' - 'expected' - 'negated' - 'passed' AS explained
  FROM lang2_people ORDER BY id;

-- Quantified groups over arrays of records: which element decided.
SELECT id,
       condition_matches(c, facts) AS some_senior,
       evaluate_condition(c, facts)->'leaves'->0->>'element' AS element,
       coalesce(evaluate_condition(c, facts)->'leaves'->0->>'reason',
                evaluate_condition(c, facts)->'leaves'->0->>'why') AS why
  FROM lang2_people,
       (SELECT '{"some": {"field": "experience", "where": {"all": [
                  {"field": "title", "op": "contains", "value": "Engineer"},
                  {"field": "years", "op": "gte", "value": 2}]}}}'::jsonb AS c) q
 ORDER BY id;
-- Why none matched: the failed inner leaves of the first elements.
SELECT jsonb_pretty(evaluate_condition('{"some": {"field": "experience", "where": {"all": [
         {"field": "title", "op": "contains", "value": "Engineer"},
         {"field": "years", "op": "gte", "value": 2}]}}}', facts)->'leaves'->0->'elements_explained')
  FROM lang2_people WHERE id = 2;
SELECT condition_matches('{"every": {"field": "e", "where": {"field": "ok", "op": "eq", "value": true}}}', '{"e": []}') AS every_empty,
       condition_matches('{"none": {"field": "e", "where": {"field": "ok", "op": "eq", "value": true}}}', '{"e": [{"ok": false}]}') AS none_true;
SELECT jsonb_pretty(condition_leaves('{"all": [{"field": "a", "op": "exists"},
         {"some": {"field": "jobs", "where": {"field": "years", "op": "gte", "value": 2}}}]}'));

-- Relative time: an explicit instant, the same everywhere; the two-argument
-- forms refuse it (they are IMMUTABLE) and point to the three-argument form.
SELECT id,
       condition_matches('{"field": "applied", "op": "within_last", "value": "P30D"}', facts, '2024-06-01T00:00:00Z') AS recent,
       condition_matches('{"field": "applied", "op": "older_than", "value": "P3M"}', facts, '2024-06-01T00:00:00Z') AS stale,
       evaluate_condition('{"field": "applied", "op": "within_last", "value": "P30D"}', facts, '2024-06-01T00:00:00Z')->'leaves'->0->>'reason' AS why
  FROM lang2_people ORDER BY id;
SELECT test_error($$SELECT condition_matches('{"field": "applied", "op": "within_last", "value": "P30D"}', '{}')$$);
SELECT test_error($$SELECT evaluate_condition('{"not": {"field": "applied", "op": "older_than", "value": "P1D"}}', '{}')$$);
SELECT test_error($$SELECT validate_condition('{"field": "applied", "op": "within_last", "value": "30 days"}')$$);
SELECT condition_matches('{"field": "applied", "op": "within_last", "value": "P30D"}', '{"applied": "2024-05-20"}', NULL) IS NULL AS strict_at;

-- Unicode case folding (ICU full folding) for every text operator.
SELECT id,
       condition_matches('{"field": "city", "op": "contains", "value": "STRASSE", "ignore_case": true}', facts) AS strasse,
       condition_matches('{"field": "city", "op": "starts_with", "value": "straße", "ignore_case": true}', facts) AS starts,
       condition_matches('{"field": "city", "op": "ends_with", "value": "İSTANBUL", "ignore_case": true}', facts) AS dotted_i
  FROM lang2_people ORDER BY id;
SELECT condition_matches('{"field": "w", "op": "eq", "value": "ΟΔΟΣ", "ignore_case": true}', '{"w": "οδος"}') AS final_sigma,
       condition_matches('{"field": "w", "op": "in", "value": ["x", "STRASSE"], "ignore_case": true}', '{"w": "straße"}') AS in_folded,
       condition_matches('{"field": "w", "op": "eq", "value": "İstanbul", "ignore_case": true}', '{"w": "istanbul"}') AS dotted_capital_i;

-- Exact decimals where a double would lie.
SELECT id,
       condition_matches('{"field": "id", "op": "eq", "value": 9007199254740993}', facts) AS eq_2p53_plus_1,
       condition_matches('{"field": "id", "op": "gt", "value": 9007199254740992}', facts) AS gt_2p53
  FROM lang2_people ORDER BY id;
SELECT condition_matches('{"field": "x", "op": "eq", "value": 0.3}', '{"x": 0.30000000000000004}') AS point3,
       condition_matches('{"field": "x", "op": "lt", "value": 0.10000000000000000001}', '{"x": 0.1}') AS long_operand,
       condition_matches('{"field": "x", "op": "eq", "value": 0.1}', '{"x": 0.1000000000000000000000000000001}') AS long_fact,
       condition_matches('{"field": "x", "op": "gt", "value": 0}', '{"x": 1e-400}') AS tiny,
       condition_matches('{"field": "x", "op": "eq", "value": {"field": "y"}}', '{"x": 1e400, "y": 1e401}') AS huge_pair,
       condition_matches('{"field": "x", "op": "lt", "value": {"field": "y"}}', '{"x": 1e400, "y": 1e401}') AS huge_lt;

-- Old conditions keep their meaning (a key written with brackets, no $).
SELECT condition_matches('{"field": "tags[0]", "op": "eq", "value": 1}', '{"tags[0]": 1, "tags": [2]}') AS bracket_key;

-- In the pipeline: a blocking rule with fact against fact and a quantified
-- group, a warn rule with sizes, and an alert with relative time (measured
-- from the transaction's timestamp) firing on a facts change.
SET workflow_ext.actor = 'user:lang2';
SELECT test_workflow('Language 2', 3) AS wid \gset
SELECT job_id FROM assign_workflow(9200, :wid);
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (test_stage(:wid, 2), 'Budget and seniority', '{"all": [
     {"field": "salary", "op": "lte", "value": {"field": "budget.max"}},
     {"some": {"field": "experience", "where": {"field": "years", "op": "gte", "value": 2}}}]}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (test_stage(:wid, 3), 'Enough skills', '{"field": "skills", "op": "size_gte", "value": 3}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (test_stage(:wid, 1), 'last_contact', 'older_than', '"P14D"', 'no contact for two weeks');
SELECT field_name, operator, value, fires_on FROM alert WHERE stage_id = test_stage(:wid, 2) ORDER BY id;
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT 9200 + id, facts FROM lang2_people WHERE id IN (1, 2);
SELECT candidate_id FROM add_candidate(9201, 9200);
SELECT candidate_id FROM add_candidate(9202, 9200);
SELECT to_stage_name FROM move_to_next_stage(9201, 9200);
SELECT test_error('SELECT move_to_next_stage(9202, 9200)');
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('skills', '[]'::jsonb) WHERE candidate_id = 9201;
SELECT to_stage_name, warnings->0->>'reason' AS warned FROM move_to_next_stage(9201, 9200);
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('last_contact', to_jsonb(now() - interval '30 days'))
 WHERE candidate_id = 9202;
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('last_contact', to_jsonb(now() - interval '1 day'))
 WHERE candidate_id = 9201;
SELECT e.candidate_id, a.message, e.cause FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.candidate_id IN (9201, 9202) AND a.operator = 'older_than' ORDER BY e.candidate_id;
-- The same alert through the three-argument form at a fixed instant.
SELECT candidate_id,
       condition_matches('{"field": "last_contact", "op": "older_than", "value": "P14D"}', attributes,
                         (attributes->>'last_contact')::timestamptz + interval '15 days') AS after_15_days,
       condition_matches('{"field": "last_contact", "op": "older_than", "value": "P14D"}', attributes,
                         (attributes->>'last_contact')::timestamptz + interval '13 days') AS after_13_days
  FROM candidate_profile WHERE candidate_id IN (9201, 9202) ORDER BY 1;
RESET workflow_ext.actor;
