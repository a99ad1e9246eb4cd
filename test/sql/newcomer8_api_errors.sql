-- newcomer8 #1, #2 (sections 1, 2): an API function given a value its table refuses says so
-- as the function's own 22023 with a reason, naming the object, before
-- anything is looked up, instead of the table's bare CHECK violation (23514,
-- no DETAIL, no reason).  #8 (section 3): the views show a stage's
-- auto_advance and on_enter.  Runs as wf_nc8_app, an ordinary role with the
-- README's grant set, in a database of its own.
\set own_db wf_newcomer8
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc8_app;
RESET client_min_messages;
CREATE ROLE wf_nc8_app;
GRANT workflow_app TO wf_nc8_app;
SET ROLE wf_nc8_app;
SET workflow_ext.tenant = 'org:nc8';
SET workflow_ext.actor = 'user:nc8';
INSERT INTO workflow (name) VALUES ('Backend') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT :wf, n, p, k FROM (VALUES ('Applied', 1, 'normal'), ('Screen', 2, 'normal'), ('Hired', 3, 'hired')) v(n, p, k);
SELECT job_id FROM assign_workflow(1234, :wf);
SELECT count(*) FROM unnest(ARRAY[1, 2]) c, add_candidate(c, 1234);

\echo '== 1. set_candidate_status: a status candidate_stage does not have'
SELECT test_error('SELECT set_candidate_status(1, 1234, ''bogus'', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, ''Rejected'', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, '''', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, ''removed'', NULL)');
-- the caller's text is echoed at most 64 bytes (attack16 04: a 100,000-character status came back whole)
SELECT length(test_error(format('SELECT set_candidate_status(1, 1234, %L, NULL)', repeat('é', 100000)))) < 400 AS bounded,
       test_error(format('SELECT set_candidate_status(1, 1234, %L, NULL)', repeat('é', 100000))) LIKE '%"length": 200000%' AS length_given;
-- said before the job is looked up, like a NULL argument
SELECT test_error('SELECT set_candidate_status(1, 999999, ''bogus'', NULL)');
-- the statuses the table has keep their own answers
SELECT test_error('SELECT set_candidate_status(1, 1234, ''hired'', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, ''transferred'', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, ''active'', NULL)');
SELECT test_error('SELECT set_candidate_status(1, 1234, NULL, NULL)');
SELECT status FROM set_candidate_status(1, 1234, 'rejected', 'no fit');
SELECT status FROM set_candidate_status(1, 1234, 'active', NULL);
SELECT status FROM set_candidate_status(2, 1234, 'withdrawn', 'took another offer');
-- nothing changed by the refusals: the history has the three changes only
SELECT candidate_id, from_status, to_status, reason FROM stage_transition
 WHERE from_status IS NOT NULL ORDER BY id;

\echo '== 2. clone_workflow: a blank name or one over 200 characters'
SELECT test_error(format('SELECT clone_workflow(%s, %L)', :wf, ''));
SELECT test_error(format('SELECT clone_workflow(%s, %L)', :wf, '   '));
SELECT test_error(format('SELECT clone_workflow(%s, %L)', :wf, repeat('é', 201)));
SELECT test_error(format('SELECT clone_workflow(%s, NULL)', :wf));
-- the workflow is still looked up first (P0002 for one the caller cannot see)
SELECT test_error('SELECT clone_workflow(999999, '''')');
-- 200 characters, not ASCII: a copy
SELECT clone_workflow(:wf, repeat('é', 200)) AS copy \gset
SELECT length(name), name = repeat('é', 200) AS same,
       (SELECT count(*) FROM workflow_stage s WHERE s.workflow_id = w.id) AS stages
  FROM workflow w WHERE id = :copy;
SELECT count(*) AS workflows FROM workflow;

\echo '== 3. the views show what a stage does by itself (newcomer8 #8)'
UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = :wf AND position = 1;
UPDATE workflow_stage SET on_enter = '{"email_template": "screen-invite"}' WHERE workflow_id = :wf AND position = 2;
SELECT s->>'name' AS stage, s->'auto_advance' AS auto_advance, s->'on_enter' AS on_enter
  FROM workflow_with_stages w, jsonb_array_elements(w.stages) s WHERE w.id = :wf;
SELECT name, auto_advance, on_enter FROM stage_with_rules WHERE workflow_id = :wf ORDER BY position;

RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_nc8_app;
