-- The actor: who is acting, as the application says (workflow_ext.actor) or
-- else the current role.  Everything else is keyed on it.

-- No SET search_path here: neither function looks up a name, and the RLS
-- policies call current_actor() per row.
CREATE FUNCTION current_actor() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_actor';
COMMENT ON FUNCTION current_actor() IS
    'The acting user: workflow_ext.actor when set, else the current role. Raises 42501 when workflow_ext.require_actor is on and no actor is set.';

CREATE FUNCTION require_actor_trigger() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_require_actor_trigger';
COMMENT ON FUNCTION require_actor_trigger() IS
    'Statement trigger on every table: refuses writes with 42501 when workflow_ext.require_actor is on and no actor is set (superusers bypass RLS, so the policies alone would not).';

CREATE FUNCTION invoking_role() RETURNS name
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invoking_role';
COMMENT ON FUNCTION invoking_role() IS
    'The role that called in, unchanged inside SECURITY DEFINER functions (used for owner-only checks).';
