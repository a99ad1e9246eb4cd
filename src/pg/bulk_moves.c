/*
 * bulk_moves.c - move_candidates(job_id, candidate_ids, to_stage_id, reason):
 * many candidates of one job moved in one call, one result row each.
 *
 * Each candidate takes the single move's path (wf_move_candidate(), the
 * path of move_to_stage() and move_to_next_stage(): the same UPDATE, the same
 * triggers, checks, history, alerts, events and row-level security) inside an
 * internal subtransaction, as a PL/pgSQL exception block runs its body.  A
 * refusal of that candidate (not found, not active, last stage, blocked by
 * the rule, already there, a concurrent change) rolls back that subtransaction
 * only and becomes the candidate's row: outcome, the SQLSTATE the single
 * move raises and its JSON DETAIL.  Any other error (no actor, the job not
 * visible, a bad argument, a cancel, a deadlock) is raised as it is.
 *
 * Memory is bounded whatever the number of ids: the array is read element
 * by element, each candidate's allocations go to a context reset before the
 * next one, and the rows go to a tuplestore (materialize mode), which spills
 * to disk beyond work_mem.  What a transaction keeps per change anyway (the
 * after-trigger queue, pending NOTIFYs, a subtransaction id) stays, as for a
 * bulk UPDATE.
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_move_candidates);

#define N_COLUMNS 7

/* The job as the caller sees it: its tenant and workflow; P0002 when none. */
static int64
job_workflow(Oid schema, int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(job_id)};
	bool		isnull = true;
	int64		workflow_id = 0;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT j.workflow_id FROM %s j "
									   "WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
									   "AND j.tenant OPERATOR(pg_catalog.=) %s($1)",
									   wf_qualified(schema, "job_workflow"),
									   wf_qualified(schema, "job_tenant")),
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read job " INT64_FORMAT, job_id);
	if (SPI_processed == 1)
		workflow_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
												  &isnull));
	SPI_finish();
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job " INT64_FORMAT " not found", job_id),
				 errdetail_reason("job_not_found", "\"job_id\": " INT64_FORMAT, job_id)));
	return workflow_id;
}

/* detail as jsonb when it is JSON, else NULL (never raises). */
static Jsonb *
detail_json(const char *detail)
{
	JsonLexContext *lex;

	if (detail == NULL)
		return NULL;
	lex = makeJsonLexContextCstringLen(unconstify(char *, detail), strlen(detail),
									   GetDatabaseEncoding(), false);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(detail)));
}

/* The "reason" member of a JSON object DETAIL, or NULL. */
static const char *
detail_reason(Jsonb *detail)
{
	JsonbValue *v;

	if (detail == NULL || !JB_ROOT_IS_OBJECT(detail))
		return NULL;
	v = getKeyJsonValueFromContainer(&detail->root, "reason", strlen("reason"), NULL);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * The outcome of a refusal of one candidate, or NULL when the error is not
 * a per-candidate outcome (it is then raised).  *detail may be replaced.
 */
static const char *
classify(const ErrorData *edata, Jsonb **detail)
{
	const char *reason = detail_reason(*detail);

	switch (edata->sqlerrcode)
	{
		case ERRCODE_NO_DATA_FOUND:
			/* the engine's "not in the job" only: an application trigger's P0002 is raised */
			return reason != NULL && strcmp(reason, "candidate_not_found") == 0 ? "not_found" : NULL;
		case ERRCODE_CHECK_VIOLATION:
			/* the rule's refusal (a CHECK constraint's has no reason) */
			return reason != NULL && strcmp(reason, "rule_blocked") == 0 ? "blocked" : NULL;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
			/* REPEATABLE READ or SERIALIZABLE: the row changed since the snapshot */
			if (*detail == NULL)
				*detail = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															 CStringGetDatum("{\"reason\": \"concurrent_update\"}")));
			return "stale";
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			if (reason == NULL)
				return "refused";		/* an application trigger's refusal of the move */
			if (strcmp(reason, "not_active") == 0)
				return "not_active";
			if (strcmp(reason, "last_stage") == 0)
				return "last_stage";
			if (strcmp(reason, "already_in_stage") == 0 || strcmp(reason, "stale_expected_stage") == 0)
				return "stale";
			return "refused";
		default:
			return NULL;
	}
}

