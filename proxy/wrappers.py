#!/usr/bin/env python3
"""Generates the API section of workflow_ext_proxy--<version>.sql: one front
function per function of workflow_ext's API, the same name, arguments and
defaults, plus tenant and actor last, each routed to the tenant's shard
(call_tenant).  `python3 proxy/wrappers.py` prints it; the section between
the markers of the install script is this output; `python3 proxy/wrappers.py
--write` rewrites that section.  `python3 proxy/wrappers.py --update` prints
the update script from 0.2.0, made of the install script (proxy/Makefile
builds it; it is not committed)."""

import os
import sys

# (name, [(arg, type, default or None)], returns, operation, comment)
# returns: a type name, 'SETOF t', 'void', or 'TABLE(...)'.
B, T, J = "bigint", "text", "jsonb"
API = [
    ("add_candidate", [("candidate_id", B, None), ("job_id", B, None)], "candidate_stage", None,
     "enters the job's first stage"),
    ("move_to_next_stage", [("candidate_id", B, None), ("job_id", B, None), ("expected_stage_id", B, "NULL")],
     "move_result", None, "moves to the next stage"),
    ("move_to_stage", [("candidate_id", B, None), ("job_id", B, None), ("stage_id", B, None), ("reason", T, "NULL")],
     "move_result", None, "moves to any stage of the job's workflow"),
    ("move_candidates", [("job_id", B, None), ("candidate_ids", "bigint[]", None), ("to_stage_id", B, "NULL"),
                         ("reason", T, "NULL")],
     "TABLE(candidate_id bigint, outcome text, sqlstate text, from_stage_id bigint, to_stage_id bigint, transition_id bigint, detail jsonb)",
     None, "bulk moves, one row per candidate"),
    ("reject_candidate", [("candidate_id", B, None), ("job_id", B, None), ("reason", T, "NULL"), ("reason_code", T, "NULL")],
     "candidate_stage", None, "active to rejected"),
    ("withdraw_candidate", [("candidate_id", B, None), ("job_id", B, None), ("reason", T, "NULL"), ("reason_code", T, "NULL")],
     "candidate_stage", None, "active to withdrawn"),
    ("reopen_candidate", [("candidate_id", B, None), ("job_id", B, None)], "candidate_stage", None,
     "rejected or withdrawn to active"),
    ("transfer_candidate", [("candidate_id", B, None), ("from_job_id", B, None), ("to_job_id", B, None),
                            ("to_stage_id", B, "NULL"), ("reason", T, "NULL")], "candidate_stage", None,
     "to another job of the tenant"),
    ("remove_candidate", [("candidate_id", B, None), ("job_id", B, None), ("reason", T, "NULL")], "void", None,
     "deletes the pipeline row, recorded"),
    ("candidate_facts", [("candidate_id", B, None)], "jsonb", None, "the candidate's facts as rules see them"),
    ("candidate_facts", [("candidate_id", B, None), ("job_id", B, None)], "jsonb", None,
     "every source a rule of the job reads"),
    ("set_candidate_facts", [("candidate_id", B, None), ("facts", J, None)], "jsonb", None,
     "writes the tenant's candidate_profile row (insert or replace its attributes)"),
    ("set_job_facts", [("job_id", B, None), ("facts", J, None)], "jsonb", None,
     "writes the tenant's job_profile row (insert or replace its attributes)"),
    ("stage_candidates", [("stage_id", B, None), ("status", T, "NULL")], "SETOF candidate_stage", None,
     "the pipeline rows standing in a stage (of one status, or all)"),
    ("candidate_history", [("candidate_id", B, None), ("job_id", B, "NULL")], "SETOF stage_transition", None,
     "the candidate's history rows (in one job, or every job), in order"),
    ("alert_events", [("job_id", B, None), ("candidate_id", B, "NULL"), ("unacknowledged", "boolean", "false")],
     "SETOF alert_event", None, "the alert events of a job (of one candidate; only unacknowledged ones)"),
    ("acknowledge_alert", [("alert_event_id", B, None)], "alert_event", None, "acknowledges an event by id"),
    ("job_stage_counts", [("job_id", B, None)], "TABLE(stage_id bigint, status text, candidates bigint)", "stage_counts",
     "candidates per stage and status of a job"),
    ("screening_counts", [("job_id", B, None), ("condition", J, None)], "TABLE(candidates bigint, matching bigint)", None,
     "active candidates of a job and how many match condition"),
    ("pipeline_funnel", [("job_id", B, "NULL"), ("workflow_id", B, "NULL"), ("since", "timestamptz", "NULL"),
                         ("until", "timestamptz", "NULL")],
     'TABLE(stage_id bigint, stage_name text, "position" integer, entered bigint, "current" bigint, advanced bigint, rejected bigint, withdrawn bigint, hired bigint, conversion numeric, median_time_in_stage interval, p90_time_in_stage interval)',
     None, "the funnel of a job or a workflow"),
    ("workflow_events_since", [("cursor", T, "NULL"), ("max_events", "integer", "1000")], "TABLE(cursor text, event jsonb)",
     None, "the durable event feed of the tenant's shard, as the actor sees it"),
    ("assign_workflow", [("job_id", B, None), ("workflow_id", B, None)], "jsonb", None,
     "assigns a workflow to a job (the job_workflow row as JSON)"),
    ("unshare_workflow", [("workflow_id", B, None), ("grantee", T, None), ("grantee_tenant", T, "NULL")], "void", None,
     "withdraws a share"),
    ("pending_shares", [], "TABLE(workflow_id bigint, workflow_name text, tenant text, owner text, grantee_tenant text, grantee text, can_edit boolean, offered_at timestamptz)",
     None, "offers waiting for the actor's answer"),
    ("accept_share", [("workflow_id", B, None), ("for_tenant", "boolean", "false")], "void", None, "accepts a share"),
    ("decline_share", [("workflow_id", B, None), ("for_tenant", "boolean", "false")], "void", None, "declines an offer"),
    ("leave_share", [("workflow_id", B, None), ("for_tenant", "boolean", "false")], "void", None, "gives up a share"),
    ("transfer_workflow_ownership", [("workflow_id", B, None), ("new_owner", T, None)], "void", None,
     "another actor of the tenant becomes the owner"),
    ("archive_workflow", [("workflow_id", B, None)], "jsonb", None, "retires a workflow (the row as JSON)"),
    ("unarchive_workflow", [("workflow_id", B, None)], "jsonb", None, "puts a workflow back in use (the row as JSON)"),
    ("archive_stage", [("stage_id", B, None)], "jsonb", None, "retires a stage (the row as JSON)"),
    ("unarchive_stage", [("stage_id", B, None)], "jsonb", None, "puts a stage back in use (the row as JSON)"),
    ("clone_workflow", [("workflow_id", B, None), ("name", T, None)], "bigint", None, "copies a workflow"),
    ("reorder_stages", [("workflow_id", B, None), ("stage_ids", "bigint[]", None)], "void", None,
     "positions 1..n in the order given"),
    ("get_stage_rule", [("stage_id", B, None)], "stage_rule", None, "a stage's rule"),
    ("get_stage_alerts", [("stage_id", B, None)], "SETOF alert", None, "a stage's alerts"),
    ("definitions", [("table_name", T, None), ("filter", J, "'{}'")], "SETOF jsonb", None,
     "the rows of a definition table the actor sees that contain filter, as JSON"),
    ("create_definition", [("table_name", T, None), ("data", J, None)], "jsonb", "definition_write",
     "inserts one definition row (workflow, workflow_stage, stage_rule, alert, job_workflow, rejection_reason, workflow_share) given as JSON; the row written"),
    ("update_definition", [("table_name", T, None), ("id", B, None), ("changes", J, None)], "jsonb", "definition_write",
     "updates the columns given of one definition row; the row written"),
    ("delete_definition", [("table_name", T, None), ("id", B, None)], "jsonb", "definition_write",
     "deletes one definition row; the row deleted"),
    ("evaluate_condition", [("condition", J, None), ("facts", J, None)], "jsonb", None, "explains a condition"),
    ("evaluate_condition", [("condition", J, None), ("candidate_id", B, None), ("job_id", B, None)], "jsonb", None,
     "explains a condition against a candidate's facts in a job"),
    ("condition_matches", [("condition", J, None), ("facts", J, None)], "boolean", None, "whether facts satisfy condition"),
    # The at forms: at has no default here (a two-argument call would match
    # both forms), and a third argument written as an untyped literal is the
    # tenant (text is preferred): pass at as timestamptz.
    ("evaluate_condition", [("condition", J, None), ("facts", J, None), ("at", "timestamptz", None)], "jsonb", None,
     "explains a condition with relative time measured from at"),
    ("condition_matches", [("condition", J, None), ("facts", J, None), ("at", "timestamptz", None)], "boolean", None,
     "whether facts satisfy condition, relative time measured from at"),
    ("validate_condition", [("condition", J, None)], "void", None, "22023 with the path of the first offending node"),
    ("condition_leaves", [("condition", J, None)], "jsonb", None, "the leaves of a condition"),
]
UNWRAP = {"assign_workflow", "archive_workflow", "unarchive_workflow", "archive_stage", "unarchive_stage"}
# The moves, the front's hottest calls: C functions of proxy/workflow_ext_proxy.c
# that send their arguments and take the shard's row as they are (no jsonb
# round trip, no PL/pgSQL frame: 40-90 us a call, bench/results/front_overhead.md).
IN_C = {"move_to_stage": "wf_proxy_move_to_stage", "move_to_next_stage": "wf_proxy_move_to_next_stage"}
TYPED = {"candidate_stage", "move_result", "stage_rule", "alert", "alert_event", "stage_transition"}


