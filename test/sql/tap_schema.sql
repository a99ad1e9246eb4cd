-- pgTAP: the shape of the schema (tables, keys, checks, triggers, indexes, RLS).
\set QUIET on
SET client_min_messages = warning;
BEGIN;
\ir tap_fixtures.psql
SELECT plan(61);

SELECT has_table(t) FROM unnest(ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule',
    'alert', 'job_workflow', 'candidate_profile', 'job_profile', 'candidate_stage', 'stage_transition',
    'alert_event']::name[]) t;
SELECT has_view('workflow_with_stages');
SELECT has_view('stage_with_rules');
SELECT has_type('move_result');

SELECT col_is_pk('workflow', 'id');
SELECT col_type_is('workflow', 'id', 'bigint');
SELECT col_is_unique('stage_rule', 'stage_id');
-- Jobs and candidates are the application's ids within a tenant: the tenant leads every key.
SELECT col_is_unique('job_workflow', ARRAY['tenant', 'job_id']);
SELECT col_is_unique('workflow_share', ARRAY['workflow_id', 'grantee_tenant', 'grantee']);
SELECT col_is_unique('candidate_stage', ARRAY['tenant', 'job_id', 'candidate_id']);
SELECT col_is_unique('candidate_profile', ARRAY['tenant', 'candidate_id']);
SELECT col_is_unique('job_profile', ARRAY['tenant', 'job_id']);
SELECT col_is_fk('candidate_stage', ARRAY['workflow_id', 'stage_id']);
SELECT col_is_fk('candidate_stage', ARRAY['tenant', 'job_id', 'workflow_id']);
SELECT col_is_fk('alert', ARRAY['rule_id', 'stage_id']);
SELECT fk_ok('candidate_stage', ARRAY['workflow_id', 'stage_id'], 'workflow_stage', ARRAY['workflow_id', 'id']);
SELECT col_has_check('workflow_stage', 'kind');
SELECT col_has_check('stage_rule', 'on_fail');
SELECT col_has_check('candidate_stage', 'status');
SELECT col_has_check('alert', 'fires_on');
SELECT col_has_default('workflow', 'owner');
SELECT col_has_default('stage_rule', 'on_fail');
SELECT col_default_is('alert', 'fires_on', 'match');
SELECT col_default_is('candidate_stage', 'status', 'active');
SELECT col_type_is('stage_rule', 'condition', 'jsonb');
SELECT col_type_is('workflow_stage', 'sla', 'interval');
SELECT col_not_null('candidate_stage', 'candidate_id');
SELECT col_not_null('stage_transition', 'candidate_id');
SELECT col_not_null('alert_event', 'candidate_id');
SELECT col_not_null(t, 'tenant') FROM unnest(ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule',
    'alert', 'job_workflow', 'candidate_profile', 'job_profile', 'candidate_stage', 'stage_transition',
    'alert_event']::name[]) t;
SELECT col_type_is('candidate_stage', 'attributes', 'jsonb');

SELECT has_trigger('candidate_stage', 'candidate_stage_guard');
SELECT has_trigger('candidate_stage', 'candidate_stage_record');
SELECT has_trigger('stage_rule', 'stage_rule_validate');
SELECT has_trigger('alert', 'alert_validate');
SELECT has_trigger('candidate_profile', 'candidate_profile_facts_changed');
SELECT has_trigger('job_profile', 'job_profile_facts_changed');

SELECT has_index('candidate_stage', 'candidate_stage_candidate_idx');
SELECT has_index('stage_transition', 'stage_transition_candidate_idx');

SELECT is(count(*), 11::bigint, 'RLS is enabled on the eleven data tables')
  FROM pg_class WHERE relrowsecurity AND relname IN ('workflow', 'workflow_share', 'workflow_stage',
       'stage_rule', 'alert', 'job_workflow', 'candidate_profile', 'job_profile', 'candidate_stage',
       'stage_transition', 'alert_event');
SELECT is((SELECT relpersistence FROM pg_class WHERE relname = 'stage_transition'), 'p'::"char", 'history is logged');

SELECT * FROM finish();
ROLLBACK;
