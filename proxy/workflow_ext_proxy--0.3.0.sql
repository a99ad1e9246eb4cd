-- workflow_ext_proxy: the front of a scale-out layout by tenant
-- (docs/scale-out.md).
--
-- A tenant's whole data — definitions, candidates, pipelines, history,
-- events, facts — lives on one shard, an ordinary workflow_ext database.
-- Every front function takes the tenant and the actor as its last two
-- arguments (defaults: the front session's workflow_ext.tenant and
-- workflow_ext.actor; no tenant: the actor's own, as on one database) and
-- goes to the tenant's shard: route_tenant(tenant), the partition of the
-- tenant in tenant_placement, else hashtext(tenant) mod the number of
-- partitions (the SQL/MED server 'workflow_shards' of the plproxy foreign
-- data wrapper, options p0 .. pN-1, and the user mappings of that server).
-- Every API call (call_tenant, job_candidates) travels on the front
-- backend's own libpq connection to that partition (proxy/workflow_ext_proxy.c:
-- kept between calls, reopened when the server or the user mapping changes,
-- named prepared statements, one round trip a call): the tenant, the actor and
-- tenant_admin are set for the shard's one transaction, then the operation
-- runs -- move_to_stage, move_to_next_stage (C functions: arguments and row
-- as they are), add_candidate and the read of a job's pipeline directly (the
-- shard's error arrives as an error), every other
-- one through workflow_ext's shard_call (its dispatch; its error as data); the
-- front raises the shard's error again with its SQLSTATE, message, DETAIL
-- and HINT.  The SLA sweep, shard_health and move_tenant's steps go through
-- PL/Proxy (the cluster 'workflow_shards', RUN ON the partition, with
-- modular_mapping).  A shard that cannot be reached, or does not answer
-- within workflow_ext_proxy.shard_timeout (default 5s; a frozen shard
-- included), is 08006 naming the shard.  The shards' extension schema must
-- be on the search_path of the role the user mapping connects as (PL/Proxy's
-- calls name shard_call unqualified).
\echo Use "CREATE EXTENSION workflow_ext_proxy" to load this file. \quit

-- Typed results: the shapes of workflow_ext's rows (README: Tables), column
-- for column.
CREATE TYPE move_result AS (
    job_id bigint, candidate_id bigint, from_stage_id bigint, to_stage_id bigint,
    to_stage_name text, transition_id bigint, alerts_raised integer, warnings jsonb);
COMMENT ON TYPE move_result IS 'What move_to_next_stage() and move_to_stage() return (workflow_ext''s move_result).';
CREATE TYPE candidate_stage AS (
    id bigint, tenant text, job_id bigint, candidate_id bigint, workflow_id bigint, stage_id bigint,
    status text, entered_at timestamptz, transition_id bigint, visit_transition_id bigint,
    added_by text, attributes jsonb);
COMMENT ON TYPE candidate_stage IS 'A pipeline row as the shard returns it (workflow_ext''s candidate_stage).';
CREATE TYPE stage_rule AS (
    id bigint, tenant text, stage_id bigint, name text, condition jsonb, on_fail text,
    created_at timestamptz, updated_at timestamptz);
COMMENT ON TYPE stage_rule IS 'A stage''s rule (workflow_ext''s stage_rule).';
CREATE TYPE alert AS (
    id bigint, tenant text, stage_id bigint, rule_id bigint, rule_path text, field_name text, operator text,
    value jsonb, ignore_case boolean, fires_on text, message text, severity text, source text);
COMMENT ON TYPE alert IS 'An alert definition (workflow_ext''s alert).';
CREATE TYPE alert_event AS (
    id bigint, tenant text, alert_id bigint, job_id bigint, candidate_id bigint, workflow_id bigint,
    stage_id bigint, transition_id bigint, cause text, severity text, message text,
    raised_at timestamptz, facts jsonb, acknowledged_at timestamptz, acknowledged_by text,
    xact_id xid8);
COMMENT ON TYPE alert_event IS 'An alert that fired (workflow_ext''s alert_event).';
CREATE TYPE stage_transition AS (
    id bigint, tenant text, job_id bigint, candidate_id bigint, workflow_id bigint,
    from_stage_id bigint, to_stage_id bigint, from_status text, to_status text, actor text,
    reason text, moved_at timestamptz, alerts_raised integer, warnings jsonb, xact_id xid8,
    reason_code text, related_job_id bigint, on_enter jsonb);
COMMENT ON TYPE stage_transition IS 'A history row (workflow_ext''s stage_transition).';

-- ------------------------------------------------------------- placement
-- Where each tenant lives: a row here, else hashtext(tenant) mod N.
CREATE TABLE tenant_placement (
    tenant          text PRIMARY KEY CHECK (tenant <> ''),
    partition       integer NOT NULL CHECK (partition >= 0),
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'moving', 'cleanup')),
    other_partition integer CHECK ((state = 'active') = (other_partition IS NULL)),
    changed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenant_placement IS
    'The tenants that do not live on hashtext(tenant) mod N: partition is where the tenant''s rows are (the shard its calls go to). state: active; moving (move_tenant is copying it to other_partition: calls for the tenant wait or fail 55P03); cleanup (moved to partition, its old copy on other_partition not yet deleted: calls go to partition). Written by move_tenant.';
COMMENT ON COLUMN tenant_placement.partition IS 'The partition (pK of the server workflow_shards) holding the tenant''s rows.';
COMMENT ON COLUMN tenant_placement.state IS 'active, moving or cleanup (move_tenant''s steps; an interrupted move leaves moving or cleanup until move_tenant is called again).';
COMMENT ON COLUMN tenant_placement.other_partition IS 'While moving: the destination; during cleanup: the source still holding the old copy.';
COMMENT ON COLUMN tenant_placement.changed_at IS 'When the row last changed.';
SELECT pg_catalog.pg_extension_config_dump('tenant_placement', '');
-- Where a tenant lives is no secret from the roles that call the front
-- (tenant_shard() tells them): they read it, only the operator writes it.
GRANT SELECT ON tenant_placement TO PUBLIC;

-- The partitions of the cluster: the options pK of the server, read from
-- the syscache in C (every front call routes with it; the same count by a
-- query on pg_foreign_server cost 30-50 us a call).
CREATE FUNCTION shard_count() RETURNS integer
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'wf_proxy_shard_count';
COMMENT ON FUNCTION shard_count() IS 'The number of partitions (p0 .. pN-1) of the server workflow_shards.';

