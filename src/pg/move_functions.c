/*
 * move_functions.c - move_to_next_stage(), move_to_stage() and the status
 * functions (reject_candidate, withdraw_candidate, reopen_candidate).
 *
 * They run as the caller (row-level security decides what can be seen) and
 * change the row with one plain UPDATE, which locks it; the request travels
 * in an explicit frame (move_context.c) that the candidate_stage BEFORE
 * trigger resolves against the row as it finds it (status, next stage,
 * expected stage), and the triggers then check and record the change exactly
 * as for an ORM's UPDATE.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(wf_move_to_next_stage);
PG_FUNCTION_INFO_V1(wf_move_to_stage);
PG_FUNCTION_INFO_V1(wf_set_candidate_status);

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr job_plan = NULL;
static SPIPlanPtr pipeline_plan = NULL;
static SPIPlanPtr update_plan = NULL;	/* in the caller's tenant */
static SPIPlanPtr update_shared_plan = NULL;	/* in the tenant of a shared job */

/* Prepares the statements once per backend (and schema); caller is in SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			two[3] = {INT8OID, INT8OID, TEXTOID};
	const char *update = "UPDATE %s c SET stage_id = c.stage_id "
		"WHERE c.job_id OPERATOR(pg_catalog.=) $1 AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
		"AND c.tenant OPERATOR(pg_catalog.=) %s RETURNING c.*";

	if (plans_schema == schema && job_plan && pipeline_plan && update_plan && update_shared_plan)
		return;
	if (job_plan)
		SPI_freeplan(job_plan);
	if (pipeline_plan)
		SPI_freeplan(pipeline_plan);
	if (update_plan)
		SPI_freeplan(update_plan);
	if (update_shared_plan)
		SPI_freeplan(update_shared_plan);
	job_plan = pipeline_plan = update_plan = update_shared_plan = NULL;
	/* Ids are the application's within a tenant: these say whose job and row. */
	job_plan = wf_keep_plan(psprintf("SELECT %s($1)", wf_qualified(schema, "job_tenant")), 1, two);
	pipeline_plan = wf_keep_plan(psprintf("SELECT %s($1, $2)", wf_qualified(schema, "pipeline_tenant")),
								 2, two);
	/* SET stage_id = stage_id: the BEFORE trigger applies the frame's request. */
	update_plan = wf_keep_plan(psprintf(update, wf_qualified(schema, "candidate_stage"),
										psprintf("%s()", wf_qualified(schema, "current_tenant"))),
							   2, two);
	update_shared_plan = wf_keep_plan(psprintf(update, wf_qualified(schema, "candidate_stage"), "$3"),
									  3, two);
	plans_schema = schema;
}

static const char *
id_text(bool has, int64 id)
{
	return has ? psprintf(INT64_FORMAT, id) : "<NULL>";
}

static const char *
id_json(bool has, int64 id)
{
	return has ? psprintf(INT64_FORMAT, id) : "null";
}

/*
 * Runs the frame's change of (frame->candidate_id, frame->job_id; absent
 * when has_candidate / has_job is false) inside SPI; on return SPI_tuptable
 * holds the updated row.  P0002 names the job or the candidate.
 */
