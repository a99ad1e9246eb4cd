/*
 * condition_index.c - screening through an index: the planner support
 * function of condition_matches, and condition_index_prefilter.
 *
 * For condition_matches(condition, facts) with facts the column (or
 * expression) of a GIN jsonb index, the support function answers the
 * planner's SupportRequestIndexCondition with the lossy index clause
 * facts @? '<prefilter>', the jsonpath the core derives from the leaves an
 * index can look up (src/core/index_prefilter.cpp); condition_matches stays
 * as the recheck, so the answer is the same with or without the index.  A
 * constant condition gets its prefilter at plan time; a value fixed for the
 * scan (a parameter of a generic plan, a stable expression) gets it computed
 * at run time by condition_index_prefilter.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "catalog/namespace.h"
#include "optimizer/plancat.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(wf_condition_matches_support);
PG_FUNCTION_INFO_V1(wf_condition_index_prefilter_sql);

/*
 * The jsonpath text of a condition's prefilter for an index with (keys) or
 * without key entries, palloc'd; NULL when no part of it can be looked up,
 * and for a condition that does not compile (condition_matches raises on it
 * when it runs: the planner does not).
 */
static char *
prefilter_text(Jsonb *condition, bool keys, bool without_at)
{
	char	   *json = JsonbToCString(NULL, &condition->root, VARSIZE(condition));
	wf_status	status;
	wf_condition *cond = wf_condition_compile(json, strlen(json), &status);
	char	   *core;
	char	   *out;
	int			flags = (keys ? WF_PREFILTER_KEYS : 0) |
		(GetDatabaseEncoding() == PG_UTF8 ? WF_PREFILTER_UTF8 : 0);

	pfree(json);
	if (cond == NULL)
		return NULL;
	/*
	 * Without a reference instant, condition_matches raises on every row for
	 * relative time: a prefilter would let no row reach it and the query
	 * would answer nothing instead of failing.
	 */
	if (without_at && wf_condition_uses_relative_time(cond))
	{
		wf_condition_free(cond);
		return NULL;
	}
	core = wf_condition_index_prefilter(cond, flags, &status);
	wf_condition_free(cond);
	if (core == NULL)
	{
		if (status.code != WF_OK)
			wf_raise_status(&status, "condition");
		return NULL;
	}
	out = MemoryContextAllocExtended(CurrentMemoryContext, strlen(core) + 1, MCXT_ALLOC_NO_OOM);
	if (out != NULL)
		strcpy(out, core);
	wf_free(core);
	if (out == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return out;
}

/*
 * condition_index_prefilter(condition jsonb, key_entries boolean DEFAULT
 * false): the jsonpath an index is searched with, NULL when none.
 */
Datum
wf_condition_index_prefilter_sql(PG_FUNCTION_ARGS)
{
	char	   *text = prefilter_text(PG_GETARG_JSONB_P(0), PG_GETARG_BOOL(1), false);

	if (text == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonpath_in, CStringGetDatum(text)));
}

/* The jsonpath constant of a prefilter. */
static Expr *
jsonpath_const(const char *text)
{
	return (Expr *) makeConst(JSONPATHOID, -1, InvalidOid, -1,
							  DirectFunctionCall1(jsonpath_in, CStringGetDatum(text)),
							  false, false);
}

/*
 * CASE WHEN condition_matches(condition, '{}'[, at]) IS NULL THEN '$'
 * ELSE coalesce(condition_index_prefilter(condition, keys), '$') END: the
 * prefilter computed when the scan starts; '$' (every document) when there
 * is none.  The guard is the call itself on no facts, so that what makes
 * condition_matches raise whatever the row (an invalid condition, relative
 * time without a reference instant, an infinite one) raises when the scan
 * starts instead of being hidden by an index that lets no row through.
 * NULL when the function is not found beside condition_matches.
 */
