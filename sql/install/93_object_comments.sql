-- Every trigger and policy on the extension's tables says what it is for
-- (\dS+, \d+, pg_description): a trigger by the comment of the function it
-- runs, a policy by the statement it governs.  Written once here from the
-- catalogs, so that one added elsewhere is commented too.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgname, c.relname, p.proname,
                    coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '') AS what
               FROM pg_catalog.pg_trigger t
               JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
               JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
              WHERE c.relnamespace = '@extschema@'::regnamespace AND NOT t.tgisinternal LOOP
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON @extschema@.%I IS %L', r.tgname, r.relname,
                                  pg_catalog.format('Runs %s() on %s. %s', r.proname, r.relname, r.what));
    END LOOP;
    FOR r IN SELECT po.polname, c.relname,
                    CASE po.polcmd WHEN 'r' THEN 'which rows a statement reads (SELECT, and the rows an UPDATE or DELETE may target)'
                                   WHEN 'a' THEN 'which rows may be inserted'
                                   WHEN 'w' THEN 'which rows may be updated, and into what'
                                   WHEN 'd' THEN 'which rows may be deleted'
                                   ELSE 'which rows any statement reads and writes' END AS what
               FROM pg_catalog.pg_policy po
               JOIN pg_catalog.pg_class c ON c.oid = po.polrelid
              WHERE c.relnamespace = '@extschema@'::regnamespace LOOP
        EXECUTE pg_catalog.format('COMMENT ON POLICY %I ON @extschema@.%I IS %L', r.polname, r.relname,
                                  pg_catalog.format('Row-level security of %s: %s for the current tenant and actor (README: Security, Organizations and teams).',
                                                    r.relname, r.what));
    END LOOP;
END $$;

-- Every column of the extension's tables and views says what it holds: the
-- ones no table definition commented, by name where the name says it all.
DO $$
DECLARE
    r record;
    said text;
