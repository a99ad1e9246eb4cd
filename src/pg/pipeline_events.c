/*
 * pipeline_events.c - what a change of the pipeline writes: the
 * stage_transition row (with the entered stage's on_enter actions, as they
 * are at the entry), alert_event rows, and the NOTIFY that wakes
 * listeners.  Every row is written with the caller's rights and announced to
 * the history guard first (rights.c).  Plans are prepared once per backend.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "pipeline.h"

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr transition_plan = NULL;
static SPIPlanPtr alert_events_plan = NULL;

/* Prepares (once per schema) the statements; the caller is connected to SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			transition_types[16] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, TEXTOID, INT8OID, JSONBOID};
	Oid			event_types[12] = {INT8ARRAYOID, INT8ARRAYOID, INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID, TEXTOID};

	if (plans_schema == schema && transition_plan && alert_events_plan)
		return;
	if (transition_plan)
		SPI_freeplan(transition_plan);
	if (alert_events_plan)
		SPI_freeplan(alert_events_plan);
	transition_plan = alert_events_plan = NULL;

	transition_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, job_id, candidate_id, workflow_id, "
								"from_stage_id, to_stage_id, from_status, to_status, actor, reason, "
								"alerts_raised, warnings, tenant, reason_code, related_job_id, on_enter) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
								wf_qualified(schema, "stage_transition")),
					   16, transition_types);

	/*
	 * All the events of one change in one statement: per event its id, alert
	 * ($2, NULL for an SLA event), severity and message as arrays, in order;
	 * what they share once.  Once per visit: the unique indexes
	 * alert_event_once_per_visit_idx and alert_event_sla_once_idx are the
	 * arbiters of ON CONFLICT DO NOTHING, whose pre-check probes them before
	 * anything is written, so a repeat writes nothing.  No planner-costed
	 * probe: a NOT EXISTS subquery here got a generic plan with a sequential
	 * scan when alert_event was small at planning time, kept for the rest of
	 * the session, and a bulk move into an empty table went quadratic.
	 */
	alert_events_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, workflow_id, "
								"stage_id, transition_id, cause, severity, message, facts, tenant) "
								"SELECT e.id, e.alert_id, $3, $4, $5, $6, $7, $8, e.severity, e.message, $11, $12 "
								"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10)) "
								"AS e (id, alert_id, severity, message) "
								"ON CONFLICT DO NOTHING",
								wf_qualified(schema, "alert_event")),
					   12, event_types);
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

/* The events of one change, built up and written with one statement. */
typedef struct AlertEvents
{
	int			n;
	int64	   *ids;
	Datum	   *id_datums;
	Datum	   *alert_ids;
	bool	   *alert_nulls;
	Datum	   *severities;
	Datum	   *messages;
} AlertEvents;

static void
events_init(AlertEvents *ev, int capacity)
{
	ev->n = 0;
	ev->ids = palloc(sizeof(int64) * capacity);
	ev->id_datums = palloc(sizeof(Datum) * capacity);
	ev->alert_ids = palloc(sizeof(Datum) * capacity);
	ev->alert_nulls = palloc(sizeof(bool) * capacity);
	ev->severities = palloc(sizeof(Datum) * capacity);
	ev->messages = palloc(sizeof(Datum) * capacity);
}

/* Adds an event; alert_id 0 is an SLA event (no alert). */
static void
events_add(AlertEvents *ev, Oid schema, int64 alert_id, const char *severity, const char *message)
{
	int			i = ev->n++;

	ev->ids[i] = next_alert_event_id(schema);
	ev->id_datums[i] = Int64GetDatum(ev->ids[i]);
	ev->alert_ids[i] = Int64GetDatum(alert_id);
	ev->alert_nulls[i] = alert_id == 0;
	ev->severities[i] = CStringGetTextDatum(severity);
	ev->messages[i] = CStringGetTextDatum(message);
}

static ArrayType *
int8_array(Datum *values, bool *nulls, int n)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return construct_md_array(values, nulls, 1, dims, lbs, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE);
}

/*
 * Writes the events (the caller is connected to SPI, the plans prepared):
 * one INSERT of all of them, each row announced to the history guard, in
 * order.  Returns how many were written (not repeats within the visit).
 */
static bool
shared_across_tenants(int64 stage_id, Oid schema)
{
	const WfStage *stage = wf_stage_lookup(schema, stage_id);

	return stage != NULL && stage->shared_across_tenants;
}

/*
 * What an event copies from the facts is bounded (DESIGN section 6): a
 * snapshot over WF_EVENT_FACTS_BYTES of JSON text is replaced by
 * {"truncated": true, "bytes": n} (README: Events).
 */
#define WF_EVENT_FACTS_BYTES (64 * 1024)