static Expr *
runtime_prefilter(FuncExpr *matches, Node *condition, bool keys)
{
	Oid			argtypes[2] = {JSONBOID, BOOLOID};
	char	   *schema = get_namespace_name(get_func_namespace(matches->funcid));
	Oid			fn;
	FuncExpr   *call;
	FuncExpr   *guard;
	List	   *guard_args;
	NullTest   *no_answer;
	CoalesceExpr *coalesce;
	CaseExpr   *choice;
	CaseWhen   *when;

	if (schema == NULL)
		return NULL;
	fn = LookupFuncName(list_make2(makeString(schema), makeString("condition_index_prefilter")),
						2, argtypes, true);
	if (!OidIsValid(fn))
		return NULL;
	call = makeFuncExpr(fn, JSONPATHOID,
						list_make2(copyObject(condition), makeBoolConst(keys, false)),
						InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	coalesce = makeNode(CoalesceExpr);
	coalesce->coalescetype = JSONPATHOID;
	coalesce->coalescecollid = InvalidOid;
	coalesce->args = list_make2(call, jsonpath_const("$"));
	coalesce->location = -1;

	guard_args = copyObject(matches->args);
	lsecond(guard_args) = makeConst(JSONBOID, -1, InvalidOid, -1,
									DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
									false, false);
	guard = makeFuncExpr(matches->funcid, BOOLOID, guard_args, InvalidOid, InvalidOid,
						 COERCE_EXPLICIT_CALL);
	no_answer = makeNode(NullTest);
	no_answer->arg = (Expr *) guard;
	no_answer->nulltesttype = IS_NULL;
	no_answer->argisrow = false;
	no_answer->location = -1;
	when = makeNode(CaseWhen);
	when->expr = (Expr *) no_answer;
	when->result = jsonpath_const("$");
	when->location = -1;
	choice = makeNode(CaseExpr);
	choice->casetype = JSONPATHOID;
	choice->casecollid = InvalidOid;
	choice->arg = NULL;
	choice->args = list_make1(when);
	choice->defresult = (Expr *) coalesce;
	choice->location = -1;
	return (Expr *) choice;
}

/*
 * For the LEAKPROOF forms (condition_matches_leakproof), which answer NULL at
 * run time where condition_matches raises: a constant condition (and
 * instant) that condition_matches would refuse on every row is refused when
 * the query is planned, the same errors, before any row is read; so the
 * error depends on the query alone, never on which rows the policies hide.
 */
static void
check_constant_arguments(FuncExpr *call)
{
	Node	   *condition;
	Node	   *at;
	Const	   *c;

	if (call == NULL || list_length(call->args) < 2 || !get_func_leakproof(call->funcid))
		return;
	condition = (Node *) linitial(call->args);
	at = list_length(call->args) > 2 ? (Node *) lthird(call->args) : NULL;
	if (at != NULL && IsA(at, Const) && !((Const *) at)->constisnull &&
		TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(((Const *) at)->constvalue)))
		wf_raise_infinite_instant();
	if (!IsA(condition, Const) || ((Const *) condition)->constisnull)
		return;
	c = (Const *) condition;
	{
		wf_condition *cond = wf_compile_jsonb(DatumGetJsonbP(c->constvalue), "condition");
		bool		relative = wf_condition_uses_relative_time(cond);

		wf_condition_free(cond);
		if (relative && at == NULL)
			wf_raise_instant_required(call->funcid);
	}
}

/*
 * SupportRequestSelectivity: the fraction of rows condition_matches(const,
 * facts) accepts is at most the fraction its prefilter (the jsonb_ops form,
 * the narrower of the two) accepts, which PostgreSQL estimates for
 * facts @? prefilter from the column's statistics (matchingsel: the
 * prefilter applied to the most common values and the histogram).  Without
 * it the planner takes a third of the rows for any boolean function.  NULL
 * (the default estimate) for a join, facts that are not a column (no
 * statistics: matchingsel would answer its own guess, 1%), a condition or
 * instant that is not a constant, and a condition without a prefilter.
 */
static SupportRequestSelectivity *
prefilter_selectivity(SupportRequestSelectivity *req)
{
	Node	   *condition;
	Node	   *at;
	char	   *text;
	Oid			opno;
	Selectivity s;

	if (req->is_join || list_length(req->args) < 2 || !IsA(lsecond(req->args), Var))
		return NULL;
	condition = (Node *) linitial(req->args);
	at = list_length(req->args) > 2 ? (Node *) lthird(req->args) : NULL;
	if (!IsA(condition, Const) || ((Const *) condition)->constisnull)
		return NULL;
	if (at != NULL && (!IsA(at, Const) || ((Const *) at)->constisnull ||
					   TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(((Const *) at)->constvalue))))
		return NULL;
	opno = OpernameGetOprid(list_make2(makeString("pg_catalog"), makeString("@?")), JSONBOID, JSONPATHOID);
	if (!OidIsValid(opno))
		return NULL;
	text = prefilter_text(DatumGetJsonbP(((Const *) condition)->constvalue), true, at == NULL);
	if (text == NULL)
		return NULL;
	s = restriction_selectivity(req->root, opno,
								list_make2(copyObject(lsecond(req->args)), jsonpath_const(text)),
								InvalidOid, req->varRelid);
	CLAMP_PROBABILITY(s);
	req->selectivity = s;
	return req;
}