-- The bound on a call to a shard that does not answer: PL/Proxy 2.10 checks
-- its query_timeout only when a socket event arrives, which a frozen shard
-- never sends, and answers statement_timeout with a blocking cancel request
-- to that frozen shard (proxy/workflow_ext_proxy.c).  shard_deadline_arm()
-- arms a timer for workflow_ext_proxy.shard_timeout (default 5s) around one
-- PL/Proxy call; when it fires the call fails with 55P03 (no cancel request
-- sent), shard_deadline_disarm() answers true, and the caller raises 08006
-- shard_timeout naming the shard.
CREATE FUNCTION shard_deadline_arm() RETURNS void
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_shard_deadline_arm';
COMMENT ON FUNCTION shard_deadline_arm() IS
    'Arms the bound of one PL/Proxy call to a shard: workflow_ext_proxy.shard_timeout from now (0: none), after which the call is interrupted with 55P03 (not a cancel: PL/Proxy sends the shard no cancel request). The SLA sweep and shard_health arm it around their PL/Proxy calls (call_tenant and job_candidates bound their own waits).';
CREATE FUNCTION shard_deadline_disarm() RETURNS boolean
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_shard_deadline_disarm';
COMMENT ON FUNCTION shard_deadline_disarm() IS
    'Stops the bound armed by shard_deadline_arm(); true when it had fired (the shard did not answer within workflow_ext_proxy.shard_timeout).';

