/*
 * actor.c - who is acting, and for which organization: workflow_ext.actor
 * (else the session's role) and workflow_ext.tenant (else the actor), and
 * whether the application says the actor administers the tenant
 * (workflow_ext.tenant_admin).
 *
 * Trust model: superusers and members of workflow_ext.trusted_role (when it
 * is set) may name any actor and tenant and claim administration; any other
 * role acts as itself, in its own tenant.  A blank setting is no setting.
 * workflow_ext.require_actor and require_tenant cannot be weakened by a
 * client: see wf_require_actor_guard().
 *
 * A role's own identity is "role:<oid>", not its name: it survives ALTER ROLE
 * ... RENAME, and a new role created with an old name does not inherit it.
 */
#include "workflow_ext.h"

#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

PG_FUNCTION_INFO_V1(wf_current_actor);
PG_FUNCTION_INFO_V1(wf_current_tenant);
PG_FUNCTION_INFO_V1(wf_is_tenant_admin);
PG_FUNCTION_INFO_V1(wf_role_identity);
PG_FUNCTION_INFO_V1(wf_blank_identity);
PG_FUNCTION_INFO_V1(wf_invoking_role);
PG_FUNCTION_INFO_V1(wf_require_actor_trigger);

/* Set when a non-superuser tried to set these before the library loaded. */
static bool require_actor_forced = false;
static bool require_tenant_forced = false;
static bool trusted_role_forced = false;

/* Was the placeholder of a superuser-only setting set by a non-superuser? */
bool
wf_guc_set_by_non_superuser(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
	{
		struct config_generic *g = vars[i];

		if (strcmp(g->name, name) == 0)
			return (g->flags & GUC_CUSTOM_PLACEHOLDER) && g->source > PGC_S_DATABASE_USER &&
				OidIsValid(g->srole) && !superuser_arg(g->srole);
	}
	return false;
}

/*
 * Called by _PG_init before the superuser-only settings are defined.  A value
 * that a non-superuser client set while a setting was still a placeholder
 * (e.g. PGOPTIONS='-c workflow_ext.require_actor=off') replaces the
 * database's and role's values, and PostgreSQL then drops it with only a
 * WARNING, leaving the boot default.  Fail closed: the session requires an
 * actor, and only superusers may name another actor.
 */
void
wf_require_actor_guard(void)
{
	if (wf_guc_set_by_non_superuser("workflow_ext.require_actor"))
	{
		require_actor_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.require_actor can only be set by a superuser; "
						"this session requires an actor")));
	}
	if (wf_guc_set_by_non_superuser("workflow_ext.require_tenant"))
	{
		require_tenant_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.require_tenant can only be set by a superuser; "
						"this session requires a tenant")));
	}
	if (wf_guc_set_by_non_superuser("workflow_ext.trusted_role"))
	{
		trusted_role_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.trusted_role can only be set by a superuser; "
						"in this session only superusers may name another actor")));
	}
}

/*
 * Called by _PG_init once the superuser-only settings are defined.  A setting
 * the guard above forced on shows what the session enforces (SHOW,
 * current_setting(), pg_settings) rather than the boot default PostgreSQL
 * left after refusing the client's value.  Set as an override: kept through
 * RESET and a rollback, like the guard's own flag, and passed to parallel
 * workers with the other settings.
 */
void
wf_require_actor_show_forced(void)
{
	if (require_actor_forced)
		SetConfigOption("workflow_ext.require_actor", "on", PGC_SUSET, PGC_S_OVERRIDE);
	if (require_tenant_forced)
		SetConfigOption("workflow_ext.require_tenant", "on", PGC_SUSET, PGC_S_OVERRIDE);
}

/* The setting's GUC record; found once (the records themselves never move). */
static struct config_generic *
guc_record(const char *name, struct config_generic **cache)
{
	if (*cache == NULL)
	{
		struct config_generic **vars = get_guc_variables();
		int			n = GetNumConfigOptions();

		for (int i = 0; i < n; i++)
			if (strcmp(vars[i]->name, name) == 0)
				*cache = vars[i];
	}
	return *cache;
}

/*
 * Does a setting required to be set count in this transaction?  Yes when it
 * was set in this transaction (SET LOCAL, set_config(..., true), a SET, a
 * function's SET clause: the GUC then has a stack entry until the
 * transaction ends) or by the administrator (postgresql.conf, ALTER
 * DATABASE/ROLE ... SET).  Not when a SET of an earlier transaction of the
 * session still holds (a pooled connection's previous request) or the
 * client's startup packet set it (PGOPTIONS).
 */
static bool
set_for_this_transaction(const char *name, struct config_generic **cache)
{
	struct config_generic *g = guc_record(name, cache);

	return g != NULL && (g->stack != NULL || g->source <= PGC_S_DATABASE_USER);
}

static bool actor_required(void);
static struct config_generic *actor_record = NULL;
static struct config_generic *tenant_record = NULL;
static struct config_generic *admin_record = NULL;
static struct config_generic *reason_record = NULL;
static struct config_generic *reason_code_record = NULL;