def args_expr(params, name, op):
    req = [p for p in params if p[2] is None]
    opt = [p for p in params if p[2] is not None]
    pos = {p[0]: i + 1 for i, p in enumerate(params)}
    if op == "definition_write":
        action = {"create_definition": "insert", "update_definition": "update", "delete_definition": "delete"}[name]
        parts = [f"'action', '{action}'", "'table_name', $1"]
        if name == "create_definition":
            parts.append("'row', $2")
        elif name == "update_definition":
            parts += ["'id', $2", "'row', $3"]
        else:
            parts.append("'id', $2")
        return "pg_catalog.jsonb_build_object(" + ", ".join(parts) + ")"
    if name == "definitions":
        return "pg_catalog.jsonb_build_object('table_name', $1, 'row', $2)"
    e = "pg_catalog.jsonb_build_object(" + ", ".join(f"'{p[0]}', ${pos[p[0]]}" for p in req) + ")"
    for p in opt:   # a default left out: the shard's own default
        e += f"\n                OPERATOR(pg_catalog.||) CASE WHEN ${pos[p[0]]} IS NULL THEN '{{}}'::jsonb ELSE pg_catalog.jsonb_build_object('{p[0]}', ${pos[p[0]]}) END"
    return e


def emit():
    out = []
    for name, params, ret, op, what in API:
        op = op or name
        n = len(params)
        sig = [f"{a} {t}" + (f" DEFAULT {d}" if d is not None else "") for a, t, d in params]
        sig += ["tenant text DEFAULT NULL", "actor text DEFAULT NULL"]
        lang = "plpgsql"
        call = f"@extschema@.call_tenant(${n + 1}, ${n + 2}, '{op}',\n                {args_expr(params, name, op)})"
        if ret.startswith("TABLE("):
            cols = ret[len("TABLE("):-1]
            rettext = f"RETURNS TABLE ({cols})"
            body = f"    RETURN QUERY SELECT * FROM pg_catalog.jsonb_to_recordset({call}) AS r({cols});"
            outs = {c.strip().split()[0].strip('"') for c in cols.split(",")}
            if outs & ({p[0] for p in params} | {"tenant", "actor"}):
                # (an output column named as an argument: PL/pgSQL refuses it)
                lang = "sql"
                body = f"    SELECT * FROM pg_catalog.jsonb_to_recordset({call}) AS r({cols})"
        elif ret.startswith("SETOF "):
            t = ret[len("SETOF "):]
            if t == "jsonb":
                rettext = "RETURNS SETOF jsonb"
                body = f"    RETURN QUERY SELECT pg_catalog.jsonb_array_elements({call});"
            else:
                rettext = f"RETURNS SETOF @extschema@.{t}"
                body = f"    RETURN QUERY SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.{t}, {call});"
        elif ret in TYPED:
            rettext = f"RETURNS @extschema@.{ret}"
            conv = " OPERATOR(pg_catalog.->) 0" if op not in ("add_candidate", "move_to_next_stage", "move_to_stage", "reject_candidate",
                                       "withdraw_candidate", "reopen_candidate", "acknowledge_alert",
                                       "get_stage_rule") else ""
            body = f"    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.{ret}, {call}{conv});"
        elif ret == "void":
            rettext = "RETURNS void"
            body = f"    PERFORM {call};"
        elif ret == "jsonb":
            rettext = "RETURNS jsonb"
            body = f"    RETURN {call}{' OPERATOR(pg_catalog.->) 0' if name in UNWRAP else ''};"
        else:
            rettext = f"RETURNS {ret}"
            body = f"    RETURN ({call} OPERATOR(pg_catalog.#>>) '{{}}')::{ret};"
        if lang == "sql":
            out.append(f"""CREATE FUNCTION {name}({', '.join(sig)})
    {rettext}
    LANGUAGE sql
    AS $$
{body}
$$;
COMMENT ON FUNCTION {name}({", ".join([t for _, t, _ in params] + ["text", "text"])}) IS
    'workflow_ext''s {name} on the tenant''s shard ({what.replace("'", "''")}), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';
""")
            continue
        types = ", ".join([t for _, t, _ in params] + ["text", "text"])
        if name in IN_C:
            out.append(f"""CREATE FUNCTION {name}({', '.join(sig)})
    {rettext}
    LANGUAGE c
    AS 'MODULE_PATHNAME', '{IN_C[name]}';
COMMENT ON FUNCTION {name}({types}) IS
    'workflow_ext''s {name} on the tenant''s shard ({what.replace("'", "''")}), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own); in C, its arguments and the shard''s row carried as they are.';
""")
            continue
        out.append(f"""CREATE FUNCTION {name}({', '.join(sig)})
    {rettext}
    LANGUAGE plpgsql
    AS $$
BEGIN
{body}
END $$;
COMMENT ON FUNCTION {name}({types}) IS
    'workflow_ext''s {name} on the tenant''s shard ({what.replace("'", "''")}), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';
""")
    return "\n".join(out)