CREATE FUNCTION shard_conninfo(partition integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT substr(o, length('p' || partition || '=') + 1) FROM pg_foreign_server s, unnest(s.srvoptions) o
     WHERE s.srvname = 'workflow_shards' AND o LIKE 'p' || partition || '=%'
$$;
COMMENT ON FUNCTION shard_conninfo(integer) IS 'The connection string of partition pK of the server workflow_shards (no user or password: those are the user mapping''s).';

CREATE FUNCTION tenant_partition(tenant text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found_partition integer;
    n integer;
BEGIN
    SELECT p.partition INTO found_partition FROM @extschema@.tenant_placement p WHERE p.tenant = $1;
    IF FOUND THEN
        RETURN found_partition;
    END IF;
    n := @extschema@.shard_count();
    RETURN ((hashtext($1)::bigint % n + n) % n)::integer;
END $$;
COMMENT ON FUNCTION tenant_partition(text) IS
    'The partition a tenant''s rows are on: its tenant_placement row, else hashtext(tenant) mod shard_count() (no lock, no wait: what tenant_shard() reports).';

CREATE FUNCTION tenant_shard(tenant text DEFAULT NULL, OUT partition text, OUT conninfo text, OUT state text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT 'p' || @extschema@.tenant_partition(t), @extschema@.shard_conninfo(@extschema@.tenant_partition(t)),
           coalesce((SELECT p.state FROM @extschema@.tenant_placement p WHERE p.tenant = t), 'active')
      FROM (SELECT coalesce(nullif($1, ''), nullif(current_setting('workflow_ext.tenant', true), ''),
                            nullif(current_setting('workflow_ext.actor', true), ''), current_user::text) AS t) x
$$;
COMMENT ON FUNCTION tenant_shard(text) IS
    'The shard of a tenant (default: the front session''s tenant, else actor): its partition name, the connection string an ORM uses to connect straight to it (add user and password), and its placement state (active, moving, cleanup). Valid until the tenant is moved.';

-- The routing of every front call: the tenant's partition, once no move
-- holds it.  A call
-- takes the tenant's lock in share mode for its transaction; move_tenant
-- takes it exclusively while it copies, so calls wait (up to lock_timeout,
-- or workflow_ext_proxy.move_wait: 55P03) and then go where the tenant is.
-- (route_tenant, call_tenant and the API functions run with the caller's
-- rights and name every object of the extension and of pg_catalog with its
-- schema -- operators too, OPERATOR(pg_catalog.||) --, so that no function
-- or operator of the caller's search_path matching the arguments better runs
-- in their place (as a superuser, when one calls them with an untrusted
-- schema on its path); they have no SET search_path clause: on every front
-- call, each such clause cost about 15 us.)
CREATE FUNCTION route_tenant(tenant text) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    place record;
    saved text;
    n bigint;   -- (bigint % bigint: no operator of the caller's search_path matches better)
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock_shared(2001286144, pg_catalog.hashtext(tenant)) THEN
        saved := pg_catalog.current_setting('lock_timeout');
        PERFORM pg_catalog.set_config('lock_timeout', coalesce(nullif(pg_catalog.current_setting('workflow_ext_proxy.move_wait', true), ''), '5s'), true);
        BEGIN
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(2001286144, pg_catalog.hashtext(tenant));
        EXCEPTION WHEN lock_not_available THEN
            RAISE EXCEPTION 'tenant % is being moved to another shard', tenant
                USING ERRCODE = '55P03', DETAIL = pg_catalog.jsonb_build_object('reason', 'tenant_moving', 'tenant', tenant)::text,
                      HINT = 'Retry the call in a moment: a move pauses the tenant''s calls while it copies (docs/scale-out.md, Moving a tenant).';
        END;
        PERFORM pg_catalog.set_config('lock_timeout', saved, true);
    END IF;
    SELECT p.partition, p.state, p.other_partition INTO place FROM @extschema@.tenant_placement p WHERE p.tenant = $1;
    IF NOT FOUND THEN
        n := @extschema@.shard_count();
        RETURN ((pg_catalog.hashtext(tenant)::bigint % n + n) % n)::integer;
    ELSIF place.state = 'moving' THEN
        RAISE EXCEPTION 'tenant % is being moved from shard p% to p%', tenant, place.partition, place.other_partition
            USING ERRCODE = '55P03', DETAIL = pg_catalog.jsonb_build_object('reason', 'tenant_moving', 'tenant', tenant,
                                                              'shard', 'p' OPERATOR(pg_catalog.||) place.partition)::text,
                  HINT = 'Retry the call in a moment. If no move is running (an interrupted move), an operator finishes it: CALL move_tenant(tenant, destination) again (docs/scale-out.md, Moving a tenant).';
    END IF;
    RETURN place.partition;
END $$;
COMMENT ON FUNCTION route_tenant(text) IS
    'The routing of every front function (call_tenant and job_candidates then call that partition): the tenant''s partition (tenant_partition), after taking the tenant''s lock in share mode for the transaction (a move holds it exclusively: the call waits up to workflow_ext_proxy.move_wait, default 5s, then 55P03 tenant_moving); 55P03 while the tenant is being copied.';

CREATE FUNCTION route_partition(partition integer, tenant text, actor text, operation text, args jsonb,
                                OUT error_sqlstate text, OUT error_message text,
                                OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT error_sqlstate, error_message, error_detail, error_hint, result FROM shard_call(tenant, actor, operation, args);
$$;
COMMENT ON FUNCTION route_partition(integer, text, text, text, jsonb) IS
    'PL/Proxy: runs shard_call(tenant, actor, operation, args) on partition pK (RUN ON partition, with modular_mapping: exactly pK): the SLA sweep, shard by shard, and move_tenant''s look-up of shares.';

-- What workflow_ext's shard_call returns (its error as data, or its result),
-- as the text of its row: call_tenant's answer for the operations that go
-- through shard_call (proxy/workflow_ext_proxy.c parses it as this type).
CREATE TYPE shard_answer AS (error_sqlstate text, error_message text, error_detail text, error_hint text, result jsonb);
COMMENT ON TYPE shard_answer IS 'What workflow_ext''s shard_call returns (its error as data, or its result): call_tenant parses the text of that row as this type.';

CREATE FUNCTION partition_status(partition integer, OUT version text, OUT node_role text, OUT tenants bigint,
                                 OUT replication_lag interval)
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT version, node_role, tenants, replication_lag FROM shard_status();
$$;
COMMENT ON FUNCTION partition_status(integer) IS 'PL/Proxy: shard_status() of partition pK.';

CREATE FUNCTION partition_tenant_export(partition integer, tenant text) RETURNS jsonb
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT shard_tenant_export(tenant);
$$;
COMMENT ON FUNCTION partition_tenant_export(integer, text) IS 'PL/Proxy: shard_tenant_export(tenant) on partition pK (move_tenant; the operator''s mapping must be a shard superuser).';
CREATE FUNCTION partition_tenant_import(partition integer, tenant text, data jsonb) RETURNS jsonb
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT shard_tenant_import(tenant, data);
$$;
COMMENT ON FUNCTION partition_tenant_import(integer, text, jsonb) IS 'PL/Proxy: shard_tenant_import(tenant, data) on partition pK (move_tenant).';
CREATE FUNCTION partition_tenant_delete(partition integer, tenant text) RETURNS jsonb
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT shard_tenant_delete(tenant);
$$;
COMMENT ON FUNCTION partition_tenant_delete(integer, text) IS 'PL/Proxy: shard_tenant_delete(tenant) on partition pK (move_tenant).';
CREATE FUNCTION partition_tenant_counts(partition integer, tenant text) RETURNS jsonb
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON partition;
    SELECT shard_tenant_counts(tenant);
$$;
COMMENT ON FUNCTION partition_tenant_counts(integer, text) IS 'PL/Proxy: shard_tenant_counts(tenant) on partition pK (move_tenant''s verification).';
REVOKE EXECUTE ON FUNCTION partition_tenant_export(integer, text), partition_tenant_import(integer, text, jsonb),
    partition_tenant_delete(integer, text), partition_tenant_counts(integer, text) FROM PUBLIC;

-- A shard's error, raised again unchanged: SQLSTATE, message, DETAIL, HINT.
CREATE FUNCTION raise_shard_error(sqlstate text, message text, detail text, hint text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF sqlstate IS NULL THEN
        RETURN;
    ELSIF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END $$;
COMMENT ON FUNCTION raise_shard_error(text, text, text, text) IS
    'Raises the error a shard returned as data, with its SQLSTATE, message, DETAIL and HINT; does nothing when sqlstate is NULL.';

-- PL/Proxy's own failure (no connection, the connection lost, query_timeout)
-- as a connection-class error naming the shard.
CREATE FUNCTION raise_unreachable(partition integer, tenant text, message text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'shard p% (tenant %) did not answer: %', partition, tenant, message
        USING ERRCODE = '08006',
              DETAIL = jsonb_build_object('reason', CASE WHEN message LIKE '%timeout%' THEN 'shard_timeout' ELSE 'shard_unreachable' END,
                                         'shard', 'p' || partition, 'tenant', tenant)::text,
              HINT = 'The call''s outcome on the shard is unknown when the connection was lost during it: look it up (candidate_history, or move again with expected_stage_id) once the shard is back (docs/scale-out.md, Failures).';
END $$;
COMMENT ON FUNCTION raise_unreachable(integer, text, text) IS
    'Raises 08006 (shard_unreachable, or shard_timeout after workflow_ext_proxy.shard_timeout, statement_timeout or the cluster''s query_timeout) naming the shard and tenant: what a front call answers when PL/Proxy fails to reach the shard.';

-- In C (proxy/workflow_ext_proxy.c): the tenant and actor, route_tenant(),
-- then one round trip on the front backend's own libpq connection to the
-- partition (kept between calls; named prepared statements; the tenant, the
-- actor and tenant_admin set for the shard's one implicit transaction), under
-- workflow_ext_proxy.shard_timeout; a shard that cannot be reached or does
-- not answer in time is 08006 naming it, the shard's error is raised again
-- with its SQLSTATE, message, DETAIL and HINT.  No PL/Proxy on this path.
CREATE FUNCTION call_tenant(tenant text, actor text, operation text, args jsonb) RETURNS jsonb
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_call_tenant';
COMMENT ON FUNCTION call_tenant(text, text, text, jsonb) IS
    'One operation on the tenant''s shard (tenant default: the session''s workflow_ext.tenant, else the actor; actor default: workflow_ext.actor, else the role; the session''s workflow_ext.tenant_admin travels too), over the front backend''s own connection to that shard (conninfo: the server workflow_shards'' option pK and the current user''s user mapping): its result, its error raised again, or 08006 naming the shard when it cannot be reached (shard_unreachable) or does not answer within workflow_ext_proxy.shard_timeout (shard_timeout).';

-- ------------------------------------------------------------- the API
-- BEGIN generated by proxy/wrappers.py
CREATE FUNCTION add_candidate(candidate_id bigint, job_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($3, $4, 'add_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2)));
END $$;
COMMENT ON FUNCTION add_candidate(bigint, bigint, text, text) IS
    'workflow_ext''s add_candidate on the tenant''s shard (enters the job''s first stage), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION move_to_next_stage(candidate_id bigint, job_id bigint, expected_stage_id bigint DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_move_to_next_stage';
COMMENT ON FUNCTION move_to_next_stage(bigint, bigint, bigint, text, text) IS
    'workflow_ext''s move_to_next_stage on the tenant''s shard (moves to the next stage), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own); in C, its arguments and the shard''s row carried as they are.';

CREATE FUNCTION move_to_stage(candidate_id bigint, job_id bigint, stage_id bigint, reason text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_move_to_stage';
COMMENT ON FUNCTION move_to_stage(bigint, bigint, bigint, text, text, text) IS
    'workflow_ext''s move_to_stage on the tenant''s shard (moves to any stage of the job''s workflow), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own); in C, its arguments and the shard''s row carried as they are.';

CREATE FUNCTION move_candidates(job_id bigint, candidate_ids bigint[], to_stage_id bigint DEFAULT NULL, reason text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (candidate_id bigint, outcome text, sqlstate text, from_stage_id bigint, to_stage_id bigint, transition_id bigint, detail jsonb)
    LANGUAGE sql
    AS $$
    SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($5, $6, 'move_candidates',
                pg_catalog.jsonb_build_object('job_id', $1, 'candidate_ids', $2)
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('to_stage_id', $3) END
                OPERATOR(pg_catalog.||) CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason', $4) END)) AS r(candidate_id bigint, outcome text, sqlstate text, from_stage_id bigint, to_stage_id bigint, transition_id bigint, detail jsonb)
$$;
COMMENT ON FUNCTION move_candidates(bigint, bigint[], bigint, text, text, text) IS
    'workflow_ext''s move_candidates on the tenant''s shard (bulk moves, one row per candidate), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION reject_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL, reason_code text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($5, $6, 'reject_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2)
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason', $3) END
                OPERATOR(pg_catalog.||) CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason_code', $4) END));
END $$;
COMMENT ON FUNCTION reject_candidate(bigint, bigint, text, text, text, text) IS
    'workflow_ext''s reject_candidate on the tenant''s shard (active to rejected), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION withdraw_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL, reason_code text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($5, $6, 'withdraw_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2)
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason', $3) END
                OPERATOR(pg_catalog.||) CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason_code', $4) END));
END $$;
COMMENT ON FUNCTION withdraw_candidate(bigint, bigint, text, text, text, text) IS
    'workflow_ext''s withdraw_candidate on the tenant''s shard (active to withdrawn), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION reopen_candidate(candidate_id bigint, job_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($3, $4, 'reopen_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2)));
END $$;
COMMENT ON FUNCTION reopen_candidate(bigint, bigint, text, text) IS
    'workflow_ext''s reopen_candidate on the tenant''s shard (rejected or withdrawn to active), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION transfer_candidate(candidate_id bigint, from_job_id bigint, to_job_id bigint, to_stage_id bigint DEFAULT NULL, reason text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($6, $7, 'transfer_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'from_job_id', $2, 'to_job_id', $3)
                OPERATOR(pg_catalog.||) CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('to_stage_id', $4) END
                OPERATOR(pg_catalog.||) CASE WHEN $5 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason', $5) END) OPERATOR(pg_catalog.->) 0);
END $$;
COMMENT ON FUNCTION transfer_candidate(bigint, bigint, bigint, bigint, text, text, text) IS
    'workflow_ext''s transfer_candidate on the tenant''s shard (to another job of the tenant), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION remove_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($4, $5, 'remove_candidate',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2)
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('reason', $3) END);
END $$;
COMMENT ON FUNCTION remove_candidate(bigint, bigint, text, text, text) IS
    'workflow_ext''s remove_candidate on the tenant''s shard (deletes the pipeline row, recorded), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION candidate_facts(candidate_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'candidate_facts',
                pg_catalog.jsonb_build_object('candidate_id', $1));
END $$;
COMMENT ON FUNCTION candidate_facts(bigint, text, text) IS
    'workflow_ext''s candidate_facts on the tenant''s shard (the candidate''s facts as rules see them), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION candidate_facts(candidate_id bigint, job_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'candidate_facts',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'job_id', $2));
END $$;
COMMENT ON FUNCTION candidate_facts(bigint, bigint, text, text) IS
    'workflow_ext''s candidate_facts on the tenant''s shard (every source a rule of the job reads), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION set_candidate_facts(candidate_id bigint, facts jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'set_candidate_facts',
                pg_catalog.jsonb_build_object('candidate_id', $1, 'facts', $2));
END $$;
COMMENT ON FUNCTION set_candidate_facts(bigint, jsonb, text, text) IS
    'workflow_ext''s set_candidate_facts on the tenant''s shard (writes the tenant''s candidate_profile row (insert or replace its attributes)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION set_job_facts(job_id bigint, facts jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'set_job_facts',
                pg_catalog.jsonb_build_object('job_id', $1, 'facts', $2));
END $$;
COMMENT ON FUNCTION set_job_facts(bigint, jsonb, text, text) IS
    'workflow_ext''s set_job_facts on the tenant''s shard (writes the tenant''s job_profile row (insert or replace its attributes)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION stage_candidates(stage_id bigint, status text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.candidate_stage
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.candidate_stage, @extschema@.call_tenant($3, $4, 'stage_candidates',
                pg_catalog.jsonb_build_object('stage_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('status', $2) END));
END $$;
COMMENT ON FUNCTION stage_candidates(bigint, text, text, text) IS
    'workflow_ext''s stage_candidates on the tenant''s shard (the pipeline rows standing in a stage (of one status, or all)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION candidate_history(candidate_id bigint, job_id bigint DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.stage_transition
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.stage_transition, @extschema@.call_tenant($3, $4, 'candidate_history',
                pg_catalog.jsonb_build_object('candidate_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('job_id', $2) END));
END $$;
COMMENT ON FUNCTION candidate_history(bigint, bigint, text, text) IS
    'workflow_ext''s candidate_history on the tenant''s shard (the candidate''s history rows (in one job, or every job), in order), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION alert_events(job_id bigint, candidate_id bigint DEFAULT NULL, unacknowledged boolean DEFAULT false, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.alert_event
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.alert_event, @extschema@.call_tenant($4, $5, 'alert_events',
                pg_catalog.jsonb_build_object('job_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('candidate_id', $2) END
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('unacknowledged', $3) END));
END $$;
COMMENT ON FUNCTION alert_events(bigint, bigint, boolean, text, text) IS
    'workflow_ext''s alert_events on the tenant''s shard (the alert events of a job (of one candidate; only unacknowledged ones)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION acknowledge_alert(alert_event_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.alert_event
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.alert_event, @extschema@.call_tenant($2, $3, 'acknowledge_alert',
                pg_catalog.jsonb_build_object('alert_event_id', $1)));
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint, text, text) IS
    'workflow_ext''s acknowledge_alert on the tenant''s shard (acknowledges an event by id), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION job_stage_counts(job_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, status text, candidates bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($2, $3, 'stage_counts',
                pg_catalog.jsonb_build_object('job_id', $1))) AS r(stage_id bigint, status text, candidates bigint);
END $$;
COMMENT ON FUNCTION job_stage_counts(bigint, text, text) IS
    'workflow_ext''s job_stage_counts on the tenant''s shard (candidates per stage and status of a job), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION screening_counts(job_id bigint, condition jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (candidates bigint, matching bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($3, $4, 'screening_counts',
                pg_catalog.jsonb_build_object('job_id', $1, 'condition', $2))) AS r(candidates bigint, matching bigint);
END $$;
COMMENT ON FUNCTION screening_counts(bigint, jsonb, text, text) IS
    'workflow_ext''s screening_counts on the tenant''s shard (active candidates of a job and how many match condition), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION pipeline_funnel(job_id bigint DEFAULT NULL, workflow_id bigint DEFAULT NULL, since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, stage_name text, "position" integer, entered bigint, "current" bigint, advanced bigint, rejected bigint, withdrawn bigint, hired bigint, conversion numeric, median_time_in_stage interval, p90_time_in_stage interval)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($5, $6, 'pipeline_funnel',
                pg_catalog.jsonb_build_object()
                OPERATOR(pg_catalog.||) CASE WHEN $1 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('job_id', $1) END
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('workflow_id', $2) END
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('since', $3) END
                OPERATOR(pg_catalog.||) CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('until', $4) END)) AS r(stage_id bigint, stage_name text, "position" integer, entered bigint, "current" bigint, advanced bigint, rejected bigint, withdrawn bigint, hired bigint, conversion numeric, median_time_in_stage interval, p90_time_in_stage interval);
