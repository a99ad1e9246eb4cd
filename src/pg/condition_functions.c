/*
 * condition_functions.c - the SQL functions of the condition language:
 * validate_condition, condition_matches, evaluate_condition, condition_leaves.
 *
 * Each call site keeps its compiled condition in fn_extra.  The cache is
 * trusted only for the very bytes it compiled: PL/pgSQL, prepared statements
 * and SQL functions call one FmgrInfo again with new parameter values, so
 * every call compares its condition with the cached one (a pointer test for
 * a Const, a memcmp otherwise).  The compiled condition lives in its own
 * memory context, emptied when the condition changes; a row's work goes to
 * the caller's per-row context (condition_matches) or to a scratch context
 * emptied on the next call (the explanations of evaluate_condition and
 * condition_leaves): a query whose condition changes on every row runs in
 * constant memory.
 */
#include "workflow_ext.h"
#include "condition_eval.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(wf_validate_condition);
PG_FUNCTION_INFO_V1(wf_condition_matches);
PG_FUNCTION_INFO_V1(wf_evaluate_condition);
PG_FUNCTION_INFO_V1(wf_condition_leaves_sql);

typedef struct CachedCondition
{
	MemoryContext compiled_cxt;	/* source copy and compiled paths */
	MemoryContext scratch_cxt;	/* one call's work, emptied per call */
	Jsonb	   *source;			/* the bytes compiled, NULL when none */
	Datum		const_datum;	/* the argument's Datum when it is a Const */
	bool		arg_is_const;
	bool		invalid;		/* source did not compile (quiet callers only) */
	bool		relative_time;	/* compiled.cond uses relative time */
	WfCompiled	compiled;
	MemoryContextCallback release;
} CachedCondition;

static void
release_condition(void *arg)
{
	CachedCondition *cached = (CachedCondition *) arg;

	/* Only the core object: the rest goes with the memory contexts. */
	wf_condition_free(cached->compiled.cond);
	cached->compiled.cond = NULL;
}

/* True when argument argnum of the call is a Const (its value never changes). */
static bool
argument_is_const(FmgrInfo *flinfo, int argnum)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;
	Node	   *arg;

	if (expr == NULL || !IsA(expr, FuncExpr))
		return false;
	args = ((FuncExpr *) expr)->args;
	if (argnum >= list_length(args))
		return false;
	arg = (Node *) list_nth(args, argnum);
	return arg != NULL && IsA(arg, Const);
}

static CachedCondition *
call_site(FunctionCallInfo fcinfo)
{
	CachedCondition *cached = (CachedCondition *) fcinfo->flinfo->fn_extra;

	if (cached == NULL)
	{
		MemoryContext parent = fcinfo->flinfo->fn_mcxt;

		cached = MemoryContextAllocZero(parent, sizeof(CachedCondition));
		cached->compiled_cxt = AllocSetContextCreate(parent, "workflow_ext condition",
													 ALLOCSET_SMALL_SIZES);
		cached->scratch_cxt = AllocSetContextCreate(parent, "workflow_ext condition call",
													ALLOCSET_DEFAULT_SIZES);
		cached->arg_is_const = argument_is_const(fcinfo->flinfo, 0);
		cached->release.func = release_condition;
		cached->release.arg = cached;
		MemoryContextRegisterResetCallback(parent, &cached->release);
		fcinfo->flinfo->fn_extra = cached;
	}
	return cached;
}

/* Empties the scratch context of the previous call (cheap when it is empty). */
static void
reset_scratch(CachedCondition *cached)
{
	MemoryContextReset(cached->scratch_cxt);
}

/*
 * The compiled form of argument 0, compiled again unless it is byte for byte
 * the condition compiled last.  quiet: a condition that does not compile
 * gives NULL (remembered like a compiled one) instead of raising 22023.
 */
