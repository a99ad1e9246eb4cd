-- The REST API's definition endpoints and viewsets: rules, alerts, sharing,
-- assignment, cloning, reordering and the two views.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:def';
SELECT test_workflow('Defs', 3) AS wid \gset

-- get_stage_rule: the rule, or P0002 naming which 404 it is.
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
VALUES (test_stage(:wid, 2), 'Senior', '{"all": [{"field": "years", "op": ">=", "value": 5},
                                                  {"not": {"field": "tags", "op": "contains", "value": "junior"}}]}', 'warn');
SELECT name, condition, on_fail FROM get_stage_rule(test_stage(:wid, 2));
SELECT test_error(format('SELECT get_stage_rule(%s)', test_stage(:wid, 1)));
SELECT test_error('SELECT get_stage_rule(999999)');
SELECT test_error('SELECT get_stage_rule(NULL)');

-- The rule generated one alert per leaf; a leaf under "not" fires on match.
SELECT rule_path, field_name, operator, value, fires_on, severity, message
  FROM get_stage_alerts(test_stage(:wid, 2));
SELECT test_error(format('SELECT get_stage_alerts(%s)', test_stage(:wid, 1)));
SELECT test_error('SELECT get_stage_alerts(999999)');

-- Editing the rule keeps the ids of leaves that stay, adds and drops the others.
SELECT id AS years_alert FROM alert WHERE rule_path = '$.all[0]' AND stage_id = test_stage(:wid, 2) \gset
UPDATE alert SET message = 'Needs five years' WHERE id = :years_alert;
UPDATE stage_rule SET condition = '{"all": [{"field": "years", "op": "gte", "value": 6},
                                            {"field": "email", "op": "exists"}]}'
 WHERE stage_id = test_stage(:wid, 2);
SELECT id = :years_alert AS same_id, rule_path, field_name, operator, value, fires_on, message
  FROM alert WHERE stage_id = test_stage(:wid, 2) ORDER BY rule_path;
-- A hand-made alert next to them; deleting the rule removes only the rule's alerts.
INSERT INTO alert (stage_id, field_name, operator, value, ignore_case, severity)
VALUES (test_stage(:wid, 2), 'city', 'eq', '"berlin"', true, 'info');
DELETE FROM stage_rule WHERE stage_id = test_stage(:wid, 2);
SELECT field_name, operator, value, ignore_case, message, rule_id FROM alert WHERE stage_id = test_stage(:wid, 2);

-- share_workflow / unshare_workflow.
SELECT share_workflow(:wid, 'user:friend');
SELECT share_workflow(:wid, 'user:editor', true);
SELECT share_workflow(:wid, 'user:friend', false);   -- again: updates can_edit
SELECT grantee, can_edit FROM workflow_share WHERE workflow_id = :wid ORDER BY grantee;
SELECT test_error(format('SELECT share_workflow(%s, %L)', :wid, 'user:def'));
SELECT test_error(format('SELECT share_workflow(%s, %L)', :wid, ''));
SELECT test_error('SELECT share_workflow(999999, ''user:x'')');
SELECT unshare_workflow(:wid, 'user:friend');
SELECT test_error(format('SELECT unshare_workflow(%s, %L)', :wid, 'user:friend'));
SELECT grantee FROM workflow_share WHERE workflow_id = :wid;

-- assign_workflow: insert, then reassign while the job has no candidates.
SELECT test_workflow('Other', 2) AS other \gset
SELECT job_id, workflow_id = :wid AS is_defs, assigned_by FROM assign_workflow(500, :wid);
SELECT job_id, workflow_id = :other AS is_other FROM assign_workflow(500, :other);
SELECT test_error('SELECT assign_workflow(501, 999999)');
SELECT candidate_id FROM add_candidate(1, 500);
SELECT test_error(format('SELECT assign_workflow(500, %s)', :wid));
SELECT job_id, workflow_id = :other AS still_other FROM assign_workflow(500, :other);

-- clone_workflow copies stages, rules (with their alerts) and hand-made alerts.
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:wid, 3), 'Offer ok', '{"field": "salary", "op": "between", "value": [1, 100]}');
UPDATE alert SET severity = 'info', message = 'edited' WHERE stage_id = test_stage(:wid, 3);
SELECT clone_workflow(:wid, 'Defs copy') AS copy \gset
SELECT name, owner, jsonb_path_query_array(stages, '$[*].name') AS stages
  FROM workflow_with_stages WHERE id = :copy;
SELECT s.position, r.name AS rule, a.field_name, a.operator, a.severity, a.message, a.rule_id IS NOT NULL AS from_rule
  FROM workflow_stage s LEFT JOIN stage_rule r ON r.stage_id = s.id LEFT JOIN alert a ON a.stage_id = s.id
 WHERE s.workflow_id = :copy ORDER BY s.position, a.id;
SELECT test_error('SELECT clone_workflow(999999, ''x'')');

-- reorder_stages: a permutation of exactly the workflow's stages.
SELECT reorder_stages(:copy, ARRAY[test_stage(:copy, 3), test_stage(:copy, 1), test_stage(:copy, 2)]);
SELECT jsonb_path_query_array(stages, '$[*].name') AS order_now FROM workflow_with_stages WHERE id = :copy;
SELECT test_error(format('SELECT reorder_stages(%s, ARRAY[%s, %s])', :copy, test_stage(:copy, 1), test_stage(:copy, 2)));
SELECT test_error(format('SELECT reorder_stages(%s, ARRAY[%s, %s, %s])', :copy, test_stage(:copy, 1), test_stage(:copy, 1), test_stage(:copy, 2)));
SELECT test_error(format('SELECT reorder_stages(%s, ARRAY[%s, %s, %s])', :copy, test_stage(:copy, 1), test_stage(:copy, 2), test_stage(:wid, 1)));
SELECT test_error(format('SELECT reorder_stages(%s, NULL)', :copy));
SELECT test_error('SELECT reorder_stages(999999, ARRAY[1])');

-- The views.
SELECT name, jsonb_array_length(stages) AS n, stages->0->>'name' AS first
  FROM workflow_with_stages WHERE id IN (:wid, :other) ORDER BY id;
SELECT name, position, kind, rule_name, on_fail, jsonb_array_length(alerts) AS alerts
  FROM stage_with_rules WHERE workflow_id = :wid ORDER BY position;