END $$;
COMMENT ON FUNCTION pipeline_funnel(bigint, bigint, timestamptz, timestamptz, text, text) IS
    'workflow_ext''s pipeline_funnel on the tenant''s shard (the funnel of a job or a workflow), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION workflow_events_since(cursor text DEFAULT NULL, max_events integer DEFAULT 1000, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (cursor text, event jsonb)
    LANGUAGE sql
    AS $$
    SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($3, $4, 'workflow_events_since',
                pg_catalog.jsonb_build_object()
                OPERATOR(pg_catalog.||) CASE WHEN $1 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('cursor', $1) END
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('max_events', $2) END)) AS r(cursor text, event jsonb)
$$;
COMMENT ON FUNCTION workflow_events_since(text, integer, text, text) IS
    'workflow_ext''s workflow_events_since on the tenant''s shard (the durable event feed of the tenant''s shard, as the actor sees it), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION assign_workflow(job_id bigint, workflow_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'assign_workflow',
                pg_catalog.jsonb_build_object('job_id', $1, 'workflow_id', $2)) OPERATOR(pg_catalog.->) 0;
END $$;
COMMENT ON FUNCTION assign_workflow(bigint, bigint, text, text) IS
    'workflow_ext''s assign_workflow on the tenant''s shard (assigns a workflow to a job (the job_workflow row as JSON)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION unshare_workflow(workflow_id bigint, grantee text, grantee_tenant text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($4, $5, 'unshare_workflow',
                pg_catalog.jsonb_build_object('workflow_id', $1, 'grantee', $2)
                OPERATOR(pg_catalog.||) CASE WHEN $3 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('grantee_tenant', $3) END);