/*
 * A database that requires an actor or a tenant serves requests through
 * pooled sessions: there, what an earlier request set for the session (a
 * reason, an administrator's claim) is not this request's.
 */
static bool
pooled(void)
{
	return actor_required() || wf_require_tenant_setting || require_tenant_forced;
}

/* workflow_ext.reason, unless a previous request of a pooled session left it. */
const char *
wf_reason(void)
{
	if (wf_reason_setting == NULL || wf_reason_setting[0] == '\0' ||
		(pooled() && !set_for_this_transaction("workflow_ext.reason", &reason_record)))
		return NULL;
	return wf_reason_setting;
}

/* workflow_ext.reason_code, on the same terms as workflow_ext.reason. */
const char *
wf_reason_code(void)
{
	if (wf_reason_code_setting == NULL || wf_reason_code_setting[0] == '\0' ||
		(pooled() && !set_for_this_transaction("workflow_ext.reason_code", &reason_code_record)))
		return NULL;
	return wf_reason_code_setting;
}

static bool
actor_required(void)
{
	return wf_require_actor_setting || require_actor_forced;
}

/* Length of the blank (ASCII or Unicode space, UTF-8) at s, or 0. */
static int
blank_length(const char *s)
{
	const unsigned char *u = (const unsigned char *) s;

	if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
		return 1;
	if (u[0] == 0xC2 && (u[1] == 0xA0 || u[1] == 0x85 || u[1] == 0xAD))
		return 2;				/* no-break space, next line, soft hyphen */
	if ((u[0] == 0xD8 && u[1] == 0x9C) || (u[0] == 0xCD && u[1] == 0x8F))
		return 2;				/* arabic letter mark, combining grapheme joiner */
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0xAA && u[2] <= 0xAE)
		return 3;				/* bidirectional embeddings and overrides */
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xAF)
		return 3;				/* bidirectional isolates, deprecated format characters */
	if (u[0] == 0xE1 && u[1] == 0xA0 && u[2] == 0x8E)
		return 3;				/* mongolian vowel separator */
	if (u[0] == 0xEF && u[1] == 0xB8 && u[2] >= 0x80 && u[2] <= 0x8F)
		return 3;				/* variation selectors */
	if (u[0] == 0xF3 && u[1] == 0xA0 && (u[2] == 0x80 || u[2] == 0x81) && u[3] >= 0x80 && u[3] <= 0xBF)
		return 4;				/* tag characters */
	if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)
		return 3;				/* ogham space mark */
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] <= 0x8B || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
		return 3;				/* en quad .. zero width space, line/paragraph separators, narrow nbsp */
	if (u[0] == 0xE2 && u[1] == 0x81 && (u[2] == 0x9F || (u[2] >= 0xA0 && u[2] <= 0xA4)))
		return 3;				/* medium mathematical space, word joiner, invisible operators */
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x8C || u[2] == 0x8D || u[2] == 0x8E || u[2] == 0x8F))
		return 3;				/* zero width (non-)joiner, direction marks */
	if ((u[0] == 0xE3 && u[1] == 0x85 && u[2] == 0xA4) || (u[0] == 0xEF && u[1] == 0xBE && u[2] == 0xA0))
		return 3;				/* hangul filler, halfwidth hangul filler */
	if (u[0] == 0xE1 && u[1] == 0x85 && (u[2] == 0x9F || u[2] == 0xA0))
		return 3;				/* hangul choseong/jungseong fillers */
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;				/* ideographic space */
	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;				/* zero width no-break space */
	return 0;
}

/* A setting's value, or NULL when it is empty or only blanks. */
static const char *
non_blank(const char *s)
{
	if (s == NULL)
		return NULL;
	for (const char *p = s; *p != '\0';)
	{
		int			n = blank_length(p);

		if (n == 0)
			return s;
		p += n;
	}
	return NULL;
}

/* May the session's role act as an actor other than its own name? */
static bool
may_name_actor(Oid role)
{
	Oid			trusted;

	if (superuser_arg(role))
		return true;
	if (trusted_role_forced)
		return false;
	if (wf_trusted_role_setting == NULL || wf_trusted_role_setting[0] == '\0')
		return true;			/* every role is the application's */
	trusted = get_role_oid(wf_trusted_role_setting, true);
	return OidIsValid(trusted) && is_member_of_role(role, trusted);
}

/* The identity of a role: stable across renames, never reused by name. */
char *
wf_role_identity_of(Oid role)
{
	return psprintf("role:%u", role);
}

/*
 * Refuses a setting naming someone other than the role itself (42501).  own:
 * who the role is; NULL for the role's own identity, formatted only when it
 * is compared (the RLS policies call current_tenant() per row, and a role
 * that may name anyone never needs it).
 */
