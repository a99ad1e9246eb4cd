/*
 * pipeline_record.c - the AFTER trigger on candidate_stage: records what the
 * BEFORE trigger let through.  For a row entering a stage: evaluate a warning
 * rule (its failed leaves become the history row's warnings) and the stage's
 * alerts against the facts, write the stage_transition row, then the
 * alert_event rows; for a status change, the history row alone.  Then NOTIFY,
 * and a stage that advances by itself moves the candidate on (auto_advance.c).
 *
 * Nothing waits between the two triggers: what this one needs it reads again
 * (the facts, with the same statement's visibility), so a bulk UPDATE keeps
 * no per-row state until the statement ends.  A move function learns its
 * result through its own frame (move_context.c).
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_stage_record);

/* A restored row (rights.c: only a superuser's COPY) already has its history. */
static bool
restored(Oid schema, const WfPipelineRow *row)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(row->transition_id)};
	bool		found;

	if (!wf_restoring())
		return false;
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s t WHERE t.id OPERATOR(pg_catalog.=) $1",
									   wf_qualified(schema, "stage_transition")),
							  1, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read stage_transition");
	found = SPI_processed == 1;
	SPI_finish();
	return found;
}

static Datum
wf_candidate_stage_record_pinned(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			schema;
	WfPipelineColumns c;
	WfPipelineRow row;
	WfPipelineRow old = {0};
	bool		inserted;
	bool		entered;
	WfChangeFrame *frame;
	const char *actor;
	const char *reason;
	int			raised = 0;
	Jsonb	   *warnings = NULL;
	WfTransitionNote note;
	bool		batched;
	const WfStage *now_in;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_stage_record() must be an AFTER INSERT OR UPDATE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	wf_require_pipeline_table(td->tg_relation, schema, "candidate_stage_record");
	desc = td->tg_relation->rd_att;
	c = wf_pipeline_columns(desc);
	inserted = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	row = wf_pipeline_read(inserted ? td->tg_trigtuple : td->tg_newtuple, desc, &c);
	if (!row.has_transition)
	{
		/*
		 * The guard stamps every change but one: an insert of a row it found
		 * already in the job, left to the unique key.  If that row was
		 * deleted meanwhile, this insert went through unchecked: refuse it.
		 */
		if (inserted)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("candidate " INT64_FORMAT " left job " INT64_FORMAT
							" while being added to it", row.candidate_id, row.job_id),
					 errhint("Retry the insert: it will enter the first stage with its checks."),
					 errdetail_reason("left_job", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  row.candidate_id, row.job_id)));
		return PointerGetDatum(NULL);
	}
	if (!inserted)
	{
		old = wf_pipeline_read(td->tg_trigtuple, desc, &c);
		if (old.has_transition && old.transition_id == row.transition_id)
		{
			/*
			 * Not a move nor a status change.  New application facts concern
			 * the open stage visit: its alerts are evaluated again.
			 */
			if (row.status != NULL && strcmp(row.status, "active") == 0 && row.has_visit &&
				row.attributes != NULL && old.attributes != NULL &&
				!DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(old.attributes),
												  JsonbPGetDatum(row.attributes))))
			{
				WfFacts		facts;
				bool		in_batch = wf_change_for_transition(row.transition_id) == NULL &&
					wf_batch_open(td->tg_relation);
				const WfStage *stage = in_batch ? wf_stage_lookup(schema, row.stage_id) : NULL;

				wf_facts_for_row(&facts, schema, &row);
				wf_reevaluate_visit(schema, &row, &facts, in_batch);
				if (stage != NULL && stage->auto_advance)
					wf_batch_flush();
				wf_auto_advance(schema, &row, &facts);
			}
			return PointerGetDatum(NULL);
		}
	}
	else if (restored(schema, &row))
		return PointerGetDatum(NULL);

	frame = wf_change_for_transition(row.transition_id);
	/*
	 * A change of a statement's many is buffered and written with the
	 * statement's others (batched_writes.c), move_candidates' batch included;
	 * a move function's own change is written now: its result counts the
	 * events written.
	 */
	batched = (frame == NULL || frame->batch_writes) && wf_batch_open(td->tg_relation);
	actor = frame ? frame->actor : wf_actor();
	reason = frame ? frame->reason : wf_reason();
	entered = inserted || row.stage_id != old.stage_id;
	/* a rejection's code, as the guard checked it; a transfer's other job */
	memset(&note, 0, sizeof(note));
	if (!entered && wf_status_takes_reason_code(row.status))
		note.reason_code = frame ? frame->reason_code : wf_reason_code();
	/*
	 * A transfer's other job, unless the row's workflow is shared across
	 * tenants and that job is on another workflow: the other tenant reads
	 * this row, and a share opens its workflow's pipelines, not the job's
	 * (README: What a share across tenants does not do).  The other job's own
	 * row names this one, unless its workflow is shared too.
	 */
	if (frame != NULL && frame->has_related_job)
	{
		const WfStage *here = wf_stage_lookup(schema, row.stage_id);

		if (!(here != NULL && here->shared_across_tenants
			  && frame->related_workflow_id != row.workflow_id))
		{
			note.has_related_job = true;
			note.related_job_id = frame->related_job_id;
		}
	}
	if (entered)
	{
		const WfStage *stage = wf_stage_lookup(schema, row.stage_id);
		Jsonb	   *on_enter = stage != NULL ? stage->on_enter : NULL;
		bool	   *fires = NULL;

		note.on_enter = on_enter;

		if (stage != NULL && (stage->has_rule || stage->n_alerts > 0))
		{
			WfFacts		facts;
			char	   *failed_text = NULL;
			Jsonb	   *failed;

			wf_facts_for_row(&facts, schema, &row);
			if (stage->has_rule)
				(void) wf_rule_holds(stage, &facts, &failed_text);
			failed = wf_json_text_to_jsonb(failed_text);
			/* what other tenants will read (history, the move's result) copies no fact */
			if (stage->has_rule && !stage->rule_blocks)
				warnings = stage->shared_across_tenants || strcmp(row.tenant, wf_tenant()) != 0
					? wf_redact_leaves(failed) : failed;
			if (stage->n_alerts > 0)
			{
				fires = palloc(sizeof(bool) * stage->n_alerts);
				raised = wf_firing_alerts(stage, &facts, failed, fires);
			}
			/* The history row first: alert events reference it. */
			if (batched)
			{
				wf_batch_transition(schema, &row, !inserted, old.stage_id,
									inserted ? NULL : old.status, actor, reason, raised, warnings, &note);
				if (raised > 0)
					raised = wf_batch_alerts(schema, stage, fires, &row, &facts, "entry");
			}
			else
			{
				wf_write_transition(schema, &row, !inserted, old.stage_id,
									inserted ? NULL : old.status, actor, reason, raised, warnings, &note);
				if (raised > 0)
					raised = wf_raise_entry_alerts(schema, stage, fires, &row, &facts);
			}
		}
		else if (batched)
			wf_batch_transition(schema, &row, !inserted, old.stage_id,
								inserted ? NULL : old.status, actor, reason, 0, NULL, &note);
		else
			wf_write_transition(schema, &row, !inserted, old.stage_id,
								inserted ? NULL : old.status, actor, reason, 0, NULL, &note);
	}
	else if (batched)
		wf_batch_transition(schema, &row, true, old.stage_id, old.status, actor, reason, 0, NULL, &note);
	else
		wf_write_transition(schema, &row, true, old.stage_id, old.status, actor, reason, 0, NULL, &note);

	if (frame != NULL)
	{
		frame->recorded = true;
		frame->alerts_raised = raised;
		if (warnings != NULL)
		{
			MemoryContext old_context = MemoryContextSwitchTo(frame->result_context);

			frame->warnings = DatumGetJsonbPCopy(JsonbPGetDatum(warnings));
			MemoryContextSwitchTo(old_context);
		}
	}
	(batched ? wf_batch_notify : wf_notify) (inserted ? "enter" : entered ? "move"
											  : strcmp(row.status, "transferred") == 0 ? "transfer" : "status",
											  row.transition_id, raised);

	/*
	 * Entered (or reopened in) a stage that moves its candidates on by
	 * itself: a move of its own, recorded after this one (what the
	 * statement buffered is written first, so its history keeps that order).
	 */
	now_in = batched ? wf_stage_lookup(schema, row.stage_id) : NULL;
	if (now_in != NULL && now_in->auto_advance)
		wf_batch_flush();
	wf_auto_advance(schema, &row, NULL);
	return PointerGetDatum(NULL);
}

Datum
wf_candidate_stage_record(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_candidate_stage_record_pinned(fcinfo));
}