END $$;
COMMENT ON FUNCTION unshare_workflow(bigint, text, text, text, text) IS
    'workflow_ext''s unshare_workflow on the tenant''s shard (withdraws a share), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION pending_shares(tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS TABLE (workflow_id bigint, workflow_name text, tenant text, owner text, grantee_tenant text, grantee text, can_edit boolean, offered_at timestamptz)
    LANGUAGE sql
    AS $$
    SELECT * FROM pg_catalog.jsonb_to_recordset(@extschema@.call_tenant($1, $2, 'pending_shares',
                pg_catalog.jsonb_build_object())) AS r(workflow_id bigint, workflow_name text, tenant text, owner text, grantee_tenant text, grantee text, can_edit boolean, offered_at timestamptz)
$$;
COMMENT ON FUNCTION pending_shares(text, text) IS
    'workflow_ext''s pending_shares on the tenant''s shard (offers waiting for the actor''s answer), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION accept_share(workflow_id bigint, for_tenant boolean DEFAULT false, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($3, $4, 'accept_share',
                pg_catalog.jsonb_build_object('workflow_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('for_tenant', $2) END);
END $$;
COMMENT ON FUNCTION accept_share(bigint, boolean, text, text) IS
    'workflow_ext''s accept_share on the tenant''s shard (accepts a share), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION decline_share(workflow_id bigint, for_tenant boolean DEFAULT false, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($3, $4, 'decline_share',
                pg_catalog.jsonb_build_object('workflow_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('for_tenant', $2) END);
END $$;
COMMENT ON FUNCTION decline_share(bigint, boolean, text, text) IS
    'workflow_ext''s decline_share on the tenant''s shard (declines an offer), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION leave_share(workflow_id bigint, for_tenant boolean DEFAULT false, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($3, $4, 'leave_share',
                pg_catalog.jsonb_build_object('workflow_id', $1)
                OPERATOR(pg_catalog.||) CASE WHEN $2 IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('for_tenant', $2) END);
END $$;
COMMENT ON FUNCTION leave_share(bigint, boolean, text, text) IS
    'workflow_ext''s leave_share on the tenant''s shard (gives up a share), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION transfer_workflow_ownership(workflow_id bigint, new_owner text, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($3, $4, 'transfer_workflow_ownership',
                pg_catalog.jsonb_build_object('workflow_id', $1, 'new_owner', $2));
END $$;
COMMENT ON FUNCTION transfer_workflow_ownership(bigint, text, text, text) IS
    'workflow_ext''s transfer_workflow_ownership on the tenant''s shard (another actor of the tenant becomes the owner), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION archive_workflow(workflow_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'archive_workflow',
                pg_catalog.jsonb_build_object('workflow_id', $1)) OPERATOR(pg_catalog.->) 0;
END $$;
COMMENT ON FUNCTION archive_workflow(bigint, text, text) IS
    'workflow_ext''s archive_workflow on the tenant''s shard (retires a workflow (the row as JSON)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION unarchive_workflow(workflow_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'unarchive_workflow',
                pg_catalog.jsonb_build_object('workflow_id', $1)) OPERATOR(pg_catalog.->) 0;
END $$;
COMMENT ON FUNCTION unarchive_workflow(bigint, text, text) IS
    'workflow_ext''s unarchive_workflow on the tenant''s shard (puts a workflow back in use (the row as JSON)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION archive_stage(stage_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'archive_stage',
                pg_catalog.jsonb_build_object('stage_id', $1)) OPERATOR(pg_catalog.->) 0;
