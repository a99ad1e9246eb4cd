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
	WfCompiled	compiled;
	bool		stable;			/* the argument is a Const or Param: compiled once */
	MemoryContextCallback release;
} CachedCondition;

static void
release_condition(void *arg)
{
	CachedCondition *cached = (CachedCondition *) arg;

	/* Only the core object: the rest goes with the memory context. */
	wf_condition_free(cached->compiled.cond);
	cached->compiled.cond = NULL;
}

static const WfCompiled *
cached_condition(FunctionCallInfo fcinfo, Jsonb *condition)
{
	CachedCondition *cached = (CachedCondition *) fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (cached != NULL && cached->compiled.cond != NULL &&
		(cached->stable ||
		 (VARSIZE(cached->source) == VARSIZE(condition) &&
		  memcmp(cached->source, condition, VARSIZE(condition)) == 0)))
		return &cached->compiled;

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
		wf_compiled_release(&cached->compiled);
		pfree(cached->source);
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cached->source = (Jsonb *) palloc(VARSIZE(condition));
	memcpy(cached->source, condition, VARSIZE(condition));
	cached->compiled.cond = wf_compile_jsonb(condition, "condition");
	wf_compiled_prepare(&cached->compiled);
	MemoryContextSwitchTo(old);
	/* A constant condition cannot change within the query: skip the compare. */
	cached->stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
	return &cached->compiled;
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
	const WfCompiled *compiled = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));

	PG_RETURN_BOOL(wf_compiled_holds(compiled, PG_GETARG_JSONB_P(1), "condition", 0));
}

Datum
wf_evaluate_condition(PG_FUNCTION_ARGS)
{
	const WfCompiled *compiled = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));
	const wf_fact *facts = wf_compiled_resolve(compiled, PG_GETARG_JSONB_P(1));
	wf_status	status;
	int			result;
	char	   *text = wf_condition_explain(compiled->cond, facts, 0, &result, &status);

	if (text == NULL)
		wf_raise_status(&status, "condition");
	PG_RETURN_JSONB_P(wf_take_core_json(text));
}

Datum
wf_condition_leaves_sql(PG_FUNCTION_ARGS)
{
	const WfCompiled *compiled = cached_condition(fcinfo, PG_GETARG_JSONB_P(0));
	wf_status	status;
	char	   *text = wf_condition_leaves(compiled->cond, &status);

	if (text == NULL)
		wf_raise_status(&status, "condition");
	PG_RETURN_JSONB_P(wf_take_core_json(text));
}