static void
check_may_name(Oid role, const char *what, const char *named, const char *own)
{
	if (may_name_actor(role))
		return;
	if (own == NULL)
		own = wf_role_identity_of(role);
	if (strcmp(named, own) == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not act as %s \"%s\"", GetUserNameFromId(role, false), what, named),
			 errdetail_reason("untrusted_role", "\"setting\": %s, \"trusted_role\": %s",
							  wf_json_string(strcmp(what, "actor") == 0 ? "actor" : "tenant"),
							  wf_json_string(wf_trusted_role_setting ? wf_trusted_role_setting : "")),
			 errhint("Leave workflow_ext.%s unset, or set it to \"%s\"; only superusers and members "
					 "of workflow_ext.trusted_role may name another %s.",
					 strcmp(what, "actor") == 0 ? "actor" : "tenant", own, what)));
}

/*
 * The actor.  GetOuterUserId is the role SET ROLE established, unchanged
 * inside SECURITY DEFINER functions, so helpers running as the extension's
 * owner still see the caller's role.
 */
const char *
wf_actor(void)
{
	const char *actor = non_blank(wf_actor_setting);
	Oid			role = GetOuterUserId();
	bool		required = actor_required();
	bool		stale = false;

	if (required && actor != NULL && !set_for_this_transaction("workflow_ext.actor", &actor_record))
	{
		actor = NULL;			/* left over from an earlier request */
		stale = true;
	}
	if (actor == NULL)
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("workflow_ext requires an actor: workflow_ext.actor is not set"),
					 errdetail_reason("actor_required", NULL),
					 stale
					 ? errhint("workflow_ext.actor was set in an earlier transaction (SHOW still shows it): with "
							   "workflow_ext.require_actor on, only a value set in the current transaction counts. "
							   "Run SET LOCAL workflow_ext.actor = 'user:42' in the transaction.")
					 : errhint("Run SET LOCAL workflow_ext.actor = 'user:42' in the transaction.")));
		return wf_role_identity_of(role);
	}
	check_may_name(role, "actor", actor, NULL);
	return actor;
}

/*
 * The tenant: workflow_ext.tenant, else the actor (each actor its own
 * organization, as before tenants existed).  Asks for the actor first, so
 * require_actor and the actor's trust check apply to every tenant-scoped call.
 */
const char *
wf_tenant(void)
{
	const char *actor = wf_actor();
	const char *tenant = non_blank(wf_tenant_setting);
	bool		required = wf_require_tenant_setting || require_tenant_forced;
	bool		stale = false;

	if (required && tenant != NULL && !set_for_this_transaction("workflow_ext.tenant", &tenant_record))
	{
		tenant = NULL;			/* left over from an earlier request */
		stale = true;
	}
	if (tenant == NULL)
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("workflow_ext requires a tenant: workflow_ext.tenant is not set"),
					 errdetail_reason("tenant_required", NULL),
					 stale
					 ? errhint("workflow_ext.tenant was set in an earlier transaction (SHOW still shows it): with "
							   "workflow_ext.require_tenant on, only a value set in the current transaction counts. "
							   "Run SET LOCAL workflow_ext.tenant = 'org:acme' in the transaction.")
					 : errhint("Run SET LOCAL workflow_ext.tenant = 'org:acme' in the transaction.")));
		return actor;
	}
	check_may_name(GetOuterUserId(), "tenant", tenant, actor);
	return tenant;
}

/*
 * Does the application say the actor administers the tenant?  Only a role
 * that may name actors may claim it (42501 otherwise): an administrator is
 * whoever the application says, like the actor itself.
 */
bool
wf_tenant_admin(void)
{
	(void) wf_tenant();
	if (!wf_tenant_admin_setting)
		return false;
	if (!may_name_actor(GetOuterUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not claim workflow_ext.tenant_admin",
						GetUserNameFromId(GetOuterUserId(), false)),
				 errdetail_reason("untrusted_role", "\"setting\": \"tenant_admin\", \"trusted_role\": %s",
								  wf_json_string(wf_trusted_role_setting ? wf_trusted_role_setting : "")),
				 errhint("Only superusers and members of workflow_ext.trusted_role may say who administers a tenant.")));
	/* a claim an earlier request of a pooled session left claims nothing */
	return !pooled() || set_for_this_transaction("workflow_ext.tenant_admin", &admin_record);
}

Datum
wf_current_actor(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(wf_actor()));
}

Datum
wf_current_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(wf_tenant()));
}

Datum
wf_is_tenant_admin(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(wf_tenant_admin());
}

/* role_identity(role regrole): the actor a role is when it names none. */
Datum
wf_role_identity(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(wf_role_identity_of(PG_GETARG_OID(0))));
}

/* blank_identity(text): names no one (empty, or only blank or invisible characters). */
Datum
wf_blank_identity(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(non_blank(text_to_cstring(PG_GETARG_TEXT_PP(0))) == NULL);
}

Datum
wf_invoking_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(namein,
										CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false))));
}

Datum
wf_require_actor_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("require_actor_trigger() must be called as a trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	(void) wf_tenant();
	return PointerGetDatum(NULL);
}