static void
change(Oid schema, WfChangeFrame *frame, bool has_candidate, bool has_job)
{
	Datum		args[3];
	char		nulls[3] = {has_job ? ' ' : 'n', has_candidate ? ' ' : 'n', ' '};
	const char *tenant = NULL;
	int			ret;

	frame->actor = wf_actor();
	prepare_plans(schema);
	args[0] = Int64GetDatum(frame->job_id);
	args[1] = Int64GetDatum(frame->candidate_id);
	args[2] = (Datum) 0;

	/*
	 * The caller's own tenant first (one probe); then the pipeline row of
	 * another tenant that shares its workflow with the caller, if any.
	 */
	for (int attempt = 0; attempt < 2 && has_candidate && has_job; attempt++)
	{
		if (attempt == 1)
		{
			if (wf_execute_kept(pipeline_plan, args, nulls, true, 1) != SPI_OK_SELECT)
				elog(ERROR, "workflow_ext: could not read the pipeline");
			if (SPI_processed == 1)
				tenant = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			if (tenant == NULL || strcmp(tenant, wf_tenant()) == 0)
				break;
			args[2] = CStringGetTextDatum(tenant);
		}
		wf_change_push(frame);
		PG_TRY();
		{
			ret = wf_execute_kept(attempt == 0 ? update_plan : update_shared_plan, args, nulls, false, 1);
		}
		PG_FINALLY();
		{
			wf_change_pop(frame);
		}
		PG_END_TRY();
		if (ret != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "workflow_ext: could not change the pipeline row");
		if (SPI_processed == 1)
		{
			if (!frame->claimed || !frame->recorded)
				elog(ERROR, "workflow_ext: the change of candidate %s was not recorded",
					 id_text(has_candidate, frame->candidate_id));
			return;
		}
	}
	tenant = NULL;
	if (has_job)
	{
		if (wf_execute_kept(job_plan, args, nulls, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the job");
		if (SPI_processed == 1)
			tenant = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	if (tenant == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job %s not found", id_text(has_job, frame->job_id)),
				 errdetail_reason("job_not_found", "\"job_id\": %s", id_json(has_job, frame->job_id))));
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("candidate %s is not in job %s", id_text(has_candidate, frame->candidate_id),
					id_text(has_job, frame->job_id)),
			 errdetail_reason("candidate_not_found", "\"candidate_id\": %s, \"job_id\": %s",
							  id_json(has_candidate, frame->candidate_id),
							  id_json(has_job, frame->job_id))));
}

/*
 * The single move's path, shared with move_candidates() (bulk_moves.c):
 * moves (frame->candidate_id, frame->job_id) as the frame asks, with the
 * triggers' checks, history, alerts and event.  Returns the stage entered;
 * the frame holds from_stage_id, transition_id, alerts_raised and warnings
 * (allocated in the caller's memory context).  Connects to SPI itself.
 */
int64
wf_move_candidate(Oid schema, WfChangeFrame *frame, bool has_candidate, bool has_job)
{
	int64		to_stage;
	bool		isnull;

	frame->result_context = CurrentMemoryContext;
	SPI_connect();
	change(schema, frame, has_candidate, has_job);
	to_stage = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										   SPI_fnumber(SPI_tuptable->tupdesc, "stage_id"), &isnull));
	SPI_finish();
	return to_stage;
}

/* Moves as the frame asks and returns the move_result. */
static Datum
move(FunctionCallInfo fcinfo, WfChangeFrame *frame)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	TupleDesc	desc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	const WfStage *stage;
	int64		to_stage;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "workflow_ext: move functions must return move_result");
	desc = BlessTupleDesc(desc);
	frame->job_id = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	frame->candidate_id = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	to_stage = wf_move_candidate(schema, frame, !PG_ARGISNULL(0), !PG_ARGISNULL(1));
	stage = wf_stage_lookup(schema, to_stage);
	values[0] = PG_GETARG_DATUM(1);
	values[1] = PG_GETARG_DATUM(0);
	values[2] = Int64GetDatum(frame->from_stage_id);
	values[3] = Int64GetDatum(to_stage);
	values[4] = CStringGetTextDatum(stage ? stage->name : "");
	values[5] = Int64GetDatum(frame->transition_id);
	values[6] = Int32GetDatum(frame->alerts_raised);
	values[7] = frame->warnings ? JsonbPGetDatum(frame->warnings)
		: DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"));
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * The single functions' (candidate_id, job_id): after the actor (as every
 * function asks for it first), a NULL one is 22023 null_argument naming it,
 * as move_candidates() says it, never a job or candidate "<NULL>" not found.
 */
