-- The data model: tables, minimal INSERTs with defaults, constraints, comments.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:schema';

-- Every table has a single-column unique bigint id.
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_class c
  JOIN pg_index i ON i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attname = 'id'
   AND c.relname <> 'facts_source'
 ORDER BY 1;

-- Minimal INSERTs work thanks to defaults.
INSERT INTO workflow (name) VALUES ('Minimal') RETURNING name, description, owner;
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT id, 'Only', 1 FROM workflow WHERE name = 'Minimal' RETURNING name, position, kind, config, sla;
INSERT INTO stage_rule (stage_id, name, condition)
SELECT s.id, 'r', '{"field": "a", "op": "exists"}' FROM workflow_stage s WHERE s.name = 'Only'
RETURNING name, on_fail;
INSERT INTO alert (stage_id, field_name, operator, value)
SELECT s.id, 'b', '=', '1' FROM workflow_stage s WHERE s.name = 'Only'
RETURNING field_name, operator, value, fires_on, severity, message, rule_id;

-- Constraints.
SELECT test_error($$INSERT INTO workflow (name) VALUES ('  ')$$);
SELECT test_error($$INSERT INTO workflow_stage (workflow_id, name, position) VALUES (-1, 'x', 1)$$);
SELECT test_error($$INSERT INTO workflow_stage (workflow_id, name, position)
                    SELECT id, 'Dup', 1 FROM workflow WHERE name = 'Minimal'$$);
SELECT test_error($$INSERT INTO workflow_stage (workflow_id, name, position)
                    SELECT id, 'Zero', 0 FROM workflow WHERE name = 'Minimal'$$);
SELECT test_error($$INSERT INTO workflow_stage (workflow_id, name, position, kind)
                    SELECT id, 'K', 2, 'final' FROM workflow WHERE name = 'Minimal'$$);
SELECT test_error($$INSERT INTO stage_rule (stage_id, name, condition)
                    SELECT s.id, 'second', '{"field": "a", "op": "exists"}' FROM workflow_stage s WHERE s.name = 'Only'$$);
SELECT test_error($$INSERT INTO stage_rule (stage_id, name, condition) VALUES (-5, 'x', '{"field": "a", "op": "exists"}')$$);
SELECT test_error($$INSERT INTO alert (stage_id, field_name, operator, value) VALUES (-5, 'a', 'eq', '1')$$);
SELECT test_error($$INSERT INTO job_workflow (job_id, workflow_id) VALUES (1, -1)$$);
SELECT test_error($$INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '[1]')$$);
SELECT test_error($$INSERT INTO stage_rule (stage_id, name, condition, on_fail)
                    SELECT s.id, 'x', '{"field": "a", "op": "exists"}', 'ignore' FROM workflow_stage s WHERE s.name = 'Only'$$);
-- A rule-generated alert must belong to its rule's stage (composite foreign key).
SELECT test_error($$INSERT INTO alert (stage_id, rule_id, rule_path, field_name, operator, value)
                    SELECT s.id, -1, '$', 'a', 'eq', '1' FROM workflow_stage s WHERE s.name = 'Only'$$);

-- updated_at moves, owner does not.
SELECT test_error($$UPDATE workflow SET owner = 'user:thief' WHERE name = 'Minimal'$$);

-- Deleting a workflow removes its stages, rules and alerts.
DELETE FROM workflow WHERE name = 'Minimal';
SELECT (SELECT count(*) FROM workflow_stage) AS stages, (SELECT count(*) FROM stage_rule) AS rules,
       (SELECT count(*) FROM alert) AS alerts;

-- Every table, view, function and type of the extension has a comment.
SELECT 'missing comment: ' || pg_describe_object(d.classid, d.objid, 0) AS object
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
   AND NOT (d.classid = 'pg_class'::regclass
            AND (SELECT relkind FROM pg_class WHERE oid = d.objid) IN ('S', 'i'))
   AND obj_description(d.objid, d.classid::regclass::name) IS NULL
 ORDER BY 1;

-- And every index of its tables (an index is not a member of the extension:
-- it belongs to its table).
SELECT 'missing comment: ' || pg_describe_object('pg_class'::regclass, i.indexrelid, 0) AS object
  FROM pg_index i
  JOIN pg_depend d ON d.objid = i.indrelid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext')
   AND obj_description(i.indexrelid, 'pg_class') IS NULL
 ORDER BY 1;

-- Columns that are not obvious carry a comment (spot checks).
SELECT col_description('candidate_stage'::regclass, attnum) IS NOT NULL AS commented, attname
  FROM pg_attribute WHERE attrelid = 'candidate_stage'::regclass AND attname IN ('stage_id', 'transition_id');

-- Indexes for every lookup a move makes.
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) ~ 'UNIQUE' AS is_unique
  FROM pg_index WHERE indrelid IN ('candidate_stage'::regclass, 'workflow_stage'::regclass,
                                   'job_workflow'::regclass, 'stage_transition'::regclass)
 ORDER BY indexrelid::regclass::text;

-- Every user-data table and its sequence is kept by pg_dump.
SELECT c::regclass AS dumped FROM pg_extension, unnest(extconfig) c WHERE extname = 'workflow_ext' ORDER BY c::regclass::text;

-- Every function pins search_path, but those that look up no names and run
-- per row (screening, RLS policies: actor, tenant, administrator; statement
-- triggers), where a SET clause would cost a GUC save/restore each call; and
-- the facts row trigger (candidate_facts_changed), which pins search_path in
-- C around its SPI work (wf_pin_search_path) and records a statement's rows;
-- and the facts tables' stamp (stamp_facts_row), which runs no SQL.
SELECT p.proname FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext')
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
 ORDER BY 1;
