/*
 * core_status.c - turns the core's status out-parameters into ereport, and
 * core-owned (malloc'd) strings into palloc'd PostgreSQL values.
 */
#include "workflow_ext.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

void
wf_raise_status(const wf_status *status, const char *object)
{
	int			code = MAKE_SQLSTATE(status->sqlstate[0], status->sqlstate[1],
									 status->sqlstate[2], status->sqlstate[3],
									 status->sqlstate[4]);

	if (status->path[0] != '\0')
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid %s at %s: %s", object, status->path, status->message),
				 errdetail("JSON path: %s", status->path)));
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s: %s", object, status->message)));
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
