-- Prepares the current database for a client, as a superuser: the extension,
-- and an application role holding exactly the grants the README's Security
-- section lists (the extension's PUBLIC grants withdrawn, so those grants are
-- all it has), a schema of its own for the client's own tables (Django's auth
-- tables, for instance), every write requiring an actor, and only that role
-- trusted to name actors.  An existing role of that name is kept (its
-- password set to app_password).
--   psql -v app_role=wf_app -v app_password=secret -f clients/common/app-database.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') AS create_role \gset
\if :create_role
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
\else
-- an existing role gets the password given (the clients connect with it)
ALTER ROLE :"app_role" PASSWORD :'app_password';
\endif

REVOKE ALL ON workflow, workflow_share, workflow_stage, stage_rule, alert, job_workflow,
    candidate_profile, job_profile, candidate_stage, stage_transition, alert_event, facts_source,
    workflow_with_stages, stage_with_rules FROM PUBLIC;
REVOKE ALL ON SEQUENCE workflow_id_seq, workflow_share_id_seq, workflow_stage_id_seq,
    stage_rule_id_seq, alert_id_seq, job_workflow_id_seq, candidate_profile_id_seq,
    job_profile_id_seq, candidate_stage_id_seq FROM PUBLIC;

-- README, Security, Privileges: exactly this list (the lines between
-- BEGIN and END application grant set there, given to this role).
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
      alert, job_workflow, candidate_profile, job_profile, rejection_reason, candidate_stage TO :"app_role";
GRANT SELECT, INSERT ON stage_transition, alert_event TO :"app_role";
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO :"app_role";
GRANT SELECT ON facts_source, workflow_with_stages, stage_with_rules, stage_visit, stage_visit_row, stage_visit_summary TO :"app_role";
GRANT EXECUTE ON FUNCTION visible_workflow_array(), editable_workflow_array(), shared_workflow_array(boolean), shared_pipeline(bigint, text, boolean), own_pipeline(bigint, text, boolean), job_tenant(bigint), pipeline_tenant(bigint, bigint),
      visible_workflow(bigint, boolean), accept_share(bigint, boolean), decline_share(bigint, boolean),
      leave_share(bigint, boolean), pending_shares(), transfer_workflow_ownership(bigint, text) TO :"app_role";
-- (no privilege on any sequence: ids are the engine's)

-- The client's own tables live in a schema of its own, before the extension's
-- on its search_path.
CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION :"app_role";
SELECT current_database() AS db \gset
ALTER ROLE :"app_role" IN DATABASE :"db" SET search_path = app, public;
-- No write without an actor; only the application role names actors.
ALTER DATABASE :"db" SET workflow_ext.require_actor = on;
ALTER DATABASE :"db" SET workflow_ext.trusted_role = :'app_role';