UPDATE_HEAD = """-- workflow_ext_proxy 0.2.0 -> 0.3.0 (generated by proxy/wrappers.py from
-- workflow_ext_proxy--0.3.0.sql): 0.2.0 routed by candidate_id to shards that
-- received the definitions from a primary; 0.3.0 routes every call by
-- tenant.  Every function and type of 0.2.0 is dropped and 0.3.0 made as a
-- fresh install makes it; what was granted or revoked on a function of 0.2.0
-- (EXECUTE for the application role, docs/scale-out.md) is carried over to
-- the 0.3.0 functions of the same name.  The shards must run workflow_ext
-- 0.3.0 first (docs/scale-out.md, Upgrading from the replicated layout).
\\echo Use "ALTER EXTENSION workflow_ext_proxy UPDATE TO '0.3.0'" to load this file. \\quit

-- The functions' privileges, kept for the end of the script (transaction-local).
SELECT set_config('workflow_ext_proxy.update_acl', coalesce(jsonb_agg(jsonb_build_object(
           'name', p.proname, 'acl', p.proacl::text[]))::text, '[]'), true)
  FROM pg_proc p
 WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proacl IS NOT NULL;

DO $update$
DECLARE
    o record;
BEGIN
    FOR o IN SELECT p.oid::regprocedure AS f FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
              WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
                AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext_proxy')
                AND d.deptype = 'e' LOOP
        EXECUTE format('DROP FUNCTION %s', o.f);
    END LOOP;
    FOR o IN SELECT t.oid::regtype AS t FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
              WHERE d.classid = 'pg_type'::regclass AND d.refclassid = 'pg_extension'::regclass
                AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext_proxy')
                AND d.deptype = 'e' LOOP
        EXECUTE format('DROP TYPE %s', o.t);
    END LOOP;
END $update$;

"""