/* {"alerts_raised": n, "warnings": [...]} of a move. */
static Datum
moved_detail(const WfChangeFrame *frame)
{
	return DirectFunctionCall1(jsonb_in,
							   CStringGetDatum(psprintf("{\"alerts_raised\": %d, \"warnings\": %s}",
														frame->alerts_raised,
														frame->warnings
														? JsonbToCString(NULL, &frame->warnings->root, 0)
														: "[]")));
}

static Datum
wf_move_candidates_pinned(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	MemoryContext per_candidate;
	ArrayType  *ids;
	ArrayIterator it;
	Datum		id;
	bool		id_null;
	int64		job_id;
	bool		has_to = !PG_ARGISNULL(2);
	int64		to = has_to ? PG_GETARG_INT64(2) : 0;
	const char *reason = PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3));
	int64		workflow_id;

	/* What is not one candidate's is raised before anything moves. */
	(void) wf_tenant();			/* require_actor and require_tenant */
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job_id must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"job_id\"")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("candidate_ids must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"candidate_ids\"")));
	job_id = PG_GETARG_INT64(0);
	ids = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("candidate_ids must be a one-dimensional array"),
				 errdetail_reason("invalid_argument", "\"argument\": \"candidate_ids\"")));
	workflow_id = job_workflow(schema, job_id);
	if (has_to)
	{
		const WfStage *stage = wf_stage_lookup(schema, to);

		if (stage == NULL || stage->workflow_id != workflow_id)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("stage " INT64_FORMAT " is not a stage of workflow " INT64_FORMAT
							" (job " INT64_FORMAT ")", to, workflow_id, job_id),
					 errdetail_reason("stage_not_found", "\"stage_id\": " INT64_FORMAT, to)));
	}

	InitMaterializedSRF(fcinfo, 0);
	per_candidate = AllocSetContextCreate(caller, "move_candidates candidate",
										  ALLOCSET_DEFAULT_SIZES);
	it = array_create_iterator(ids, 0, NULL);
	while (array_iterate(it, &id, &id_null))
	{
		WfChangeFrame frame;
		Datum		values[N_COLUMNS];
		bool		nulls[N_COLUMNS] = {false, false, false, false, false, false, false};
		volatile int64 to_stage = 0;
		volatile bool moved = false;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(per_candidate);
		MemoryContextSwitchTo(per_candidate);
		memset(&frame, 0, sizeof(frame));
		frame.kind = has_to ? WF_CHANGE_STAGE : WF_CHANGE_NEXT;
		frame.stage_id = to;
		frame.reason = reason;
		frame.job_id = job_id;
		frame.candidate_id = id_null ? 0 : DatumGetInt64(id);
		values[0] = id;
		nulls[0] = id_null;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(per_candidate);
		PG_TRY();
		{
			to_stage = wf_move_candidate(schema, &frame, !id_null, true);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(per_candidate);
			CurrentResourceOwner = owner;
			moved = true;
		}
		PG_CATCH();
		{
			ErrorData  *edata;
			Jsonb	   *detail;
			const char *outcome;

			MemoryContextSwitchTo(per_candidate);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(per_candidate);
			CurrentResourceOwner = owner;

			detail = detail_json(edata->detail);
			outcome = classify(edata, &detail);
			if (outcome == NULL)
				ReThrowError(edata);
			values[1] = CStringGetTextDatum(outcome);
			values[2] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
			nulls[3] = !frame.claimed;
			values[3] = Int64GetDatum(frame.from_stage_id);
			nulls[4] = !frame.has_to_stage && !has_to;
			values[4] = Int64GetDatum(frame.has_to_stage ? frame.to_stage_id : to);
			nulls[5] = true;
			nulls[6] = detail == NULL;
			values[6] = detail ? JsonbPGetDatum(detail) : (Datum) 0;
		}
		PG_END_TRY();
		if (moved)
		{
			values[1] = CStringGetTextDatum("moved");
			nulls[2] = true;
			values[3] = Int64GetDatum(frame.from_stage_id);
			values[4] = Int64GetDatum(to_stage);
			values[5] = Int64GetDatum(frame.transition_id);
			values[6] = moved_detail(&frame);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	array_free_iterator(it);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(per_candidate);
	return (Datum) 0;
}

/* The stages it looks up stay valid for the whole call (stage_cache.c). */
Datum
wf_move_candidates(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_move_candidates_pinned(fcinfo));
}
