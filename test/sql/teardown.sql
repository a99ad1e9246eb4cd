-- DROP EXTENSION leaves nothing behind; the extension installs into any schema.
SET client_min_messages = warning;
DROP EXTENSION workflow_ext;
RESET client_min_messages;
SELECT count(*) AS leftover_relations FROM pg_class
 WHERE relname IN ('workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                   'job_workflow', 'candidate_profile', 'candidate_stage', 'stage_transition',
                   'alert_event', 'facts_source', 'workflow_with_stages', 'stage_with_rules')
    OR relname LIKE 'workflow%seq' OR relname LIKE 'candidate%seq';
SELECT count(*) AS leftover_functions FROM pg_proc
 WHERE proname IN ('move_to_next_stage', 'move_to_stage', 'add_candidate', 'current_actor',
                   'condition_matches', 'candidate_stage_guard', 'visible_workflow_array');
SELECT count(*) AS leftover_types FROM pg_type WHERE typname = 'move_result';
SELECT count(*) AS leftover_policies FROM pg_policy WHERE polname LIKE 'workflow%' OR polname LIKE 'candidate%';

-- Into another schema: unqualified calls resolve there, internals stay pinned.
CREATE SCHEMA hiring;
CREATE EXTENSION workflow_ext SCHEMA hiring;
SET search_path = hiring, public;
SET workflow_ext.actor = 'user:schema';
SELECT test_error('SELECT move_to_next_stage(456, 1234)');
INSERT INTO workflow (name) VALUES ('In hiring') RETURNING name, owner;
SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'workflow_ext';
RESET search_path;
RESET workflow_ext.actor;
SET client_min_messages = warning;
DROP EXTENSION workflow_ext;
DROP SCHEMA hiring;
DROP EXTENSION pgtap;
DROP ROLE wf_alice;
DROP ROLE wf_bob;
RESET client_min_messages;
