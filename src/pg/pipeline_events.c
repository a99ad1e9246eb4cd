/*
 * pipeline_events.c - what a change of the pipeline writes: the
 * stage_transition row, alert_event rows, and the NOTIFY that wakes
 * listeners.  Every row is written with the caller's rights and announced to
 * the history guard first (rights.c).  Plans are prepared once per backend.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
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
	Oid			event_types[11] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};

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
	 * Once per visit: the unique indexes alert_event_once_per_visit_idx and
	 * alert_event_sla_once_idx ($2 is NULL for an SLA event) are the arbiters
	 * of ON CONFLICT DO NOTHING, whose pre-check probes them before anything
	 * is written, so a repeat writes nothing.  No planner-costed probe: a
	 * NOT EXISTS subquery here got a generic plan with a sequential scan when
	 * alert_event was small at planning time, kept for the rest of the
	 * session, and a bulk move into an empty table went quadratic.
	 */
	alert_event_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, workflow_id, "
								"stage_id, transition_id, cause, severity, message, facts) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
								"ON CONFLICT DO NOTHING RETURNING id",
								wf_qualified(schema, "alert_event")),
					   11, event_types);
	plans_schema = schema;
}

static int64
next_alert_event_id(Oid schema)
{
	Oid			seq = get_relname_relid("alert_event_id_seq", schema);

	if (!OidIsValid(seq))
		elog(ERROR, "workflow_ext: sequence alert_event_id_seq is missing");
	return nextval_internal(seq, false);
}

/* Inserts one alert_event; true when written (not a repeat within the visit). */
static bool
insert_alert_event(Oid schema, Datum *args, char *nulls)
{
	Oid			relid = get_relname_relid("alert_event", schema);
	int			ret;

	wf_history_expect(relid, DatumGetInt64(args[0]));
	PG_TRY();
	{
		ret = SPI_execute_plan(alert_event_plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_clear();
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "workflow_ext: could not write an alert event");
	return SPI_processed == 1;
}

/*
 * Writes an alert_event for each firing alert, at most once per stage visit
 * (row->visit_transition_id).  Returns how many were written.
 */
int
wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
				Jsonb *facts, const char *cause)
{
	int			raised = 0;

	SPI_connect();
	prepare_plans(schema);
	for (int i = 0; i < stage->n_alerts; i++)
	{
		const WfAlert *alert = &stage->alerts[i];
		Datum		args[11];
		char		nulls[11];

		if (!fires[i])
			continue;
		memset(nulls, ' ', sizeof(nulls));
		args[0] = Int64GetDatum(next_alert_event_id(schema));
		args[1] = Int64GetDatum(alert->id);
		args[2] = Int64GetDatum(row->job_id);
		args[3] = Int64GetDatum(row->candidate_id);
		args[4] = Int64GetDatum(row->workflow_id);
		args[5] = Int64GetDatum(stage->id);
		args[6] = Int64GetDatum(row->visit_transition_id);
		args[7] = CStringGetTextDatum(cause);
		args[8] = CStringGetTextDatum(alert->severity);
		args[9] = CStringGetTextDatum(alert->message);
		args[10] = JsonbPGetDatum(facts);
		if (insert_alert_event(schema, args, nulls))
			raised++;
	}
	SPI_finish();
	return raised;
}

/* The SLA event of a stage visit; returns its id, or 0 when it was raised already. */
int64
wf_raise_sla_event(Oid schema, const WfPipelineRow *row, const char *message, Jsonb *facts)
{
	Datum		args[11];
	char		nulls[11];
	int64		id = 0;

	memset(nulls, ' ', sizeof(nulls));
	SPI_connect();
	prepare_plans(schema);
	args[0] = Int64GetDatum(next_alert_event_id(schema));
	args[1] = (Datum) 0;
	nulls[1] = 'n';
	args[2] = Int64GetDatum(row->job_id);
	args[3] = Int64GetDatum(row->candidate_id);
	args[4] = Int64GetDatum(row->workflow_id);
	args[5] = Int64GetDatum(row->stage_id);
	args[6] = Int64GetDatum(row->visit_transition_id);
	args[7] = CStringGetTextDatum("sla");
	args[8] = CStringGetTextDatum("warning");
	args[9] = CStringGetTextDatum(message);
	args[10] = JsonbPGetDatum(facts);
	if (insert_alert_event(schema, args, nulls))
		id = DatumGetInt64(args[0]);
	SPI_finish();
	return id;
}

void
wf_write_transition(Oid schema, const WfPipelineRow *row, bool has_from, int64 from_stage_id,
					const char *from_status, const char *actor, const char *reason,
					int alerts_raised, Jsonb *warnings)
{
	Datum		args[12];
	char		nulls[12];
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(row->transition_id);
	args[1] = Int64GetDatum(row->job_id);
	args[2] = Int64GetDatum(row->candidate_id);
	args[3] = Int64GetDatum(row->workflow_id);
	args[4] = Int64GetDatum(from_stage_id);
	if (!has_from)
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
	wf_history_expect(get_relname_relid("stage_transition", schema), row->transition_id);
	PG_TRY();
	{
		ret = SPI_execute_plan(transition_plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_clear();
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write the history of candidate " INT64_FORMAT,
			 row->candidate_id);
	SPI_finish();
}

/*
 * NOTIFY workflow_events, the one builder of every event's payload: delivered
 * only when the transaction commits, at most about 100 bytes whatever the
 * data.  LISTEN has no access control in PostgreSQL and any session may
 * NOTIFY, so the payload is a wake-up that names a transition and nothing of
 * a tenant's; listeners read the rows (or workflow_events_since) through
 * row-level security.
 */
void
wf_notify(const char *kind, int64 transition_id, int alert_events)
{
	char		payload[128];

	snprintf(payload, sizeof(payload),
			 "{\"kind\": \"%s\", \"transition_id\": " INT64_FORMAT ", \"alert_events\": %d}",
			 kind, transition_id, alert_events);
	Async_Notify("workflow_events", payload);
}