static const WfCompiled *
cached_condition_of(FunctionCallInfo fcinfo, CachedCondition *cached, bool quiet)
{
	Datum		raw = PG_GETARG_DATUM(0);
	Jsonb	   *condition;
	MemoryContext old;

	if (cached->source != NULL && cached->arg_is_const && raw == cached->const_datum)
		return cached->invalid ? NULL : &cached->compiled;

	condition = DatumGetJsonbP(raw);	/* detoasted in the caller's per-row context */
	if (cached->source != NULL &&
		VARSIZE(cached->source) == VARSIZE(condition) &&
		memcmp(cached->source, condition, VARSIZE(condition)) == 0)
	{
		cached->const_datum = raw;
		return cached->invalid ? NULL : &cached->compiled;
	}

	/* A new condition: drop the old one and everything compiled for it. */
	wf_condition_free(cached->compiled.cond);
	memset(&cached->compiled, 0, sizeof(cached->compiled));
	cached->source = NULL;
	cached->invalid = false;
	cached->const_datum = (Datum) 0;
	MemoryContextReset(cached->compiled_cxt);

	old = MemoryContextSwitchTo(cached->compiled_cxt);
	if (quiet)
	{
		char	   *text = JsonbToCString(NULL, &condition->root, VARSIZE(condition));
		wf_status	status;

		cached->compiled.cond = wf_condition_compile(text, strlen(text), &status);
		pfree(text);
		/* only a resource failure or an interrupt raises, never the condition's content */
		if (cached->compiled.cond == NULL && status.code != WF_INVALID)
			wf_raise_status(&status, "condition");
		cached->invalid = cached->compiled.cond == NULL;
	}
	else
		cached->compiled.cond = wf_compile_jsonb(condition, "condition");
	if (!cached->invalid)
	{
		wf_compiled_prepare(&cached->compiled);
		cached->relative_time = wf_condition_uses_relative_time(cached->compiled.cond);
	}
	cached->source = (Jsonb *) palloc(VARSIZE(condition));
	memcpy(cached->source, condition, VARSIZE(condition));
	MemoryContextSwitchTo(old);
	cached->const_datum = raw;
	return cached->invalid ? NULL : &cached->compiled;
}

static const WfCompiled *
cached_condition(FunctionCallInfo fcinfo, CachedCondition *cached)
{
	return cached_condition_of(fcinfo, cached, false);
}

/*
 * Facts argument, detoasted in the scratch context: the candidate's facts
 * (leaves reading the application or the job find nothing there).
 */
static WfFacts *
facts_argument(FunctionCallInfo fcinfo, CachedCondition *cached)
{
	MemoryContext old = MemoryContextSwitchTo(cached->scratch_cxt);
	WfFacts    *facts = palloc(sizeof(WfFacts));

	wf_facts_given(facts, DatumGetJsonbP(PG_GETARG_DATUM(1)), NULL, NULL);
	MemoryContextSwitchTo(old);
	return facts;
}

/* 22023 for an infinite reference instant. */
void
wf_raise_infinite_instant(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("condition: the reference instant must be finite"),
			 errdetail_reason("invalid_reference_instant", NULL)));
}

/* 22023 for relative time in a two-argument form (function fn, or InvalidOid). */
void
wf_raise_instant_required(Oid fn)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("condition uses relative time (within_last, within_next or older_than) "
					"but no reference instant was given"),
			 errdetail_reason("reference_instant_required", NULL),
			 errhint("Call the three-argument form with the instant to measure from, "
					 "e.g. %s(condition, facts, now()).",
					 fn != InvalidOid ? get_func_name(fn) : "condition_matches")));
}

/*
 * The three-argument forms measure relative time from their "at"; the
 * two-argument forms are IMMUTABLE, so a condition with relative time is
 * refused there rather than measured from a clock.
 */
static bool
reference_instant(FunctionCallInfo fcinfo, const CachedCondition *cached, TimestampTz *at)
{
	if (PG_NARGS() > 2)
	{
		*at = PG_GETARG_TIMESTAMPTZ(2);
		if (TIMESTAMP_NOT_FINITE(*at))
			wf_raise_infinite_instant();
		return true;
	}
	if (cached->relative_time)	/* (kept with the compiled condition: not asked per row) */
		wf_raise_instant_required(fcinfo->flinfo->fn_oid);
	return false;
}

Datum
wf_validate_condition(PG_FUNCTION_ARGS)
{
	Jsonb	   *condition;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid condition: condition is NULL"),
				 errdetail_reason("invalid_condition", "\"path\": \"$\"")));
	condition = PG_GETARG_JSONB_P(0);
	wf_condition_free(wf_compile_jsonb(condition, "condition"));
	PG_RETURN_VOID();
}

Datum
wf_condition_matches(PG_FUNCTION_ARGS)
{
	CachedCondition *cached;
	const WfCompiled *compiled;
	TimestampTz at;
	bool		has_at;

	CHECK_FOR_INTERRUPTS();
	cached = call_site(fcinfo);
	compiled = cached_condition(fcinfo, cached);
	has_at = reference_instant(fcinfo, cached, &at);
	/*
	 * The detoasted facts go to the caller's per-row context, as for any
	 * function: the executor empties it per row.
	 */
	{
		WfFacts		facts;

		wf_facts_given(&facts, PG_GETARG_JSONB_P(1), NULL, NULL);
		PG_RETURN_BOOL(wf_compiled_evaluate(compiled, &facts, has_at ? &at : NULL, "condition", 0));
	}
}

PG_FUNCTION_INFO_V1(wf_condition_matches_leakproof);

