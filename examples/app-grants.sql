-- The application's grant set (README: Privileges), ready to run as a superuser
-- (or the extension's owner) in each database that has the extension:
--   psql -d mydb -f examples/app-grants.sql
--   psql -d mydb -c 'GRANT workflow_app TO app'     -- your application's login role
-- It creates the group role workflow_app when the cluster has none yet (roles are
-- cluster-wide; the grants are per database) and may be run again at will.
-- The lines between the markers are the README's, verbatim: scripts/check-release.sh
-- fails when they differ.
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN
        CREATE ROLE workflow_app NOLOGIN;
    END IF;
END $$;
RESET client_min_messages;
-- BEGIN application grant set
GRANT USAGE ON SCHEMA public TO workflow_app;   -- the extension's schema
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
      alert, job_workflow, candidate_profile, job_profile, rejection_reason, candidate_stage TO workflow_app;
GRANT SELECT, INSERT ON stage_transition, alert_event TO workflow_app;   -- INSERT: the pipeline runs as the caller
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO workflow_app;
GRANT SELECT ON facts_source, workflow_with_stages, stage_with_rules, stage_visit, stage_visit_row, stage_visit_summary TO workflow_app;
GRANT EXECUTE ON FUNCTION visible_workflow_array(), editable_workflow_array(),
      shared_workflow_array(boolean), shared_pipeline(bigint, text, boolean), own_pipeline(bigint, text, boolean),
      job_tenant(bigint), pipeline_tenant(bigint, bigint), visible_workflow(bigint, boolean), accept_share(bigint, boolean), decline_share(bigint, boolean),
      leave_share(bigint, boolean), pending_shares(), transfer_workflow_ownership(bigint, text) TO workflow_app;
-- END application grant set