END $$;
COMMENT ON FUNCTION archive_stage(bigint, text, text) IS
    'workflow_ext''s archive_stage on the tenant''s shard (retires a stage (the row as JSON)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION unarchive_stage(stage_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'unarchive_stage',
                pg_catalog.jsonb_build_object('stage_id', $1)) OPERATOR(pg_catalog.->) 0;
END $$;
COMMENT ON FUNCTION unarchive_stage(bigint, text, text) IS
    'workflow_ext''s unarchive_stage on the tenant''s shard (puts a stage back in use (the row as JSON)), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION clone_workflow(workflow_id bigint, name text, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN (@extschema@.call_tenant($3, $4, 'clone_workflow',
                pg_catalog.jsonb_build_object('workflow_id', $1, 'name', $2)) OPERATOR(pg_catalog.#>>) '{}')::bigint;
END $$;
COMMENT ON FUNCTION clone_workflow(bigint, text, text, text) IS
    'workflow_ext''s clone_workflow on the tenant''s shard (copies a workflow), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION reorder_stages(workflow_id bigint, stage_ids bigint[], tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($3, $4, 'reorder_stages',
                pg_catalog.jsonb_build_object('workflow_id', $1, 'stage_ids', $2));
END $$;
COMMENT ON FUNCTION reorder_stages(bigint, bigint[], text, text) IS
    'workflow_ext''s reorder_stages on the tenant''s shard (positions 1..n in the order given), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION get_stage_rule(stage_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.stage_rule
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_populate_record(NULL::@extschema@.stage_rule, @extschema@.call_tenant($2, $3, 'get_stage_rule',
                pg_catalog.jsonb_build_object('stage_id', $1)));
END $$;
COMMENT ON FUNCTION get_stage_rule(bigint, text, text) IS
    'workflow_ext''s get_stage_rule on the tenant''s shard (a stage''s rule), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION get_stage_alerts(stage_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.alert
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.alert, @extschema@.call_tenant($2, $3, 'get_stage_alerts',
                pg_catalog.jsonb_build_object('stage_id', $1)));
END $$;
COMMENT ON FUNCTION get_stage_alerts(bigint, text, text) IS
    'workflow_ext''s get_stage_alerts on the tenant''s shard (a stage''s alerts), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION definitions(table_name text, filter jsonb DEFAULT '{}', tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT pg_catalog.jsonb_array_elements(@extschema@.call_tenant($3, $4, 'definitions',
                pg_catalog.jsonb_build_object('table_name', $1, 'row', $2)));
END $$;
COMMENT ON FUNCTION definitions(text, jsonb, text, text) IS
    'workflow_ext''s definitions on the tenant''s shard (the rows of a definition table the actor sees that contain filter, as JSON), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION create_definition(table_name text, data jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'definition_write',
                pg_catalog.jsonb_build_object('action', 'insert', 'table_name', $1, 'row', $2));
END $$;
COMMENT ON FUNCTION create_definition(text, jsonb, text, text) IS
    'workflow_ext''s create_definition on the tenant''s shard (inserts one definition row (workflow, workflow_stage, stage_rule, alert, job_workflow, rejection_reason, workflow_share) given as JSON; the row written), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION update_definition(table_name text, id bigint, changes jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($4, $5, 'definition_write',
                pg_catalog.jsonb_build_object('action', 'update', 'table_name', $1, 'id', $2, 'row', $3));
END $$;
COMMENT ON FUNCTION update_definition(text, bigint, jsonb, text, text) IS
    'workflow_ext''s update_definition on the tenant''s shard (updates the columns given of one definition row; the row written), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION delete_definition(table_name text, id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'definition_write',
                pg_catalog.jsonb_build_object('action', 'delete', 'table_name', $1, 'id', $2));
END $$;
COMMENT ON FUNCTION delete_definition(text, bigint, text, text) IS
    'workflow_ext''s delete_definition on the tenant''s shard (deletes one definition row; the row deleted), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($3, $4, 'evaluate_condition',
                pg_catalog.jsonb_build_object('condition', $1, 'facts', $2));
END $$;
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, text, text) IS
    'workflow_ext''s evaluate_condition on the tenant''s shard (explains a condition), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION evaluate_condition(condition jsonb, candidate_id bigint, job_id bigint, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($4, $5, 'evaluate_condition',
                pg_catalog.jsonb_build_object('condition', $1, 'candidate_id', $2, 'job_id', $3));
END $$;
COMMENT ON FUNCTION evaluate_condition(jsonb, bigint, bigint, text, text) IS
    'workflow_ext''s evaluate_condition on the tenant''s shard (explains a condition against a candidate''s facts in a job), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN (@extschema@.call_tenant($3, $4, 'condition_matches',
                pg_catalog.jsonb_build_object('condition', $1, 'facts', $2)) OPERATOR(pg_catalog.#>>) '{}')::boolean;
END $$;
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, text, text) IS
    'workflow_ext''s condition_matches on the tenant''s shard (whether facts satisfy condition), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb, at timestamptz, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($4, $5, 'evaluate_condition',
                pg_catalog.jsonb_build_object('condition', $1, 'facts', $2, 'at', $3));
END $$;
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, timestamptz, text, text) IS
    'workflow_ext''s evaluate_condition on the tenant''s shard (explains a condition with relative time measured from at), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb, at timestamptz, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN (@extschema@.call_tenant($4, $5, 'condition_matches',
                pg_catalog.jsonb_build_object('condition', $1, 'facts', $2, 'at', $3)) OPERATOR(pg_catalog.#>>) '{}')::boolean;
END $$;
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, timestamptz, text, text) IS
    'workflow_ext''s condition_matches on the tenant''s shard (whether facts satisfy condition, relative time measured from at), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION validate_condition(condition jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM @extschema@.call_tenant($2, $3, 'validate_condition',
                pg_catalog.jsonb_build_object('condition', $1));
END $$;
COMMENT ON FUNCTION validate_condition(jsonb, text, text) IS
    'workflow_ext''s validate_condition on the tenant''s shard (22023 with the path of the first offending node), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

