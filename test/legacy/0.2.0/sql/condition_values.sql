-- Facts and operands that are valid but unusual (issue 8 section 6): numbers
-- beyond a double's range never refuse a facts write or a screening query,
-- date-shaped operands must be real dates, and non-finite numbers in a
-- condition are refused with their JSON path.  Needs setup (test_error,
-- test_workflow, test_stage).
\set SHOW_CONTEXT never

-- Facts: compare what can be compared; nothing raises.
SELECT condition_matches('{"field": "s", "op": "gt", "value": 3}', '{"s": 1e400}') AS huge_gt,
       condition_matches('{"field": "s", "op": "lt", "value": 3}', '{"s": 1e400}') AS huge_lt,
       condition_matches('{"field": "s", "op": "lt", "value": 3}', '{"s": -1e400}') AS neg_huge_lt,
       condition_matches('{"field": "s", "op": "gt", "value": 0}', '{"s": 1e-400}') AS tiny_gt_0,
       condition_matches('{"field": "s", "op": "eq", "value": 0}', '{"s": 1e-400}') AS tiny_eq_0,
       condition_matches('{"field": "s", "op": "lt", "value": 0}', '{"s": -1e-400}') AS neg_tiny_lt_0,
       condition_matches('{"field": "s", "op": "lt", "value": 1e-300}', '{"s": 1e-400}') AS tiny_lt_small,
       condition_matches('{"field": "s", "op": "in", "value": [1, 2]}', '{"s": [1e400, 2]}') AS in_array,
       condition_matches('{"field": "s", "op": "between", "value": [1, 1e308]}', '{"s": 1e308}') AS max_between;
SELECT (evaluate_condition('{"field": "s", "op": "lt", "value": 3}', '{"s": 1e400}')->'leaves'->0)
         - 'path' AS explained_huge,
       evaluate_condition('{"field": "s", "op": "gt", "value": 0}', '{"s": 123456789012345678901234567890.5}')->'result' AS long_digits,
       evaluate_condition('{"field": "s", "op": "eq", "value": 0.1}', '{"s": 0.1000000000000000000000000000001}')->'leaves'->0->'actual' AS long_fraction;

-- A profile update to a huge salary is not refused by the alert trigger.
SET workflow_ext.actor = 'user:values';
SELECT test_workflow('Values', 2) AS wid \gset
SELECT job_id FROM assign_workflow(9100, :wid);
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (test_stage(:wid, 1), 'salary', 'gt', '100000', 'salary above band'),
  (test_stage(:wid, 1), 'bonus', 'lt', '0', 'negative bonus');
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (9101, '{"salary": 50000}');
SELECT candidate_id FROM add_candidate(9101, 9100);
UPDATE candidate_profile SET attributes = '{"salary": 1e400, "bonus": -1e-400}' WHERE candidate_id = 9101;
SELECT a.message, e.cause FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.candidate_id = 9101 ORDER BY a.message;
RESET workflow_ext.actor;

-- Operands: a date-shaped string that is no real date is 22023 with its path.
SELECT test_error($$SELECT validate_condition('{"field": "d", "op": "lt", "value": "2024-02-30"}')$$);
SELECT test_error($$SELECT validate_condition('{"all": [{"field": "d", "op": "in", "value": ["2024-01-01", "2023-02-29"]}]}')$$);
SELECT test_error($$SELECT validate_condition('{"field": "d", "op": "between", "value": ["2024-01-01", "2024-12-31T25:00:00Z"]}')$$);
SELECT test_error($$SELECT condition_matches('{"field": "d", "op": "eq", "value": "2024-13-01"}', '{}')$$);
SELECT test_error($$INSERT INTO alert (stage_id, field_name, operator, value) VALUES (1, 'd', 'lt', '"2024-02-30"')$$);
-- Real dates and text that only begins like a date are still fine.
SELECT condition_matches('{"field": "d", "op": "eq", "value": "2024-02-29"}', '{"d": "2024-02-29T00:00:00Z"}') AS leap_day,
       condition_matches('{"field": "d", "op": "starts_with", "value": "2024-02-30"}', '{"d": "2024-02-30x"}') AS prefix_text,
       condition_matches('{"field": "d", "op": "lt", "value": "2024-03-01"}', '{"d": "2024-02-30"}') AS fact_not_a_date;

-- Operands beyond a double's range: 22023 at the number's path.
SELECT test_error($$SELECT validate_condition('{"all": [{"field": "a", "op": "lt", "value": 1e400}]}')$$);
SELECT test_error($$SELECT validate_condition('{"field": "a", "op": "in", "value": [1, -1e999]}')$$);
SELECT test_error($$SELECT condition_matches('{"field": "a", "op": "between", "value": [0, 1e309]}', '{}')$$);
