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
static bool
set_by_non_superuser(const char *name)
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
	if (set_by_non_superuser("workflow_ext.require_actor"))
	{
		require_actor_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.require_actor can only be set by a superuser; "
						"this session requires an actor")));
	}
	if (set_by_non_superuser("workflow_ext.trusted_role"))
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

/* The actor setting with surrounding blanks ignored; NULL when blank. */
static const char *
actor_setting(void)
{
	const char *s = wf_actor_setting;
	size_t		len;

	if (s == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
					   s[len - 1] == '\r'))
		len--;
	if (len == 0)
		return NULL;
	if (s == wf_actor_setting && s[len] == '\0')
		return s;
	return pnstrdup(s, len);
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
