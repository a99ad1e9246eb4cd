-- A thousand malformed conditions, each rejected with 22023 and a JSON path,
-- through validate_condition and the stage_rule trigger; the backend stays up.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:fuzz';
SELECT test_workflow('Malformed', 1) AS wid \gset

CREATE TEMP TABLE bad (n int, condition jsonb);
INSERT INTO bad
SELECT g, (ARRAY[
    '{"field": "f", "op": "op' || g || '", "value": 1}',                       -- unknown operator
    '{"field": "f", "op": "in", "value": ' || g || '}',                         -- in needs an array
    '{"field": "f", "op": "between", "value": [' || g || ', ' || (g - 1) || ']}', -- bounds out of order
    '{"field": "f", "op": "matches", "value": "(' || repeat('[', g % 7 + 1) || '"}', -- invalid regex
    '{"all": []}',                                                             -- empty group
    '{"any": [{"field": "f", "op": "exists"}, {"nope": ' || g || '}]}',         -- unknown node
    '{"field": "", "op": "exists"}',                                           -- empty field
    '{"field": "f", "op": "gt", "value": {"x": ' || g || '}}',                  -- object value
    repeat('{"not": ', 33 + g % 40) || '{"field": "f", "op": "exists"}' || repeat('}', 33 + g % 40), -- too deep
    '{"any": [' || (SELECT string_agg('{"field": "f", "op": "exists"}', ',') FROM generate_series(1, 1024 + g % 5)) || ']}', -- too many nodes
    '[' || g || ']',                                                           -- not an object
    '"' || g || '"',                                                           -- a string
    'null'                                                                     -- JSON null
  ])[1 + g % 13]::jsonb
  FROM generate_series(1, 1000) g;

-- validate_condition: every one is 22023 with a path.
CREATE TEMP TABLE outcome AS
SELECT n, test_error(format('SELECT validate_condition(%L::jsonb)', condition)) AS result FROM bad;
SELECT count(*) AS rejected_22023 FROM outcome WHERE result LIKE '22023: invalid condition at $%"reason": "invalid_condition", "path": "$%';
SELECT n, result FROM outcome WHERE result NOT LIKE '22023: invalid condition at $%"reason": "invalid_condition", "path": "$%' ORDER BY n LIMIT 5;
-- One of each kind, to read the messages.
SELECT n % 13 AS kind, min(result) AS example FROM outcome GROUP BY 1 ORDER BY 1;

-- The stage_rule trigger: nothing is stored.
SELECT count(*) AS rejected_by_trigger FROM bad
 WHERE test_error(format('INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, %L, %L)',
                         test_stage(:wid, 1), 'bad ' || n, condition)) LIKE '22023:%';
SELECT count(*) AS stored FROM stage_rule WHERE stage_id = test_stage(:wid, 1);
-- Nor through UPDATE of a good rule.
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:wid, 1), 'good', '{"field": "f", "op": "exists"}');
SELECT test_error(format('UPDATE stage_rule SET condition = %L WHERE stage_id = %s', '{"field": "f", "op": "in", "value": 3}', test_stage(:wid, 1)));
SELECT condition FROM stage_rule WHERE stage_id = test_stage(:wid, 1);
SELECT test_error(format('UPDATE stage_rule SET condition = NULL WHERE stage_id = %s', test_stage(:wid, 1)));

-- Bad alert definitions: 22023 naming the column.
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', test_stage(:wid, 1), 'f', 'approximately', '1'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', test_stage(:wid, 1), 'f', 'in', '1'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, NULL)', test_stage(:wid, 1), 'f', 'eq'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', test_stage(:wid, 1), 'f', 'exists', '1'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', test_stage(:wid, 1), 'a..b', 'eq', '1'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', test_stage(:wid, 1), 'f', 'matches', '"(("'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, NULL, %L, %L)', test_stage(:wid, 1), 'eq', '1'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, NULL, %L)', test_stage(:wid, 1), 'f', '1'));
SELECT count(*) AS alerts_stored FROM alert WHERE stage_id = test_stage(:wid, 1) AND rule_id IS NULL;

-- Huge but valid input is fine; facts of any shape never crash evaluation.
SELECT condition_matches(('{"field": "f", "op": "in", "value": [' ||
         (SELECT string_agg(g::text, ',') FROM generate_series(1, 100000) g) || ']}')::jsonb, '{"f": 99999}') AS big_in;
SELECT count(*) FILTER (WHERE condition_matches('{"all": [{"field": "a.b", "op": "gt", "value": 1}, {"field": "a", "op": "contains", "value": "x"}]}', f)) AS matched
  FROM (VALUES ('null'::jsonb), ('1'), ('"s"'), ('[]'), ('{"a": null}'), ('{"a": [1, [2], {"b": 3}]}'),
               ('{"a": {"b": "2"}}'), ('{"a": {"b": 1e300}}'), ('{"a": {"b": 2}}')) v(f);
SELECT 'backend alive' AS status;