UPDATE_TAIL = """
-- The privileges of 0.2.0's functions on the 0.3.0 functions of the same name.
DO $update$
DECLARE
    old jsonb;
    f regprocedure;
    g record;
BEGIN
    FOR old IN SELECT jsonb_array_elements(current_setting('workflow_ext_proxy.update_acl')::jsonb) LOOP
        FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                  WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proname = old->>'name' LOOP
            IF NOT EXISTS (SELECT FROM jsonb_array_elements_text(old->'acl') a WHERE a LIKE '=%') THEN
                EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
            END IF;
            FOR g IN SELECT DISTINCT split_part(a, '=', 1) AS grantee FROM jsonb_array_elements_text(old->'acl') a
                      WHERE split_part(a, '=', 1) <> '' AND split_part(split_part(a, '=', 2), '/', 1) LIKE '%X%' LOOP
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, g.grantee);
            END LOOP;
        END LOOP;
    END LOOP;
END $update$;
"""

BEGIN, END = "-- BEGIN generated by proxy/wrappers.py\n", "-- END generated by proxy/wrappers.py\n"


def write(version="0.3.0"):
    """Rewrites the generated section of the install script."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, f"workflow_ext_proxy--{version}.sql")
    s = open(path).read()
    s = s[:s.index(BEGIN) + len(BEGIN)] + emit() + "\n" + s[s.index(END):]
    open(path, "w").write(s)


def update(version="0.3.0"):
    """The update script from 0.2.0: the install script's body between
    UPDATE_HEAD and UPDATE_TAIL."""
    here = os.path.dirname(os.path.abspath(__file__))
    s = open(os.path.join(here, f"workflow_ext_proxy--{version}.sql")).read()
    return UPDATE_HEAD + s[s.index("\\quit\n") + len("\\quit\n"):] + UPDATE_TAIL


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    elif "--update" in sys.argv:
        print(update(), end="")
    else:
        print(emit(), end="")
