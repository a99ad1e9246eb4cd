-- README "Conditions", "Explaining", "Screening through an index", "Facts and alerts": the examples
-- verbatim, continuing from the tour (00_tour.sql) as the README says.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/11_conditions_screening.sql'
\i test/repros/newcomer7/00_tour.sql
UNLISTEN *;
SELECT validate_condition('{"all": [
  {"field": "years_experience", "op": "gte", "value": 3},
  {"any": [
    {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true},
    {"field": "relocation", "op": "eq", "value": true}
  ]},
  {"not": {"field": "skills", "op": "contains", "value": "cobol"}},
  {"some": {"field": "experience", "where": {"all": [
    {"field": "title", "op": "contains", "value": "Engineer"},
    {"field": "years", "op": "gte", "value": 2}]}}},
  {"field": "salary_expectation", "op": "lte", "value": {"field": "budget.max"}}
]}');
SELECT condition_matches('{"all": [
  {"field": "years_experience", "op": "gte", "value": 3},
  {"any": [
    {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true},
    {"field": "relocation", "op": "eq", "value": true}
  ]},
  {"not": {"field": "skills", "op": "contains", "value": "cobol"}},
  {"some": {"field": "experience", "where": {"all": [
    {"field": "title", "op": "contains", "value": "Engineer"},
    {"field": "years", "op": "gte", "value": 2}]}}},
  {"field": "salary_expectation", "op": "lte", "value": {"field": "budget.max"}}
]}', '{"years_experience": 4, "location": "remote", "skills": ["go"], "experience": [{"title": "Senior Engineer", "years": 3}], "salary_expectation": 90, "budget": {"max": 100}}');
SELECT evaluate_condition('{"field": "years", "op": "gte", "value": 3}', '{"years": 1}');
SELECT l->>'path', l->'result', l->'passed'
  FROM evaluate_condition('{"all": [{"any": [{"field": "city", "op": "eq", "value": "Berlin"},
                                             {"field": "relocate", "op": "eq", "value": true}]},
                                    {"field": "years", "op": "gte", "value": 3},
                                    {"not": {"any": [{"field": "blocked", "op": "eq", "value": true},
                                                     {"field": "flagged", "op": "eq", "value": true}]}}]}',
                          '{"city": "Berlin", "relocate": false, "years": 1, "blocked": true, "flagged": false}') e,
       jsonb_array_elements(e->'leaves') l;
SELECT evaluate_condition('{"some": {"field": "experience", "where":
         {"field": "years", "op": "gte", "value": 2}}}', '{"experience": [{"years": 1}]}');
-- operator table examples
SELECT op, condition_matches(c::jsonb, f::jsonb, '2024-06-01T00:00:00Z') FROM (VALUES
 ('eq',  '{"field": "status", "op": "eq", "value": "open"}', '{"status": "open"}'),
 ('between', '{"field": "applied_on", "op": "between", "value": ["2024-01-01", "2024-12-31"]}', '{"applied_on": "2024-03-01"}'),
 ('in field', '{"field": "city", "op": "in", "value": {"field": "job.cities"}}', '{"city": "Berlin", "job": {"cities": ["Berlin"]}}'),
 ('matches', '{"field": "phone", "op": "matches", "value": "^\\+49"}', '{"phone": "+49 30 1234"}'),
 ('size_gte', '{"field": "skills", "op": "size_gte", "value": 3}', '{"skills": ["a","b","c"]}'),
 ('within_last', '{"field": "applied_on", "op": "within_last", "value": "P30D"}', '{"applied_on": "2024-05-15"}'),
 ('within_next', '{"field": "interview_at", "op": "within_next", "value": "PT12H"}', '{"interview_at": "2024-06-01T06:00:00Z"}'),
 ('older_than', '{"field": "last_contact", "op": "older_than", "value": "P2W"}', '{"last_contact": "2024-05-01"}'),
 ('straße', '{"field": "s", "op": "eq", "value": "STRASSE", "ignore_case": true}', '{"s": "Straße"}'),
 ('quantified $', '{"some": {"field": "jobs", "where": {"field": "years", "op": "gte", "value": {"field": "$.min_years"}}}}', '{"min_years": 2, "jobs": [{"years": 3}]}')
) v(op, c, f);
-- Screening through an index, verbatim
RESET ROLE;   -- back to the superuser, the tables' owner
CREATE INDEX candidate_profile_attributes ON candidate_profile USING gin (attributes jsonb_path_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT candidate_id FROM candidate_profile
 WHERE condition_matches('{"all": [{"field": "location", "op": "in", "value": ["Berlin", "Remote"]},
                                   {"field": "email", "op": "matches", "value": "@example\\.com$"}]}', attributes);
RESET enable_seqscan;
SET ROLE app;
EXPLAIN (COSTS OFF) SELECT candidate_id FROM candidate_profile
 WHERE condition_matches_leakproof('{"field": "location", "op": "eq", "value": "Berlin"}', attributes);
SELECT candidate_id FROM candidate_profile
 WHERE condition_matches_leakproof('{"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}', attributes) ORDER BY 1;
-- candidate_facts(candidate, job) / evaluate_condition(condition, candidate, job)
SELECT candidate_facts(456, 1234);
SELECT evaluate_condition(condition, 789, 1234)->'result' FROM stage_rule WHERE id = 1;
