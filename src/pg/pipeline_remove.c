/*
 * pipeline_remove.c - a candidate leaves a job's pipeline: remove_candidate()
 * and the AFTER DELETE trigger on candidate_stage that records every removal,
 * the function's or an ORM's plain DELETE.
 *
 * A removal is a history row like any change (to_status 'removed', from and
 * to the stage the candidate stood in, from_status the status it had) and an
 * event in the feed (kind removal): a pipeline row never disappears without
 * trace.  The DELETE policy decides who may remove (edit rights on the
 * workflow); the trigger runs with the caller's rights.  TRUNCATE, which only
 * the tables' owner may run, fires no row trigger and is not recorded
 * (README: Removing and transferring candidates).
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_stage_removed);
PG_FUNCTION_INFO_V1(wf_remove_candidate);

Datum
wf_candidate_stage_removed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema;
	WfPipelineColumns c;
	WfPipelineRow row;
	WfChangeFrame *frame;
	const char *from_status;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_stage_removed() must be an AFTER DELETE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	wf_require_pipeline_table(td->tg_relation, schema, "candidate_stage_removed");
	(void) wf_tenant();			/* require_actor and require_tenant */
	c = wf_pipeline_columns(td->tg_relation->rd_att);
	row = wf_pipeline_read(td->tg_trigtuple, td->tg_relation->rd_att, &c);

	frame = wf_change_claim_as(row.job_id, row.candidate_id, WF_CHANGE_REMOVE);
	from_status = row.status;
	row.status = "removed";
	row.transition_id = wf_next_transition_id(schema);
	row.has_transition = true;
	wf_write_transition(schema, &row, true, row.stage_id, from_status,
						frame ? frame->actor : wf_actor(), frame ? frame->reason : wf_reason(),
						0, NULL, NULL);
	if (frame != NULL)
	{
		frame->from_stage_id = row.stage_id;
		frame->has_transition = true;
		frame->transition_id = row.transition_id;
		frame->recorded = true;
	}
	wf_notify("removal", row.transition_id, 0);
	return PointerGetDatum(NULL);
}

static const char *
id_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? "<NULL>" : psprintf(INT64_FORMAT, PG_GETARG_INT64(arg));
}

/* the id as a JSON member value: a number, or null */
static const char *
id_json(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? "null" : psprintf(INT64_FORMAT, PG_GETARG_INT64(arg));
}

/* P0002 naming the job when the caller cannot see it, else the candidate. */
static void
not_found(FunctionCallInfo fcinfo, Oid schema)
{
	if (PG_ARGISNULL(1) || wf_resolve_tenant(schema, PG_GETARG_INT64(1), false, 0) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job %s not found", id_text(fcinfo, 1)),
				 errdetail_reason("job_not_found", "\"job_id\": %s", id_json(fcinfo, 1))));
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("candidate %s is not in job %s", id_text(fcinfo, 0), id_text(fcinfo, 1)),
			 errdetail_reason("candidate_not_in_job", "\"candidate_id\": %s, \"job_id\": %s",
								  id_json(fcinfo, 0), id_json(fcinfo, 1))));
}

/*
 * remove_candidate(candidate_id, job_id, reason): one DELETE of the row, which
 * the trigger above records with this reason (the request travels in a frame,
 * move_context.c).
 */
Datum
wf_remove_candidate(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	WfChangeFrame frame;
	const char *tenant;
	Oid			types[3] = {INT8OID, INT8OID, TEXTOID};
	Datum		args[3];
	int			ret;

	(void) wf_tenant();			/* require_actor and require_tenant */
	if (PG_ARGISNULL(0))
		wf_explain_null_argument("candidate_id");
	if (PG_ARGISNULL(1))
		wf_explain_null_argument("job_id");
	tenant = wf_resolve_tenant(schema, PG_GETARG_INT64(1), true, PG_GETARG_INT64(0));
	if (tenant == NULL)
		not_found(fcinfo, schema);

	memset(&frame, 0, sizeof(frame));
	frame.kind = WF_CHANGE_REMOVE;
	frame.job_id = PG_GETARG_INT64(1);
	frame.candidate_id = PG_GETARG_INT64(0);
	frame.reason = PG_ARGISNULL(2) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(2));
	frame.actor = wf_actor();
	frame.result_context = CurrentMemoryContext;
	args[0] = PG_GETARG_DATUM(1);
	args[1] = PG_GETARG_DATUM(0);
	args[2] = CStringGetTextDatum(tenant);

	SPI_connect();
	wf_change_push(&frame);
	PG_TRY();
	{
		ret = SPI_execute_with_args(psprintf("DELETE FROM %s c WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
											 "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
											 "AND c.tenant OPERATOR(pg_catalog.=) $3",
											 wf_qualified(schema, "candidate_stage")),
									3, types, args, NULL, false, 0);
	}
	PG_FINALLY();
	{
		wf_change_pop(&frame);
	}
	PG_END_TRY();
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "workflow_ext: could not remove candidate " INT64_FORMAT, frame.candidate_id);
	if (SPI_processed == 0)
	{
		SPI_finish();
		/* gone meanwhile, or visible but not the caller's to remove (the DELETE policy) */
		if (wf_resolve_tenant(schema, frame.job_id, true, frame.candidate_id) == NULL)
			not_found(fcinfo, schema);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("removing candidate " INT64_FORMAT " from job " INT64_FORMAT
						" needs edit rights on the job's workflow", frame.candidate_id, frame.job_id),
				 errdetail_reason("not_editable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  frame.candidate_id, frame.job_id),
				 errhint("The workflow's owner, a grantee with can_edit or a tenant administrator removes candidates.")));
	}
	if (!frame.recorded)
		elog(ERROR, "workflow_ext: the removal of candidate " INT64_FORMAT " was not recorded",
			 frame.candidate_id);
	SPI_finish();
	PG_RETURN_VOID();
}
