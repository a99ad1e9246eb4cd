/*
 * core_status.c - turns the core's status out-parameters into ereport, and
 * core-owned (malloc'd) strings into palloc'd PostgreSQL values.
 */
#include "workflow_ext.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

void
wf_raise_status(const wf_status *status, const char *object)
{
	int			code = MAKE_SQLSTATE(status->sqlstate[0], status->sqlstate[1],
									 status->sqlstate[2], status->sqlstate[3],
									 status->sqlstate[4]);

	/* The core stopped for a pending interrupt: let PostgreSQL process it. */
	if (status->code == WF_INTERRUPTED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("%s: evaluation interrupted", object),
				 errdetail_reason("interrupted", NULL)));
	}

	if (status->path[0] != '\0')
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid %s at %s: %s", object, status->path, status->message),
				 errdetail_reason(strncmp(object, "alert", 5) == 0 ? "invalid_alert" : "invalid_condition",
								  "\"path\": %s", wf_json_string(status->path))));
	/* no path: the one invalid condition without one lacks a reference instant */
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s: %s", object, status->message),
			 errdetail_reason(status->code == WF_INVALID ? "reference_instant_required" : "engine_failure",
							  NULL)));
}

/* Compiles a jsonb condition; raises 22023 naming object when it is invalid. */
wf_condition *
wf_compile_jsonb(Jsonb *condition, const char *object)
{
	char	   *text = JsonbToCString(NULL, &condition->root, VARSIZE(condition));
	wf_status	status;
	wf_condition *cond = wf_condition_compile(text, strlen(text), &status);

	pfree(text);
	if (cond == NULL)
		wf_raise_status(&status, object);
	return cond;
}

/* Converts core JSON text to jsonb and frees it, also when jsonb_in fails. */
Jsonb *
wf_take_core_json(char *text)
{
	char	   *copy = pstrdup(text);

	wf_free(text);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(copy)));
}
