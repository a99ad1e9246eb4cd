-- workflow_ext 0.2.0 -> 0.3.0, run by ALTER EXTENSION workflow_ext UPDATE.
--
-- Brings a 0.2.0 database to exactly what a fresh 0.3.0 install creates
-- (sql/install/*.sql), keeping every row, and every actor its workflows,
-- shares and pipelines (make updatecheck compares the catalogs category by
-- category and the rows table by table; README: Upgrading, which also says
-- what a share across tenants no longer opens in 0.3.0).
--
-- What it does to the data:
--   * Each 0.2.0 actor becomes its own tenant: a workflow's tenant is its
--     owner; its stages, rules, alerts and shares, the jobs assigned to it and
--     their pipelines, history and alert events are its tenant's (the tenant
--     of the workflow a history row or alert event names); a candidate
--     profile's tenant is its former owner (the owner column goes).
--   * A role that acted without workflow_ext.actor was its name in 0.2.0 and
--     is role:<oid> in 0.3.0 (current_actor(), role_identity()).  Every actor
--     string that gives access -- workflow.owner, workflow_share.grantee, and
--     so the tenants -- equal to the name of an existing role becomes that
--     role's role:<oid>, so that no role loses its workflows.  History keeps
--     what it recorded (stage_transition.actor, alert_event.acknowledged_by,
--     candidate_stage.added_by, job_workflow.assigned_by, facts_source.set_by).
--   * A 0.2.0 share (workflow, grantee) becomes (grantee_tenant = grantee,
--     grantee): the grantee's own tenant, as a share made without a tenant
--     set in 0.3.0 (default_grantee_tenant()).
--   * A custom facts source keeps its table, tenant_column NULL (one
--     organization's table).
--   * merge_into_tenant() puts chosen actors into one organization afterwards.
--
-- How: 0.3.0 puts the tenant second in every table, and the column order is
-- part of what a fresh install is.  The tables keep their identity (OIDs,
-- grants, publications, sequences, foreign keys from other tables to their
-- ids); their columns after id are added anew in 0.3.0's order, filled, and
-- the 0.2.0 ones dropped.  Their constraints and indexes are those of
-- templates made by 0.3.0's own CREATE TABLE statements (verbatim below) in a
-- scratch schema, dropped at the end.  Everything else is 0.3.0's install
-- script, functions as CREATE OR REPLACE (so that objects of the database
-- that call them, like the facts source's trigger or a policy of a table of
-- the application's, keep working), after the 0.2.0 policies, triggers,
-- constraints, indexes and views are dropped.  Every table is rewritten once:
-- the update takes time in proportion to the data, under exclusive locks.
-- An object of the database's own that depends on a column, constraint or
-- index being replaced (a view, an index, a foreign key to a unique key other
-- than id, a statistics object, ...) stops the update before anything
-- changes, named (2BP01): drop it, update, and create it again.
\echo Use "ALTER EXTENSION workflow_ext UPDATE TO '0.3.0'" to load this file. \quit

-- -------------------------------------------------------------- 00_actor
-- The actor and the tenant: who is acting (workflow_ext.actor, else the
-- current role) and for which organization (workflow_ext.tenant, else the
-- actor itself).  Everything else is keyed on them.

-- No SET search_path on current_actor(), current_tenant(), is_tenant_admin():
-- they look up no name, and the RLS policies call them per row.
CREATE OR REPLACE FUNCTION current_actor() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_actor';
COMMENT ON FUNCTION current_actor() IS
    'The acting user: workflow_ext.actor when set, else the current role as role:<oid> (stable across ALTER ROLE ... RENAME, never inherited by a new role of the same name). Raises 42501 when workflow_ext.require_actor is on and no actor is set, or when a role outside workflow_ext.trusted_role names another actor.';

CREATE OR REPLACE FUNCTION current_tenant() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_tenant';
COMMENT ON FUNCTION current_tenant() IS
    'The organization acted for: workflow_ext.tenant when set, else the actor (each actor its own tenant). Raises 42501 when workflow_ext.require_tenant is on and no tenant is set, or when a role outside workflow_ext.trusted_role names a tenant other than its own actor.';

CREATE OR REPLACE FUNCTION is_tenant_admin() RETURNS boolean
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_is_tenant_admin';
COMMENT ON FUNCTION is_tenant_admin() IS
    'True when the application says the actor administers the current tenant (SET LOCAL workflow_ext.tenant_admin = on): it then sees and edits every workflow of the tenant. 42501 when a role outside workflow_ext.trusted_role claims it.';

CREATE OR REPLACE FUNCTION blank_identity(name text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_blank_identity';
COMMENT ON FUNCTION blank_identity(text) IS
    'True when the text names no one: empty, or only blank or invisible characters (spaces of every kind, zero-width and joiner characters, fillers). Such an actor or tenant setting counts as unset; no share or owner may name one.';

CREATE OR REPLACE FUNCTION role_identity(role regrole) RETURNS text
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_role_identity';
COMMENT ON FUNCTION role_identity(regrole) IS
    'The actor a role is when workflow_ext.actor is not set: role:<oid>. To share a workflow with a role, or to name it as owner.';

CREATE OR REPLACE FUNCTION require_actor_trigger() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_require_actor_trigger';
COMMENT ON FUNCTION require_actor_trigger() IS
    'Statement trigger on every table: refuses writes with 42501 when workflow_ext.require_actor (or require_tenant) is on and no actor (tenant) is set (superusers bypass RLS, so the policies alone would not).';

CREATE OR REPLACE FUNCTION invoking_role() RETURNS name
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invoking_role';
COMMENT ON FUNCTION invoking_role() IS
    'The role that called in, unchanged inside SECURITY DEFINER functions (used for owner-only checks).';

-- ------------------------------------------------- what 0.3.0 builds anew
-- A scratch schema for the update's own helpers and templates, dropped at
-- the end (its name must be free).
CREATE SCHEMA workflow_ext_update_0_3_0;

-- The 0.2.0 names of what is dropped here and built again below (a column or
-- anything else of the database's own on these tables is kept as it is).
CREATE TABLE workflow_ext_update_0_3_0.replaced (kind text, tbl text, name text);
INSERT INTO workflow_ext_update_0_3_0.replaced
SELECT 'policy', split_part(p, '.', 1), split_part(p, '.', 2)
  FROM unnest(ARRAY['alert.alert_edit', 'alert.alert_read', 'alert_event.alert_event_acknowledge',
                    'alert_event.alert_event_read', 'alert_event.alert_event_record',
                    'candidate_profile.candidate_profile_change', 'candidate_profile.candidate_profile_create',
                    'candidate_profile.candidate_profile_read', 'candidate_profile.candidate_profile_remove',
                    'candidate_stage.candidate_stage_add', 'candidate_stage.candidate_stage_move',
                    'candidate_stage.candidate_stage_read', 'candidate_stage.candidate_stage_remove',
                    'facts_source.facts_source_read', 'job_workflow.job_workflow_assign',
                    'job_workflow.job_workflow_read', 'job_workflow.job_workflow_reassign',
                    'job_workflow.job_workflow_remove', 'stage_rule.stage_rule_edit', 'stage_rule.stage_rule_read',
                    'stage_transition.stage_transition_read', 'stage_transition.stage_transition_record',
                    'workflow.workflow_create', 'workflow.workflow_delete', 'workflow.workflow_edit',
                    'workflow.workflow_read', 'workflow_share.workflow_share_manage',
                    'workflow_share.workflow_share_read', 'workflow_stage.workflow_stage_edit',
                    'workflow_stage.workflow_stage_read']) p
UNION ALL
SELECT 'constraint', split_part(c, '.', 1), split_part(c, '.', 2)
  FROM unnest(ARRAY['alert.alert_fires_on_check', 'alert.alert_rule_fk', 'alert.alert_rule_path_check',
                    'alert.alert_rule_path_key', 'alert.alert_severity_check', 'alert.alert_stage_id_fkey',
                    'alert_event.alert_event_alert_id_fkey', 'alert_event.alert_event_cause_check',
                    'candidate_profile.candidate_profile_attributes_check',
                    'candidate_profile.candidate_profile_candidate_id_key',
                    'candidate_stage.candidate_stage_job_candidate_key',
                    'candidate_stage.candidate_stage_job_workflow_fk', 'candidate_stage.candidate_stage_stage_fk',
                    'candidate_stage.candidate_stage_status_check', 'candidate_stage.candidate_stage_transition_fk',
                    'candidate_stage.candidate_stage_visit_transition_fk', 'facts_source.facts_source_id_check',
                    'job_workflow.job_workflow_job_id_key', 'job_workflow.job_workflow_job_workflow_key',
                    'job_workflow.job_workflow_workflow_id_fkey', 'stage_rule.stage_rule_id_stage_id_key',
                    'stage_rule.stage_rule_name_check', 'stage_rule.stage_rule_on_fail_check',
                    'stage_rule.stage_rule_stage_id_fkey', 'stage_rule.stage_rule_stage_id_key',
                    'stage_transition.stage_transition_from_stage_fk', 'stage_transition.stage_transition_to_stage_fk',
                    'workflow.workflow_name_check', 'workflow.workflow_owner_check',
                    'workflow_share.workflow_share_grantee_check', 'workflow_share.workflow_share_workflow_grantee_key',
                    'workflow_share.workflow_share_workflow_id_fkey', 'workflow_stage.workflow_stage_config_check',
                    'workflow_stage.workflow_stage_kind_check', 'workflow_stage.workflow_stage_name_check',
                    'workflow_stage.workflow_stage_position_check', 'workflow_stage.workflow_stage_position_key',
                    'workflow_stage.workflow_stage_sla_check', 'workflow_stage.workflow_stage_workflow_id_fkey',
                    'workflow_stage.workflow_stage_workflow_id_id_key']) c
UNION ALL
SELECT 'column', split_part(c, '.', 1), split_part(c, '.', 2)
  FROM unnest(ARRAY['alert.field_name', 'alert.fires_on', 'alert.ignore_case', 'alert.message',
                    'alert.operator', 'alert.rule_id', 'alert.rule_path', 'alert.severity', 'alert.stage_id',
                    'alert.value', 'alert_event.acknowledged_at', 'alert_event.acknowledged_by',
                    'alert_event.alert_id', 'alert_event.candidate_id', 'alert_event.cause',
                    'alert_event.facts', 'alert_event.job_id', 'alert_event.message',
                    'alert_event.raised_at', 'alert_event.severity', 'alert_event.stage_id',
                    'alert_event.transition_id', 'alert_event.workflow_id', 'alert_event.xact_id',
                    'candidate_profile.attributes', 'candidate_profile.candidate_id',
                    'candidate_profile.owner', 'candidate_profile.updated_at', 'candidate_stage.added_by',
                    'candidate_stage.candidate_id', 'candidate_stage.entered_at', 'candidate_stage.job_id',
                    'candidate_stage.stage_id', 'candidate_stage.status', 'candidate_stage.transition_id',
                    'candidate_stage.visit_transition_id', 'candidate_stage.workflow_id',
                    'facts_source.key_column', 'facts_source.relation', 'facts_source.set_at',
                    'facts_source.set_by', 'job_workflow.assigned_at', 'job_workflow.assigned_by',
                    'job_workflow.job_id', 'job_workflow.workflow_id', 'stage_rule.condition',
                    'stage_rule.created_at', 'stage_rule.name', 'stage_rule.on_fail', 'stage_rule.stage_id',
                    'stage_rule.updated_at', 'stage_transition.actor', 'stage_transition.alerts_raised',
                    'stage_transition.candidate_id', 'stage_transition.from_stage_id',
                    'stage_transition.from_status', 'stage_transition.job_id', 'stage_transition.moved_at',
                    'stage_transition.reason', 'stage_transition.to_stage_id', 'stage_transition.to_status',
                    'stage_transition.warnings', 'stage_transition.workflow_id', 'stage_transition.xact_id',
                    'workflow.created_at', 'workflow.description', 'workflow.name', 'workflow.owner',
                    'workflow.updated_at', 'workflow_share.can_edit', 'workflow_share.created_at',
                    'workflow_share.grantee', 'workflow_share.workflow_id', 'workflow_stage.config',
                    'workflow_stage.kind', 'workflow_stage.name', 'workflow_stage.position',
                    'workflow_stage.sla', 'workflow_stage.workflow_id']) c
UNION ALL
SELECT 'index', NULL, i
  FROM unnest(ARRAY['alert_event_feed_idx', 'alert_event_once_per_visit_idx', 'alert_event_open_idx',
                    'alert_event_sla_once_idx', 'alert_stage_id_idx', 'candidate_stage_active_idx',
                    'candidate_stage_candidate_idx', 'candidate_stage_stage_idx', 'job_workflow_workflow_id_idx',
                    'stage_transition_candidate_idx', 'stage_transition_feed_idx', 'workflow_owner_idx',
                    'workflow_share_grantee_idx']) i;

-- Nothing of the database's own may depend on what is replaced: the columns
-- after id, the constraints and indexes above.  Checked before any change.
DO $check$
DECLARE
    found jsonb;
BEGIN
    WITH ext AS (
        SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'workflow_ext'
    ), members AS (
        SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = ext.oid
           AND d.deptype = 'e'
    ), tables AS (
        SELECT c.oid, c.relname FROM pg_catalog.pg_class c JOIN members m
            ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND m.objid = c.oid
         WHERE c.relkind = 'r'
    ), replaced AS (             -- (classid, objid, objsubid) of what goes
        SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, a.attrelid AS objid, a.attnum AS objsubid
          FROM pg_catalog.pg_attribute a JOIN tables t ON t.oid = a.attrelid
          JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'column' AND o.tbl = t.relname AND o.name = a.attname
         WHERE a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, co.oid, 0
          FROM pg_catalog.pg_constraint co JOIN tables t ON t.oid = co.conrelid
          JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'constraint' AND o.tbl = t.relname AND o.name = co.conname
        UNION ALL
        SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid, 0
          FROM pg_catalog.pg_index i JOIN tables t ON t.oid = i.indrelid
          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         WHERE NOT i.indisprimary
    ), ours AS (                 -- what is dropped and built again anyway
        SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass AS classid, co.oid AS objid
          FROM pg_catalog.pg_constraint co JOIN tables t ON t.oid = co.conrelid
          JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'constraint' AND o.tbl = t.relname AND o.name = co.conname
        UNION ALL
        SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid
          FROM pg_catalog.pg_index i JOIN tables t ON t.oid = i.indrelid
          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indisprimary
            OR ic.relname IN (SELECT o.name FROM workflow_ext_update_0_3_0.replaced o WHERE o.kind = 'index')
            OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co
                        JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'constraint' AND o.name = co.conname
                       WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid)
        UNION ALL
        SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass, p.oid
          FROM pg_catalog.pg_policy p JOIN tables t ON t.oid = p.polrelid
          JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'policy' AND o.tbl = t.relname AND o.name = p.polname
        UNION ALL
        SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, tg.oid
          FROM pg_catalog.pg_trigger tg JOIN tables t ON t.oid = tg.tgrelid
         WHERE tg.tgisinternal
            OR tg.tgfoid IN (SELECT m.objid FROM members m
                              WHERE m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)
        UNION ALL                -- the extension's views
        SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, r.oid
          FROM pg_catalog.pg_rewrite r JOIN members m
            ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND m.objid = r.ev_class
        UNION ALL                -- column defaults
        SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, ad.oid
          FROM pg_catalog.pg_attrdef ad JOIN tables t ON t.oid = ad.adrelid
    )
    SELECT pg_catalog.jsonb_agg(DISTINCT coalesce(
               (SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.ev_class, 0)
                  FROM pg_catalog.pg_rewrite r        -- a view, rather than its rule
                 WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = d.objid),
               pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)))
      INTO found
      FROM pg_catalog.pg_depend d
      JOIN replaced r ON r.classid = d.refclassid AND r.objid = d.refobjid
                     AND (r.objsubid = 0 OR r.objsubid = d.refobjsubid)
     WHERE d.deptype IN ('n', 'a')
       AND NOT EXISTS (SELECT 1 FROM ours o WHERE o.classid = d.classid AND o.objid = d.objid);
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'workflow_ext 0.3.0 rebuilds the columns, constraints and indexes of its tables, and objects of this database depend on them: %',
                        (SELECT pg_catalog.string_agg(x, '; ') FROM pg_catalog.jsonb_array_elements_text(found) x)
            USING ERRCODE = '2BP01',
                  DETAIL = pg_catalog.jsonb_build_object('reason', 'dependent_objects', 'objects', found)::text,
                  HINT = 'Drop them, run ALTER EXTENSION workflow_ext UPDATE again, and create them again afterwards (the columns keep their names). Nothing has changed.';
    END IF;
END
$check$;

-- The views of 0.2.0, its policies, its triggers on its own tables, and its
-- constraints (foreign keys first) and indexes other than the primary keys.
DROP VIEW @extschema@.workflow_with_stages, @extschema@.stage_with_rules;
DO $drop$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.polname, p.polrelid::pg_catalog.regclass AS rel
               FROM pg_catalog.pg_policy p
               JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
               JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'policy' AND o.tbl = c.relname AND o.name = p.polname
              WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace LOOP
        EXECUTE pg_catalog.format('DROP POLICY %I ON %s', r.polname, r.rel);
    END LOOP;
    FOR r IN SELECT t.tgname, t.tgrelid::pg_catalog.regclass AS rel
               FROM pg_catalog.pg_trigger t
               JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                          AND d.objid = c.oid AND d.deptype = 'e'
                                          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
               JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
              WHERE NOT t.tgisinternal
                AND t.tgfoid IN (SELECT d2.objid FROM pg_catalog.pg_depend d2
                                  WHERE d2.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                                    AND d2.refobjid = e.oid AND d2.deptype = 'e')
              ORDER BY 2, 1 LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
    END LOOP;
    FOR r IN SELECT co.conname, co.conrelid::pg_catalog.regclass AS rel
               FROM pg_catalog.pg_constraint co
               JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
               JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'constraint' AND o.tbl = c.relname AND o.name = co.conname
              WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace
              ORDER BY co.contype <> 'f', 2, 1 LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
    END LOOP;
    FOR r IN SELECT c.oid::pg_catalog.regclass AS idx
               FROM pg_catalog.pg_class c
               JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'index' AND o.name = c.relname
              WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace AND c.relkind = 'i' LOOP
        EXECUTE pg_catalog.format('DROP INDEX %s', r.idx);
    END LOOP;
END
$drop$;

-- Functions 0.3.0 no longer has, or has with other arguments.
DROP FUNCTION @extschema@.workflow_owned_by(bigint, text);
DROP FUNCTION @extschema@.pipeline_profile_attributes(bigint, bigint);
DROP FUNCTION @extschema@.share_workflow(bigint, text, boolean);
DROP FUNCTION @extschema@.unshare_workflow(bigint, text);
DROP FUNCTION @extschema@.set_candidate_source(regclass, name);

-- ----------------------------------------------------- 10_schema: tables
-- Templates: 0.3.0's tables as its install script creates them, in the
-- scratch schema.  The tables of 0.2.0 take their columns' order, types,
-- defaults, NOT NULL, constraints, indexes and comments from these.
SET search_path = workflow_ext_update_0_3_0;

-- Tables of the data model (README: Tables).  Every table has a single
-- bigint id; tables that grow with candidates carry candidate_id in their keys.
-- Every row belongs to a tenant (an organization), stamped at insert from
-- workflow_ext.tenant and never changed (stamp_tenant()); the tenant leads
-- every unique key that holds the application's ids (jobs, candidates), so
-- ids are the application's within a tenant.

CREATE TABLE workflow (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description text NOT NULL DEFAULT '',
    owner       text NOT NULL DEFAULT @extschema@.current_actor() CHECK (owner <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz
);
CREATE INDEX workflow_tenant_owner_idx ON workflow (tenant, owner);
COMMENT ON TABLE workflow IS 'A reusable hiring process: ordered stages, each with an optional rule and alerts. Visible to its owner and grantees.';
COMMENT ON COLUMN workflow.owner IS 'The actor who created the workflow (workflow_ext.actor, or role:<oid>); the owner and the tenant''s administrators share it, delete it and transfer it (transfer_workflow_ownership).';
COMMENT ON COLUMN workflow.tenant IS 'The organization the workflow belongs to: workflow_ext.tenant (else the actor) when it was created; never changed.';
COMMENT ON COLUMN workflow.archived_at IS 'When the workflow was retired: no new entrants, history kept. NULL while in use.';

CREATE TABLE workflow_share (
    id             bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    workflow_id    bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    grantee_tenant text NOT NULL CHECK (grantee_tenant <> ''),
    grantee        text CHECK (grantee <> ''),
    can_edit       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_share_workflow_grantee_key
        UNIQUE NULLS NOT DISTINCT (workflow_id, grantee_tenant, grantee)
);
CREATE INDEX workflow_share_grantee_idx ON workflow_share (grantee_tenant, grantee);
COMMENT ON TABLE workflow_share IS 'A workflow shared with an actor, or with every actor of a tenant; can_edit lets the grantees change its definition.';
COMMENT ON COLUMN workflow_share.tenant IS 'The tenant of the shared workflow (stamped).';
COMMENT ON COLUMN workflow_share.grantee_tenant IS 'The tenant the grantees act for: the workflow''s own, or another organization''s (an agency).';
COMMENT ON COLUMN workflow_share.grantee IS 'The actor the workflow is shared with, as workflow_ext.actor names it; NULL: every actor of grantee_tenant.';
COMMENT ON COLUMN workflow_share.can_edit IS 'When true the grantee may edit stages, rules and alerts; otherwise read and move candidates only.';

CREATE TABLE workflow_stage (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    workflow_id bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    position    integer NOT NULL CHECK (position >= 1),
    kind        text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'hired')),
    config      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    sla         interval CHECK (sla > interval '0'),
    archived_at timestamptz,
    CONSTRAINT workflow_stage_position_key UNIQUE (workflow_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT workflow_stage_workflow_id_id_key UNIQUE (workflow_id, id)
);
COMMENT ON TABLE workflow_stage IS 'One ordered stage of a workflow. The next stage is the one with the next higher position.';
COMMENT ON COLUMN workflow_stage.position IS 'Order within the workflow, from 1; unique per workflow (deferrable, so reorder_stages can permute).';
COMMENT ON COLUMN workflow_stage.tenant IS 'The tenant of the stage''s workflow (stamped), even when a grantee of another tenant adds it.';
COMMENT ON COLUMN workflow_stage.kind IS '''hired'': entering this stage sets the candidate''s status to hired.';
COMMENT ON COLUMN workflow_stage.config IS 'Free-form stage configuration for the application (a JSON object).';
COMMENT ON COLUMN workflow_stage.archived_at IS 'When the stage was retired: no new entrants, history kept. NULL while in use.';
COMMENT ON COLUMN workflow_stage.sla IS 'Time a candidate may stay in this stage before raise_overdue_alerts() raises an event; NULL for none.';

CREATE TABLE stage_rule (
    id         bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    stage_id   bigint NOT NULL UNIQUE REFERENCES workflow_stage (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    condition  jsonb NOT NULL,
    on_fail    text NOT NULL DEFAULT 'block' CHECK (on_fail IN ('block', 'warn')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stage_rule_id_stage_id_key UNIQUE (id, stage_id)
);
COMMENT ON TABLE stage_rule IS 'The validation rule of a stage (at most one), checked against a candidate''s facts on every move into the stage.';
COMMENT ON COLUMN stage_rule.condition IS 'A condition tree (README: condition language), validated on write: 22023 with the JSON path when malformed.';
COMMENT ON COLUMN stage_rule.on_fail IS '''block'': a failing move is refused with 23514; ''warn'': the move happens and the rule''s mismatch alerts fire.';
COMMENT ON COLUMN stage_rule.tenant IS 'The tenant of the rule''s workflow (stamped).';

CREATE TABLE alert (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    stage_id    bigint NOT NULL REFERENCES workflow_stage (id) ON DELETE CASCADE,
    rule_id     bigint,
    rule_path   text,
    field_name  text NOT NULL,
    operator    text NOT NULL,
    value       jsonb,
    ignore_case boolean NOT NULL DEFAULT false,
    fires_on    text NOT NULL DEFAULT 'match' CHECK (fires_on IN ('match', 'mismatch')),
    message     text NOT NULL DEFAULT '',
    severity    text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    source      text NOT NULL DEFAULT 'candidate' CHECK (source IN ('candidate', 'application', 'job')),
    CONSTRAINT alert_rule_fk FOREIGN KEY (rule_id, stage_id)
        REFERENCES stage_rule (id, stage_id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT alert_rule_path_key UNIQUE (rule_id, rule_path),
    CONSTRAINT alert_rule_path_check CHECK ((rule_id IS NULL) = (rule_path IS NULL))
);
CREATE INDEX alert_stage_id_idx ON alert (stage_id);
COMMENT ON TABLE alert IS 'An alert on a stage: one condition leaf (field_name, operator, value). Evaluated when a candidate enters the stage and when their facts change; fires at most once per stage visit.';
COMMENT ON COLUMN alert.rule_id IS 'Set when the alert was generated from the stage''s rule (one per leaf); such alerts follow the rule''s edits.';
COMMENT ON COLUMN alert.rule_path IS 'JSON path of the generating leaf within the rule''s condition.';
COMMENT ON COLUMN alert.source IS 'Whose facts field_name reads: the candidate''s, the application''s (this candidate in this job) or the job''s.';
COMMENT ON COLUMN alert.operator IS 'A condition operator; aliases are stored in canonical form (>= becomes gte).';
COMMENT ON COLUMN alert.value IS 'The operand as JSON; NULL only for exists/not_exists.';
COMMENT ON COLUMN alert.fires_on IS '''match'': fires when the leaf is true; ''mismatch'': when it is false (rule-generated alerts).';
COMMENT ON COLUMN alert.tenant IS 'The tenant of the alert''s workflow (stamped).';

CREATE TABLE job_workflow (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id      bigint NOT NULL,
    workflow_id bigint NOT NULL REFERENCES workflow (id),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    assigned_by text NOT NULL DEFAULT @extschema@.current_actor(),
    CONSTRAINT job_workflow_job_id_key UNIQUE (tenant, job_id),
    CONSTRAINT job_workflow_job_workflow_key UNIQUE (tenant, job_id, workflow_id)
);
CREATE INDEX job_workflow_workflow_id_idx ON job_workflow (workflow_id);
COMMENT ON TABLE job_workflow IS 'The workflow a job''s pipeline follows (one per job of a tenant). Jobs live in the application; only their ids are here, unique within the tenant.';
COMMENT ON COLUMN job_workflow.tenant IS 'The organization whose job this is (stamped: the tenant assigning it); job ids are unique within it.';
COMMENT ON COLUMN job_workflow.assigned_by IS 'The actor who (re)assigned the job (stamped by workflow_ext).';

CREATE TABLE candidate_profile (
    id           bigserial PRIMARY KEY,
    tenant       text NOT NULL DEFAULT @extschema@.current_tenant(),
    candidate_id bigint NOT NULL,
    attributes   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT candidate_profile_candidate_id_key UNIQUE (tenant, candidate_id)
);
COMMENT ON TABLE candidate_profile IS 'The default source of candidate facts: rules and alerts read attributes. One profile per candidate of a tenant, the same for every actor of the tenant. See set_candidate_source() for using your own table.';
COMMENT ON COLUMN candidate_profile.attributes IS 'The candidate''s facts as a JSON object; a change re-evaluates the alerts of the stages the candidate stands in.';
COMMENT ON COLUMN candidate_profile.tenant IS 'The organization whose candidate this is; every actor of it reads and writes the profile, no one else.';

CREATE TABLE job_profile (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id     bigint NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_profile_job_id_key UNIQUE (tenant, job_id)
);
COMMENT ON TABLE job_profile IS 'The source of job facts (budget, location, ...): leaves with "source": "job" read attributes. One per job of a tenant.';
COMMENT ON COLUMN job_profile.attributes IS 'The job''s facts as a JSON object; a change re-evaluates the alerts of the stages the job''s candidates stand in.';
COMMENT ON COLUMN job_profile.tenant IS 'The organization whose job this is; every actor of it reads and writes the profile, no one else.';

CREATE TABLE stage_transition (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL,
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    from_stage_id bigint,
    to_stage_id   bigint NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    actor         text NOT NULL,
    reason        text,
    moved_at      timestamptz NOT NULL DEFAULT now(),
    alerts_raised integer NOT NULL DEFAULT 0,
    warnings      jsonb NOT NULL DEFAULT '[]',
    xact_id       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- History keeps its stages: a stage it names cannot be deleted (23503).
    CONSTRAINT stage_transition_from_stage_fk FOREIGN KEY (from_stage_id) REFERENCES workflow_stage (id),
    CONSTRAINT stage_transition_to_stage_fk FOREIGN KEY (to_stage_id) REFERENCES workflow_stage (id)
);
CREATE INDEX stage_transition_candidate_idx ON stage_transition (tenant, candidate_id, job_id, id);
CREATE INDEX stage_transition_feed_idx ON stage_transition (xact_id, id);
COMMENT ON TABLE stage_transition IS 'History: one row per move or status change of a candidate in a job, written by the candidate_stage triggers and never updated.';
COMMENT ON COLUMN stage_transition.tenant IS 'The tenant of the pipeline row (the job''s organization).';
COMMENT ON COLUMN stage_transition.actor IS 'The user who made the change (workflow_ext.actor, or role:<oid>).';
COMMENT ON COLUMN stage_transition.from_stage_id IS 'NULL when the candidate entered the pipeline; equal to to_stage_id for a status change.';
COMMENT ON COLUMN stage_transition.reason IS 'The reason given to the function, or workflow_ext.reason for a plain UPDATE.';
COMMENT ON COLUMN stage_transition.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN stage_transition.warnings IS 'The failed leaves of a ''warn'' rule at the time of the move (JSON array, empty when it passed).';

CREATE TABLE candidate_stage (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    stage_id      bigint NOT NULL,
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'hired', 'rejected', 'withdrawn')),
    entered_at    timestamptz NOT NULL DEFAULT now(),
    transition_id bigint,
    visit_transition_id bigint,
    added_by      text NOT NULL DEFAULT @extschema@.current_actor(),
    attributes    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    CONSTRAINT candidate_stage_job_candidate_key UNIQUE (tenant, job_id, candidate_id),
    CONSTRAINT candidate_stage_job_workflow_fk FOREIGN KEY (tenant, job_id, workflow_id)
        REFERENCES job_workflow (tenant, job_id, workflow_id),
    CONSTRAINT candidate_stage_stage_fk FOREIGN KEY (workflow_id, stage_id)
        REFERENCES workflow_stage (workflow_id, id),
    CONSTRAINT candidate_stage_transition_fk FOREIGN KEY (transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT candidate_stage_visit_transition_fk FOREIGN KEY (visit_transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED
);
-- (candidate_id alone: a candidate's rows in every tenant, for a facts table
-- of one organization; the tenant is a filter on those few rows)
CREATE INDEX candidate_stage_candidate_idx ON candidate_stage (candidate_id);
CREATE INDEX candidate_stage_stage_idx ON candidate_stage (workflow_id, stage_id);
CREATE INDEX candidate_stage_active_idx ON candidate_stage (stage_id, entered_at) WHERE status = 'active';
COMMENT ON TABLE candidate_stage IS 'Where a candidate stands in a job''s pipeline. Triggers enforce and record every change: a plain UPDATE of stage_id is a move, checked like move_to_next_stage().';
COMMENT ON COLUMN candidate_stage.workflow_id IS 'The job''s workflow (filled from job_workflow on INSERT); ties stage_id to it through a composite foreign key.';
COMMENT ON COLUMN candidate_stage.stage_id IS 'The current stage; filled with the first stage on INSERT. Updating it is a move.';
COMMENT ON COLUMN candidate_stage.entered_at IS 'When the candidate entered the current stage (set by the trigger).';
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row (set by workflow_ext). The optimistic lock: an UPDATE that writes back an older value is refused with 40001.';
COMMENT ON COLUMN candidate_stage.added_by IS 'The actor who brought the candidate into the job (set by workflow_ext on INSERT, never changed).';
COMMENT ON COLUMN candidate_stage.tenant IS 'The organization of the job (stamped on INSERT, never changed); the candidate''s facts are this tenant''s.';
COMMENT ON COLUMN candidate_stage.attributes IS 'The application''s facts (this candidate in this job: scorecards, interview outcomes, offer approval), read by leaves with "source": "application"; a change re-evaluates the alerts of the current stage visit.';
COMMENT ON COLUMN candidate_stage.visit_transition_id IS 'The stage_transition that entered the current stage: identifies the stage visit (status changes do not start a new one). Set by workflow_ext.';

CREATE TABLE alert_event (
    id              bigserial PRIMARY KEY,
    tenant          text NOT NULL,
    alert_id        bigint REFERENCES alert (id) ON DELETE SET NULL,
    job_id          bigint NOT NULL,
    candidate_id    bigint NOT NULL,
    workflow_id     bigint NOT NULL,
    stage_id        bigint NOT NULL,
    -- No foreign keys of their own on transition_id and stage_id: only the
    -- extension's C code writes alert_event (history_write_guard), always with
    -- the transition that began the stage visit and that transition's
    -- to_stage_id, which stage_transition_to_stage_fk keeps.  The delete side
    -- of the former key: stage_transition_keeps_alert_events.
    transition_id   bigint NOT NULL,
    cause           text NOT NULL CHECK (cause IN ('entry', 'facts', 'sla')),
    severity        text NOT NULL,
    message         text NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    facts           jsonb NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    acknowledged_by text,
    xact_id         xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX alert_event_once_per_visit_idx ON alert_event (tenant, candidate_id, transition_id, alert_id);
CREATE UNIQUE INDEX alert_event_sla_once_idx ON alert_event (tenant, candidate_id, transition_id) WHERE cause = 'sla';
CREATE INDEX alert_event_open_idx ON alert_event (tenant, job_id, candidate_id) WHERE acknowledged_at IS NULL;
CREATE INDEX alert_event_feed_idx ON alert_event (xact_id, id);
COMMENT ON TABLE alert_event IS 'An alert that fired for a candidate during one stage visit (transition_id), with the facts it saw.';
COMMENT ON COLUMN alert_event.alert_id IS 'The alert definition; NULL for SLA events and after the definition is deleted (message and severity are kept).';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit (candidate_stage.visit_transition_id); an alert fires at most once per visit.';
COMMENT ON COLUMN alert_event.cause IS '''entry'': on entering the stage; ''facts'': the candidate''s facts changed; ''sla'': raise_overdue_alerts().';
COMMENT ON COLUMN alert_event.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN alert_event.facts IS 'Snapshot of the candidate''s facts when the alert fired.';
COMMENT ON COLUMN alert_event.tenant IS 'The tenant of the pipeline row the alert fired for.';

CREATE TABLE facts_source (
    id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    relation   regclass NOT NULL,
    key_column name NOT NULL,
    tenant_column name,
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE facts_source IS 'At most one row: the user table whose rows are the candidates'' facts (set_candidate_source); none means candidate_profile.';
COMMENT ON COLUMN facts_source.tenant_column IS 'The column naming each row''s tenant: a row is the facts of that tenant''s candidate only. NULL: the table holds one organization''s candidates, facts for every tenant.';

SET search_path = @extschema@;

-- What a role that acted without workflow_ext.actor is in 0.3.0: role:<oid>
-- (role_identity()), where 0.2.0 recorded its name.  Any other actor string
-- stays as it is.
CREATE FUNCTION workflow_ext_update_0_3_0.actor(actor text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT coalesce((SELECT @extschema@.role_identity(r.oid::regrole) FROM pg_roles r
                          WHERE r.rolname = $1), $1)
    $$;

-- The value of each column that 0.3.0 adds or changes, from the 0.2.0 row
-- (alias o); a column not listed keeps the value of the 0.2.0 column of its
-- name, or takes its default.  The tables are filled in this order, so a
-- tenant read from another table is already there.
CREATE TABLE workflow_ext_update_0_3_0.fill (ord integer, tbl text, col text, expr text);
INSERT INTO workflow_ext_update_0_3_0.fill VALUES
    (1, 'workflow', 'tenant', 'workflow_ext_update_0_3_0.actor(o.owner)'),
    (1, 'workflow', 'owner', 'workflow_ext_update_0_3_0.actor(o.owner)'),
    (2, 'workflow_share', 'tenant',
        '(SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id)'),
    (2, 'workflow_share', 'grantee_tenant', 'workflow_ext_update_0_3_0.actor(o.grantee)'),
    (2, 'workflow_share', 'grantee', 'workflow_ext_update_0_3_0.actor(o.grantee)'),
    (3, 'workflow_stage', 'tenant',
        '(SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id)'),
    (4, 'stage_rule', 'tenant',
        '(SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = o.stage_id)'),
    (5, 'alert', 'tenant',
        '(SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = o.stage_id)'),
    (6, 'job_workflow', 'tenant',
        '(SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id)'),
    (7, 'candidate_profile', 'tenant', 'workflow_ext_update_0_3_0.actor(o.owner)'),
    -- History is the tenant's of the workflow it names (whose viewers read
    -- it in 0.2.0); history of a workflow 0.1.0 let be deleted, which nobody
    -- could read, its actor's.
    (8, 'stage_transition', 'tenant',
        'coalesce((SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id), '
        'workflow_ext_update_0_3_0.actor(o.actor))'),
    (9, 'candidate_stage', 'tenant',
        '(SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id)'),
    (10, 'alert_event', 'tenant',
        'coalesce((SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = o.workflow_id), '
        '(SELECT t.tenant FROM @extschema@.stage_transition t WHERE t.id = o.transition_id), '''')'),
    (11, 'facts_source', 'tenant_column', 'NULL');

-- Each table of 0.2.0 takes its template's columns, in order, after id:
-- added under a provisional name, filled in one UPDATE, the 0.2.0 columns
-- dropped, the new ones renamed; then NOT NULL and defaults.  In replica
-- mode, so that no trigger of the database's own fires on the rewrite (the
-- extension's were dropped above).
DO $rotate$
DECLARE
    t text;
    tpl regclass;
    rel regclass;
    adds text;
    sets text;
    drops text;
    alters text;
    c record;
BEGIN
    PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
    FOR t IN SELECT x.tbl FROM (SELECT DISTINCT f.ord, f.tbl FROM workflow_ext_update_0_3_0.fill f) x
              ORDER BY x.ord LOOP
        tpl := pg_catalog.format('workflow_ext_update_0_3_0.%I', t)::regclass;
        rel := pg_catalog.format('@extschema@.%I', t)::regclass;
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('ADD COLUMN %I %s%s', a.attname || '__0_3_0',
                                     pg_catalog.format_type(a.atttypid, a.atttypmod),
                                     CASE WHEN a.attcollation <> 0
                                          THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END),
                   ', ' ORDER BY a.attnum)
          INTO adds
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = tpl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id';
        EXECUTE pg_catalog.format('ALTER TABLE %s %s', rel, adds);

        SELECT pg_catalog.string_agg(pg_catalog.format('%I = %s', a.attname || '__0_3_0',
                   coalesce(f.expr,
                            (SELECT 'o.' || pg_catalog.quote_ident(oa.attname) FROM pg_catalog.pg_attribute oa
                              WHERE oa.attrelid = rel AND oa.attname = a.attname AND NOT oa.attisdropped),
                            pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                            'NULL')), ', ' ORDER BY a.attnum)
          INTO sets
          FROM pg_catalog.pg_attribute a
          LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          LEFT JOIN workflow_ext_update_0_3_0.fill f ON f.tbl = t AND f.col = a.attname
         WHERE a.attrelid = tpl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id';
        EXECUTE pg_catalog.format('UPDATE %s AS o SET %s', rel, sets);

        -- (a column of the database's own, not 0.2.0's, stays, and so does its data)
        SELECT pg_catalog.string_agg(pg_catalog.format('DROP COLUMN %I', a.attname), ', ' ORDER BY a.attnum)
          INTO drops
          FROM pg_catalog.pg_attribute a
          JOIN workflow_ext_update_0_3_0.replaced o ON o.kind = 'column' AND o.tbl = t AND o.name = a.attname
         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
        EXECUTE pg_catalog.format('ALTER TABLE %s %s', rel, drops);
        FOR c IN SELECT a.attname FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = tpl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id'
                  ORDER BY a.attnum LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', rel,
                                      c.attname || '__0_3_0', c.attname);
        END LOOP;

        SELECT pg_catalog.string_agg(concat_ws(', ',
                   CASE WHEN a.attnotnull THEN pg_catalog.format('ALTER COLUMN %I SET NOT NULL', a.attname) END,
                   CASE WHEN d.adbin IS NOT NULL
                        THEN pg_catalog.format('ALTER COLUMN %I SET DEFAULT %s', a.attname,
                                               pg_catalog.pg_get_expr(d.adbin, d.adrelid)) END),
                   ', ' ORDER BY a.attnum) FILTER (WHERE a.attnotnull OR d.adbin IS NOT NULL)
          INTO alters
          FROM pg_catalog.pg_attribute a
          LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = tpl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id';
        IF alters IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s %s', rel, alters);
        END IF;
    END LOOP;
    PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
END
$rotate$;

-- Two 0.2.0 shares that are one in 0.3.0 (a grantee named both by its role's
-- name and as role:<oid>) become one, the older, can_edit if either had it.
UPDATE @extschema@.workflow_share s SET can_edit = true
 WHERE NOT s.can_edit
   AND EXISTS (SELECT 1 FROM @extschema@.workflow_share x
                WHERE x.workflow_id = s.workflow_id AND x.grantee_tenant = s.grantee_tenant
                  AND x.grantee IS NOT DISTINCT FROM s.grantee AND x.id > s.id AND x.can_edit);
DELETE FROM @extschema@.workflow_share s
 WHERE EXISTS (SELECT 1 FROM @extschema@.workflow_share x
                WHERE x.workflow_id = s.workflow_id AND x.grantee_tenant = s.grantee_tenant
                  AND x.grantee IS NOT DISTINCT FROM s.grantee AND x.id < s.id);

-- Constraints other than foreign keys, and indexes, as the templates have
-- them; then the tables new in 0.3.0; then the foreign keys (a key 0.1.0's
-- history does not satisfy stays NOT VALID, as the update to 0.2.0 left it).
DO $keys$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, co.conname,
                    pg_catalog.pg_get_constraintdef(co.oid) AS def
               FROM pg_catalog.pg_constraint co
               JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace
                AND c.relname IN (SELECT f.tbl FROM workflow_ext_update_0_3_0.fill f)
                AND co.contype NOT IN ('p', 'f')
              ORDER BY c.relname, co.conname LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I %s',
                                  r.relname, r.conname, r.def);
    END LOOP;
    FOR r IN SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS def
               FROM pg_catalog.pg_index i
               JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
               JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace
                AND c.relname IN (SELECT f.tbl FROM workflow_ext_update_0_3_0.fill f)
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid
                                   AND co.conrelid = i.indrelid)
              ORDER BY ic.relname LOOP
        EXECUTE pg_catalog.replace(r.def, ' ON workflow_ext_update_0_3_0.', ' ON @extschema@.');
    END LOOP;
END
$keys$;

-- The tables new in 0.3.0, as the install script creates them.

CREATE TABLE job_profile (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id     bigint NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_profile_job_id_key UNIQUE (tenant, job_id)
);
COMMENT ON TABLE job_profile IS 'The source of job facts (budget, location, ...): leaves with "source": "job" read attributes. One per job of a tenant.';
COMMENT ON COLUMN job_profile.attributes IS 'The job''s facts as a JSON object; a change re-evaluates the alerts of the stages the job''s candidates stand in.';
COMMENT ON COLUMN job_profile.tenant IS 'The organization whose job this is; every actor of it reads and writes the profile, no one else.';

DO $foreign_keys$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, co.conname,
                    pg_catalog.replace(pg_catalog.pg_get_constraintdef(co.oid),
                                       'REFERENCES workflow_ext_update_0_3_0.', 'REFERENCES @extschema@.') AS def
               FROM pg_catalog.pg_constraint co
               JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace
                AND c.relname IN (SELECT f.tbl FROM workflow_ext_update_0_3_0.fill f)
                AND co.contype = 'f'
              ORDER BY c.relname, co.conname LOOP
        BEGIN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I %s',
                                      r.relname, r.conname, r.def);
        EXCEPTION WHEN foreign_key_violation THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I %s NOT VALID',
                                      r.relname, r.conname, r.def);
            RAISE WARNING 'workflow_ext: rows of % do not satisfy %; it stays NOT VALID', r.relname, r.conname
                USING HINT = 'New rows are checked; see the README (Upgrading).';
        END;
    END LOOP;
END
$foreign_keys$;

-- The comments of the templates' tables, columns, constraints and indexes.
DO $comments$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, a.attname, d.description
               FROM pg_catalog.pg_class c
               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               LEFT JOIN pg_catalog.pg_description d
                      ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = c.oid
                     AND d.objsubid = coalesce(a.attnum, 0)
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace AND c.relkind = 'r'
                AND c.relname IN (SELECT f.tbl FROM workflow_ext_update_0_3_0.fill f)
             UNION ALL
             SELECT c.relname, NULL, d.description
               FROM pg_catalog.pg_class c
               LEFT JOIN pg_catalog.pg_description d
                      ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace AND c.relkind = 'r'
                AND c.relname IN (SELECT f.tbl FROM workflow_ext_update_0_3_0.fill f) LOOP
        IF r.attname IS NULL THEN
            EXECUTE pg_catalog.format('COMMENT ON TABLE @extschema@.%I IS %L', r.relname, r.description);
        ELSE
            EXECUTE pg_catalog.format('COMMENT ON COLUMN @extschema@.%I.%I IS %L',
                                      r.relname, r.attname, r.description);
        END IF;
    END LOOP;
    FOR r IN SELECT c.relname, co.conname, d.description
               FROM pg_catalog.pg_constraint co
               JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
               JOIN pg_catalog.pg_description d
                 ON d.classoid = 'pg_catalog.pg_constraint'::regclass AND d.objoid = co.oid
              WHERE c.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace LOOP
        EXECUTE pg_catalog.format('COMMENT ON CONSTRAINT %I ON @extschema@.%I IS %L',
                                  r.conname, r.relname, r.description);
    END LOOP;
    FOR r IN SELECT ic.relname, d.description
               FROM pg_catalog.pg_class ic
               JOIN pg_catalog.pg_description d
                 ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = ic.oid AND d.objsubid = 0
              WHERE ic.relnamespace = 'workflow_ext_update_0_3_0'::regnamespace AND ic.relkind = 'i' LOOP
        EXECUTE pg_catalog.format('COMMENT ON INDEX @extschema@.%I IS %L', r.relname, r.description);
    END LOOP;
END
$comments$;

DROP SCHEMA workflow_ext_update_0_3_0 CASCADE;

-- -------------------------------------------------------- 10_schema: rest
-- (CREATE TYPE move_result: unchanged since 0.2.0, kept as it is)
COMMENT ON TYPE move_result IS 'What move_to_next_stage() and move_to_stage() return: the move, its history row, alerts raised and the failed leaves of a warn rule.';

-- History is written by the extension's C code alone (src/pg/rights.c); a
-- superuser restoring a dump with COPY is let through.
CREATE OR REPLACE FUNCTION history_write_guard() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_history_write_guard';
COMMENT ON FUNCTION history_write_guard() IS
    'BEFORE INSERT trigger on stage_transition and alert_event: accepts only the row workflow_ext''s C code announced (42501 otherwise), or a superuser''s COPY of a dump.';
CREATE TRIGGER stage_transition_write_guard BEFORE INSERT ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();
CREATE TRIGGER alert_event_write_guard BEFORE INSERT ON alert_event
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();

-- A transition that alert events name stays (23503), as when alert_event had
-- a foreign key to it.  Only the tables' owner may delete history; nobody
-- updates it (stage_transition_immutable).
CREATE OR REPLACE FUNCTION history_keeps_alert_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'stage_transition' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'history_keeps_alert_events() fires only on stage_transition'
            USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.alert_event e
                WHERE e.tenant = OLD.tenant AND e.candidate_id = OLD.candidate_id
                  AND e.transition_id = OLD.id) THEN
        RAISE EXCEPTION 'delete on table "stage_transition" would orphan rows of table "alert_event"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "alert_event".', OLD.id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION history_keeps_alert_events() IS
    'AFTER DELETE trigger on stage_transition: a transition that alert events name cannot be deleted (23503), the delete side of a foreign key alert_event does not carry.';
CREATE TRIGGER stage_transition_keeps_alert_events AFTER DELETE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_keeps_alert_events();

-- workflow_ext.require_actor on every write.  Where row triggers already ask
-- for the actor (candidate_stage inserts and updates) or only the extension's
-- own triggers write (history inserts), the statement trigger covers the rest.
DO $$
DECLARE
    t text;
    events text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'stage_transition',
                             'candidate_stage', 'alert_event', 'facts_source']
    LOOP
        events := CASE WHEN t IN ('candidate_stage', 'stage_transition', 'alert_event')
                       THEN 'UPDATE OR DELETE OR TRUNCATE' ELSE 'INSERT OR UPDATE OR DELETE OR TRUNCATE' END;
        IF t = 'candidate_stage' THEN
            events := 'DELETE OR TRUNCATE';
        END IF;
        EXECUTE format('CREATE TRIGGER %I BEFORE %s ON @extschema@.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_actor_trigger()',
                       t || '_require_actor', events, t);
    END LOOP;
END $$;

-- The id sequences: one per table, shared by every tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'stage_transition',
                             'candidate_stage', 'alert_event']
    LOOP
        EXECUTE format('COMMENT ON SEQUENCE @extschema@.%I IS %L', t || '_id_seq',
                       format('The ids of %s (every tenant''s: its values show the table''s growth).', t));
    END LOOP;
END $$;

-- ------------------------------------------------------- 20_security
-- Row-level security.  Every row is a tenant's (an organization's): no
-- policy lets anything of one tenant reach another's actors except a
-- workflow shared across tenants, whose definitions open to the grantees.
-- Within a tenant, the original REST API's rules: an actor sees the
-- workflows it created or that are shared with it (or with its whole
-- tenant), and everything that hangs off them; it edits those it owns or may
-- edit; the tenant's administrators (workflow_ext.tenant_admin) see and edit
-- all of the tenant's.  Candidate and job facts are the tenant's, the same
-- for every actor of it.  The helper functions are SECURITY DEFINER so that
-- the policies of workflow and workflow_share do not recurse into each other.

-- The workflows shared with the actor, or with its whole tenant (all, or only
-- those it may edit).
CREATE OR REPLACE FUNCTION shared_workflow_ids(for_edit boolean DEFAULT false) RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    -- plpgsql, not sql: its plan is kept across calls (an SQL function
    -- returning a set is planned again at every statement that uses it)
    RETURN QUERY
       SELECT s.workflow_id FROM @extschema@.workflow_share s
        WHERE s.grantee_tenant = @extschema@.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = @extschema@.current_actor())
          AND (s.can_edit OR NOT for_edit);
END $$;
COMMENT ON FUNCTION shared_workflow_ids(boolean) IS
    'Ids of the workflows shared with the current actor or with its whole tenant (with for_edit: only with can_edit).';

CREATE OR REPLACE FUNCTION visible_workflow_ids() RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    -- plpgsql, not sql: its plan is kept across calls (an SQL function
    -- returning a set is planned again at every statement that uses it)
    RETURN QUERY
       SELECT w.id FROM @extschema@.workflow w
        WHERE w.tenant = @extschema@.current_tenant()
          AND (w.owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin())
       UNION ALL
       SELECT s.workflow_id FROM @extschema@.workflow_share s
        WHERE s.grantee_tenant = @extschema@.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = @extschema@.current_actor());
END $$;
COMMENT ON FUNCTION visible_workflow_ids() IS
    'Ids of the workflows the current actor owns, administers (tenant_admin) or that are shared with it or its tenant (used by the RLS policies).';

CREATE OR REPLACE FUNCTION editable_workflow_ids() RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    -- plpgsql, not sql: its plan is kept across calls (an SQL function
    -- returning a set is planned again at every statement that uses it)
    RETURN QUERY
       SELECT w.id FROM @extschema@.workflow w
        WHERE w.tenant = @extschema@.current_tenant()
          AND (w.owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin())
       UNION ALL
       SELECT s.workflow_id FROM @extschema@.workflow_share s
        WHERE s.grantee_tenant = @extschema@.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = @extschema@.current_actor()) AND s.can_edit;
END $$;
COMMENT ON FUNCTION editable_workflow_ids() IS
    'Ids of the workflows the current actor owns, administers (tenant_admin) or may edit through a share with can_edit.';

-- The workflow policies test the row's own columns, so that INSERT ...
-- RETURNING (which must pass the SELECT policy) sees the row it has just created.
ALTER TABLE workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_read ON workflow FOR SELECT
    USING ((tenant = @extschema@.current_tenant()
            AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
           OR id IN (SELECT @extschema@.shared_workflow_ids()));
CREATE POLICY workflow_create ON workflow FOR INSERT
    WITH CHECK (tenant = @extschema@.current_tenant() AND owner = @extschema@.current_actor());
CREATE POLICY workflow_edit ON workflow FOR UPDATE
    USING ((tenant = @extschema@.current_tenant()
            AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
           OR id IN (SELECT @extschema@.shared_workflow_ids(true)))
    WITH CHECK ((tenant = @extschema@.current_tenant()
                 AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
                OR id IN (SELECT @extschema@.shared_workflow_ids(true)));
CREATE POLICY workflow_delete ON workflow FOR DELETE
    USING (tenant = @extschema@.current_tenant()
           AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()));

-- A share is seen by its grantees and managed by the workflow's owner and
-- the owner's tenant's administrators.
ALTER TABLE workflow_share ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_share_read ON workflow_share FOR SELECT
    USING ((grantee_tenant = @extschema@.current_tenant()
            AND (grantee IS NULL OR grantee = @extschema@.current_actor()))
           OR workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                               WHERE w.tenant = @extschema@.current_tenant()
                                 AND (w.owner = @extschema@.current_actor()
                                      OR @extschema@.is_tenant_admin())));
CREATE POLICY workflow_share_manage ON workflow_share FOR ALL
    USING (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                            WHERE w.tenant = @extschema@.current_tenant()
                              AND (w.owner = @extschema@.current_actor()
                                   OR @extschema@.is_tenant_admin())))
    WITH CHECK (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                                 WHERE w.tenant = @extschema@.current_tenant()
                                   AND (w.owner = @extschema@.current_actor()
                                        OR @extschema@.is_tenant_admin())));

ALTER TABLE workflow_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_stage_read ON workflow_stage FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY workflow_stage_edit ON workflow_stage FOR ALL
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

ALTER TABLE stage_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_rule_read ON stage_rule FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY stage_rule_edit ON stage_rule FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())));

ALTER TABLE alert ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_read ON alert FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY alert_edit ON alert FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())));

-- Jobs and pipelines belong to their tenant, and open with their workflow:
-- to the tenant's actors who see it, and to the actors of another tenant the
-- owning tenant shares it with (an agency working on the tenant's jobs: rows,
-- history and events, never the tenant's candidate facts -- a workflow
-- shared across tenants records no fact values, pipeline_record.c).  A job is assigned in
-- one's own tenant.  Using a workflow (assigning a job to it, moving
-- candidates) needs only visibility; changing or removing a job's
-- assignment, or removing a candidate from a pipeline, needs edit rights on
-- the workflow they are in.
-- The pipelines of another tenant's workflow shared with the caller's tenant
-- or actor: (workflow, the workflow's tenant).  Only the owning tenant's
-- pipelines open this way; the grantee's own pipelines on that workflow stay
-- the grantee's.
CREATE OR REPLACE FUNCTION shared_pipelines(for_edit boolean DEFAULT false)
    RETURNS TABLE (workflow_id bigint, tenant text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    -- plpgsql, not sql: its plan is kept across calls (an SQL function
    -- returning a set is planned again at every statement that uses it)
    RETURN QUERY
       SELECT w.id, w.tenant FROM @extschema@.workflow_share s
         JOIN @extschema@.workflow w ON w.id = s.workflow_id
        WHERE s.grantee_tenant = @extschema@.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = @extschema@.current_actor())
          AND w.tenant <> @extschema@.current_tenant()
          AND (s.can_edit OR NOT for_edit);
END $$;
COMMENT ON FUNCTION shared_pipelines(boolean) IS
    'The workflows another tenant shares with the current actor or its tenant, with that tenant: whose pipelines (rows, history, events) open to the caller (with for_edit: only shares with can_edit). Used by the RLS policies.';

ALTER TABLE job_workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (tenant = @extschema@.current_tenant()
                AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (tenant = @extschema@.current_tenant()
           AND workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (tenant = @extschema@.current_tenant()
                AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (tenant = @extschema@.current_tenant()
           AND workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

ALTER TABLE candidate_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_stage_read ON candidate_stage FOR SELECT
    USING ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));
CREATE POLICY candidate_stage_add ON candidate_stage FOR INSERT
    WITH CHECK ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));
CREATE POLICY candidate_stage_move ON candidate_stage FOR UPDATE
    USING ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()))
    WITH CHECK ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));
CREATE POLICY candidate_stage_remove ON candidate_stage FOR DELETE
    USING ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines(true)));

-- History: read with the pipeline; written only through the extension's code
-- (history_write_guard), as the caller, for a pipeline the caller sees.  A
-- row that records fact values (written before its workflow was shared with
-- another tenant) stays its tenant's: another tenant's grantees see only
-- rows without them.
ALTER TABLE stage_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_transition_read ON stage_transition FOR SELECT
    USING (((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()))
           AND (tenant = @extschema@.current_tenant() OR NOT warnings @? 'lax $.**.actual'));
CREATE POLICY stage_transition_record ON stage_transition FOR INSERT
    WITH CHECK ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));

ALTER TABLE alert_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_event_read ON alert_event FOR SELECT
    USING (((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()))
           AND (tenant = @extschema@.current_tenant() OR facts = '{}'::jsonb));
CREATE POLICY alert_event_record ON alert_event FOR INSERT
    WITH CHECK ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));
CREATE POLICY alert_event_acknowledge ON alert_event FOR UPDATE
    USING (((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()))
           AND (tenant = @extschema@.current_tenant() OR facts = '{}'::jsonb))
    WITH CHECK ((tenant = @extschema@.current_tenant() AND workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
           OR (workflow_id, tenant) IN (SELECT * FROM @extschema@.shared_pipelines()));

-- Which tenant's job an id names for the caller: its own tenant's, else the
-- one job of that id among the pipelines shared with it from other tenants.
-- Ids are the application's within a tenant, so an agency working for two
-- clients that both use the id must be told which (21000).
CREATE OR REPLACE FUNCTION job_tenant(job_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- The caller's own tenant's job, seen or not, is never another tenant's:
    -- a share nobody asked for cannot take over the tenant's ids.
    IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                    WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1
                      AND j.workflow_id IN (SELECT @extschema@.visible_workflow_ids())) THEN
            RETURN @extschema@.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(j.tenant ORDER BY j.tenant) INTO found
      FROM @extschema@.job_workflow j
     WHERE j.job_id = $1
       AND (j.workflow_id, j.tenant) IN (SELECT * FROM @extschema@.shared_pipelines());
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'job % is a job of more than one tenant sharing its workflow with you', $1
        USING ERRCODE = '21000', DETAIL = '{"reason": "ambiguous_job"}',
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
-- The same for a pipeline row: the caller's own tenant's (job, candidate),
-- else the one such row shared with it from another tenant.
CREATE OR REPLACE FUNCTION pipeline_tenant(job_id bigint, candidate_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- As job_tenant(): a job id of the caller's own tenant is its own.
    IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                    WHERE c.tenant = @extschema@.current_tenant() AND c.job_id = $1 AND c.candidate_id = $2
                      AND c.workflow_id IN (SELECT @extschema@.visible_workflow_ids())) THEN
            RETURN @extschema@.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(c.tenant ORDER BY c.tenant) INTO found
      FROM @extschema@.candidate_stage c
     WHERE c.job_id = $1 AND c.candidate_id = $2
       AND (c.workflow_id, c.tenant) IN (SELECT * FROM @extschema@.shared_pipelines());
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'candidate % is in job % of more than one tenant sharing its workflow with you', $2, $1
        USING ERRCODE = '21000', DETAIL = '{"reason": "ambiguous_job"}',
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
COMMENT ON FUNCTION pipeline_tenant(bigint, bigint) IS
    'The tenant whose pipeline row (job_id, candidate_id) the caller means: its own tenant''s, else the one visible row shared from another tenant; NULL when none; 21000 when two other tenants'' shared rows match.';

COMMENT ON FUNCTION job_tenant(bigint) IS
    'The tenant whose job job_id names for the caller: the current tenant''s job, else the one visible job of that id shared from another tenant; NULL when none; 21000 when two other tenants'' shared jobs have that id.';

-- Facts are the tenant's: every actor of it reads and writes them, the same
-- for all (a rule gives the same answer whoever moves the candidate).
ALTER TABLE candidate_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_profile_tenant ON candidate_profile FOR ALL
    USING (tenant = @extschema@.current_tenant())
    WITH CHECK (tenant = @extschema@.current_tenant());

ALTER TABLE job_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_profile_tenant ON job_profile FOR ALL
    USING (tenant = @extschema@.current_tenant())
    WITH CHECK (tenant = @extschema@.current_tenant());

ALTER TABLE facts_source ENABLE ROW LEVEL SECURITY;
CREATE POLICY facts_source_read ON facts_source FOR SELECT USING (true);

-- Privileges: RLS decides which rows; these decide which statements.  The
-- pipeline runs with the caller's rights, so history is insertable, but only
-- the extension's code gets a row past history_write_guard.  Never granted:
-- TRIGGER, TRUNCATE, REFERENCES (README: Security).
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
    alert, job_workflow, candidate_profile, job_profile, candidate_stage TO PUBLIC;
GRANT SELECT, INSERT ON stage_transition, alert_event TO PUBLIC;
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO PUBLIC;
GRANT SELECT ON facts_source TO PUBLIC;
-- USAGE only: SELECT on a sequence would show every tenant's count.
GRANT USAGE ON SEQUENCE workflow_id_seq, workflow_share_id_seq, workflow_stage_id_seq,
    stage_rule_id_seq, alert_id_seq, job_workflow_id_seq, candidate_profile_id_seq,
    job_profile_id_seq, candidate_stage_id_seq TO PUBLIC;

-- ----------------------------------------------------- 30_conditions
-- The condition language (README: Conditions), evaluated by the C++ core.

CREATE OR REPLACE FUNCTION validate_condition(condition jsonb) RETURNS void
    LANGUAGE C IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_validate_condition';
COMMENT ON FUNCTION validate_condition(jsonb) IS
    'Checks a condition; raises 22023 with the JSON path of the first offending node. NULL is rejected too.';

CREATE OR REPLACE FUNCTION condition_matches(condition jsonb, facts jsonb) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb) IS
    'True when the facts satisfy the condition. Compiles the condition once per query (cached across rows); for bulk screening.';

CREATE OR REPLACE FUNCTION condition_matches(condition jsonb, facts jsonb, at timestamptz) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, timestamptz) IS
    'True when the facts satisfy the condition, relative time (within_last, within_next, older_than) measured from at. Immutable: the same arguments give the same answer.';

CREATE OR REPLACE FUNCTION evaluate_condition(condition jsonb, facts jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb) IS
    'Explains a condition against facts: {"result", "leaves": [{path, field, op, expected, actual, result, negated, passed, reason}]}.';

CREATE OR REPLACE FUNCTION evaluate_condition(condition jsonb, facts jsonb, at timestamptz) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, timestamptz) IS
    'Explains a condition against facts, relative time measured from at.';

CREATE OR REPLACE FUNCTION condition_leaves(condition jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_leaves_sql';
COMMENT ON FUNCTION condition_leaves(jsonb) IS
    'The leaves of a valid condition as a JSON array of {path, field, op, value, ignore_case, negated}, operators in canonical form; used to generate a rule''s alerts.';

-- ---------------------------------------------------- 40_definitions
-- Workflow definitions: stages, rules and alerts, their triggers, and the
-- functions of the original REST API's viewsets.

CREATE OR REPLACE FUNCTION restoring() RETURNS boolean
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_restoring_sql';
COMMENT ON FUNCTION restoring() IS
    'True while a superuser restores a dump with COPY: rules then arrive with their alerts and pipeline rows with their history.';

-- The tenant of a row is stamped by the engine, whatever a statement says:
-- a definition belongs to its workflow's tenant (even when an agency with
-- can_edit adds a stage), a share to its workflow's, anything else to the
-- tenant acting.  It never changes afterwards.  A restore keeps what was
-- dumped.  (candidate_stage is stamped by its guard; history by the C code.)
CREATE OR REPLACE FUNCTION stamp_tenant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'stamp_tenant() fires only on workflow_ext''s tables'
            USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- A definition stays with its workflow's tenant: one moved under a
        -- workflow (or stage) of another tenant changes tenant too.
        -- (one branch per table: a record field is resolved when it runs)
        IF TG_TABLE_NAME IN ('workflow_stage', 'workflow_share') THEN
            IF NEW.workflow_id IS DISTINCT FROM OLD.workflow_id THEN
                NEW.tenant := (SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = NEW.workflow_id);
            END IF;
        ELSIF TG_TABLE_NAME IN ('stage_rule', 'alert') THEN
            IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
                NEW.tenant := (SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = NEW.stage_id);
            END IF;
        END IF;
        IF NEW.tenant IS DISTINCT FROM OLD.tenant THEN
            RAISE EXCEPTION 'the tenant of % % cannot change', TG_TABLE_NAME, OLD.id
                USING ERRCODE = '42501',
                      DETAIL = '{"reason": "tenant_immutable"}',
                      HINT = 'A row belongs to the tenant that created it.';
        END IF;
        RETURN NEW;
    END IF;
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    CASE TG_TABLE_NAME
        WHEN 'workflow_stage', 'workflow_share' THEN
            NEW.tenant := coalesce((SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = NEW.workflow_id),
                                   @extschema@.current_tenant());
        WHEN 'stage_rule', 'alert' THEN
            NEW.tenant := coalesce((SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = NEW.stage_id),
                                   @extschema@.current_tenant());
        ELSE
            NEW.tenant := @extschema@.current_tenant();
    END CASE;
    IF TG_TABLE_NAME = 'workflow' THEN
        NEW.owner := @extschema@.current_actor();
    ELSIF TG_TABLE_NAME = 'job_workflow' THEN
        NEW.assigned_by := @extschema@.current_actor();
        NEW.assigned_at := now();
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION stamp_tenant() IS
    'BEFORE INSERT OR UPDATE trigger on the definition, job and facts tables: stamps tenant (the workflow''s for definitions and shares, else the current tenant), workflow.owner and job_workflow.assigned_by/at on insert; refuses a change of tenant (42501). A restore keeps the dumped values.';
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile']
    LOOP
        EXECUTE format('CREATE TRIGGER stamp_tenant BEFORE INSERT OR UPDATE ON @extschema@.%I
                        FOR EACH ROW EXECUTE FUNCTION @extschema@.stamp_tenant()', t);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME = 'job_workflow' THEN
        -- reassigning stamps who and when
        NEW.assigned_by := @extschema@.current_actor();
        NEW.assigned_at := now();
        RETURN NEW;
    END IF;
    NEW.updated_at := now();
    -- The owner changes only through transfer_workflow_ownership(), which
    -- announces it first (owner_transfer.c).
    IF TG_TABLE_NAME = 'workflow' THEN
        IF NEW.owner IS DISTINCT FROM OLD.owner
           AND NOT @extschema@.owner_transfer_announced(OLD.id) THEN
            RAISE EXCEPTION 'the owner of workflow % cannot be changed', OLD.id
                USING ERRCODE = '42501',
                      HINT = 'Call transfer_workflow_ownership(workflow_id, new_owner).';
        END IF;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION touch_updated_at() IS 'Trigger: keeps updated_at current, a workflow''s owner fixed (transfer_workflow_ownership() changes it), and stamps who reassigned a job (job_workflow.assigned_by/at).';
CREATE TRIGGER workflow_touch BEFORE UPDATE ON workflow
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER stage_rule_touch BEFORE UPDATE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER candidate_profile_touch BEFORE UPDATE ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER job_profile_touch BEFORE UPDATE ON job_profile
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER job_workflow_touch BEFORE UPDATE ON job_workflow
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE OR REPLACE FUNCTION stage_rule_validate() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_stage_rule_validate';
COMMENT ON FUNCTION stage_rule_validate() IS 'Trigger: rejects a rule whose condition is malformed (22023, JSON path in DETAIL).';
CREATE TRIGGER stage_rule_validate BEFORE INSERT OR UPDATE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION stage_rule_validate();

CREATE OR REPLACE FUNCTION alert_validate() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_alert_validate';
COMMENT ON FUNCTION alert_validate() IS 'Trigger: validates an alert''s field_name, operator and value as one condition leaf (22023), stores the operator in canonical form and fills a default message.';
CREATE TRIGGER alert_validate BEFORE INSERT OR UPDATE ON alert
    FOR EACH ROW EXECUTE FUNCTION alert_validate();

-- One alert per leaf of the rule, kept in step with the rule: ids of leaves
-- that stay (same JSON path) are kept, so an edit does not re-fire them.
CREATE OR REPLACE FUNCTION stage_rule_sync_alerts() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- A rule restored from a dump (a superuser's COPY): its alerts arrive
    -- with it, under their own ids.
    IF TG_OP = 'INSERT' AND @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    DELETE FROM @extschema@.alert a
     WHERE a.rule_id = NEW.id
       AND a.rule_path NOT IN (SELECT l->>'path'
                                 FROM jsonb_array_elements(@extschema@.condition_leaves(NEW.condition)) l);
    INSERT INTO @extschema@.alert AS a
           (stage_id, rule_id, rule_path, field_name, source, operator, value, ignore_case, fires_on,
            message, severity)
    SELECT NEW.stage_id, NEW.id, l->>'path', l->>'field', coalesce(l->>'source', 'candidate'),
           l->>'op', l->'value',
           (l->>'ignore_case')::boolean,
           CASE WHEN (l->>'negated')::boolean THEN 'match' ELSE 'mismatch' END,
           format('rule "%s" failed: %s%s %s%s', NEW.name,
                  CASE WHEN (l->>'negated')::boolean THEN 'not ' ELSE '' END,
                  l->>'field', l->>'op', coalesce(' ' || (l->'value')::text, '')),
           CASE NEW.on_fail WHEN 'block' THEN 'critical' ELSE 'warning' END
      FROM jsonb_array_elements(@extschema@.condition_leaves(NEW.condition)) l
    ON CONFLICT (rule_id, rule_path) DO UPDATE
       SET field_name = EXCLUDED.field_name, source = EXCLUDED.source, operator = EXCLUDED.operator,
           value = EXCLUDED.value, ignore_case = EXCLUDED.ignore_case,
           fires_on = EXCLUDED.fires_on
     WHERE (a.field_name, a.source, a.operator, a.value, a.ignore_case, a.fires_on)
           IS DISTINCT FROM (EXCLUDED.field_name, EXCLUDED.source, EXCLUDED.operator, EXCLUDED.value,
                             EXCLUDED.ignore_case, EXCLUDED.fires_on);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION stage_rule_sync_alerts() IS 'Trigger: regenerates a rule''s alerts (one per leaf, fires_on mismatch, or match under a "not").';
CREATE TRIGGER stage_rule_sync_alerts AFTER INSERT OR UPDATE OF condition, name, stage_id ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION stage_rule_sync_alerts();

CREATE OR REPLACE FUNCTION invalidate_caches() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invalidate_caches';
COMMENT ON FUNCTION invalidate_caches() IS 'Statement trigger: tells every backend (at commit) that what it cached from this table (compiled stages, rules and alerts; the facts query) is stale.';
CREATE TRIGGER workflow_stage_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_stage
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER stage_rule_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stage_rule
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER alert_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alert
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
-- A share across tenants changes what the workflow's history records (stage cache).
CREATE TRIGGER workflow_share_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_share
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();

CREATE OR REPLACE FUNCTION stage_transition_immutable() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'stage_transition % is history and cannot be updated', OLD.id
        USING ERRCODE = '55000';
END $$;
COMMENT ON FUNCTION stage_transition_immutable() IS 'Trigger: history rows are never updated.';
CREATE TRIGGER stage_transition_immutable BEFORE UPDATE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION stage_transition_immutable();

-- Visibility helper for the functions: P0002 when the actor cannot see the workflow.
CREATE OR REPLACE FUNCTION visible_workflow(workflow_id bigint, for_edit boolean DEFAULT false)
    RETURNS @extschema@.workflow
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow;
BEGIN
    PERFORM @extschema@.current_tenant();
    -- Spelled out, not left to RLS: the same answer for a role that bypasses
    -- it, and inside transfer_workflow_ownership (SECURITY DEFINER).
    SELECT * INTO w FROM @extschema@.workflow x
     WHERE x.id = $1 AND x.id IN (SELECT @extschema@.visible_workflow_ids());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    IF for_edit AND w.id NOT IN (SELECT @extschema@.editable_workflow_ids()) THEN
        RAISE EXCEPTION 'workflow % is shared read-only with the current actor', $1
            USING ERRCODE = '42501', DETAIL = '{"reason": "read_only"}';
    END IF;
    RETURN w;
END $$;
COMMENT ON FUNCTION visible_workflow(bigint, boolean) IS
    'The workflow row if the actor sees it (P0002 otherwise) and, with for_edit, may edit it (42501 otherwise).';

CREATE OR REPLACE FUNCTION get_stage_rule(stage_id bigint) RETURNS @extschema@.stage_rule
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r @extschema@.stage_rule;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    SELECT * INTO r FROM @extschema@.stage_rule x WHERE x.stage_id = $1;
    IF FOUND THEN
        RETURN r;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RAISE EXCEPTION 'stage % has no rule', $1 USING ERRCODE = 'P0002';
END $$;
COMMENT ON FUNCTION get_stage_rule(bigint) IS
    'The rule of a stage (the REST API''s GET stage/<id>/rule/). P0002 when the stage is not found or has no rule.';

CREATE OR REPLACE FUNCTION get_stage_alerts(stage_id bigint) RETURNS SETOF @extschema@.alert
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    RETURN QUERY SELECT * FROM @extschema@.alert a WHERE a.stage_id = $1 ORDER BY a.id;
    IF FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RAISE EXCEPTION 'stage % has no alerts', $1 USING ERRCODE = 'P0002';
END $$;
COMMENT ON FUNCTION get_stage_alerts(bigint) IS
    'The alerts of a stage (the REST API''s GET stage/<id>/alert/). P0002 when the stage is not found or has none.';

-- Who may share, unshare and transfer a workflow: its owner, or an
-- administrator of the workflow's tenant (42501 otherwise).
CREATE OR REPLACE FUNCTION manageable_workflow(workflow_id bigint, what text)
    RETURNS @extschema@.workflow
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1);
BEGIN
    IF w.owner = @extschema@.current_actor() AND w.tenant = @extschema@.current_tenant() THEN
        RETURN w;
    END IF;
    IF w.tenant = @extschema@.current_tenant() AND @extschema@.is_tenant_admin() THEN
        RETURN w;
    END IF;
    RAISE EXCEPTION 'only the owner of workflow % or an administrator of its tenant can %', $1, what
        USING ERRCODE = '42501', DETAIL = '{"reason": "not_owner"}';
END $$;
COMMENT ON FUNCTION manageable_workflow(bigint, text) IS
    'The workflow, when the current actor owns it or administers its tenant; P0002 when not visible, 42501 otherwise (what names the action in the message).';

-- The tenant a grantee named without one acts for: the current tenant, or,
-- where no tenant is set (each actor its own tenant), the grantee itself.
CREATE OR REPLACE FUNCTION default_grantee_tenant(grantee text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT CASE WHEN @extschema@.current_tenant() = @extschema@.current_actor() AND $1 IS NOT NULL
                    THEN $1 ELSE @extschema@.current_tenant() END
    $$;
COMMENT ON FUNCTION default_grantee_tenant(text) IS
    'The tenant of a grantee named without one: the current tenant; where no tenant is set (each actor its own), the grantee itself, as in 0.2.0.';

CREATE OR REPLACE FUNCTION share_workflow(workflow_id bigint, grantee text, can_edit boolean DEFAULT false,
                               grantee_tenant text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'share it');
    t text := CASE WHEN $4 IS NULL OR @extschema@.blank_identity($4)
                   THEN @extschema@.default_grantee_tenant($2) ELSE $4 END;
BEGIN
    IF $2 IS NOT NULL AND @extschema@.blank_identity($2) THEN
        RAISE EXCEPTION 'grantee must name an actor, or be NULL for every actor of the tenant'
            USING ERRCODE = '22023';
    END IF;
    IF $2 = w.owner AND t = w.tenant THEN
        RAISE EXCEPTION 'workflow % is owned by %; there is nothing to share', $1, $2
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO @extschema@.workflow_share AS s (workflow_id, grantee_tenant, grantee, can_edit)
    VALUES ($1, t, $2, coalesce($3, false))
    ON CONFLICT ON CONSTRAINT workflow_share_workflow_grantee_key
    DO UPDATE SET can_edit = EXCLUDED.can_edit;
END $$;
COMMENT ON FUNCTION share_workflow(bigint, text, boolean, text) IS
    'Shares a workflow with an actor (grantee), or with every actor of a tenant (grantee NULL); grantee_tenant NULL means the current tenant (where no tenant is set, the grantee''s own: each actor is its own tenant), another names an organization working on it (an agency: it sees the definitions and runs its own jobs'' pipelines on them, never the owner''s candidates or facts). can_edit lets the grantees change the definition. Owner or tenant administrator only (42501).';

CREATE OR REPLACE FUNCTION unshare_workflow(workflow_id bigint, grantee text, grantee_tenant text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'unshare it');
    t text := CASE WHEN $3 IS NULL OR @extschema@.blank_identity($3)
                   THEN @extschema@.default_grantee_tenant($2) ELSE $3 END;
BEGIN
    DELETE FROM @extschema@.workflow_share s
     WHERE s.workflow_id = $1 AND s.grantee_tenant = t AND s.grantee IS NOT DISTINCT FROM $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % is not shared with %', $1,
            CASE WHEN $2 IS NULL THEN 'tenant ' || t WHEN $2 = t THEN $2 ELSE $2 || ' of tenant ' || t END
            USING ERRCODE = 'P0002';
    END IF;
END $$;
COMMENT ON FUNCTION unshare_workflow(bigint, text, text) IS
    'Removes a share (grantee NULL: the share with the whole grantee_tenant, NULL meaning the workflow''s tenant). Owner or tenant administrator only (42501); P0002 when there is no such share.';

-- The owner column is otherwise immutable (touch_updated_at): the change is
-- announced to the trigger first.  Runs as the tables' owner, to call that
-- announcement and to update a workflow the caller may only administer.
CREATE OR REPLACE FUNCTION begin_owner_transfer(workflow_id bigint) RETURNS void
    LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_begin_owner_transfer';
COMMENT ON FUNCTION begin_owner_transfer(bigint) IS
    'Internal: announces, for the current transaction, the one owner change of that workflow touch_updated_at will let through (called by transfer_workflow_ownership only; not granted to PUBLIC).';
CREATE OR REPLACE FUNCTION owner_transfer_announced(workflow_id bigint) RETURNS boolean
    LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_owner_transfer_announced';
COMMENT ON FUNCTION owner_transfer_announced(bigint) IS
    'Internal: true, once, when this transaction announced the transfer of that workflow (begin_owner_transfer).';
REVOKE EXECUTE ON FUNCTION begin_owner_transfer(bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION transfer_workflow_ownership(workflow_id bigint, new_owner text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'transfer it');
BEGIN
    IF $2 IS NULL OR @extschema@.blank_identity($2) THEN
        RAISE EXCEPTION 'new_owner must name an actor' USING ERRCODE = '22023';
    END IF;
    IF $2 = w.owner THEN
        RETURN;
    END IF;
    PERFORM @extschema@.begin_owner_transfer(w.id);
    UPDATE @extschema@.workflow x SET owner = $2 WHERE x.id = w.id;
    -- A share with the new owner is now ownership.
    DELETE FROM @extschema@.workflow_share s
     WHERE s.workflow_id = w.id AND s.grantee_tenant = w.tenant AND s.grantee = $2;
END $$;
COMMENT ON FUNCTION transfer_workflow_ownership(bigint, text) IS
    'Makes another actor of the workflow''s tenant its owner (an owner leaving the company). The owner or an administrator of the tenant only (42501); P0002 when the workflow is not visible.';

CREATE OR REPLACE FUNCTION assign_workflow(job_id bigint, workflow_id bigint)
    RETURNS @extschema@.job_workflow
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    jw @extschema@.job_workflow;
BEGIN
    PERFORM @extschema@.visible_workflow($2);
    -- A job on a workflow the actor cannot see is refused by RLS (42501).
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.tenant = @extschema@.current_tenant() AND c.job_id = $1
                  AND c.workflow_id <> $2) THEN
        RAISE EXCEPTION 'job % has candidates in its current workflow; it cannot be reassigned', $1
            USING ERRCODE = '55000';
    END IF;
    INSERT INTO @extschema@.job_workflow AS x (job_id, workflow_id) VALUES ($1, $2)
    ON CONFLICT ON CONSTRAINT job_workflow_job_id_key DO UPDATE
       SET workflow_id = EXCLUDED.workflow_id
    RETURNING * INTO jw;
    RETURN jw;
END $$;
COMMENT ON FUNCTION assign_workflow(bigint, bigint) IS
    'Assigns a visible workflow to a job (or reassigns it while the job has no candidates). Returns the job_workflow row.';

CREATE OR REPLACE FUNCTION clone_workflow(workflow_id bigint, name text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src @extschema@.workflow := @extschema@.visible_workflow($1);
    new_id bigint;
BEGIN
    INSERT INTO @extschema@.workflow (name, description)
    VALUES ($2, src.description) RETURNING id INTO new_id;

    -- Stages map onto their copies by position, which is unique per workflow.
    INSERT INTO @extschema@.workflow_stage (workflow_id, name, position, kind, config, sla)
    SELECT new_id, s.name, s.position, s.kind, s.config, s.sla
      FROM @extschema@.workflow_stage s WHERE s.workflow_id = $1;

    INSERT INTO @extschema@.stage_rule (stage_id, name, condition, on_fail)
    SELECT n.id, r.name, r.condition, r.on_fail
      FROM @extschema@.stage_rule r
      JOIN @extschema@.workflow_stage o ON o.id = r.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position;

    -- Rule alerts were regenerated by the rule trigger; carry over their edited
    -- messages and severities, then copy the hand-made alerts.
    UPDATE @extschema@.alert a
       SET message = src_alert.message, severity = src_alert.severity
      FROM @extschema@.alert src_alert
      JOIN @extschema@.workflow_stage o ON o.id = src_alert.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position
     WHERE src_alert.rule_id IS NOT NULL AND a.stage_id = n.id
       AND a.rule_path = src_alert.rule_path;
    INSERT INTO @extschema@.alert (stage_id, field_name, source, operator, value, ignore_case, fires_on,
                                   message, severity)
    SELECT n.id, a.field_name, a.source, a.operator, a.value, a.ignore_case, a.fires_on, a.message,
           a.severity
      FROM @extschema@.alert a
      JOIN @extschema@.workflow_stage o ON o.id = a.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position
     WHERE a.rule_id IS NULL
     ORDER BY a.id;
    RETURN new_id;
END $$;
COMMENT ON FUNCTION clone_workflow(bigint, text) IS
    'Copies a visible workflow (stages, rules, alerts) into a new one owned by the actor; returns its id.';

CREATE OR REPLACE FUNCTION reorder_stages(workflow_id bigint, stage_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    PERFORM @extschema@.visible_workflow($1, true);
    SELECT count(*) INTO n FROM @extschema@.workflow_stage s WHERE s.workflow_id = $1;
    IF $2 IS NULL OR cardinality($2) <> n
       OR (SELECT count(DISTINCT x) FROM unnest($2) x) <> n
       OR EXISTS (SELECT 1 FROM unnest($2) x
                   WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s
                                                   WHERE s.id = x AND s.workflow_id = $1)) THEN
        RAISE EXCEPTION 'stage_ids must list each of the % stages of workflow % exactly once', n, $1
            USING ERRCODE = '22023';
    END IF;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key DEFERRED;
    UPDATE @extschema@.workflow_stage s SET position = o.ord
      FROM unnest($2) WITH ORDINALITY AS o(id, ord)
     WHERE s.id = o.id AND s.position <> o.ord;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key IMMEDIATE;
END $$;
COMMENT ON FUNCTION reorder_stages(bigint, bigint[]) IS
    'Gives the stages of a workflow the positions 1..n in the order listed (22023 unless the list is exactly its stages).';

-- Trigger functions are attached by the extension only: nobody else may
-- attach them to a table of their own (CREATE TRIGGER needs EXECUTE).
REVOKE EXECUTE ON FUNCTION stamp_tenant(), touch_updated_at(), stage_rule_validate(), alert_validate(),
    stage_rule_sync_alerts(), invalidate_caches(), stage_transition_immutable()
    FROM PUBLIC;

-- ------------------------------------------------------- 50_pipeline
-- The pipeline: candidates in jobs, their moves, history, alerts and events.
-- The C triggers on candidate_stage enforce and record every change; the
-- functions below are conveniences over plain INSERT/UPDATE.

CREATE OR REPLACE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts';
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The candidate facts rules and alerts see for a candidate of the current tenant, the same for every actor of it: candidate_profile.attributes, or to_jsonb(row) of the table set with set_candidate_source() (its row of this tenant when it has a tenant column); {} when there is none. Read with the caller''s rights. 42P01 when the facts source table was dropped.';

CREATE OR REPLACE FUNCTION candidate_facts(candidate_id bigint, job_id bigint) RETURNS jsonb
    LANGUAGE C STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_application_facts';
COMMENT ON FUNCTION candidate_facts(bigint, bigint) IS
    'Every source a rule of the job''s pipeline sees for the candidate, as {"candidate": candidate_facts(candidate_id), "application": candidate_stage.attributes (this candidate in this job; {} when not in it or not visible), "job": job_profile.attributes}, all of the current tenant.';

CREATE OR REPLACE FUNCTION evaluate_condition(condition jsonb, candidate_id bigint, job_id bigint) RETURNS jsonb
    LANGUAGE C STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_application_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, bigint, bigint) IS
    'Explains a condition (each leaf with its source, what it saw and its result) against the facts a rule of the job''s pipeline sees now for the candidate: candidate_facts(candidate_id, job_id). Relative time from the transaction''s start. 22023 for a malformed condition.';

-- The pipeline triggers run with the caller's rights (src/pg/rights.c).
CREATE OR REPLACE FUNCTION candidate_stage_guard() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_guard';
COMMENT ON FUNCTION candidate_stage_guard() IS
    'BEFORE trigger on candidate_stage: fills a new row (workflow, first stage), checks every move and status change, evaluates the target stage''s rule (23514 when it blocks).';
CREATE TRIGGER candidate_stage_guard BEFORE INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_guard();

CREATE OR REPLACE FUNCTION candidate_stage_record() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_record';
COMMENT ON FUNCTION candidate_stage_record() IS
    'AFTER trigger on candidate_stage: writes the stage_transition row, raises the entered stage''s alerts and sends NOTIFY workflow_events.';
CREATE TRIGGER candidate_stage_record AFTER INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_record();

CREATE OR REPLACE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on candidate_profile, job_profile and the facts source table: evaluates again the alerts of the stages the candidate (or the job''s candidates) stand in, in the row''s tenant and the pipelines the writer sees (each fires at most once per visit). Arguments: the key column; the jsonb column holding the facts or ''''; ''candidate'' or ''job''; the tenant column or '''' (every tenant).';
CREATE TRIGGER facts_source_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facts_source
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER candidate_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('candidate_id', 'attributes', 'candidate', 'tenant');
CREATE TRIGGER job_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON job_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('job_id', 'attributes', 'job', 'tenant');

-- The move functions are C (src/pg/move_functions.c): they run as the caller,
-- lock the row, check the next or target stage and move with a plain UPDATE,
-- so the candidate_stage triggers check and record it like any other.
CREATE OR REPLACE FUNCTION move_to_next_stage(candidate_id bigint, job_id bigint,
                                   expected_stage_id bigint DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_to_next_stage';
COMMENT ON FUNCTION move_to_next_stage(bigint, bigint, bigint) IS
    'Moves a candidate to the next stage of the job''s workflow (the REST API''s PATCH move-to-nextstage/). P0002 job or candidate not found; 55000 not active, last stage or not in expected_stage_id; 23514 when the next stage''s rule blocks.';

CREATE OR REPLACE FUNCTION move_to_stage(candidate_id bigint, job_id bigint, stage_id bigint,
                              reason text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_to_stage';
COMMENT ON FUNCTION move_to_stage(bigint, bigint, bigint, text) IS
    'Moves a candidate to any stage of the job''s workflow, back or forward, with the same checks, history and alerts as move_to_next_stage().';

CREATE OR REPLACE FUNCTION add_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cs @extschema@.candidate_stage;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF @extschema@.job_tenant($2) IS NULL THEN
        RAISE EXCEPTION 'job % not found', $2 USING ERRCODE = 'P0002';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.tenant = @extschema@.job_tenant($2) AND c.job_id = $2 AND c.candidate_id = $1) THEN
        RAISE EXCEPTION 'candidate % is already in job %', $1, $2 USING ERRCODE = '23505';
    END IF;
    INSERT INTO @extschema@.candidate_stage AS c (job_id, candidate_id) VALUES ($2, $1)
    RETURNING * INTO cs;
    RETURN cs;
END $$;
COMMENT ON FUNCTION add_candidate(bigint, bigint) IS
    'Puts a candidate into a job''s pipeline at the first stage (its rule and alerts apply). P0002 when the job has no visible workflow.';

CREATE OR REPLACE FUNCTION set_candidate_status(candidate_id bigint, job_id bigint, status text, reason text)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_set_candidate_status';
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text) IS
    'Changes a candidate''s status (rejected, withdrawn, active) with a plain UPDATE that the triggers check (55000) and record with this reason. P0002 when the job or the candidate is not found.';

CREATE OR REPLACE FUNCTION reject_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'rejected', $3) $$;
COMMENT ON FUNCTION reject_candidate(bigint, bigint, text) IS
    'Rejects an active candidate (55000 otherwise); recorded in stage_transition with the reason.';

CREATE OR REPLACE FUNCTION withdraw_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'withdrawn', $3) $$;
COMMENT ON FUNCTION withdraw_candidate(bigint, bigint, text) IS
    'Marks an active candidate as withdrawn (55000 otherwise); recorded in stage_transition.';

CREATE OR REPLACE FUNCTION reopen_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'active', NULL) $$;
COMMENT ON FUNCTION reopen_candidate(bigint, bigint) IS
    'Makes a rejected or withdrawn candidate active again in the same stage (55000 otherwise).';

-- Acknowledging is the one change an alert event takes: the trigger stamps
-- who and when, and refuses any other change.
CREATE OR REPLACE FUNCTION alert_event_acknowledge() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'alert_event' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'alert_event_acknowledge() fires only on alert_event'
            USING ERRCODE = '39P01';
    END IF;
    -- The alert definition was deleted (alert_id ON DELETE SET NULL): the
    -- event keeps its message and severity.
    IF NEW.alert_id IS NULL AND OLD.alert_id IS NOT NULL
       AND (NEW.id, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id, NEW.transition_id,
            NEW.cause, NEW.severity, NEW.message, NEW.raised_at, NEW.facts, NEW.xact_id,
            NEW.acknowledged_at, NEW.acknowledged_by)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.job_id, OLD.candidate_id, OLD.workflow_id, OLD.stage_id, OLD.transition_id,
            OLD.cause, OLD.severity, OLD.message, OLD.raised_at, OLD.facts, OLD.xact_id,
            OLD.acknowledged_at, OLD.acknowledged_by) THEN
        RETURN NEW;
    END IF;
    IF OLD.acknowledged_at IS NOT NULL THEN
        RAISE EXCEPTION 'alert event % was already acknowledged by %', OLD.id, OLD.acknowledged_by
            USING ERRCODE = '55000';
    END IF;
    IF (NEW.id, NEW.alert_id, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id,
        NEW.transition_id, NEW.cause, NEW.severity, NEW.message, NEW.raised_at, NEW.facts,
        NEW.xact_id)
       IS DISTINCT FROM
       (OLD.id, OLD.alert_id, OLD.job_id, OLD.candidate_id, OLD.workflow_id, OLD.stage_id,
        OLD.transition_id, OLD.cause, OLD.severity, OLD.message, OLD.raised_at, OLD.facts,
        OLD.xact_id)
       AND NOT (@extschema@.restoring()) THEN
        RAISE EXCEPTION 'alert event % is history: only acknowledging it changes it', OLD.id
            USING ERRCODE = '55000';
    END IF;
    NEW.acknowledged_at := now();
    NEW.acknowledged_by := @extschema@.current_actor();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION alert_event_acknowledge() IS
    'Trigger: an UPDATE of alert_event acknowledges it once, by the current actor, now (55000 when already acknowledged or when another column changes); deleting the alert definition only clears alert_id.';
CREATE TRIGGER alert_event_acknowledge BEFORE UPDATE ON alert_event
    FOR EACH ROW EXECUTE FUNCTION alert_event_acknowledge();

CREATE OR REPLACE FUNCTION acknowledge_alert(alert_event_id bigint) RETURNS @extschema@.alert_event
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e @extschema@.alert_event;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    UPDATE @extschema@.alert_event x SET acknowledged_at = now()
     WHERE x.id = $1
    RETURNING * INTO e;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert event % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RETURN e;
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint) IS
    'Marks an alert event of a visible workflow as acknowledged by the actor (an UPDATE the caller may make; the trigger stamps it). P0002 when not found or not visible; 55000 when already acknowledged.';

-- A database-wide setting: every tenant's rules then read this table, each
-- the rows of its own tenant (tenant_column), or all of them when the table
-- is one organization's.  Its rows are read with each caller's rights (the
-- caller's privileges and the table's RLS apply), never with the extension's.
CREATE OR REPLACE FUNCTION set_candidate_source(relation regclass, key_column name,
                                     tenant_column name DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old @extschema@.facts_source;
    rel pg_class;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = @extschema@.invoking_role())
       AND NOT pg_has_role(@extschema@.invoking_role(),
                           (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'only a superuser or the database owner can set the facts source'
            USING ERRCODE = '42501',
                  DETAIL = 'The facts source is a database-wide setting: every workflow''s rules read it.';
    END IF;
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'relation and key_column must not be NULL' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO rel FROM pg_class c WHERE c.oid = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', $1::oid USING ERRCODE = '42P01';
    END IF;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', $1 USING ERRCODE = '22023';
    END IF;
    IF NOT pg_has_role(@extschema@.invoking_role(), rel.relowner, 'USAGE')
       AND NOT has_table_privilege(@extschema@.invoking_role(), $1, 'TRIGGER') THEN
        RAISE EXCEPTION 'permission denied to put the facts trigger on %', $1
            USING ERRCODE = '42501', DETAIL = '{"reason": "no_trigger_privilege"}',
                  HINT = 'The table''s owner, or a role with TRIGGER on it, sets it as the facts source.';
    END IF;
    IF rel.relrowsecurity THEN
        RAISE EXCEPTION '% has row-level security enabled; its policies would run inside every reader of the facts', $1
            USING ERRCODE = '42501', DETAIL = '{"reason": "facts_source_policies"}',
                  HINT = 'Name the tenant column instead: set_candidate_source(relation, key_column, tenant_column).';
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table; the facts source is database-wide', $1
            USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid IN ('int8'::regtype, 'int4'::regtype, 'int2'::regtype)) THEN
        RAISE EXCEPTION 'table % has no integer column %', $1, $2 USING ERRCODE = '22023';
    END IF;
    IF $3 IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM pg_attribute a
            WHERE a.attrelid = $1 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped
              AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)) THEN
        RAISE EXCEPTION 'table % has no text column %', $1, $3 USING ERRCODE = '22023';
    END IF;
    SELECT * INTO old FROM @extschema@.facts_source;
    -- The old table may have been dropped (its regclass then dangles).
    IF FOUND AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = old.relation) THEN
        EXECUTE format('DROP TRIGGER IF EXISTS workflow_ext_facts_changed ON %s', old.relation);
    END IF;
    INSERT INTO @extschema@.facts_source (id, relation, key_column, tenant_column, set_by)
    VALUES (1, $1, $2, $3, @extschema@.current_actor())
    ON CONFLICT (id) DO UPDATE
       SET relation = EXCLUDED.relation, key_column = EXCLUDED.key_column,
           tenant_column = EXCLUDED.tenant_column, set_by = EXCLUDED.set_by, set_at = now();
    EXECUTE format('CREATE TRIGGER workflow_ext_facts_changed AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION %I.candidate_facts_changed(%L, %L, %L, %L)',
                   $1, '@extschema@', $2, '', 'candidate', coalesce($3, ''));
END $$;
COMMENT ON FUNCTION set_candidate_source(regclass, name, name) IS
    'Makes to_jsonb(row) of a table the candidates'' facts, keyed by an integer column and, with tenant_column (a text column), matched on the tenant: a row is the facts of that tenant''s candidate only. Without tenant_column the table is one organization''s, its rows the facts of every tenant''s candidate of that id. Its inserts and updates re-evaluate alerts. Superuser or database owner only (42501); never a temporary table (22023). Rows are read with each caller''s rights.';

CREATE OR REPLACE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_raise_overdue_alerts';
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla, once per stage visit; returns how many. Sweeps the pipelines the caller sees (all for a superuser or a BYPASSRLS role). Schedule it with pg_cron.';

-- Trigger functions are attached by the extension only.
REVOKE EXECUTE ON FUNCTION candidate_stage_guard(), candidate_stage_record(),
    candidate_facts_changed(), alert_event_acknowledge(), history_write_guard(),
    history_keeps_alert_events(), require_actor_trigger() FROM PUBLIC;

-- ---------------------------------------------------------- 60_views
-- Views of the original REST API's list endpoints; security_invoker so RLS applies to the caller.

CREATE VIEW workflow_with_stages WITH (security_invoker = true) AS
SELECT w.id, w.name, w.description, w.owner, w.created_at, w.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name,
                                                     'position', s.position, 'kind', s.kind,
                                                     'config', s.config, 'sla', s.sla)
                                  ORDER BY s.position)
                   FROM @extschema@.workflow_stage s WHERE s.workflow_id = w.id),
                '[]'::jsonb) AS stages,
       w.tenant, w.archived_at
  FROM @extschema@.workflow w;
COMMENT ON VIEW workflow_with_stages IS 'One row per visible workflow, its stages as a JSON array in position order (tenant and archived_at last, after the 0.2.0 columns).';

CREATE VIEW stage_with_rules WITH (security_invoker = true) AS
SELECT s.id, s.workflow_id, s.name, s.position, s.kind, s.config, s.sla,
       r.id AS rule_id, r.name AS rule_name, r.condition, r.on_fail,
       coalesce((SELECT jsonb_agg(to_jsonb(a) - 'stage_id' ORDER BY a.id)
                   FROM @extschema@.alert a WHERE a.stage_id = s.id), '[]'::jsonb) AS alerts
  FROM @extschema@.workflow_stage s
  LEFT JOIN @extschema@.stage_rule r ON r.stage_id = s.id;
COMMENT ON VIEW stage_with_rules IS 'One row per visible stage with its rule (if any) and its alerts as a JSON array.';

GRANT SELECT ON workflow_with_stages, stage_with_rules TO PUBLIC;

-- ----------------------------------------------------- 70_event_feed
-- The durable event feed: the changes (moves, status changes, alert events)
-- committed after a cursor, for consumers that must see each exactly once.
-- NOTIFY workflow_events stays the wake-up; this is where the data is read.
--
-- Order and completeness: every history and alert_event row carries the id of
-- the transaction that wrote it (xact_id).  The feed returns only rows whose
-- transaction is older than the oldest transaction still running
-- (pg_snapshot_xmin of the current snapshot): all of those have committed or
-- aborted, so no row can later appear before the cursor.  A transaction that
-- commits late with a lower id holds the feed back until it ends, rather than
-- being skipped.  Rows are ordered by (xact_id, history before alert events,
-- id); the cursor is that triple.  Row-level security applies: an actor reads
-- its own workflows' events.

-- A cursor is "xact_id:kind:id" (kind 0: history, 1: alert event); NULL is
-- the start.
CREATE OR REPLACE FUNCTION workflow_event_position(cursor text, max_events integer,
                                        OUT after_xid xid8, OUT after_kind integer,
                                        OUT after_id bigint, OUT horizon xid8,
                                        OUT restored xid8, OUT own xid8)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    parts text[];
    snap pg_snapshot := pg_current_snapshot();
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    PERFORM @extschema@.workflow_event_limit(max_events);
    after_xid := '0';
    after_kind := -1;
    after_id := 0;
    IF $1 IS NOT NULL THEN
        parts := regexp_match($1, '^([0-9]{1,20}):([01]):(-?[0-9]{1,19})$');
        IF parts IS NULL THEN
            RAISE EXCEPTION 'invalid event cursor "%"', $1
                USING ERRCODE = '22023',
                      HINT = 'Pass NULL to read from the start, or a cursor workflow_events_since() returned.';
        END IF;
        after_xid := parts[1]::xid8;
        after_kind := parts[2]::integer;
        after_id := parts[3]::bigint;
    END IF;
    -- Our own transaction is not in the snapshot's running set: hold the
    -- horizon at it too, so its rows wait for its commit like anyone's.
    own := coalesce(pg_current_xact_id_if_assigned(), '0'::xid8);
    horizon := pg_snapshot_xmin(snap);
    IF own <> '0'::xid8 AND own < horizon THEN
        horizon := own;
    END IF;
    restored := pg_snapshot_xmax(snap);
END $$;
COMMENT ON FUNCTION workflow_event_position(text, integer) IS
    'Parses an event cursor (22023 when malformed) and checks max_events; with the current snapshot''s horizon (xmin, held at our own transaction), xmax and our own transaction id. Used by workflow_events_since().';

CREATE OR REPLACE FUNCTION workflow_event_limit(max_events integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF max_events IS NULL OR max_events < 1 OR max_events > 100000 THEN
        RAISE EXCEPTION 'max_events must be between 1 and 100000, not %', coalesce(max_events::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    RETURN max_events;
END $$;
COMMENT ON FUNCTION workflow_event_limit(integer) IS
    'max_events checked (22023 unless 1..100000); the LIMIT of workflow_events_since().';

-- A visible row written by a transaction at or past xmax is either our own
-- transaction's (left out until it commits) or was restored from another
-- cluster, whose ids ran ahead of this one's: it is complete, and sorts after
-- the live ones.
CREATE OR REPLACE FUNCTION workflow_events_since(cursor text DEFAULT NULL, max_events integer DEFAULT 1000)
    RETURNS TABLE (cursor text, event jsonb)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT format('%s:%s:%s', f.xact_id, f.kind_order, f.id), f.event
      FROM @extschema@.workflow_event_position($1, $2) p,
           LATERAL (
            SELECT t.xact_id, 0 AS kind_order, t.id,
                   jsonb_build_object(
                       'kind', CASE WHEN t.from_stage_id IS NULL THEN 'enter'
                                    WHEN t.from_stage_id <> t.to_stage_id THEN 'move'
                                    ELSE 'status' END,
                       'job_id', t.job_id, 'candidate_id', t.candidate_id,
                       'workflow_id', t.workflow_id, 'transition_id', t.id,
                       'from_stage_id', t.from_stage_id, 'to_stage_id', t.to_stage_id,
                       'from_status', t.from_status, 'to_status', t.to_status,
                       'actor', t.actor, 'reason', t.reason, 'at', t.moved_at,
                       'alerts_raised', t.alerts_raised) AS event
              FROM @extschema@.stage_transition t
             WHERE (t.xact_id < p.horizon OR (t.xact_id >= p.restored AND t.xact_id <> p.own))
               AND (t.xact_id, 0, t.id) > (p.after_xid, p.after_kind, p.after_id)
            UNION ALL
            SELECT e.xact_id, 1, e.id,
                   jsonb_build_object(
                       'kind', 'alert', 'job_id', e.job_id, 'candidate_id', e.candidate_id,
                       'workflow_id', e.workflow_id, 'transition_id', e.transition_id,
                       'alert_event_id', e.id, 'alert_id', e.alert_id, 'stage_id', e.stage_id,
                       'cause', e.cause, 'severity', e.severity, 'message', e.message,
                       'at', e.raised_at)
              FROM @extschema@.alert_event e
             WHERE (e.xact_id < p.horizon OR (e.xact_id >= p.restored AND e.xact_id <> p.own))
               AND (e.xact_id, 1, e.id) > (p.after_xid, p.after_kind, p.after_id)) f
     ORDER BY f.xact_id, f.kind_order, f.id
     LIMIT @extschema@.workflow_event_limit($2)
$$;
COMMENT ON FUNCTION workflow_events_since(text, integer) IS
    'The durable event feed: moves, status changes and alert events committed after cursor (NULL: from the start), at most max_events (1..100000), each with the cursor to resume after it. Never skips a transaction that commits late with a lower id (it waits for it); row-level security applies. 22023 for a malformed cursor.';

-- ------------------------------------------------------ 80_scale_out
-- Scale-out (docs/scale-out.md): the node's role, caches invalidated when
-- logical replication applies definitions, the definition write guard of
-- primaries and shards, shard id spaces, and the shard-side entry points that
-- the front (extension workflow_ext_proxy, PL/Proxy) calls.

CREATE OR REPLACE FUNCTION node_role() RETURNS text
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_node_role_sql';
COMMENT ON FUNCTION node_role() IS
    'This database''s role in a scale-out layout, from workflow_ext.node_role: single (default), primary or shard.';

-- Logical replication applies rows in replica mode: it fires row triggers
-- enabled REPLICA or ALWAYS, never statement triggers.  The statement
-- triggers of 40_definitions.sql therefore miss replicated changes; these row
-- triggers, enabled for replica mode only (no cost on a primary or a single
-- node), invalidate the stage caches of the shard's sessions on apply.
CREATE TRIGGER workflow_stage_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE workflow_stage ENABLE REPLICA TRIGGER workflow_stage_invalidate_on_apply;
CREATE TRIGGER stage_rule_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE stage_rule ENABLE REPLICA TRIGGER stage_rule_invalidate_on_apply;
CREATE TRIGGER alert_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON alert
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE alert ENABLE REPLICA TRIGGER alert_invalidate_on_apply;

-- Definitions are written on the primary only.  The guard is an ordinary
-- (ORIGIN) trigger: replication apply does not fire it, nor the validation
-- and alert generation triggers, so a shard takes the primary's rows and ids
-- as they are.
CREATE OR REPLACE FUNCTION definition_write_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    node text := @extschema@.node_role();
    what text;
    moved boolean;
BEGIN
    IF node = 'single' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF node = 'shard' THEN
        IF @extschema@.restoring() THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION 'this database is a shard: % on % must be done on the primary', TG_OP, TG_TABLE_NAME
            USING ERRCODE = '25006',
                  DETAIL = 'workflow_ext.node_role is shard; definitions arrive here by logical replication.',
                  HINT = 'Write workflows, shares, stages, rules, alerts and job assignments on the primary.';
    END IF;
    -- A primary cannot see the shards' candidates, history and alert events:
    -- nothing they may reference is deleted or re-pointed.
    IF TG_OP = 'INSERT' OR TG_TABLE_NAME NOT IN ('workflow_stage', 'stage_rule', 'alert', 'job_workflow') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- A rule edit that drops a leaf retires that leaf's alert instead of
    -- deleting it: the alert stays (shards' events keep their alert_id) and
    -- never fires again, since a rule alert fires only for a failed leaf of
    -- the rule's current condition with its rule_path.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'alert' THEN
        IF OLD.rule_id IS NOT NULL AND pg_trigger_depth() > 1 THEN
            RETURN NULL;
        END IF;
    END IF;
    -- One statement per table: an expression naming a column another
    -- table lacks would fail to plan.
    CASE TG_TABLE_NAME
    WHEN 'workflow_stage' THEN
        what := format('stage %s', OLD.id);
    WHEN 'stage_rule' THEN
        what := format('rule %s', OLD.id);
    WHEN 'alert' THEN
        what := format('alert %s', OLD.id);
    ELSE
        what := format('the workflow of job %s', OLD.job_id);
    END CASE;
    IF TG_OP = 'DELETE' THEN
        moved := false;
    ELSIF TG_OP = 'UPDATE' THEN
        CASE TG_TABLE_NAME
        WHEN 'workflow_stage' THEN
            moved := NEW.workflow_id <> OLD.workflow_id;
        WHEN 'job_workflow' THEN
            moved := NEW.workflow_id <> OLD.workflow_id OR NEW.job_id <> OLD.job_id;
        ELSE
            moved := NEW.stage_id <> OLD.stage_id;
        END CASE;
        IF NOT moved THEN
            RETURN NEW;
        END IF;
    ELSE
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% may be in use on a shard: it cannot be % on a primary', what,
            CASE WHEN moved THEN 'moved' ELSE 'deleted' END
        USING ERRCODE = '55000',
              DETAIL = 'workflow_ext.node_role is primary; pipeline rows, history and alert events on the shards may refer to it.',
              HINT = 'Keep it and stop using it (a new stage, rule or workflow for new jobs); docs/scale-out.md, Integrity.';
    RETURN NEW;
END $$;
COMMENT ON FUNCTION definition_write_guard() IS
    'Trigger on the definition tables: on a shard, refuses writes other than replication apply and a superuser''s restore (25006); on a primary, refuses deleting or re-pointing stages, rules, alerts and job assignments that shards may use (55000) and keeps, retired, the alert of a leaf a rule edit removed; on a single node, does nothing.';
-- A trigger function: attached by the extension only (README: Security).
REVOKE EXECUTE ON FUNCTION definition_write_guard() FROM PUBLIC;
CREATE TRIGGER workflow_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER workflow_share_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow_share
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER workflow_stage_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER stage_rule_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER alert_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON alert
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER job_workflow_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON job_workflow
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();

-- Ids of the tables that grow with candidates, unique across shards: shard
-- k of n hands out k+1, k+1+n, k+1+2n, ...
CREATE OR REPLACE FUNCTION configure_shard(shard_number integer, shard_count integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    top bigint;
    next bigint;
BEGIN
    IF shard_count IS NULL OR shard_count < 1 OR shard_number IS NULL
       OR shard_number < 0 OR shard_number >= shard_count THEN
        RAISE EXCEPTION 'shard % of % is not a shard: the number must be 0 .. count - 1', shard_number, shard_count
            USING ERRCODE = '22023';
    END IF;
    FOREACH t IN ARRAY ARRAY['candidate_stage', 'stage_transition', 'alert_event', 'candidate_profile'] LOOP
        EXECUTE format('SELECT greatest(coalesce(max(id), 0), (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %1$I.%2$I)) FROM %1$I.%3$I',
                       '@extschema@', t || '_id_seq', t)
           INTO top;
        next := top + 1;
        next := next + ((shard_number + 1 - next) % shard_count + shard_count) % shard_count;
        EXECUTE format('ALTER SEQUENCE %I.%I INCREMENT BY %s MINVALUE 1 RESTART WITH %s',
                       '@extschema@', t || '_id_seq', shard_count, next);
    END LOOP;
END $$;
COMMENT ON FUNCTION configure_shard(integer, integer) IS
    'Gives this shard (number 0 .. count - 1) its own ids for candidate_stage, stage_transition, alert_event and candidate_profile: number + 1 + k * count, above every id already used. Run on each shard after CREATE EXTENSION and again after a restore (docs/scale-out.md).';
REVOKE EXECUTE ON FUNCTION configure_shard(integer, integer) FROM PUBLIC;

-- The shard side of the front: one call with the actor applied for that call
-- only, the answer or the error returned as data.  PL/Proxy drops its pooled
-- connection on every remote error; a business error (a blocked move) is
-- therefore caught here and raised again by the front with the same
-- SQLSTATE, message, DETAIL and HINT.
CREATE OR REPLACE FUNCTION shard_call(actor text, operation text, args jsonb,
                           OUT error_sqlstate text, OUT error_message text,
                           OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cid bigint := (args->>'candidate_id')::bigint;
    jid bigint := (args->>'job_id')::bigint;
BEGIN
    BEGIN
        -- Local to this function: its SET clause reverts it on return.
        PERFORM set_config('workflow_ext.actor', coalesce(actor, ''), true);
        CASE operation
        WHEN 'move_to_next_stage' THEN
            SELECT to_jsonb(m) INTO result
              FROM @extschema@.move_to_next_stage(cid, jid, (args->>'expected_stage_id')::bigint) m;
        WHEN 'move_to_stage' THEN
            SELECT to_jsonb(m) INTO result
              FROM @extschema@.move_to_stage(cid, jid, (args->>'stage_id')::bigint, args->>'reason') m;
        WHEN 'add_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.add_candidate(cid, jid) c;
        WHEN 'reject_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.reject_candidate(cid, jid, args->>'reason') c;
        WHEN 'withdraw_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.withdraw_candidate(cid, jid, args->>'reason') c;
        WHEN 'reopen_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.reopen_candidate(cid, jid) c;
        WHEN 'candidate_facts' THEN
            result := @extschema@.candidate_facts(cid);
        WHEN 'acknowledge_alert' THEN
            SELECT to_jsonb(e) INTO result
              FROM @extschema@.acknowledge_alert((args->>'alert_event_id')::bigint) e;
            IF (result->>'candidate_id')::bigint IS DISTINCT FROM cid THEN
                RAISE EXCEPTION 'alert event % of candidate % not found', args->>'alert_event_id', cid
                    USING ERRCODE = 'P0002';
            END IF;
        WHEN 'get_stage_rule' THEN
            SELECT to_jsonb(r) INTO result FROM @extschema@.get_stage_rule((args->>'stage_id')::bigint) r;
        WHEN 'get_stage_alerts' THEN
            SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id) INTO result
              FROM @extschema@.get_stage_alerts((args->>'stage_id')::bigint) a;
        WHEN 'stage_counts' THEN
            SELECT coalesce(jsonb_agg(jsonb_build_object('stage_id', s.stage_id, 'status', s.status,
                                                         'candidates', s.n)), '[]')
              INTO result
              FROM (SELECT c.stage_id, c.status, count(*) AS n
                      FROM @extschema@.candidate_stage c
                     WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid))
                     GROUP BY c.stage_id, c.status) s;
        WHEN 'screening_counts' THEN
            SELECT jsonb_build_object('candidates', count(*),
                                      'matching', count(*) FILTER (WHERE @extschema@.condition_matches(
                                          args->'condition', @extschema@.candidate_facts(c.candidate_id))))
              INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid)) AND c.status = 'active';
        ELSE
            RAISE EXCEPTION 'shard_call has no operation "%"', operation USING ERRCODE = '22023';
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT,
                                error_detail = PG_EXCEPTION_DETAIL, error_hint = PG_EXCEPTION_HINT;
        error_detail := nullif(error_detail, '');
        error_hint := nullif(error_hint, '');
        result := NULL;
    END;
END $$;
COMMENT ON FUNCTION shard_call(text, text, jsonb) IS
    'The shard side of workflow_ext_proxy: runs one operation (move_to_next_stage, move_to_stage, add_candidate, reject_candidate, withdraw_candidate, reopen_candidate, candidate_facts, acknowledge_alert, get_stage_rule, get_stage_alerts, stage_counts, screening_counts; arguments by name in args) as actor, for this call only (the trust rules of workflow_ext.actor apply), and returns the result as JSON or the error as data (error_sqlstate, error_message, error_detail, error_hint), so PL/Proxy keeps its connection.';

-- --------------------------------------------------- 85_tenant_merge
-- Putting actors into one organization: after an update from 0.2.0 every
-- actor is its own tenant; merge_into_tenant() moves the rows of chosen
-- actors' tenants into one tenant (README: Upgrading).
--
-- It runs as the tables' owner, in replica mode (session_replication_role):
-- the row triggers that stamp and guard tenants, owners, history and
-- pipeline rows are ordinary (ORIGIN) triggers and do not fire, so the
-- stored rows change in nothing but their tenant -- no updated_at, no
-- assigned_by, no history row, no re-evaluation.  Foreign keys are not
-- checked in replica mode either: every row of a tenant moves, in one
-- transaction, so a pipeline row and its job's assignment move together.
-- The rows it leaves in place (other tenants') are not touched.
CREATE OR REPLACE FUNCTION merge_into_tenant(tenant text, actors text[])
    RETURNS TABLE (table_name text, rows_moved bigint, rows_removed bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    target text := $1;
    merged text[];
    everyone text[];
    t record;
    ix record;
    keys text;
    nonnull_keys text;
    found_conflicts jsonb := '[]';
    batch jsonb;
    listed text;
    n bigint;
    saved_role text;
    moved jsonb := '{}';
    removed bigint := 0;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = @extschema@.invoking_role())
       AND NOT pg_has_role(@extschema@.invoking_role(),
                           (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'only a superuser or the database owner can merge tenants'
            USING ERRCODE = '42501',
                  DETAIL = '{"reason": "not_database_owner"}';
    END IF;
    -- Its locks are taken after the transaction's snapshot at REPEATABLE READ
    -- and above: rows committed meanwhile would be left behind.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'merge_into_tenant runs at READ COMMITTED, not %', current_setting('transaction_isolation')
            USING ERRCODE = '25001', DETAIL = '{"reason": "isolation_level"}';
    END IF;
    IF target IS NULL OR @extschema@.blank_identity(target) THEN
        RAISE EXCEPTION 'tenant must name the organization to merge into'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_tenant"}';
    END IF;
    IF $2 IS NULL OR cardinality($2) = 0
       OR EXISTS (SELECT 1 FROM unnest($2) a WHERE a IS NULL OR @extschema@.blank_identity(a)) THEN
        RAISE EXCEPTION 'actors must list the tenants to merge, none of them NULL or blank'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_actors"}';
    END IF;
    -- The tenants whose rows move; the target keeps its own rows.
    SELECT coalesce(array_agg(DISTINCT a ORDER BY a), '{}') INTO merged
      FROM unnest($2) a WHERE a <> target;
    everyone := merged || target;

    -- No write to these tenants while they merge (reads go on).
    FOR t IN SELECT c.oid::regclass AS rel
               FROM pg_class c
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
              WHERE c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
              ORDER BY c.relname LOOP
        EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', t.rel);
    END LOOP;

    -- Ids are the application's within a tenant: the same job, candidate or
    -- pipeline id in two of the tenants merged is two different things that
    -- one tenant cannot hold.  Every unique key that the tenant leads is
    -- checked, and all conflicts are named at once.
    FOR ix IN SELECT i.indexrelid, i.indrelid::regclass AS rel, c.relname,
                     pg_get_expr(i.indpred, i.indrelid) AS pred,
                     i.indnullsnotdistinct AS nulls_not_distinct,
                     array_agg(a.attname ORDER BY k.ord) FILTER (WHERE a.attname <> 'tenant') AS cols
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
                CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
               WHERE i.indisunique AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
               GROUP BY i.indexrelid, i.indrelid, c.relname, i.indpred, i.indnullsnotdistinct
              HAVING bool_or(a.attname = 'tenant') AND count(*) FILTER (WHERE a.attname <> 'tenant') > 0
              ORDER BY c.relname, i.indexrelid LOOP
        SELECT string_agg(format('%I', col), ', '),
               string_agg(format('%I IS NOT NULL', col), ' AND ')
          INTO keys, nonnull_keys
          FROM unnest(ix.cols) col;
        EXECUTE format('SELECT coalesce(jsonb_agg(x), ''[]'') FROM ('
                       'SELECT jsonb_build_object(''table'', %L, ''key'', to_jsonb(k) - ''tenants'', '
                       '''tenants'', k.tenants) AS x FROM ('
                       'SELECT %s, array_agg(DISTINCT r.tenant ORDER BY r.tenant) AS tenants '
                       'FROM %s r WHERE r.tenant = ANY ($1)%s%s '
                       'GROUP BY %s HAVING count(DISTINCT r.tenant) > 1 ORDER BY %s) k) q',
                       ix.relname, keys, ix.rel,
                       CASE WHEN ix.nulls_not_distinct THEN '' ELSE ' AND ' || nonnull_keys END,
                       coalesce(' AND (' || ix.pred || ')', ''), keys, keys)
           INTO batch USING everyone;
        -- Two unique keys of one table may report the same ids.
        found_conflicts := found_conflicts
            || coalesce((SELECT jsonb_agg(b) FROM jsonb_array_elements(batch) b
                          WHERE NOT found_conflicts @> jsonb_build_array(b)), '[]');
    END LOOP;
    IF jsonb_array_length(found_conflicts) > 0 THEN
        SELECT string_agg(format('%s %s (%s)', c->>'table',
                                 (SELECT string_agg(format('%s %s', k.key, k.value), ', ')
                                    FROM jsonb_each_text(c->'key') k),
                                 (SELECT string_agg(v, ', ') FROM jsonb_array_elements_text(c->'tenants') v)),
                          '; ')
          INTO listed
          FROM (SELECT c FROM jsonb_array_elements(found_conflicts) c LIMIT 20) s;
        RAISE EXCEPTION 'cannot merge into tenant %: ids used by more than one of the tenants merged: %',
                        target, listed
                        || CASE WHEN jsonb_array_length(found_conflicts) > 20
                                THEN format(' and %s more', jsonb_array_length(found_conflicts) - 20) ELSE '' END
            USING ERRCODE = '23505',
                  DETAIL = jsonb_build_object('reason', 'tenant_merge_conflict',
                                              'tenant', target, 'conflicts', found_conflicts)::text,
                  HINT = 'Ids are the application''s within a tenant: renumber the jobs or candidates of one tenant in the application (and here), then merge.';
    END IF;

    saved_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);

    -- Shares to a merged tenant become shares within the new one: a share
    -- with an actor of it stays with that actor; a share with the whole of
    -- a merged tenant (each actor its own tenant) becomes a share with that
    -- actor, so nobody sees more than before.  Shares that now say the same
    -- thing become one, the oldest, with can_edit if any of them had it.
    WITH m AS (
        SELECT s.id, s.workflow_id, s.can_edit,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN target ELSE s.grantee_tenant END AS gt,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN coalesce(s.grantee, s.grantee_tenant)
                    ELSE s.grantee END AS g
          FROM @extschema@.workflow_share s
         WHERE s.grantee_tenant = ANY (everyone)
    ), g AS (
        SELECT m.workflow_id, m.gt, m.g, min(m.id) AS keep, bool_or(m.can_edit) AS can_edit
          FROM m GROUP BY m.workflow_id, m.gt, m.g HAVING count(*) > 1
    )
    UPDATE @extschema@.workflow_share s SET can_edit = true
      FROM g WHERE s.id = g.keep AND g.can_edit AND NOT s.can_edit;
    WITH m AS (
        SELECT s.id, s.workflow_id,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN target ELSE s.grantee_tenant END AS gt,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN coalesce(s.grantee, s.grantee_tenant)
                    ELSE s.grantee END AS g
          FROM @extschema@.workflow_share s
         WHERE s.grantee_tenant = ANY (everyone)
    ), g AS (
        SELECT m.workflow_id, m.gt, m.g, min(m.id) AS keep FROM m GROUP BY m.workflow_id, m.gt, m.g
    )
    DELETE FROM @extschema@.workflow_share s
     USING m JOIN g ON g.workflow_id = m.workflow_id AND g.gt = m.gt AND g.g IS NOT DISTINCT FROM m.g
     WHERE s.id = m.id AND m.id <> g.keep;
    GET DIAGNOSTICS removed = ROW_COUNT;
    UPDATE @extschema@.workflow_share s
       SET grantee_tenant = target, grantee = coalesce(s.grantee, s.grantee_tenant)
     WHERE s.grantee_tenant = ANY (merged);

    -- Every row of the merged tenants, in every table that has a tenant.
    FOR t IN SELECT c.oid::regclass AS rel, c.relname
               FROM pg_class c
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
              WHERE c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
              ORDER BY c.relname LOOP
        EXECUTE format('UPDATE %s r SET tenant = $1 WHERE r.tenant = ANY ($2)', t.rel)
          USING target, merged;
        GET DIAGNOSTICS n = ROW_COUNT;
        moved := moved || jsonb_build_object(t.relname, n);
    END LOOP;

    -- A share with the workflow's own owner, in its own tenant, is ownership.
    DELETE FROM @extschema@.workflow_share s
     USING @extschema@.workflow w
     WHERE w.id = s.workflow_id AND w.tenant = target
       AND s.grantee_tenant = w.tenant AND s.grantee = w.owner;
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed + n;

    PERFORM set_config('session_replication_role', saved_role, true);
    -- What the backends cached of these workflows (their tenant, whether
    -- they are shared across tenants) is stale: the statement triggers say so.
    UPDATE @extschema@.workflow_stage x SET id = x.id WHERE false;
    UPDATE @extschema@.workflow_share x SET id = x.id WHERE false;

    IF EXISTS (SELECT 1 FROM @extschema@.facts_source f WHERE f.tenant_column IS NOT NULL) THEN
        RAISE WARNING 'the facts source table names its tenants itself: update its tenant column from % to %',
                      array_to_string(merged, ', '), target
            USING DETAIL = '{"reason": "facts_source_tenant_column"}';
    END IF;

    RETURN QUERY
        SELECT x.k, x.v::bigint, CASE WHEN x.k = 'workflow_share' THEN removed ELSE 0 END
          FROM jsonb_each_text(moved) x(k, v)
         ORDER BY x.k;
END $$;
COMMENT ON FUNCTION merge_into_tenant(text, text[]) IS
    'Puts actors into one organization: every row of the tenants named in actors (after an update from 0.2.0, each actor is its own tenant) moves to tenant, in one transaction; a share with one of them becomes a share with that actor within the tenant (a share with the whole of its tenant too: nobody sees more than before), shares that now say the same thing become one (can_edit if any had it), a share with the workflow''s own owner goes. Refuses with 23505, naming the ids, when two of the tenants use the same job, candidate or pipeline id (renumber first). Superuser or database owner only (42501). Returns the rows moved (and shares removed) per table.';

-- ----------------------------------------------------------- 90_dump
-- pg_dump keeps the user data of every table and the state of its sequence.
-- (One call per statement: each call updates the pg_extension row.)
SELECT pg_catalog.pg_extension_config_dump('workflow', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert', '');
SELECT pg_catalog.pg_extension_config_dump('alert_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('job_profile', '');
SELECT pg_catalog.pg_extension_config_dump('job_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('facts_source', '');

-- (end of the update to 0.3.0)
