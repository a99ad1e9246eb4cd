-- Views of the original REST API's list endpoints; security_invoker so RLS applies to the caller.

CREATE VIEW workflow_with_stages WITH (security_invoker = true) AS
SELECT w.id, w.name, w.description, w.owner, w.created_at, w.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name,
                                                     'position', s.position, 'kind', s.kind,
                                                     'config', s.config, 'sla', s.sla,
                                                     'archived_at', s.archived_at,
                                                     'auto_advance', s.auto_advance,
                                                     'on_enter', s.on_enter)
                                  ORDER BY s.position)
                   FROM @extschema@.workflow_stage s WHERE s.workflow_id = w.id),
                '[]'::jsonb) AS stages,
       w.tenant, w.archived_at
  FROM @extschema@.workflow w;
COMMENT ON VIEW workflow_with_stages IS 'One row per visible workflow, its stages as a JSON array in position order, each with its archived_at, auto_advance and on_enter (tenant and archived_at last, after the 0.2.0 columns). Archived workflows and stages are listed too: filter on archived_at IS NULL for those in use.';

CREATE VIEW stage_with_rules WITH (security_invoker = true) AS
SELECT s.id, s.workflow_id, s.name, s.position, s.kind, s.config, s.sla,
       r.id AS rule_id, r.name AS rule_name, r.condition, r.on_fail,
       coalesce((SELECT jsonb_agg(to_jsonb(a) - 'stage_id' ORDER BY a.id)
                   FROM @extschema@.alert a WHERE a.stage_id = s.id), '[]'::jsonb) AS alerts,
       s.archived_at, s.auto_advance, s.on_enter
  FROM @extschema@.workflow_stage s
  LEFT JOIN @extschema@.stage_rule r ON r.stage_id = s.id;
COMMENT ON VIEW stage_with_rules IS 'One row per visible stage with its rule (if any) and its alerts as a JSON array; then archived_at (archived stages are listed too: filter on archived_at IS NULL for those in use), auto_advance and on_enter.';

