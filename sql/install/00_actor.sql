-- The actor and the tenant: who is acting (workflow_ext.actor, else the
-- current role) and for which organization (workflow_ext.tenant, else the
-- actor itself).  Everything else is keyed on them.

-- No SET search_path on current_actor(), current_tenant(), is_tenant_admin():
-- they look up no name, and the RLS policies call them per row.
CREATE FUNCTION current_actor() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_actor';
COMMENT ON FUNCTION current_actor() IS
    'The acting user: workflow_ext.actor when set, else the current role as role:<oid> (stable across ALTER ROLE ... RENAME, never inherited by a new role of the same name). Raises 42501 when workflow_ext.require_actor is on and no actor is set, or when a role outside workflow_ext.trusted_role names another actor.';

CREATE FUNCTION current_tenant() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_tenant';
COMMENT ON FUNCTION current_tenant() IS
    'The organization acted for: workflow_ext.tenant when set, else the actor (each actor its own tenant). Raises 42501 when workflow_ext.require_tenant is on and no tenant is set, or when a role outside workflow_ext.trusted_role names a tenant other than its own actor.';

CREATE FUNCTION is_tenant_admin() RETURNS boolean
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_is_tenant_admin';
COMMENT ON FUNCTION is_tenant_admin() IS
    'True when the application says the actor administers the current tenant (SET LOCAL workflow_ext.tenant_admin = on): it then sees and edits every workflow of the tenant. 42501 when a role outside workflow_ext.trusted_role claims it.';

CREATE FUNCTION blank_identity(name text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_blank_identity';
COMMENT ON FUNCTION blank_identity(text) IS
    'True when the text names no one: empty, or only blank or invisible characters (spaces of every kind, zero-width and joiner characters, fillers). Such an actor or tenant setting counts as unset; no share or owner may name one.';

CREATE FUNCTION role_identity(role regrole) RETURNS text
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_role_identity';
COMMENT ON FUNCTION role_identity(regrole) IS
    'The actor a role is when workflow_ext.actor is not set: role:<oid>. To share a workflow with a role, or to name it as owner.';

CREATE FUNCTION require_actor_trigger() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_require_actor_trigger';
COMMENT ON FUNCTION require_actor_trigger() IS
    'Statement trigger on every table: refuses writes with 42501 when workflow_ext.require_actor (or require_tenant) is on and no actor (tenant) is set (superusers bypass RLS, so the policies alone would not).';

CREATE FUNCTION invoking_role() RETURNS name
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invoking_role';
COMMENT ON FUNCTION invoking_role() IS
    'The role that called in, unchanged inside SECURITY DEFINER functions (used for owner-only checks).';
