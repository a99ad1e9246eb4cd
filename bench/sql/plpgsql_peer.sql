-- The PL/pgSQL peer: what a team would write instead of workflow_ext, with
-- the same move semantics (rule evaluated from the stored condition JSON,
-- history, alerts, NOTIFY).  Benchmark baseline only; not installed by the
-- extension.  It reads the extension's definition tables and keeps its own
-- pipeline in schema peer.
DROP SCHEMA IF EXISTS peer CASCADE;
CREATE SCHEMA peer;

-- Same columns, checks, defaults and indexes as the extension's tables (the
-- same rows cost the same index writes); no triggers, no foreign keys.
CREATE TABLE peer.candidate_stage (LIKE public.candidate_stage INCLUDING ALL);
CREATE TABLE peer.stage_transition (LIKE public.stage_transition INCLUDING ALL);
CREATE TABLE peer.alert_event (LIKE public.alert_event INCLUDING ALL);
CREATE SEQUENCE peer.transition_seq;
CREATE SEQUENCE peer.event_seq;

-- One leaf against the facts, by the rules of the condition language.
CREATE FUNCTION peer.leaf_holds(leaf jsonb, facts jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := facts #> string_to_array(leaf->>'field', '.');
    op text := leaf->>'op';
    x jsonb := leaf->'value';
    ic boolean := coalesce((leaf->>'ignore_case')::boolean, false);
    e jsonb;
BEGIN
    IF op IN ('not_exists') THEN RETURN v IS NULL OR jsonb_typeof(v) = 'null'; END IF;
    IF v IS NULL THEN RETURN false; END IF;
    IF op = 'exists' THEN RETURN jsonb_typeof(v) <> 'null'; END IF;
    IF ic AND jsonb_typeof(v) = 'string' THEN v := to_jsonb(lower(v #>> '{}')); END IF;
    IF ic AND jsonb_typeof(x) = 'string' THEN x := to_jsonb(lower(x #>> '{}')); END IF;
    CASE op
    WHEN 'eq', '=', '==' THEN RETURN v = x;
    WHEN 'ne', '!=', '<>' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x) AND v <> x;
    WHEN 'gt', '>' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x) AND v > x;
    WHEN 'gte', '>=' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x) AND v >= x;
    WHEN 'lt', '<' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x) AND v < x;
    WHEN 'lte', '<=' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x) AND v <= x;
    WHEN 'between' THEN RETURN jsonb_typeof(v) = jsonb_typeof(x->0) AND v >= x->0 AND v <= x->1;
    WHEN 'in', 'not_in' THEN
        IF jsonb_typeof(v) = 'array' THEN
            FOR e IN SELECT jsonb_array_elements(v) LOOP
                IF x @> jsonb_build_array(e) THEN RETURN op = 'in'; END IF;
            END LOOP;
            RETURN op = 'not_in';
        END IF;
        RETURN (x @> jsonb_build_array(v)) = (op = 'in');
    WHEN 'contains', 'not_contains' THEN
        IF jsonb_typeof(v) = 'array' THEN RETURN (v @> jsonb_build_array(x)) = (op = 'contains'); END IF;
        IF jsonb_typeof(v) = 'string' THEN RETURN (strpos(v #>> '{}', x #>> '{}') > 0) = (op = 'contains'); END IF;
        RETURN false;
    WHEN 'starts_with' THEN RETURN jsonb_typeof(v) = 'string' AND starts_with(v #>> '{}', x #>> '{}');
    WHEN 'ends_with' THEN RETURN jsonb_typeof(v) = 'string' AND right(v #>> '{}', length(x #>> '{}')) = x #>> '{}';
    WHEN 'matches' THEN RETURN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ (x #>> '{}');
    ELSE RAISE EXCEPTION 'unknown operator %', op USING ERRCODE = '22023';
    END CASE;
END $$;

CREATE FUNCTION peer.condition_holds(cond jsonb, facts jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    child jsonb;
BEGIN
    IF cond ? 'all' THEN
        FOR child IN SELECT jsonb_array_elements(cond->'all') LOOP
            IF NOT peer.condition_holds(child, facts) THEN RETURN false; END IF;
        END LOOP;
        RETURN true;
    ELSIF cond ? 'any' THEN
        FOR child IN SELECT jsonb_array_elements(cond->'any') LOOP
            IF peer.condition_holds(child, facts) THEN RETURN true; END IF;
        END LOOP;
        RETURN false;
    ELSIF cond ? 'not' THEN
        RETURN NOT peer.condition_holds(cond->'not', facts);
    END IF;
    RETURN peer.leaf_holds(cond, facts);
END $$;

CREATE FUNCTION peer.move_to_next_stage(p_candidate bigint, p_job bigint)
RETURNS public.move_result LANGUAGE plpgsql AS $$
DECLARE
    cs peer.candidate_stage;
    nxt public.workflow_stage;
    r public.stage_rule;
    facts jsonb;
    tid bigint;
    a public.alert;
    raised int := 0;
    res public.move_result;
BEGIN
    -- Ids are the tenant's: the caller's tenant leads the key.
    SELECT * INTO cs FROM peer.candidate_stage
     WHERE tenant = public.current_tenant() AND job_id = p_job AND candidate_id = p_candidate FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'candidate % is not in job %', p_candidate, p_job USING ERRCODE = 'P0002'; END IF;
    IF cs.status <> 'active' THEN RAISE EXCEPTION 'not active' USING ERRCODE = '55000'; END IF;
    SELECT n.* INTO nxt FROM public.workflow_stage cur JOIN public.workflow_stage n
        ON n.workflow_id = cur.workflow_id AND n.position > cur.position
     WHERE cur.id = cs.stage_id ORDER BY n.position LIMIT 1;
    IF NOT FOUND THEN RAISE EXCEPTION 'last stage' USING ERRCODE = '55000'; END IF;
    SELECT attributes INTO facts FROM public.candidate_profile WHERE tenant = cs.tenant AND candidate_id = p_candidate;
    facts := coalesce(facts, '{}');
    SELECT * INTO r FROM public.stage_rule WHERE stage_id = nxt.id;
    IF FOUND AND NOT peer.condition_holds(r.condition, facts) AND r.on_fail = 'block' THEN
        RAISE EXCEPTION 'rule % blocks', r.name USING ERRCODE = '23514';
    END IF;
    UPDATE peer.candidate_stage SET stage_id = nxt.id, entered_at = now(),
           status = CASE WHEN nxt.kind = 'hired' THEN 'hired' ELSE status END
     WHERE id = cs.id;
    tid := nextval('peer.transition_seq');
    FOR a IN SELECT * FROM public.alert WHERE stage_id = nxt.id ORDER BY id LOOP
        IF peer.leaf_holds(jsonb_build_object('field', a.field_name, 'op', a.operator, 'value', a.value,
                                              'ignore_case', a.ignore_case), facts) = (a.fires_on = 'match') THEN
            INSERT INTO peer.alert_event (id, tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id,
                                          cause, severity, message, facts)
            VALUES (nextval('peer.event_seq'), cs.tenant, a.id, p_job, p_candidate, cs.workflow_id, nxt.id, tid,
                    'entry', a.severity, a.message, facts);
            raised := raised + 1;
        END IF;
    END LOOP;
    INSERT INTO peer.stage_transition (id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                                       from_status, to_status, actor, alerts_raised)
    VALUES (tid, cs.tenant, p_job, p_candidate, cs.workflow_id, cs.stage_id, nxt.id, cs.status, cs.status,
            current_user, raised);
    PERFORM pg_notify('workflow_events', json_build_object('event', 'move', 'job_id', p_job,
                      'candidate_id', p_candidate, 'to_stage_id', nxt.id, 'transition_id', tid)::text);
    res := (p_job, p_candidate, cs.stage_id, nxt.id, nxt.name, tid, raised, '[]'::jsonb);
    RETURN res;
END $$;

-- The peer's pipeline tables get the extension's row-level security: the
-- policies of the tables they copy, as they stand (the same expressions, so
-- the same helper calls per statement), enabled the same way.  The peer runs
-- as the benchmark's application role, like the extension (bench/run.py).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.tablename, p.policyname, p.permissive, p.cmd, p.qual, p.with_check
               FROM pg_policies p
              WHERE p.schemaname = 'public' AND p.tablename IN ('candidate_stage', 'stage_transition', 'alert_event')
    LOOP
        EXECUTE format('CREATE POLICY %I ON peer.%I AS %s FOR %s TO public%s%s', r.policyname, r.tablename,
                       r.permissive, r.cmd,
                       CASE WHEN r.qual IS NOT NULL THEN format(' USING (%s)', r.qual) ELSE '' END,
                       CASE WHEN r.with_check IS NOT NULL THEN format(' WITH CHECK (%s)', r.with_check) ELSE '' END);
    END LOOP;
END $$;
ALTER TABLE peer.candidate_stage ENABLE ROW LEVEL SECURITY;
ALTER TABLE peer.stage_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE peer.alert_event ENABLE ROW LEVEL SECURITY;
