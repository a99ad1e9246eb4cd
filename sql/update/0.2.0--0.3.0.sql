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
--     set in 0.3.0 (default_grantee_tenant()), accepted when it was made (a
--     share made in 0.3.0 across tenants waits for its grantee's answer).
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
-- @install 00_actor

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
DROP FUNCTION @extschema@.set_candidate_status(bigint, bigint, text, text);
DROP FUNCTION @extschema@.reject_candidate(bigint, bigint, text);
DROP FUNCTION @extschema@.withdraw_candidate(bigint, bigint, text);
-- (the policies' set-returning helpers: the policies call the C checks of
-- policy_cache.c instead)
DROP FUNCTION @extschema@.visible_workflow_ids();
DROP FUNCTION @extschema@.editable_workflow_ids();
DROP FUNCTION @extschema@.shared_workflow_ids(boolean);

-- ----------------------------------------------------- 10_schema: tables
-- Templates: 0.3.0's tables as its install script creates them, in the
-- scratch schema.  The tables of 0.2.0 take their columns' order, types,
-- defaults, NOT NULL, constraints, indexes and comments from these.
SET search_path = workflow_ext_update_0_3_0;

-- @install 10_schema:tables
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
    -- 0.2.0 shares keep giving what they gave: accepted since they were made.
    (2, 'workflow_share', 'accepted_at', 'o.created_at'),
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

-- @install 10_schema:new job_profile rejection_reason stage_visit_row stage_visit_summary

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
-- @install 10_schema:rest

-- ------------------------------------------------------- 20_security
-- @install 20_security

-- ----------------------------------------------------- 30_conditions
-- @install 30_conditions

-- ---------------------------------------------------- 40_definitions
-- @install 40_definitions

-- ------------------------------------------------------- 50_pipeline
-- @install 50_pipeline

-- -------------------------------------------------------- 55_reports
-- @install 55_reports

-- The stage visit rows of the history already there: what stage_visit
-- derives (a visit from each history row that puts the candidate, active or
-- hired, into a stage, to the next history row of the candidate in the job
-- and workflow); from here on the engine keeps them as it writes history.
INSERT INTO @extschema@.stage_visit_row (id, tenant, job_id, candidate_id, workflow_id, stage_id,
                                         entered_at, left_at, ended_by_transition_id, next_stage_id,
                                         next_status, time_in_stage)
SELECT v.id, v.tenant, v.job_id, v.candidate_id, v.workflow_id, v.to_stage_id,
       v.moved_at, v.next_moved_at, v.next_id, v.next_to_stage_id, v.next_to_status,
       v.next_moved_at OPERATOR(pg_catalog.-) v.moved_at
  FROM (SELECT t.id, t.tenant, t.job_id, t.candidate_id, t.workflow_id, t.from_stage_id, t.to_stage_id,
               t.from_status, t.to_status, t.moved_at,
               pg_catalog.lead(t.id) OVER w AS next_id,
               pg_catalog.lead(t.moved_at) OVER w AS next_moved_at,
               pg_catalog.lead(t.to_stage_id) OVER w AS next_to_stage_id,
               pg_catalog.lead(t.to_status) OVER w AS next_to_status
          FROM @extschema@.stage_transition t
        WINDOW w AS (PARTITION BY t.tenant, t.job_id, t.candidate_id, t.workflow_id ORDER BY t.id)) v
 WHERE v.to_status IN ('active', 'hired')
   AND (v.from_stage_id IS DISTINCT FROM v.to_stage_id OR v.from_status IS DISTINCT FROM v.to_status);

-- ---------------------------------------------------------- 60_views
-- @install 60_views

-- ----------------------------------------------------- 70_event_feed
-- @install 70_event_feed

-- ------------------------------------------------------ 80_scale_out
-- @install 80_scale_out

-- --------------------------------------------------- 85_tenant_merge
-- @install 85_tenant_merge

-- ----------------------------------------------------------- 90_dump
-- @install 90_dump

-- ---------------------------------------------------- 93_object_comments
-- @install 93_object_comments

-- ---------------------------------------------------------- 95_ddl_guard
-- @install 95_ddl_guard

-- (end of the update to 0.3.0)
