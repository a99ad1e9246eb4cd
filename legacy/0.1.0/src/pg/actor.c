/*
 * actor.c - who is acting: workflow_ext.actor, else the invoking role.
 */
#include "workflow_ext.h"

#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(wf_current_actor);
PG_FUNCTION_INFO_V1(wf_invoking_role);
PG_FUNCTION_INFO_V1(wf_require_actor_trigger);

/*
 * GetOuterUserId is the role SET ROLE established, unchanged inside SECURITY
 * DEFINER functions, so triggers record the caller rather than the owner.
 */
const char *
wf_actor(void)
{
	if (wf_actor_setting != NULL && wf_actor_setting[0] != '\0')
		return wf_actor_setting;
	if (wf_require_actor_setting)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext requires an actor: workflow_ext.actor is not set"),
				 errhint("Run SET LOCAL workflow_ext.actor = 'user:42' in the transaction.")));
	return GetUserNameFromId(GetOuterUserId(), false);
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