/*
 * The support function of condition_matches (both forms): for the facts
 * argument matched to a column of a GIN jsonb index (jsonb_ops or
 * jsonb_path_ops: the operator family has @?), the lossy index clause
 * facts @? prefilter.  Nothing for any other request or index.
 */
Datum
wf_condition_matches_support(PG_FUNCTION_ARGS)
{
	Node	   *raw = (Node *) PG_GETARG_POINTER(0);
	SupportRequestIndexCondition *req;
	FuncExpr   *call;
	Node	   *condition;
	Node	   *at;
	Oid			opno;
	bool		keys;
	Expr	   *pattern;
	OpExpr	   *clause;

	if (IsA(raw, SupportRequestSelectivity))
		PG_RETURN_POINTER(prefilter_selectivity((SupportRequestSelectivity *) raw));
	if (IsA(raw, SupportRequestSimplify))
	{
		check_constant_arguments(((SupportRequestSimplify *) raw)->fcall);
		PG_RETURN_POINTER(NULL);	/* nothing simplified */
	}
	if (!IsA(raw, SupportRequestIndexCondition))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestIndexCondition *) raw;
	if (!is_funcclause(req->node) || req->indexarg != 1)
		PG_RETURN_POINTER(NULL);
	call = (FuncExpr *) req->node;
	if (list_length(call->args) < 2)
		PG_RETURN_POINTER(NULL);
	opno = get_opfamily_member(req->opfamily, JSONBOID, JSONPATHOID,
							   JsonbJsonpathExistsStrategyNumber);
	if (!OidIsValid(opno))
		PG_RETURN_POINTER(NULL);
	/* jsonb_ops indexes keys (it has ?): existence and ranges narrow too. */
	keys = OidIsValid(get_opfamily_member(req->opfamily, JSONBOID, TEXTOID,
										  JsonbExistsStrategyNumber));

	condition = (Node *) linitial(call->args);
	at = list_length(call->args) > 2 ? (Node *) lthird(call->args) : NULL;
	if (IsA(condition, Const) && (at == NULL || IsA(at, Const)))
	{
		Const	   *c = (Const *) condition;
		char	   *text;

		if (c->constisnull || (at != NULL && ((Const *) at)->constisnull))
			PG_RETURN_POINTER(NULL);	/* strict: no row matches anyway */
		/* condition_matches raises on every row for an infinite instant */
		if (at != NULL && TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(((Const *) at)->constvalue)))
			PG_RETURN_POINTER(NULL);
		text = prefilter_text(DatumGetJsonbP(c->constvalue), keys, at == NULL);
		if (text == NULL)
			PG_RETURN_POINTER(NULL);
		pattern = jsonpath_const(text);
	}
	else
	{
		/* Values fixed for the scan: no column, nothing volatile. */
		if (contain_var_clause(condition) || contain_volatile_functions(condition) ||
			contain_subplans(condition))
			PG_RETURN_POINTER(NULL);
		if (at != NULL && (contain_var_clause(at) || contain_volatile_functions(at) ||
						   contain_subplans(at)))
			PG_RETURN_POINTER(NULL);
		pattern = runtime_prefilter(call, condition, keys);
		if (pattern == NULL)
			PG_RETURN_POINTER(NULL);
	}
	clause = (OpExpr *) make_opclause(opno, BOOLOID, false,
									  (Expr *) copyObject(lsecond(call->args)), pattern,
									  InvalidOid, InvalidOid);
	clause->opfuncid = get_opcode(opno);
	req->lossy = true;			/* condition_matches decides on each row */
	PG_RETURN_POINTER(list_make1(clause));
}