static void
require_ids(FunctionCallInfo fcinfo)
{
	(void) wf_tenant();			/* require_actor and require_tenant */
	if (PG_ARGISNULL(0))
		wf_explain_null_argument("candidate_id");
	if (PG_ARGISNULL(1))
		wf_explain_null_argument("job_id");
}

static Datum
wf_move_to_next_stage_pinned(PG_FUNCTION_ARGS)
{
	WfChangeFrame frame;

	require_ids(fcinfo);
	memset(&frame, 0, sizeof(frame));
	frame.kind = WF_CHANGE_NEXT;
	frame.has_expected = !PG_ARGISNULL(2);
	frame.expected_stage_id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	PG_RETURN_DATUM(move(fcinfo, &frame));
}

static Datum
wf_move_to_stage_pinned(PG_FUNCTION_ARGS)
{
	WfChangeFrame frame;

	require_ids(fcinfo);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stage_id must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"stage_id\"")));
	memset(&frame, 0, sizeof(frame));
	frame.kind = WF_CHANGE_STAGE;
	frame.stage_id = PG_GETARG_INT64(2);
	frame.reason = PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3));
	PG_RETURN_DATUM(move(fcinfo, &frame));
}

/*
 * set_candidate_status(candidate_id, job_id, status, reason, reason_code):
 * the status functions' common body; returns the updated candidate_stage
 * row.  The BEFORE trigger checks reason_code against the tenant's
 * rejection_reason catalogue.
 */
Datum
wf_set_candidate_status(PG_FUNCTION_ARGS)
{
	WfChangeFrame frame;
	Datum		result;

	require_ids(fcinfo);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"status\"")));
	memset(&frame, 0, sizeof(frame));
	frame.kind = WF_CHANGE_STATUS;
	frame.status = TextDatumGetCString(PG_GETARG_DATUM(2));

	/*
	 * A status candidate_stage has no place for is the caller's mistake,
	 * said as one before anything is looked up (newcomer8 #1): it reached
	 * the table's CHECK constraint, a bare 23514 naming neither the
	 * candidate nor the status, without a reason.  'hired' and
	 * 'transferred' go on to the guard, whose refusals say how they are set.
	 */
	if (strcmp(frame.status, "active") != 0 && strcmp(frame.status, "rejected") != 0 &&
		strcmp(frame.status, "withdrawn") != 0 && strcmp(frame.status, "hired") != 0 &&
		strcmp(frame.status, "transferred") != 0)
	{
		/* the caller's text, echoed at most 64 bytes (attack16 04: 100,000 came back, and to the log) */
		int			length = strlen(frame.status);
		const char *shown = length <= 64 ? frame.status
			: psprintf("%s...", pnstrdup(frame.status, pg_mbcliplen(frame.status, length, 64)));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status \"%s\" for candidate " INT64_FORMAT " in job " INT64_FORMAT
						" is not a status of candidate_stage (active, rejected, withdrawn, hired, transferred)",
						shown, PG_GETARG_INT64(0), PG_GETARG_INT64(1)),
				 errdetail_reason("unknown_status", "\"status\": %s, \"length\": %d, \"candidate_id\": " INT64_FORMAT
								  ", \"job_id\": " INT64_FORMAT,
								  wf_json_string(shown), length, PG_GETARG_INT64(0), PG_GETARG_INT64(1)),
				 errhint("reject_candidate(), withdraw_candidate() and reopen_candidate() set them.")));
	}
	frame.reason = PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3));
	frame.reason_code = PG_NARGS() < 5 || PG_ARGISNULL(4) ? NULL
		: TextDatumGetCString(PG_GETARG_DATUM(4));
	frame.job_id = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	frame.candidate_id = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	frame.result_context = CurrentMemoryContext;
	SPI_connect();
	change(get_func_namespace(fcinfo->flinfo->fn_oid), &frame, !PG_ARGISNULL(0), !PG_ARGISNULL(1));
	result = PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
wf_move_to_next_stage(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_move_to_next_stage_pinned(fcinfo));
}

Datum
wf_move_to_stage(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_move_to_stage_pinned(fcinfo));
}
