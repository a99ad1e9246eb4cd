-- Issue 18 (items 5, 13, 16): what an explanation, a DETAIL, a move's
-- warnings, a generated alert's message and an alert event copy from a
-- rule's operands or from facts is at most 64 KB whatever the rule; text is
-- compared in NFC; only the leaves that made a rule fail are reported.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:bounded';

-- The DETAIL of a failing statement, whole (test_error prints it).
CREATE FUNCTION test_detail(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END $$;

-- A 200,000-string "in" list (2.7 MB of JSON) and a 1,000-element one.
SELECT jsonb_agg('city-' || lpad(i::text, 7, '0')) AS cities FROM generate_series(1, 200000) i \gset
SELECT jsonb_build_object('field', 'city', 'op', 'in', 'value', :'cities'::jsonb) AS big_in \gset
SELECT octet_length(:'big_in') > 2500000 AS operand_is_megabytes;

\echo '== 1. An explanation copies an operand bounded, visibly'
SELECT octet_length(e::text) <= 65536 AS bounded,
       e->'leaves'->0->'expected'->'truncated' AS truncated,
       e->'leaves'->0->'expected'->'of' AS of_items,
       (e->'leaves'->0->'expected'->>'items')::int BETWEEN 100 AND 1000 AS some_items_shown,
       e->'leaves'->0->'expected'->'first'->0 AS first_item,
       octet_length(e->'leaves'->0->>'reason') <= 2048 AS reason_bounded,
       left(e->'leaves'->0->>'reason', 58) AS reason_starts
  FROM evaluate_condition(:'big_in'::jsonb, '{"city": "Paris"}') e;
-- a long text operand: its start and its size
SELECT (e->'leaves'->0->'expected') - 'text'::text AS expected, length(e->'leaves'->0->'expected'->>'text') AS shown
  FROM evaluate_condition(jsonb_build_object('field', 'x', 'op', 'eq', 'value', repeat('a', 100000)), '{"x": "b"}') e;
-- a small operand is shown as it is
SELECT evaluate_condition('{"field": "city", "op": "in", "value": ["Berlin", "Remote"]}', '{"city": "Paris"}')->'leaves'->0->'expected' AS small;

\echo '== 2. Many failed leaves: abridged past 32 KB, counted past 64 KB'
SELECT jsonb_build_object('all', jsonb_agg(jsonb_build_object('field', 'f' || i || repeat('x', 300), 'op', 'exists')))
       AS many FROM generate_series(1, 600) i \gset
SELECT octet_length(e::text) <= 65536 AS bounded,
       e->'leaves'->0 ? 'reason' AS first_in_full,
       e->'leaves'->-2->'abridged' AS then_abridged,
       e->'leaves'->-1 AS last,
       jsonb_array_length(e->'leaves') - 1 + (e->'leaves'->-1->>'not_listed')::int AS all_counted
  FROM evaluate_condition(:'many'::jsonb, '{}') e;

\echo '== 3. A blocked move: the DETAIL is bounded'
SELECT test_workflow('Bounded', 5) AS wid \gset
SELECT job_id FROM assign_workflow(8100, :wid);
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:wid, 2), 'Known city', :'big_in');
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (8101, jsonb_build_object('city', 'Paris', 'bio', repeat('b', 1000000),
                            'tags', (SELECT jsonb_agg(i) FROM generate_series(1, 100000) i)));
SELECT candidate_id FROM add_candidate(8101, 8100);
SELECT octet_length(d) <= 65536 AS detail_bounded, d::jsonb->'failed'->0->'expected'->'truncated' AS truncated,
       d::jsonb->'failed'->0->>'path' AS path
  FROM test_detail('SELECT move_to_next_stage(8101, 8100)') d;

\echo '== 4. A warn rule: warnings, generated alert messages and alert events are bounded'
UPDATE stage_rule SET on_fail = 'warn' WHERE stage_id = test_stage(:wid, 2);
SELECT octet_length(message) <= 65536 AS message_bounded, message FROM alert WHERE stage_id = test_stage(:wid, 2);
-- a hand-made alert without a message names its long operand too
INSERT INTO alert (stage_id, field_name, operator, value) VALUES (test_stage(:wid, 2), 'city', 'not_in', :'cities');
SELECT message FROM alert WHERE stage_id = test_stage(:wid, 2) AND rule_id IS NULL;
SELECT to_stage_name, alerts_raised, octet_length(warnings::text) <= 65536 AS warnings_bounded,
       warnings->0->'expected'->'of' AS of_items
  FROM move_to_next_stage(8101, 8100);
SELECT octet_length(warnings::text) <= 65536 AS history_warnings_bounded
  FROM stage_transition WHERE candidate_id = 8101 AND job_id = 8100 ORDER BY id DESC LIMIT 1;
SELECT cause, octet_length(message) <= 65536 AS message_bounded, message,
       octet_length(facts::text) <= 65536 AS facts_bounded, facts->'truncated' AS facts_truncated,
       (facts->>'bytes')::int > 1000000 AS facts_were_large
  FROM alert_event WHERE candidate_id = 8101 AND job_id = 8100 ORDER BY id;

\echo '== 5. Past 64 KB of failed leaves, every generated alert still fires'
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (test_stage(:wid, 3), 'Many', :'many', 'warn');
SELECT count(*) AS generated FROM alert WHERE stage_id = test_stage(:wid, 3);
SELECT alerts_raised, octet_length(warnings::text) <= 65536 AS warnings_bounded,
       warnings->-1 AS last_warning
  FROM move_to_next_stage(8101, 8100);
SELECT count(*) AS events FROM alert_event WHERE stage_id = test_stage(:wid, 3) AND candidate_id = 8101;

