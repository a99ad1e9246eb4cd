/*
 * pipeline_events.c - what a change of the pipeline writes: the
 * stage_transition row, alert_event rows and the NOTIFY payload.  Plans are
 * prepared once per backend.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "pipeline.h"

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr transition_plan = NULL;
static SPIPlanPtr alert_event_plan = NULL;

/* Prepares (once per schema) the statements; the caller is connected to SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			transition_types[12] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, JSONBOID};
	Oid			event_types[10] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	if (plans_schema == schema && transition_plan && alert_event_plan)
		return;
	if (transition_plan)
		SPI_freeplan(transition_plan);
	if (alert_event_plan)
		SPI_freeplan(alert_event_plan);
	transition_plan = alert_event_plan = NULL;

	transition_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, job_id, candidate_id, workflow_id, "
								"from_stage_id, to_stage_id, from_status, to_status, actor, reason, "
								"alerts_raised, warnings) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
								wf_qualified(schema, "stage_transition")),
					   12, transition_types);
	/*
	 * Once per visit: the NOT EXISTS probe skips an alert that already fired
	 * without the cost of a speculative insertion; ON CONFLICT covers a
	 * concurrent one.
	 */
	alert_event_plan = wf_keep_plan(psprintf("INSERT INTO %s (alert_id, job_id, candidate_id, workflow_id, "
								"stage_id, transition_id, cause, severity, message, facts) "
								"SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 "
								"WHERE NOT EXISTS (SELECT 1 FROM %s e WHERE e.candidate_id = $3 "
								"AND e.transition_id = $6 AND e.alert_id = $1) "
								"ON CONFLICT DO NOTHING RETURNING id",
								wf_qualified(schema, "alert_event"), wf_qualified(schema, "alert_event")),
					   10, event_types);
	plans_schema = schema;
}

/* Evaluates the alerts of a stage: fires[i] says whether alert i fires. */
int
wf_firing_alerts(const WfStage *stage, Jsonb *facts, bool *fires)
{
	int			firing = 0;

	for (int i = 0; i < stage->n_alerts; i++)
	{
		const WfAlert *alert = &stage->alerts[i];

		fires[i] = wf_compiled_holds(&alert->check, facts, "alert", alert->id)
			== alert->fires_on_match;
		if (fires[i])
			firing++;
	}
	return firing;
}

/*
 * Writes an alert_event for each firing alert, at most once per stage visit
 * (ON CONFLICT DO NOTHING).  Appends the new event ids to ids; returns how
 * many were written.
 */
int
wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
				Jsonb *facts, const char *cause, StringInfo ids)
{
	int			raised = 0;

	SPI_connect();
	prepare_plans(schema);
	for (int i = 0; i < stage->n_alerts; i++)
	{
		const WfAlert *alert = &stage->alerts[i];
		Datum		args[10];

		if (!fires[i])
			continue;
		args[0] = Int64GetDatum(alert->id);
		args[1] = Int64GetDatum(row->job_id);
		args[2] = Int64GetDatum(row->candidate_id);
		args[3] = Int64GetDatum(row->workflow_id);
		args[4] = Int64GetDatum(stage->id);
		args[5] = Int64GetDatum(row->transition_id);
		args[6] = CStringGetTextDatum(cause);
		args[7] = CStringGetTextDatum(alert->severity);
		args[8] = CStringGetTextDatum(alert->message);
		args[9] = JsonbPGetDatum(facts);
		if (SPI_execute_plan(alert_event_plan, args, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "workflow_ext: could not write an alert event");
		if (SPI_processed == 1)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1, &isnull));

			appendStringInfo(ids, "%s" INT64_FORMAT, ids->len > 0 ? ", " : "", id);
			raised++;
		}
	}
	SPI_finish();
	return raised;
}

void
wf_write_transition(Oid schema, const WfPipelineRow *row, int64 from_stage_id,
					const char *from_status, const char *actor, int alerts_raised,
					Jsonb *warnings)
{
	Datum		args[12];
	char		nulls[12];
	const char *reason = wf_move_request.active ? wf_move_request.reason : wf_reason_setting;

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(row->transition_id);
	args[1] = Int64GetDatum(row->job_id);
	args[2] = Int64GetDatum(row->candidate_id);
	args[3] = Int64GetDatum(row->workflow_id);
	args[4] = Int64GetDatum(from_stage_id);
	if (from_stage_id == 0)
		nulls[4] = 'n';
	args[5] = Int64GetDatum(row->stage_id);
	args[6] = from_status ? CStringGetTextDatum(from_status) : (Datum) 0;
	if (from_status == NULL)
		nulls[6] = 'n';
	args[7] = CStringGetTextDatum(row->status);
	args[8] = CStringGetTextDatum(actor);
	args[9] = (reason && reason[0]) ? CStringGetTextDatum(reason) : (Datum) 0;
	if (!(reason && reason[0]))
		nulls[9] = 'n';
	args[10] = Int32GetDatum(alerts_raised);
	args[11] = warnings ? JsonbPGetDatum(warnings)
		: DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"));

	SPI_connect();
	prepare_plans(schema);
	if (SPI_execute_plan(transition_plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write the history of candidate " INT64_FORMAT,
			 row->candidate_id);
	SPI_finish();
}

static void
append_json_text(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
append_json_id(StringInfo buf, const char *key, int64 value)
{
	if (value == 0)
		appendStringInfo(buf, ", \"%s\": null", key);
	else
		appendStringInfo(buf, ", \"%s\": " INT64_FORMAT, key, value);
}

/*
 * NOTIFY workflow_events: delivered to listeners only when the transaction
 * commits.  LISTEN has no access control in PostgreSQL, so the payload holds
 * ids only (no facts, names, reasons or actors); listeners re-read through RLS.
 */
void
wf_notify(const char *event, const WfPipelineRow *row, int64 from_stage_id,
		  const char *from_status, const char *alert_event_ids)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"event\": ");
	escape_json(&buf, event);
	append_json_id(&buf, "job_id", row->job_id);
	append_json_id(&buf, "candidate_id", row->candidate_id);
	append_json_id(&buf, "workflow_id", row->workflow_id);
	append_json_id(&buf, "from_stage_id", from_stage_id);
	append_json_id(&buf, "to_stage_id", row->stage_id);
	append_json_text(&buf, "from_status", from_status);
	append_json_text(&buf, "status", row->status);
	append_json_id(&buf, "transition_id", row->transition_id);
	appendStringInfo(&buf, ", \"alert_event_ids\": [%s]}", alert_event_ids ? alert_event_ids : "");
	Async_Notify("workflow_events", buf.data);
	pfree(buf.data);
}