/*
 * condition_matches_leakproof(condition, facts[, at]): condition_matches
 * declared LEAKPROOF, so that under row-level security the planner may run it
 * (and search an index with its prefilter) before the table's policies.  It
 * raises nothing that depends on its arguments: where condition_matches
 * raises (a condition that does not compile, relative time without a
 * reference instant, an infinite instant) it answers NULL.  A constant
 * condition is checked when the query is planned instead (the support
 * function, SupportRequestSimplify), before any row is read.  What remains:
 * a cancel, and out of memory, which reveal nothing of a row.  Evaluating the
 * facts raises nothing (the core reports no error about a document: a
 * missing field, a type mismatch or an over-long text make a leaf false).
 */
Datum
wf_condition_matches_leakproof(PG_FUNCTION_ARGS)
{
	CachedCondition *cached;
	const WfCompiled *compiled;
	TimestampTz at = 0;
	WfFacts		facts;

	CHECK_FOR_INTERRUPTS();
	cached = call_site(fcinfo);
	compiled = cached_condition_of(fcinfo, cached, true);
	if (compiled == NULL)
		PG_RETURN_NULL();
	if (PG_NARGS() > 2)
	{
		at = PG_GETARG_TIMESTAMPTZ(2);
		if (TIMESTAMP_NOT_FINITE(at))
			PG_RETURN_NULL();
	}
	else if (cached->relative_time)
		PG_RETURN_NULL();
	wf_facts_given(&facts, PG_GETARG_JSONB_P(1), NULL, NULL);
	PG_RETURN_BOOL(wf_compiled_evaluate(compiled, &facts, PG_NARGS() > 2 ? &at : NULL, "condition", 0));
}

Datum
wf_evaluate_condition(PG_FUNCTION_ARGS)
{
	CachedCondition *cached;
	const WfCompiled *compiled;
	int			result;
	char	   *text;
	Jsonb	   *explained;
	TimestampTz at;
	bool		has_at;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	cached = call_site(fcinfo);
	reset_scratch(cached);
	compiled = cached_condition(fcinfo, cached);
	has_at = reference_instant(fcinfo, cached, &at);
	old = MemoryContextSwitchTo(cached->scratch_cxt);
	text = wf_compiled_explain(compiled, facts_argument(fcinfo, cached), false,
							   has_at ? &at : NULL, &result, "condition", 0);
	explained = wf_take_core_json(text);
	MemoryContextSwitchTo(old);
	/* Only the answer outlives the call. */
	PG_RETURN_DATUM(datumCopy(JsonbPGetDatum(explained), false, -1));
}

PG_FUNCTION_INFO_V1(wf_evaluate_application_condition);

/*
 * evaluate_condition(condition, candidate_id, job_id): the explanation
 * against the facts a rule of that job's pipeline sees now, every source
 * (candidate_facts(candidate_id, job_id)); relative time from now().
 */
Datum
wf_evaluate_application_condition(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Jsonb	   *condition;
	WfCompiled	compiled = {NULL, NULL};
	WfFacts		facts;
	TimestampTz at = GetCurrentTransactionStartTimestamp();
	int			result;
	char	   *text;
	Jsonb	   *explained = NULL;

	(void) wf_tenant();			/* require_actor and require_tenant first */
	if (PG_ARGISNULL(0))
		wf_explain_null_argument("condition");
	if (PG_ARGISNULL(1))
		wf_explain_null_argument("candidate_id");
	if (PG_ARGISNULL(2))
		wf_explain_null_argument("job_id");
	condition = PG_GETARG_JSONB_P(0);
	/* the job first: an unknown or another tenant's job is refused whatever the condition */
	wf_facts_to_explain(&facts, schema, PG_GETARG_INT64(1), PG_GETARG_INT64(2));
	compiled.cond = wf_compile_jsonb(condition, "condition");
	PG_TRY();
	{
		wf_compiled_prepare(&compiled);
		text = wf_compiled_explain(&compiled, &facts, false, &at, &result, "condition", 0);
		explained = wf_take_core_json(text);
	}
	PG_FINALLY();
	{
		wf_compiled_release(&compiled);
	}
	PG_END_TRY();
	PG_RETURN_JSONB_P(explained);
}

Datum
wf_condition_leaves_sql(PG_FUNCTION_ARGS)
{
	CachedCondition *cached = call_site(fcinfo);
	const WfCompiled *compiled;
	wf_status	status;
	char	   *text;
	Jsonb	   *leaves;
	MemoryContext old;

	reset_scratch(cached);
	compiled = cached_condition(fcinfo, cached);
	text = wf_condition_leaves(compiled->cond, &status);
	if (text == NULL)
		wf_raise_status(&status, "condition");
	old = MemoryContextSwitchTo(cached->scratch_cxt);
	leaves = wf_take_core_json(text);
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(datumCopy(JsonbPGetDatum(leaves), false, -1));
}