BEGIN
    FOR r IN SELECT c.relname, c.relkind, a.attname
               FROM pg_catalog.pg_attribute a
               JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'v')
                AND a.attnum > 0 AND NOT a.attisdropped
                AND pg_catalog.col_description(c.oid, a.attnum) IS NULL
              ORDER BY c.relkind, c.relname, a.attnum LOOP   -- (tables before the views that show them)
        said := CASE r.relname || '.' || r.attname
            WHEN 'alert.field_name' THEN 'The fact the alert looks at (a dot path into the facts of its source).'
            WHEN 'alert.ignore_case' THEN 'Text compared case-insensitively (Unicode case folding, NFC).'
            WHEN 'alert.message' THEN 'What the alert says when it fires (copied into its events).'
            WHEN 'alert.severity' THEN 'info, warning or critical.'
            WHEN 'alert_event.acknowledged_at' THEN 'When the event was acknowledged (acknowledge_alert()); NULL while open.'
            WHEN 'alert_event.acknowledged_by' THEN 'The actor who acknowledged it.'
            WHEN 'alert_event.message' THEN 'The alert''s message when it fired (kept when the alert changes or goes).'
            WHEN 'alert_event.severity' THEN 'The alert''s severity when it fired.'
            WHEN 'alert_event.raised_at' THEN 'When the alert fired.'
            WHEN 'candidate_profile.updated_at' THEN 'When the facts last changed (stamped).'
            WHEN 'facts_source.relation' THEN 'The table whose rows are the candidates'' facts (to_jsonb(row)).'
            WHEN 'facts_source.key_column' THEN 'Its column holding the candidate id.'
            WHEN 'facts_source.set_by' THEN 'Who set the source (set_candidate_source()).'
            WHEN 'facts_source.set_at' THEN 'When it was set.'
            WHEN 'feed_origin.first_event_at' THEN 'When the cluster wrote its first event in this database.'
            WHEN 'job_workflow.assigned_at' THEN 'When the workflow was assigned (stamped).'
            WHEN 'rejection_reason.created_at' THEN 'When the code was added.'
            WHEN 'stage_rule.name' THEN 'The rule''s name, as errors and alerts name it.'
            WHEN 'stage_transition.alerts_raised' THEN 'How many alert events the change raised.'
            WHEN 'stage_transition.from_status' THEN 'The status before the change; NULL for an entry.'
            WHEN 'stage_transition.moved_at' THEN 'When the change happened.'
            WHEN 'stage_transition.to_stage_id' THEN 'The stage after the change (the stage left, for a removal).'
            WHEN 'workflow.description' THEN 'Free text for people.'
            WHEN 'workflow_share.created_at' THEN 'When the share was offered (stamped by the engine).'
            WHEN 'stage_visit.tenant' THEN 'The organization of the pipeline.'
            WHEN 'stage_visit.stage_id' THEN 'The stage visited.'
            WHEN 'stage_visit.transition_id' THEN 'The history row that began the visit.'
            WHEN 'stage_visit.entered_at' THEN 'When the visit began.'
            WHEN 'stage_visit.left_at' THEN 'When it ended; NULL while the candidate is still there.'
            WHEN 'stage_visit.outcome' THEN 'advanced, hired, moved_back, rejected, withdrawn or ended; NULL while open.'
            WHEN 'stage_visit.advanced' THEN 'True when the candidate left for a later position (hires included).'
            WHEN 'stage_visit.time_in_stage' THEN 'left_at - entered_at; NULL while open.'
            WHEN 'stage_visit.ended_by_transition_id' THEN 'The history row that ended the visit.'
            WHEN 'stage_with_rules.id' THEN 'The stage''s id.'
            WHEN 'stage_with_rules.name' THEN 'The stage''s name.'
            WHEN 'stage_with_rules.rule_id' THEN 'Its rule''s id; NULL without a rule.'
            WHEN 'stage_with_rules.rule_name' THEN 'Its rule''s name.'
            WHEN 'stage_with_rules.condition' THEN 'Its rule''s condition.'
            WHEN 'stage_with_rules.on_fail' THEN 'Its rule''s on_fail (block or warn).'
            WHEN 'stage_with_rules.alerts' THEN 'Its alerts, as a JSON array.'
            WHEN 'workflow_with_stages.stages' THEN 'Its stages in position order, as a JSON array.'
            ELSE NULL END;
        IF said IS NULL THEN
            said := CASE r.attname
                WHEN 'id' THEN CASE WHEN r.relkind = 'v' THEN 'The workflow''s id.'
                                    ELSE 'The row''s id, unique, drawn by the engine from the table''s sequence (428C9 when a statement gives one).' END
                WHEN 'job_id' THEN 'The application''s job id, within the tenant.'
                WHEN 'candidate_id' THEN 'The application''s candidate id, within the tenant.'
                WHEN 'workflow_id' THEN 'The workflow (workflow.id).'
                WHEN 'stage_id' THEN 'The stage (workflow_stage.id).'
                WHEN 'name' THEN 'Its name for people (not blank, at most 200 characters).'
                WHEN 'created_at' THEN 'When the row was created.'
                WHEN 'updated_at' THEN 'When the row last changed (stamped).'
                ELSE NULL END;
        END IF;
        IF said IS NULL AND r.relkind = 'v' THEN   -- a view's column: the table column it shows
            said := (SELECT pg_catalog.col_description(b.oid, ba.attnum)
                       FROM pg_catalog.pg_class b
                       JOIN pg_catalog.pg_attribute ba ON ba.attrelid = b.oid AND ba.attname = r.attname
                      WHERE b.relnamespace = '@extschema@'::regnamespace
                        AND b.relname = CASE r.relname WHEN 'workflow_with_stages' THEN 'workflow'
                                                       ELSE 'workflow_stage' END);
        END IF;
        IF said IS NOT NULL THEN
            EXECUTE pg_catalog.format('COMMENT ON COLUMN @extschema@.%I.%I IS %L', r.relname, r.attname, said);
        END IF;
    END LOOP;
END $$;

-- Every index says what it is for: those made by CREATE INDEX in their table's
-- definition (10_schema.sql), those of a primary key or unique constraint here,
-- by the constraint they enforce.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT ic.relname AS index, c.relname AS tbl, co.conname,
                    pg_catalog.pg_get_constraintdef(co.oid) AS def
               FROM pg_catalog.pg_constraint co
               JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
               JOIN pg_catalog.pg_class ic ON ic.oid = co.conindid
              WHERE c.relnamespace = '@extschema@'::regnamespace AND co.contype IN ('p', 'u')
                AND pg_catalog.obj_description(ic.oid, 'pg_class') IS NULL LOOP
        EXECUTE pg_catalog.format('COMMENT ON INDEX @extschema@.%I IS %L', r.index,
                                  pg_catalog.format('The index of %s''s constraint %s: %s.', r.tbl, r.conname, r.def));
    END LOOP;
END $$;
