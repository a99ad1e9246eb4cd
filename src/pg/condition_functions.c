/*
 * condition_functions.c - the SQL functions of the condition language:
 * validate_condition, condition_matches, evaluate_condition, condition_leaves.
 */
#include "workflow_ext.h"

#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(wf_validate_condition);
PG_FUNCTION_INFO_V1(wf_condition_matches);
PG_FUNCTION_INFO_V1(wf_evaluate_condition);
PG_FUNCTION_INFO_V1(wf_condition_leaves_sql);

/*
 * A compiled condition kept in fn_extra for the rest of the query, keyed by
 * the condition's bytes; the core object is freed with the memory context.
 */
typedef struct CachedCondition
{
	Jsonb	   *source;
	wf_condition *cond;
	bool		stable;			/* the argument is a Const or Param: compiled once */
	WfFieldPaths *paths;		/* the fields it reads, and a buffer for them */
	wf_fact    *facts;
	MemoryContextCallback release;
} CachedCondition;

static void
release_condition(void *arg)
{
	CachedCondition *cached = (CachedCondition *) arg;

	wf_condition_free(cached->cond);
	cached->cond = NULL;
}

static wf_condition *
cached_condition(FunctionCallInfo fcinfo, Jsonb *condition)
{
	CachedCondition *cached = (CachedCondition *) fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (cached != NULL && cached->cond != NULL &&
		(cached->stable ||
		 (VARSIZE(cached->source) == VARSIZE(condition) &&
		  memcmp(cached->source, condition, VARSIZE(condition)) == 0)))
		return cached->cond;

	if (cached == NULL)
	{
		cached = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CachedCondition));
		cached->release.func = release_condition;
		cached->release.arg = cached;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &cached->release);
		fcinfo->flinfo->fn_extra = cached;
	}
	else
	{
		wf_condition_free(cached->cond);
		cached->cond = NULL;
		pfree(cached->source);
		if (cached->paths)
			wf_field_paths_free(cached->paths);
		if (cached->facts)
			pfree(cached->facts);
		cached->paths = NULL;
		cached->facts = NULL;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cached->source = (Jsonb *) palloc(VARSIZE(condition));
	memcpy(cached->source, condition, VARSIZE(condition));
	MemoryContextSwitchTo(old);
	cached->cond = wf_compile_jsonb(condition, "condition");
	/* A constant condition cannot change within the query: skip the compare. */
	cached->stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cached->paths = wf_field_paths(cached->cond);
	cached->facts = palloc0(sizeof(wf_fact) * Max(cached->paths->n_fields, 1));
	MemoryContextSwitchTo(old);
	return cached->cond;
}

Datum
wf_validate_condition(PG_FUNCTION_ARGS)
{
	Jsonb	   *condition;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid condition: condition is NULL"),
				 errdetail("JSON path: $")));
	condition = PG_GETARG_JSONB_P(0);
	wf_condition_free(wf_compile_jsonb(condition, "condition"));
	PG_RETURN_VOID();
}

Datum
wf_condition_matches(PG_FUNCTION_ARGS)
{
	wf_condition *cond = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));
	CachedCondition *cached = (CachedCondition *) fcinfo->flinfo->fn_extra;
	wf_status	status;
	int			result;

	/* Per row: look up the fields into the cached buffer, evaluate. */
	wf_resolve_into(cached->paths, PG_GETARG_JSONB_P(1), cached->facts);
	result = wf_condition_evaluate(cond, cached->facts, &status);
	if (result < 0)
		wf_raise_status(&status, "condition");
	PG_RETURN_BOOL(result == 1);
}

Datum
wf_evaluate_condition(PG_FUNCTION_ARGS)
{
	wf_condition *cond = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));
	wf_fact    *facts = wf_resolve_facts(cond, PG_GETARG_JSONB_P(1));
	wf_status	status;
	int			result;
	char	   *text = wf_condition_explain(cond, facts, 0, &result, &status);

	if (text == NULL)
		wf_raise_status(&status, "condition");
	PG_RETURN_JSONB_P(wf_take_core_json(text));
}

Datum
wf_condition_leaves_sql(PG_FUNCTION_ARGS)
{
	wf_condition *cond = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));
	wf_status	status;
	char	   *text = wf_condition_leaves(cond, &status);

	if (text == NULL)
		wf_raise_status(&status, "condition");
	PG_RETURN_JSONB_P(wf_take_core_json(text));
}
