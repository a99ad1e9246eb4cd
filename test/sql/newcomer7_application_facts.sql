-- newcomer7 #4: the README's application-facts examples (Facts and alerts):
-- a plain assignment drops another writer's keys, the merge forms keep them,
-- a facts write leaves no history row and no feed event, and the README's
-- audit trigger records who wrote what.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc7f_app;
RESET client_min_messages;
CREATE ROLE wf_nc7f_app;
GRANT workflow_app TO wf_nc7f_app;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO workflow_app;
-- the README's audit, verbatim
CREATE TABLE app.facts_audit (at timestamptz NOT NULL DEFAULT now(), tenant text, job_id bigint,
    candidate_id bigint, actor text, old jsonb, new jsonb);
GRANT INSERT ON app.facts_audit TO workflow_app;      -- SELECT: to whoever audits, not the application
CREATE FUNCTION app.audit_application_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.facts_audit (tenant, job_id, candidate_id, actor, old, new)
    VALUES (NEW.tenant, NEW.job_id, NEW.candidate_id, public.current_actor(), OLD.attributes, NEW.attributes);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_application_facts AFTER UPDATE OF attributes ON candidate_stage
    FOR EACH ROW WHEN (OLD.attributes IS DISTINCT FROM NEW.attributes)
    EXECUTE FUNCTION app.audit_application_facts();
SET ROLE wf_nc7f_app;
SET workflow_ext.tenant = 'org:nc7f';
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('nc7f Backend') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:wf, 'Applied', 1), (:wf, 'Onsite', 2);
SELECT share_workflow(:wf, NULL);
SELECT job_id FROM assign_workflow(1234, :wf);
SELECT stage_id IS NOT NULL AS added FROM add_candidate(456, 1234);
SELECT count(*) AS history_before FROM stage_transition WHERE tenant = 'org:nc7f' \gset
SELECT count(*) AS feed_before FROM workflow_events_since(NULL, 100000) \gset

\echo '== 1. assigning the whole object drops the other writer''s keys'
SET workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = '{"scorecards": 1, "ivy": "strong hire"}' WHERE job_id = 1234 AND candidate_id = 456;
SET workflow_ext.actor = 'user:ian';
UPDATE candidate_stage SET attributes = '{"scorecards": 2, "ian": "no hire"}' WHERE job_id = 1234 AND candidate_id = 456;
SELECT attributes FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 456;
UPDATE candidate_stage SET attributes = '{}' WHERE job_id = 1234 AND candidate_id = 456;

\echo '== 2. the README''s merge forms keep them'
SET workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = attributes || '{"ivy": "strong hire"}'
 WHERE job_id = 1234 AND candidate_id = 456;
UPDATE candidate_stage
   SET attributes = attributes || jsonb_build_object('scorecards', coalesce((attributes ->> 'scorecards')::int, 0) + 1)
 WHERE job_id = 1234 AND candidate_id = 456;
SET workflow_ext.actor = 'user:ian';
UPDATE candidate_stage   -- a nested key (jsonb_set(attributes, '{feedback,ian}', …) does nothing while feedback is missing)
   SET attributes = attributes || jsonb_build_object('feedback', coalesce(attributes -> 'feedback', '{}') || '{"ian": "no hire"}')
 WHERE job_id = 1234 AND candidate_id = 456;
UPDATE candidate_stage
   SET attributes = attributes || jsonb_build_object('scorecards', coalesce((attributes ->> 'scorecards')::int, 0) + 1)
 WHERE job_id = 1234 AND candidate_id = 456;
SELECT attributes FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 456;
SELECT jsonb_set('{}'::jsonb, '{feedback,ian}', '"no hire"') AS jsonb_set_on_missing_parent;

\echo '== 3. no history row, no feed event for the facts writes'
SELECT count(*) - :history_before AS new_history_rows FROM stage_transition WHERE tenant = 'org:nc7f';
SELECT count(*) - :feed_before AS new_feed_events FROM workflow_events_since(NULL, 100000);
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
RESET ROLE;

\echo '== 4. the audit trigger recorded each write and its writer'
SELECT actor, old, new FROM app.facts_audit ORDER BY at, ctid;
DROP TRIGGER audit_application_facts ON candidate_stage;
DROP SCHEMA app CASCADE;
DROP ROLE wf_nc7f_app;
