/*
 * move_functions.c - move_to_next_stage() and move_to_stage() in C.
 *
 * They run as the caller (so row-level security decides what can be seen),
 * lock the pipeline row, check what only they know (the next stage, the
 * expected stage), and move with a plain UPDATE: the candidate_stage triggers
 * do the checking, the rule, the history, the alerts and the NOTIFY, exactly
 * as for an ORM's UPDATE.  The result comes from what the triggers recorded.
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

const char *wf_move_reason = NULL;

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr job_plan = NULL;
static SPIPlanPtr update_plan = NULL;

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "workflow_ext: could not prepare: %s", sql);
	return plan;
}

/* Prepares the statements once per backend (and schema); caller is in SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			two[2] = {INT8OID, INT8OID};

	if (plans_schema == schema && lock_plan && job_plan && update_plan)
		return;
	if (lock_plan)
		SPI_freeplan(lock_plan);
	if (job_plan)
		SPI_freeplan(job_plan);
	if (update_plan)
		SPI_freeplan(update_plan);
	lock_plan = job_plan = update_plan = NULL;
	lock_plan = keep(psprintf("SELECT c.id, c.stage_id, c.status FROM %s c "
							  "WHERE c.job_id = $1 AND c.candidate_id = $2 FOR UPDATE",
							  wf_qualified(schema, "candidate_stage")), 2, two);
	job_plan = keep(psprintf("SELECT 1 FROM %s j WHERE j.job_id = $1",
							 wf_qualified(schema, "job_workflow")), 1, two);
	update_plan = keep(psprintf("UPDATE %s c SET stage_id = $1 WHERE c.id = $2 "
								"RETURNING c.transition_id",
								wf_qualified(schema, "candidate_stage")), 2, two);
	plans_schema = schema;
}

typedef struct Locked
{
	int64		id;
	int64		stage_id;
	char	   *status;
} Locked;

static const char *
id_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? "<NULL>" : psprintf(INT64_FORMAT, PG_GETARG_INT64(arg));
}

/* Locks the candidate's row in the job; P0002 naming the job or the candidate. */
static Locked
lock_candidate(FunctionCallInfo fcinfo, Oid schema)
{
	Datum		args[2];
	char		nulls[2] = {PG_ARGISNULL(1) ? 'n' : ' ', PG_ARGISNULL(0) ? 'n' : ' '};
	MemoryContext caller = CurrentMemoryContext;
	Locked		locked = {0};

	args[0] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	args[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	if (SPI_execute_plan(lock_plan, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not lock the pipeline row");
	if (SPI_processed == 1)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		locked.id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		locked.stage_id = DatumGetInt64(SPI_getbinval(row, desc, 2, &isnull));
		locked.status = MemoryContextStrdup(caller, SPI_getvalue(row, desc, 3));
		return locked;
	}
	if (SPI_execute_plan(job_plan, args, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the job");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job %s not found", id_text(fcinfo, 1))));
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("candidate %s is not in job %s", id_text(fcinfo, 0), id_text(fcinfo, 1))));
	return locked;
}

/* UPDATE the row to the target stage (the triggers check and record) and build the result. */
static Datum
apply_move(FunctionCallInfo fcinfo, Oid schema, const Locked *locked, int64 to_stage,
		   const char *reason, MemoryContext caller)
{
	Datum		args[2] = {Int64GetDatum(to_stage), Int64GetDatum(locked->id)};
	int64		transition_id = 0;
	int			alerts_raised = 0;
	Jsonb	   *warnings = NULL;
	const WfStage *stage;
	TupleDesc	desc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	HeapTuple	tuple;

	wf_move_reason = reason ? reason : "";
	PG_TRY();
	{
		if (SPI_execute_plan(update_plan, args, NULL, false, 1) != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "workflow_ext: could not move the candidate");
	}
	PG_FINALLY();
	{
		wf_move_reason = NULL;
	}
	PG_END_TRY();
	if (SPI_processed == 1)
	{
		bool		isnull;

		transition_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (!wf_last_move(transition_id, &alerts_raised, &warnings))
		elog(ERROR, "workflow_ext: the move of candidate " INT64_FORMAT " was not recorded",
			 PG_GETARG_INT64(0));
	stage = wf_stage_lookup(schema, to_stage);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "workflow_ext: move functions must return move_result");
	desc = BlessTupleDesc(desc);
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		values[0] = PG_GETARG_DATUM(1);
		values[1] = PG_GETARG_DATUM(0);
		values[2] = Int64GetDatum(locked->stage_id);
		values[3] = Int64GetDatum(to_stage);
		values[4] = CStringGetTextDatum(stage ? stage->name : "");
		values[5] = Int64GetDatum(transition_id);
		values[6] = Int32GetDatum(alerts_raised);
		values[7] = warnings ? JsonbPGetDatum(DatumGetJsonbPCopy(JsonbPGetDatum(warnings)))
			: DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"));
		tuple = heap_form_tuple(desc, values, nulls);
		MemoryContextSwitchTo(spi);
	}
	return HeapTupleGetDatum(tuple);
}

static void
not_active(FunctionCallInfo fcinfo, const Locked *locked)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("candidate %s in job %s is %s, not active",
					id_text(fcinfo, 0), id_text(fcinfo, 1), locked->status)));
}

Datum
wf_move_to_next_stage(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;	/* the result outlives SPI */
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Locked		locked;
	const WfStage *current;
	Datum		result;

	(void) wf_actor();
	SPI_connect();
	prepare_plans(schema);
	locked = lock_candidate(fcinfo, schema);
	if (strcmp(locked.status, "active") != 0)
		not_active(fcinfo, &locked);
	current = wf_stage_lookup(schema, locked.stage_id);
	if (current == NULL || current->next_stage_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate %s in job %s is already in the last stage (" INT64_FORMAT ")",
						id_text(fcinfo, 0), id_text(fcinfo, 1), locked.stage_id)));
	if (!PG_ARGISNULL(2) && PG_GETARG_INT64(2) != locked.stage_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate %s in job %s is in stage " INT64_FORMAT
						", not in the expected stage " INT64_FORMAT,
						id_text(fcinfo, 0), id_text(fcinfo, 1), locked.stage_id,
						PG_GETARG_INT64(2))));
	result = apply_move(fcinfo, schema, &locked, current->next_stage_id, NULL, caller);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
wf_move_to_stage(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;	/* the result outlives SPI */
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Locked		locked;
	Datum		result;

	(void) wf_actor();
	SPI_connect();
	prepare_plans(schema);
	locked = lock_candidate(fcinfo, schema);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage_id must not be NULL")));
	if (PG_GETARG_INT64(2) == locked.stage_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate %s in job %s is already in stage " INT64_FORMAT,
						id_text(fcinfo, 0), id_text(fcinfo, 1), locked.stage_id)));
	result = apply_move(fcinfo, schema, &locked, PG_GETARG_INT64(2),
						PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3)), caller);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