CREATE FUNCTION condition_leaves(condition jsonb, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN @extschema@.call_tenant($2, $3, 'condition_leaves',
                pg_catalog.jsonb_build_object('condition', $1));
END $$;
COMMENT ON FUNCTION condition_leaves(jsonb, text, text) IS
    'workflow_ext''s condition_leaves on the tenant''s shard (the leaves of a condition), in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own).';

-- END generated by proxy/wrappers.py

-- The read of a job's pipeline: rows, not a JSON document; in C, as
-- call_tenant (read from candidate_stage, prepared on
-- the shard connection).
CREATE FUNCTION job_candidates(job_id bigint, status text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.candidate_stage
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'wf_proxy_job_candidates';
COMMENT ON FUNCTION job_candidates(bigint, text, text, text) IS
    'The job''s pipeline rows (of one status, or all) on the tenant''s shard, by stage and candidate, in tenant as actor (defaults: the front session''s workflow_ext.tenant and workflow_ext.actor; no tenant: the actor''s own); rows as the shard sends them, one round trip on the front backend''s connection to the shard; 08006 naming the shard when it cannot be reached or does not answer within workflow_ext_proxy.shard_timeout.';

-- Shares across tenants: only between tenants on the same shard (a share
-- lives with the workflow, and the grantee's calls go to its own shard).
CREATE FUNCTION share_workflow(workflow_id bigint, grantee text, can_edit boolean DEFAULT false,
                               grantee_tenant text DEFAULT NULL, tenant text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text := coalesce(nullif($5, ''), nullif(current_setting('workflow_ext.tenant', true), ''),
                       nullif($6, ''), nullif(current_setting('workflow_ext.actor', true), ''), current_user::text);
BEGIN
    IF $4 IS NOT NULL AND $4 <> t AND @extschema@.tenant_partition($4) <> @extschema@.tenant_partition(t) THEN
        RAISE EXCEPTION 'tenant % is on shard p%, tenant % on p%: a workflow is shared only between tenants on one shard',
                        t, @extschema@.tenant_partition(t), $4, @extschema@.tenant_partition($4)
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'tenants_on_different_shards', 'tenant', t,
                                                              'grantee_tenant', $4)::text,
                  HINT = 'Move one tenant to the other''s shard first (move_tenant), then share (docs/scale-out.md, Shares across tenants).';
    END IF;
    PERFORM @extschema@.call_tenant($5, $6, 'share_workflow',
                jsonb_build_object('workflow_id', $1, 'grantee', $2, 'can_edit', coalesce($3, false))
                || CASE WHEN $4 IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('grantee_tenant', $4) END);
END $$;
COMMENT ON FUNCTION share_workflow(bigint, text, boolean, text, text, text) IS
    'workflow_ext''s share_workflow on the tenant''s shard, in tenant as actor; across tenants only with a tenant on the same shard (55000 tenants_on_different_shards).';

-- The SLA sweep on every shard, one by one: a shard that does not answer is
-- reported, the others are swept.
CREATE FUNCTION raise_overdue_alerts(actor text DEFAULT NULL)
    RETURNS TABLE (shard text, raised integer, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    a text := coalesce(nullif($1, ''), nullif(current_setting('workflow_ext.actor', true), ''), current_user::text);
    p integer;
    r record;
BEGIN
    FOR p IN 0 .. @extschema@.shard_count() - 1 LOOP
        shard := 'p' || p;
        raised := NULL;
        error := NULL;
        BEGIN
            PERFORM @extschema@.shard_deadline_arm();
            SELECT * INTO r FROM @extschema@.route_partition(p, NULL, a, 'raise_overdue_alerts', '{}');
            PERFORM @extschema@.shard_deadline_disarm();
            IF r.error_sqlstate IS NOT NULL THEN
                error := r.error_sqlstate || ': ' || r.error_message;
            ELSE
                raised := (r.result #>> '{}')::integer;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            error := '08006: ' || CASE WHEN @extschema@.shard_deadline_disarm()
                                       THEN 'no answer within workflow_ext_proxy.shard_timeout ('
                                            || current_setting('workflow_ext_proxy.shard_timeout') || ')'
                                       ELSE SQLERRM END;
        END;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION raise_overdue_alerts(text) IS
    'The SLA sweep (workflow_ext''s raise_overdue_alerts) on every shard in turn, as actor: one row per shard with the events raised, or the error (a shard down, or frozen past workflow_ext_proxy.shard_timeout, does not stop the others). Run it as a role whose user mapping connects as the shards'' scheduler role (BYPASSRLS or superuser) to sweep every tenant.';

-- Health: one row per shard.
CREATE FUNCTION shard_health()
    RETURNS TABLE (shard text, conninfo text, reachable boolean, version text, node_role text,
                   tenants bigint, placed_tenants bigint, moving_tenants bigint,
                   replication_lag interval, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p integer;
    r record;
BEGIN
    FOR p IN 0 .. @extschema@.shard_count() - 1 LOOP
        shard := 'p' || p;
        conninfo := @extschema@.shard_conninfo(p);
        SELECT count(*) FILTER (WHERE t.partition = p),
               count(*) FILTER (WHERE t.state <> 'active' AND (t.partition = p OR t.other_partition = p))
          INTO placed_tenants, moving_tenants
          FROM @extschema@.tenant_placement t;
        BEGIN
            PERFORM @extschema@.shard_deadline_arm();
            SELECT * INTO r FROM @extschema@.partition_status(p);
            PERFORM @extschema@.shard_deadline_disarm();
            reachable := true;
            version := r.version;
            node_role := r.node_role;
            tenants := r.tenants;
            replication_lag := r.replication_lag;
            error := NULL;
        EXCEPTION WHEN OTHERS THEN
            reachable := false;
            version := NULL;
            node_role := NULL;
            tenants := NULL;
            replication_lag := NULL;
            error := CASE WHEN @extschema@.shard_deadline_disarm()
                          THEN 'no answer within workflow_ext_proxy.shard_timeout ('
                               || current_setting('workflow_ext_proxy.shard_timeout') || ')'
                          ELSE SQLERRM END;
        END;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION shard_health() IS
    'One row per shard: reachable (an answer within workflow_ext_proxy.shard_timeout), workflow_ext''s version there, its node_role, how many tenants have rows there, how many tenant_placement rows point at it and how many of those are mid-move, the lag of a definitions subscription still replicated (0.2.0''s layout; NULL when none), and the error when unreachable.';

-- Moving a tenant to another shard (docs/scale-out.md, Moving a tenant).
-- Steps, each its own transaction, so that an interrupted move is finished
-- by calling again: (1) placement moving (calls fail 55P03); (2) under the
-- tenant's lock (calls in flight finish first, new ones wait): delete a
-- partial copy on the destination, export from the source, import on the
-- destination with ids in one transaction, compare every table's count on
-- both sides, placement to the destination (cleanup); (3) delete the old copy
-- on the source, placement active.  Needs a user mapping that connects as a
-- shard superuser.
CREATE PROCEDURE move_tenant(tenant text, to_partition integer)
    LANGUAGE plpgsql
    AS $$
DECLARE
    place record;
    src integer;
    shares bigint;
    data jsonb;
    sent jsonb;
    wrote jsonb;
    there jsonb;
BEGIN
    IF to_partition IS NULL OR to_partition < 0 OR to_partition >= @extschema@.shard_count() THEN
        RAISE EXCEPTION 'shard p% is not a partition of workflow_shards (p0 .. p%)', to_partition, @extschema@.shard_count() - 1
            USING ERRCODE = '22023', DETAIL = pg_catalog.jsonb_build_object('reason', 'invalid_shard', 'shard', to_partition)::text;
    END IF;
    SELECT p.* INTO place FROM @extschema@.tenant_placement p WHERE p.tenant = move_tenant.tenant FOR UPDATE;
    IF NOT FOUND OR place.state = 'active' THEN
        src := @extschema@.tenant_partition(tenant);
        IF src = to_partition THEN
            RAISE NOTICE 'tenant % is on shard p% already', tenant, src;
            RETURN;
        END IF;
        -- Shares across tenants: refused before anything is paused (the
        -- export refuses them too, should one be made meanwhile).
        SELECT count(*) INTO shares
          FROM (SELECT r.error_sqlstate, r.error_message, r.error_detail, r.error_hint, r.result
                  FROM @extschema@.route_partition(src, tenant, 'move_tenant', 'definitions',
                           pg_catalog.jsonb_build_object('table_name', 'workflow_share',
                                                         'row', pg_catalog.jsonb_build_object('tenant', tenant))) r
                UNION ALL
                SELECT r.error_sqlstate, r.error_message, r.error_detail, r.error_hint, r.result
                  FROM @extschema@.route_partition(src, tenant, 'move_tenant', 'definitions',
                           pg_catalog.jsonb_build_object('table_name', 'workflow_share',
                                                         'row', pg_catalog.jsonb_build_object('grantee_tenant', tenant))) r) x,
               LATERAL (SELECT @extschema@.raise_shard_error(x.error_sqlstate, x.error_message, x.error_detail, x.error_hint)) e,
               LATERAL pg_catalog.jsonb_array_elements(coalesce(x.result, '[]')) sh
         WHERE sh->>'tenant' IS DISTINCT FROM sh->>'grantee_tenant';
        IF shares > 0 THEN
            RAISE EXCEPTION 'tenant % has workflow shares with other tenants: it cannot move alone', tenant
                USING ERRCODE = '55000', DETAIL = pg_catalog.jsonb_build_object('reason', 'cross_tenant_shares', 'tenant', tenant)::text,
                      HINT = 'Remove the shares across tenants (unshare_workflow, leave_share) before moving it; docs/scale-out.md, Shares across tenants.';
        END IF;
        INSERT INTO @extschema@.tenant_placement AS p (tenant, partition, state, other_partition)
             VALUES (tenant, src, 'moving', to_partition)
        ON CONFLICT ON CONSTRAINT tenant_placement_pkey DO UPDATE
               SET state = 'moving', other_partition = to_partition, changed_at = pg_catalog.now();
    ELSIF place.state = 'moving' AND place.other_partition <> to_partition THEN
        RAISE EXCEPTION 'tenant % is being moved to shard p%, not p%', tenant, place.other_partition, to_partition
            USING ERRCODE = '55000', DETAIL = pg_catalog.jsonb_build_object('reason', 'move_in_progress', 'tenant', tenant,
                                                                           'shard', 'p' OPERATOR(pg_catalog.||) place.other_partition)::text,
                  HINT = 'Finish that move first: CALL move_tenant(tenant, its destination).';
    ELSE
        src := CASE WHEN place.state = 'moving' THEN place.partition ELSE place.other_partition END;
    END IF;
    COMMIT;

    SELECT p.* INTO place FROM @extschema@.tenant_placement p WHERE p.tenant = move_tenant.tenant;
    IF place.state = 'moving' THEN
        -- Calls in flight hold the lock in share mode: wait for them.
        PERFORM pg_catalog.pg_advisory_xact_lock(2001286144, pg_catalog.hashtext(tenant));
        PERFORM @extschema@.partition_tenant_delete(to_partition, tenant);   -- a partial copy
        data := @extschema@.partition_tenant_export(src, tenant);
        SELECT pg_catalog.jsonb_object_agg(k, pg_catalog.jsonb_array_length(v)) INTO sent FROM pg_catalog.jsonb_each(data) AS e(k, v);
        wrote := @extschema@.partition_tenant_import(to_partition, tenant, data);
        there := @extschema@.partition_tenant_counts(src, tenant);
        IF wrote IS DISTINCT FROM sent OR there IS DISTINCT FROM sent THEN
            RAISE EXCEPTION 'the copy of tenant % on p% does not match p%', tenant, to_partition, src
                USING ERRCODE = 'XX001', DETAIL = pg_catalog.jsonb_build_object('reason', 'copy_mismatch', 'tenant', tenant,
                                                                               'sent', sent, 'written', wrote, 'source', there)::text,
                      HINT = 'Nothing was switched: the tenant stays on its source. CALL move_tenant again.';
        END IF;
        UPDATE @extschema@.tenant_placement p
           SET partition = to_partition, state = 'cleanup', other_partition = src, changed_at = pg_catalog.now()
         WHERE p.tenant = move_tenant.tenant;
        COMMIT;
        SELECT p.* INTO place FROM @extschema@.tenant_placement p WHERE p.tenant = move_tenant.tenant;
    END IF;
    IF place.state = 'cleanup' THEN
        PERFORM @extschema@.partition_tenant_delete(place.other_partition, tenant);
        UPDATE @extschema@.tenant_placement p
           SET state = 'active', other_partition = NULL, changed_at = pg_catalog.now()
         WHERE p.tenant = move_tenant.tenant;
        COMMIT;
    END IF;
END $$;
COMMENT ON PROCEDURE move_tenant(text, integer) IS
    'Moves a tenant''s rows to shard p<to_partition> with their ids, losing and duplicating nothing: marks it moving (its calls wait or fail 55P03 tenant_moving), under the tenant''s lock copies every table in dependency order (shard_tenant_export / shard_tenant_import, one transaction on the destination), compares counts on both sides, points the placement at the destination, then deletes the source''s copy. Call it outside a transaction block, as a role whose user mapping connects as a shard superuser; an interrupted move is finished by calling it again. 55000 cross_tenant_shares when the tenant shares workflows with another tenant.';
REVOKE EXECUTE ON PROCEDURE move_tenant(text, integer) FROM PUBLIC;
