/*
 * actor.c - who is acting: workflow_ext.actor, else the session's role.
 *
 * Trust model: superusers and members of workflow_ext.trusted_role (when it
 * is set) may name any actor; any other role acts as itself.  A blank actor
 * is no actor.  workflow_ext.require_actor cannot be weakened by a client:
 * see wf_require_actor_guard().
 */
#include "workflow_ext.h"

#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

PG_FUNCTION_INFO_V1(wf_current_actor);
PG_FUNCTION_INFO_V1(wf_invoking_role);
PG_FUNCTION_INFO_V1(wf_require_actor_trigger);

/* Set when a non-superuser tried to set these before the library loaded. */
static bool require_actor_forced = false;
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
	if (wf_guc_set_by_non_superuser("workflow_ext.trusted_role"))
	{
		trusted_role_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.trusted_role can only be set by a superuser; "
						"in this session only superusers may name another actor")));
	}
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
	if (u[0] == 0xC2 && (u[1] == 0xA0 || u[1] == 0x85))
		return 2;				/* no-break space, next line */
	if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)
		return 3;				/* ogham space mark */
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] <= 0x8B || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
		return 3;				/* en quad .. zero width space, line/paragraph separators, narrow nbsp */
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F)
		return 3;				/* medium mathematical space */
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;				/* ideographic space */
	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;				/* zero width no-break space */
	return 0;
}

/* The actor setting, or NULL when it is empty or only blanks. */
static const char *
actor_setting(void)
{
	const char *s = wf_actor_setting;

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

/*
 * The actor.  GetOuterUserId is the role SET ROLE established, unchanged
 * inside SECURITY DEFINER functions, so helpers running as the extension's
 * owner still see the caller's role.
 */
const char *
wf_actor(void)
{
	const char *actor = actor_setting();
	Oid			role = GetOuterUserId();

	if (actor == NULL)
	{
		if (actor_required())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("workflow_ext requires an actor: workflow_ext.actor is not set"),
					 errhint("Run SET LOCAL workflow_ext.actor = 'user:42' in the transaction.")));
		return GetUserNameFromId(role, false);
	}
	if (!may_name_actor(role))
	{
		const char *own = GetUserNameFromId(role, false);

		if (strcmp(own, actor) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role \"%s\" may not act as \"%s\"", own, actor),
					 errdetail("workflow_ext.trusted_role is \"%s\"; only superusers and its members "
							   "may name another actor.", wf_trusted_role_setting),
					 errhint("Leave workflow_ext.actor unset, or set it to \"%s\".", own)));
	}
	return actor;
}

Datum
wf_current_actor(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(wf_actor()));
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
				 errmsg("require_actor_trigger() must be called as a trigger")));
	(void) wf_actor();
	return PointerGetDatum(NULL);
}
