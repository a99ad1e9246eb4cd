-- What the update from 0.2.0 to 0.3.0 does to the rows 0.2.0 wrote, for the checksums
-- of updatecheck.py: it reads each column below through its expression before
-- the update (from the 0.2.0 row) and as it is after, and expects the same.
--   * A role that acted without workflow_ext.actor is role:<oid> in 0.3.0:
--     the actor strings that give access (workflow.owner,
--     workflow_share.grantee) that name an existing role become its identity;
--     history keeps what it recorded (not listed: unchanged).
--   * Each 0.2.0 actor is its own tenant: a workflow's tenant is its owner,
--     what hangs off a workflow (stages, rules, alerts, shares, job
--     assignments, pipeline rows, history, alert events) is its workflow's
--     tenant's; a profile's tenant is its owner (the owner column goes).
--   * A share with a grantee is a share with the grantee in its own tenant.
--   * A custom facts source is one organization's table (no tenant column).
CREATE FUNCTION upgrade_check.actor_0_3_0(actor text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce((SELECT 'role:' || r.oid FROM pg_roles r WHERE r.rolname = $1), $1) $$;
CREATE FUNCTION upgrade_check.tenant_0_3_0(workflow_id bigint) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT upgrade_check.actor_0_3_0(w.owner) FROM workflow w WHERE w.id = $1 $$;

UPDATE upgrade_check.cols SET before_expr = 'upgrade_check.actor_0_3_0(owner)'
 WHERE tbl = 'workflow'::regclass AND col = 'owner';
UPDATE upgrade_check.cols SET before_expr = 'upgrade_check.actor_0_3_0(grantee)'
 WHERE tbl = 'workflow_share'::regclass AND col = 'grantee';
DELETE FROM upgrade_check.cols WHERE tbl = 'candidate_profile'::regclass AND col = 'owner';
INSERT INTO upgrade_check.cols (tbl, col, before_expr) VALUES
    ('workflow', 'tenant', 'upgrade_check.actor_0_3_0(owner)'),
    ('workflow_share', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('workflow_share', 'grantee_tenant', 'upgrade_check.actor_0_3_0(grantee)'),
    ('workflow_stage', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('stage_rule', 'tenant',
     'upgrade_check.tenant_0_3_0((SELECT s.workflow_id FROM workflow_stage s WHERE s.id = stage_id))'),
    ('alert', 'tenant',
     'upgrade_check.tenant_0_3_0((SELECT s.workflow_id FROM workflow_stage s WHERE s.id = stage_id))'),
    ('job_workflow', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('candidate_profile', 'tenant', 'upgrade_check.actor_0_3_0(owner)'),
    ('candidate_stage', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('stage_transition', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('alert_event', 'tenant', 'upgrade_check.tenant_0_3_0(workflow_id)'),
    ('facts_source', 'tenant_column', 'NULL::name');