static Jsonb *
bounded_facts(Jsonb *doc)
{
	size_t		len;

	if (doc == NULL || VARSIZE(doc) < WF_EVENT_FACTS_BYTES / 4)
		return doc;
	len = strlen(JsonbToCString(NULL, &doc->root, VARSIZE(doc)));
	if (len <= WF_EVENT_FACTS_BYTES)
		return doc;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(
		psprintf("{\"truncated\": true, \"bytes\": %zu}", len))));
}

static int
events_write(AlertEvents *ev, Oid schema, const WfPipelineRow *row, int64 stage_id,
			 const char *cause, WfFacts *facts)
{
	Datum		args[12];
	char		nulls[12];
	int			ret;

	if (ev->n == 0)
		return 0;
	memset(nulls, ' ', sizeof(nulls));
	args[0] = PointerGetDatum(int8_array(ev->id_datums, NULL, ev->n));
	args[1] = PointerGetDatum(int8_array(ev->alert_ids, ev->alert_nulls, ev->n));
	args[2] = Int64GetDatum(row->job_id);
	args[3] = Int64GetDatum(row->candidate_id);
	args[4] = Int64GetDatum(row->workflow_id);
	args[5] = Int64GetDatum(stage_id);
	args[6] = Int64GetDatum(row->visit_transition_id);
	args[7] = CStringGetTextDatum(cause);
	args[8] = PointerGetDatum(construct_array(ev->severities, ev->n, TEXTOID, -1, false, TYPALIGN_INT));
	args[9] = PointerGetDatum(construct_array(ev->messages, ev->n, TEXTOID, -1, false, TYPALIGN_INT));
	/*
	 * The snapshot keeps the candidate's facts, as the column always has;
	 * none in a workflow shared across tenants: its events are read by
	 * another tenant's actors.
	 */
	args[10] = JsonbPGetDatum(shared_across_tenants(stage_id, schema)
							  ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
							  : bounded_facts(wf_facts_doc(facts, WF_SOURCE_CANDIDATE)));
	args[11] = CStringGetTextDatum(row->tenant);

	wf_history_expect_rows(get_relname_relid("alert_event", schema), ev->ids, ev->n);
	PG_TRY();
	{
		ret = SPI_execute_plan(alert_events_plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_clear();
	}
	PG_END_TRY();
	/* (no RETURNING: the row may be one the writer may not read back) */
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write alert events");
	return (int) SPI_processed;
}

/*
 * Writes an alert_event for each firing alert, at most once per stage visit
 * (row->visit_transition_id), in one statement.  Returns how many were written.
 */
int
wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
				WfFacts *facts, const char *cause)
{
	AlertEvents ev;
	int			raised;

	events_init(&ev, Max(stage->n_alerts, 1));
	for (int i = 0; i < stage->n_alerts; i++)
	{
		const WfAlert *alert = &stage->alerts[i];

		if (fires[i])
			events_add(&ev, schema, alert->id, alert->severity, alert->message);
	}
	if (ev.n == 0)
		return 0;
	SPI_connect();
	prepare_plans(schema);
	raised = events_write(&ev, schema, row, stage->id, cause, facts);
	SPI_finish();
	return raised;
}

/* The SLA event of a stage visit; returns its id, or 0 when it was raised already. */
int64
wf_raise_sla_event(Oid schema, const WfPipelineRow *row, const char *message, WfFacts *facts)
{
	AlertEvents ev;
	int64		id;

	events_init(&ev, 1);
	events_add(&ev, schema, 0, "warning", message);
	SPI_connect();
	prepare_plans(schema);
	id = events_write(&ev, schema, row, row->stage_id, "sla", facts) == 1 ? ev.ids[0] : 0;
	SPI_finish();
	return id;
}

/*
 * Writes the history row of the change that stamped row->transition_id; its
 * to_status is row->status.  note (NULL: none) adds a rejection's reason code
 * and a transfer's other job.
 */
void
wf_write_transition(Oid schema, const WfPipelineRow *row, bool has_from, int64 from_stage_id,
					const char *from_status, const char *actor, const char *reason,
					int alerts_raised, Jsonb *warnings, const WfTransitionNote *note)
{
	Datum		args[16];
	char		nulls[16];
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
	args[12] = CStringGetTextDatum(row->tenant);
	args[13] = (note && note->reason_code) ? CStringGetTextDatum(note->reason_code) : (Datum) 0;
	if (!(note && note->reason_code))
		nulls[13] = 'n';
	args[14] = Int64GetDatum(note ? note->related_job_id : 0);
	if (!(note && note->has_related_job))
		nulls[14] = 'n';
	args[15] = (note && note->on_enter) ? JsonbPGetDatum(note->on_enter) : (Datum) 0;
	if (!(note && note->on_enter))
		nulls[15] = 'n';

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
