/*
 * move_functions.c - move_to_next_stage() and move_to_stage() in C.
 *
 * They run as the caller (so row-level security decides what can be seen)
 * and move with one plain UPDATE of the pipeline row, which locks it; the
 * candidate_stage BEFORE trigger resolves the request against the row as it
 * finds it (status, next stage, expected stage) and then checks and records
 * the move exactly as for an ORM's UPDATE.  The result comes from what the
 * triggers recorded.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(wf_move_to_next_stage);
PG_FUNCTION_INFO_V1(wf_move_to_stage);

WfMoveRequest wf_move_request;

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr job_plan = NULL;
static SPIPlanPtr update_plan = NULL;

/* Prepares the statements once per backend (and schema); caller is in SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			two[2] = {INT8OID, INT8OID};

	if (plans_schema == schema && job_plan && update_plan)
		return;
	if (job_plan)
		SPI_freeplan(job_plan);
	if (update_plan)
		SPI_freeplan(update_plan);
	job_plan = update_plan = NULL;
	job_plan = wf_keep_plan(psprintf("SELECT 1 FROM %s j WHERE j.job_id = $1",
							 wf_qualified(schema, "job_workflow")), 1, two);
	/* SET stage_id = stage_id: the BEFORE trigger puts in the requested stage. */
	update_plan = wf_keep_plan(psprintf("UPDATE %s c SET stage_id = c.stage_id "
								"WHERE c.job_id = $1 AND c.candidate_id = $2 "
								"RETURNING c.transition_id, c.stage_id",
								wf_qualified(schema, "candidate_stage")), 2, two);
	plans_schema = schema;
}

static const char *
id_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? "<NULL>" : psprintf(INT64_FORMAT, PG_GETARG_INT64(arg));
}

/*
 * Moves the candidate as requested and returns the move_result (allocated in
 * caller, which outlives SPI).  P0002 names the job or the candidate.
 */
static Datum
move(FunctionCallInfo fcinfo, bool next, int64 stage_id, bool has_expected, int64 expected,
	 const char *reason, MemoryContext caller)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Datum		args[2];
	char		nulls[2] = {PG_ARGISNULL(1) ? 'n' : ' ', PG_ARGISNULL(0) ? 'n' : ' '};
	int64		transition_id = 0;
	int64		to_stage = 0;
	int			alerts_raised = 0;
	Jsonb	   *warnings = NULL;
	const WfStage *stage;
	TupleDesc	desc;
	Datum		values[8];
	bool		result_nulls[8] = {false, false, false, false, false, false, false, false};
	HeapTuple	tuple;
	int			ret;
	WfMoveRequest saved;
	WfMoveRequest mine;

	(void) wf_actor();
	SPI_connect();
	prepare_plans(schema);
	args[0] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	args[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);

	/* A trigger may move another candidate inside this UPDATE: keep theirs apart. */
	saved = wf_move_request;
	memset(&wf_move_request, 0, sizeof(wf_move_request));
	wf_move_request.job_id = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	wf_move_request.candidate_id = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	wf_move_request.next = next;
	wf_move_request.stage_id = stage_id;
	wf_move_request.has_expected = has_expected;
	wf_move_request.expected_stage_id = expected;
	wf_move_request.reason = reason ? reason : "";
	wf_move_request.active = true;
	PG_TRY();
	{
		ret = SPI_execute_plan(update_plan, args, nulls, false, 1);
	}
	PG_FINALLY();
	{
		mine = wf_move_request;
		wf_move_request = saved;
	}
	PG_END_TRY();
	if (ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "workflow_ext: could not move the candidate");
	if (SPI_processed == 0)
	{
		if (SPI_execute_plan(job_plan, args, nulls, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the job");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("job %s not found", id_text(fcinfo, 1))));
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("candidate %s is not in job %s", id_text(fcinfo, 0), id_text(fcinfo, 1))));
	}
	{
		bool		isnull;

		transition_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
		to_stage = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull));
	}
	if (!mine.handled || !wf_last_move(transition_id, &alerts_raised, &warnings))
		elog(ERROR, "workflow_ext: the move of candidate %s was not recorded", id_text(fcinfo, 0));
	stage = wf_stage_lookup(schema, to_stage);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "workflow_ext: move functions must return move_result");
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		desc = BlessTupleDesc(desc);
		values[0] = PG_GETARG_DATUM(1);
		values[1] = PG_GETARG_DATUM(0);
		values[2] = Int64GetDatum(mine.from_stage_id);
		values[3] = Int64GetDatum(to_stage);
		values[4] = CStringGetTextDatum(stage ? stage->name : "");
		values[5] = Int64GetDatum(transition_id);
		values[6] = Int32GetDatum(alerts_raised);
		values[7] = warnings ? JsonbPGetDatum(DatumGetJsonbPCopy(JsonbPGetDatum(warnings)))
			: DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"));
		tuple = heap_form_tuple(desc, values, result_nulls);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return HeapTupleGetDatum(tuple);
}

Datum
wf_move_to_next_stage(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;

	PG_RETURN_DATUM(move(fcinfo, true, 0, !PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2),
						 NULL, caller));
}

Datum
wf_move_to_stage(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage_id must not be NULL")));
	PG_RETURN_DATUM(move(fcinfo, false, PG_GETARG_INT64(2), false, 0,
						 PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3)), caller));
}