\echo '== 6. Only the leaves that made the rule fail are reported (DESIGN section 4)'
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (test_stage(:wid, 4), 'Located, experienced',
  '{"all": [{"any": [{"field": "city", "op": "eq", "value": "Paris"},
                     {"field": "relocate", "op": "eq", "value": true}]},
            {"field": "years", "op": "gte", "value": 3},
            {"not": {"any": [{"field": "blocked", "op": "eq", "value": true},
                             {"field": "flagged", "op": "eq", "value": true}]}}]}', 'warn');
UPDATE candidate_profile SET attributes = '{"city": "Paris", "relocate": false, "years": 1, "blocked": true, "flagged": false}'
 WHERE candidate_id = 8101;
-- the relocate leaf failed but Paris satisfied its "any"; under the "not", only what held
SELECT to_stage_name, alerts_raised,
       (SELECT jsonb_agg(w->>'path') FROM jsonb_array_elements(warnings) w) AS warned
  FROM move_to_next_stage(8101, 8100);
SELECT a.rule_path, e.message
  FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.stage_id = test_stage(:wid, 4) AND e.candidate_id = 8101 ORDER BY a.rule_path;
-- evaluate_condition: passed is false exactly for those leaves
SELECT l->>'path' AS path, l->'result' AS result, l->'passed' AS passed
  FROM evaluate_condition((SELECT condition FROM stage_rule WHERE stage_id = test_stage(:wid, 4)),
                          (SELECT attributes FROM candidate_profile WHERE candidate_id = 8101)) e,
       jsonb_array_elements(e->'leaves') l;
-- a rule that holds reports nothing, whatever its leaves
SELECT jsonb_agg(l->'passed') AS all_passed
  FROM evaluate_condition('{"any": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "eq", "value": 1}]}',
                          '{"a": 1, "b": 2}') e, jsonb_array_elements(e->'leaves') l;

\echo '== 7. Text is compared in NFC (é as U+00E9 and as e + U+0301; Hangul)'
SELECT condition_matches('{"field": "c", "op": "eq", "value": "Montréal"}', jsonb_build_object('c', U&'Montre\0301al')) AS eq_nfd,
       condition_matches(jsonb_build_object('field', 'c', 'op', 'eq', 'value', U&'Montre\0301al'), '{"c": "Montréal"}') AS eq_nfd_operand,
       condition_matches('{"field": "c", "op": "ne", "value": "Montréal"}', jsonb_build_object('c', U&'Montre\0301al')) AS ne_nfd,
       condition_matches('{"field": "c", "op": "eq", "value": "MONTRÉAL", "ignore_case": true}', jsonb_build_object('c', U&'montre\0301al')) AS eq_ignore_case,
       condition_matches('{"field": "c", "op": "in", "value": ["Zürich", "Bern"]}', jsonb_build_object('c', U&'Zu\0308rich')) AS in_nfd,
       condition_matches('{"field": "c", "op": "not_in", "value": ["Zürich"]}', jsonb_build_object('c', U&'Zu\0308rich')) AS not_in_nfd;
SELECT condition_matches('{"field": "c", "op": "contains", "value": "é"}', jsonb_build_object('c', U&'cafe\0301 noir')) AS contains_nfd,
       condition_matches('{"field": "c", "op": "starts_with", "value": "Éc"}', jsonb_build_object('c', U&'E\0301cole')) AS starts_nfd,
       condition_matches('{"field": "c", "op": "ends_with", "value": "é"}', jsonb_build_object('c', U&'cafe\0301')) AS ends_nfd,
       condition_matches('{"field": "c", "op": "matches", "value": "^caf(é|e)$"}', jsonb_build_object('c', U&'cafe\0301')) AS matches_nfd,
       condition_matches('{"field": "c", "op": "contains", "value": "é"}', jsonb_build_object('c', jsonb_build_array(U&'e\0301'))) AS array_contains_nfd,
       condition_matches('{"field": "c", "op": "size_eq", "value": 4}', jsonb_build_object('c', U&'cafe\0301')) AS size_counts_nfc,
       condition_matches('{"field": "c", "op": "eq", "value": "한"}', jsonb_build_object('c', U&'\1112\1161\11AB')) AS hangul;
-- ignore_case folds composed text: ẞ (U+1E9E) and ß fold to ss; the Angstrom sign
-- (U+212B) is canonically Å, which folds to å, written here as a + U+030A
SELECT condition_matches('{"field": "c", "op": "eq", "value": "STRAẞE", "ignore_case": true}', '{"c": "straße"}') AS sharp_s,
       condition_matches(jsonb_build_object('field', 'c', 'op', 'eq', 'value', U&'\212Bngstr\00F6m', 'ignore_case', true),
                         jsonb_build_object('c', U&'a\030Angstro\0308m')) AS angstrom,
       condition_matches(jsonb_build_object('field', 'c', 'op', 'eq', 'value', U&'\212Bngstr\00F6m'),
                         jsonb_build_object('c', U&'a\030Angstro\0308m')) AS angstrom_case_matters,
       -- a compatibility (not canonical) equivalent stays different: ﬁ is no fi
       condition_matches('{"field": "c", "op": "eq", "value": "fi"}', jsonb_build_object('c', U&'\FB01')) AS ligature;
-- through a move: a rule written in NFC, facts in NFD
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:wid, 5), 'Montréal office',
  '{"field": "office", "op": "eq", "value": "Montréal"}');
UPDATE candidate_profile SET attributes = jsonb_build_object('office', U&'Montre\0301al') WHERE candidate_id = 8101;
SELECT to_stage_name FROM move_to_next_stage(8101, 8100);

DROP FUNCTION test_detail(text);
