/*
 * pipeline_events.c - what a change of the pipeline writes: the
 * stage_transition row (with the entered stage's on_enter actions, as they
 * are at the entry), alert_event rows, and the NOTIFY that wakes
 * listeners.  Every row is written with the caller's rights and announced to
 * the history guard first (rights.c).  Plans are prepared once per backend.
 */
#include "workflow_ext.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "pipeline.h"

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr transition_plan = NULL;
static SPIPlanPtr alert_events_plan = NULL;
static SPIPlanPtr transitions_plan = NULL;	/* many history rows: batched_writes.c */
static SPIPlanPtr alert_events_rows_plan = NULL;	/* many events, each its own columns */
static SPIPlanPtr alert_events_facts_plan = NULL;	/* ... some raised again by facts */
static SPIPlanPtr alert_events_new_plan = NULL;	/* ... all of visits begun by the same write */
static SPIPlanPtr alert_event_entries_plan = NULL;	/* one change's events of the visit it began */

/*
 * The highest visit (transition id) named by an alert event this backend
 * wrote in the current transaction (0: none).  An entry event of a visit
 * above it cannot be a repeat: no event of this transaction names that
 * visit, an earlier transaction's cannot (the id is new), and another
 * session's cannot (it does not see the visit, uncommitted).  A change of
 * facts or a trigger of the caller's may raise a new visit's alerts before
 * its entry events are written (a writable CTE, a trigger on the history
 * or pipeline table): then the visit is at or below it.  A subtransaction
 * rolled back leaves it as it was (too high only keeps ON CONFLICT).
 */
static int64 highest_event_visit = 0;
static LocalTransactionId highest_event_visit_lxid = InvalidLocalTransactionId;

static void
note_event_visit(int64 visit)
{
	if (highest_event_visit_lxid != MyProc->lxid)
	{
		highest_event_visit_lxid = MyProc->lxid;
		highest_event_visit = 0;
	}
	if (visit > highest_event_visit)
		highest_event_visit = visit;
}

/* Whether an alert event this transaction wrote may name the visit. */
bool
wf_visit_has_events(int64 visit)
{
	return highest_event_visit_lxid == MyProc->lxid && visit <= highest_event_visit;
}

/* Prepares (once per schema) the statements; the caller is connected to SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			transition_types[16] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, TEXTOID, INT8OID, JSONBOID};
	Oid			event_types[12] = {INT8ARRAYOID, INT8ARRAYOID, INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID, TEXTOID};

	Oid			transitions_types[WF_TRANSITION_COLUMNS] = {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	INT4ARRAYOID, JSONBARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, JSONBARRAYOID};
	Oid			rows_types[WF_EVENT_COLUMNS] = {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	JSONBARRAYOID, TEXTARRAYOID};

	if (plans_schema == schema && transition_plan && alert_events_plan && transitions_plan &&
		alert_events_rows_plan && alert_events_facts_plan && alert_events_new_plan &&
		alert_event_entries_plan)
		return;
	if (transition_plan)
		SPI_freeplan(transition_plan);
	if (alert_events_plan)
		SPI_freeplan(alert_events_plan);
	if (transitions_plan)
		SPI_freeplan(transitions_plan);
	if (alert_events_rows_plan)
		SPI_freeplan(alert_events_rows_plan);
	if (alert_events_facts_plan)
		SPI_freeplan(alert_events_facts_plan);
	if (alert_events_new_plan)
		SPI_freeplan(alert_events_new_plan);
	if (alert_event_entries_plan)
		SPI_freeplan(alert_event_entries_plan);
	transition_plan = alert_events_plan = transitions_plan = alert_events_rows_plan = NULL;
	alert_events_facts_plan = alert_events_new_plan = alert_event_entries_plan = NULL;

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

	/*
	 * The same, for the entry events of a single change (a move function's,
	 * history_batch_size = 1) written right after its own history row began
	 * the visit (wf_raise_entry_alerts): no ON CONFLICT, for the reasons
	 * given at alert_events_new_plan below, under the same condition
	 * (wf_event_arbiters_decide_nothing).
	 */
	alert_event_entries_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, workflow_id, "
								"stage_id, transition_id, cause, severity, message, facts, tenant) "
								"SELECT e.id, e.alert_id, $3, $4, $5, $6, $7, $8, e.severity, e.message, $11, $12 "
								"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10)) "
								"AS e (id, alert_id, severity, message)",
								wf_qualified(schema, "alert_event")),
					   12, event_types);

	/*
	 * The rows of many changes (a statement's, batched_writes.c): each
	 * column an array, unnested in order, so the history guard admits them
	 * in the order announced.  The same columns, defaults, constraints,
	 * policies, triggers and arbiters as above.  The arrays are unnested in
	 * the select list (a ProjectSet node: all of them in lockstep, one row
	 * per element, in order, the arrays being of one length), not by ROWS
	 * FROM: a function scan materializes each unnest into a tuplestore of
	 * its own before the first row, 12 and 16 stores and reads per row, 5%
	 * of a bulk move (bench/results/batched_writes.md, seventh pass).
	 */
	transitions_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, job_id, candidate_id, workflow_id, "
								"from_stage_id, to_stage_id, from_status, to_status, actor, reason, "
								"alerts_raised, warnings, tenant, reason_code, related_job_id, on_enter) "
								"SELECT pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
								"pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
								"pg_catalog.unnest($12), pg_catalog.unnest($13), pg_catalog.unnest($14), "
								"pg_catalog.unnest($15), pg_catalog.unnest($16)",
								wf_qualified(schema, "stage_transition")),
					   WF_TRANSITION_COLUMNS, transitions_types);
	alert_events_rows_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, "
								"workflow_id, stage_id, transition_id, cause, severity, message, facts, tenant) "
								"SELECT pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
								"pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
								"pg_catalog.unnest($12) "
								"ON CONFLICT DO NOTHING",
								wf_qualified(schema, "alert_event")),
					   WF_EVENT_COLUMNS, rows_types);

	/*
	 * The same rows when every one is an entry event of a visit that the
	 * same batch's history INSERT has just begun (wf_write_new_visit_events):
	 * no ON CONFLICT.  Such an event cannot be a repeat: its transition_id is
	 * the id of a history row inserted a moment ago (stage_transition's
	 * primary key), which no earlier event can name (only this code writes
	 * alert_event, always naming a visit's history row, and a transition
	 * that events name cannot be deleted), nor can an uncommitted one of
	 * another transaction; within the batch a visit's events are of distinct
	 * alerts.  So the arbiters' pre-check (a probe of each unique index per
	 * row) and the speculative insertion (its token and its confirmation
	 * record per row) decide nothing there; the unique indexes still check
	 * every row, and a duplicate, which only a hand-made row could cause,
	 * fails the statement (23505) instead of being skipped.  Taken only
	 * while alert_event's unique indexes are such that no arbiter could
	 * decide anything (wf_event_arbiters_decide_nothing: an owner's own unique index
	 * keeps ON CONFLICT DO NOTHING for every event).  Everything else
	 * is the statement above: privileges, row-level security, constraints,
	 * foreign keys, defaults, the history guard, the caller's triggers.
	 */
	alert_events_new_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, "
								"workflow_id, stage_id, transition_id, cause, severity, message, facts, tenant) "
								"SELECT pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
								"pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
								"pg_catalog.unnest($12)",
								wf_qualified(schema, "alert_event")),
					   WF_EVENT_COLUMNS, rows_types);

	/*
	 * Many events of which some a change of facts raises again (a
	 * statement's; wf_write_alert_events picks this statement then): a
	 * repeat of cause 'facts' that the caller can already read in the
	 * visit is not proposed (NOT EXISTS, under the caller's snapshot and
	 * row-level security), so a change of facts that
	 * re-raises the alerts of a visit costs a probe per event, not the
	 * triggers, policy checks and arbiter probes of a proposed row.  A row
	 * the caller cannot read, or one not yet committed, is proposed and ON
	 * CONFLICT DO NOTHING decides as for any event.  (An entry's event is
	 * of a new visit: proposed without the probe, and a batch of entries
	 * only takes the plain statement above, which needs no SELECT on
	 * alert_event and keeps its generic plan.  No conflict target is
	 * named: that would require SELECT on alert_event and check each new
	 * event against its SELECT policies.)  The executor decides all of it.
	 * The probe is a correlated subplan (OFFSET 0 keeps it one): as an
	 * anti-join, batches of 1,000 changes against 10,000 events got a hash
	 * anti-join over a sequential scan, evaluating the read policy on every
	 * row of alert_event (62% of a facts update).  Its generic plan is an
	 * index probe whatever alert_event's size when it was made
	 * (kept_plans.c).
	 */
	alert_events_facts_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, alert_id, job_id, candidate_id, "
								"workflow_id, stage_id, transition_id, cause, severity, message, facts, tenant) "
								"SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
								"pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
								"pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
								"pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
								"pg_catalog.unnest($12)) AS u (id, alert_id, job_id, candidate_id, workflow_id, "
								"stage_id, transition_id, cause, severity, message, facts, tenant) "
								"WHERE u.cause OPERATOR(pg_catalog.<>) 'facts' OR NOT EXISTS (SELECT 1 FROM %s e "
								"WHERE e.tenant OPERATOR(pg_catalog.=) u.tenant "
								"AND e.candidate_id OPERATOR(pg_catalog.=) u.candidate_id "
								"AND e.transition_id OPERATOR(pg_catalog.=) u.transition_id "
								"AND e.alert_id OPERATOR(pg_catalog.=) u.alert_id OFFSET 0) "
								"ON CONFLICT DO NOTHING",
								wf_qualified(schema, "alert_event"), wf_qualified(schema, "alert_event")),
					   WF_EVENT_COLUMNS, rows_types);
	plans_schema = schema;
}

int64
wf_next_alert_event_id(Oid schema)
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

	ev->ids[i] = wf_next_alert_event_id(schema);
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

/*
 * The snapshot an event keeps: the candidate's facts, as the column always
 * has; none in a workflow shared across tenants: its events are read by
 * another tenant's actors.
 */
Jsonb *
wf_event_facts(Oid schema, int64 stage_id, WfFacts *facts)
{
	return shared_across_tenants(stage_id, schema)
		? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: bounded_facts(wf_facts_doc(facts, WF_SOURCE_CANDIDATE));
}

static int
events_write(AlertEvents *ev, Oid schema, const WfPipelineRow *row, int64 stage_id,
			 const char *cause, WfFacts *facts, bool new_visit)
{
	SPIPlanPtr	plan;

	Datum		args[12];
	char		nulls[12];
	WfHistoryExpectation outer;
	int			ret;

	if (ev->n == 0)
		return 0;
	if (strcmp(cause, "facts") == 0)
	{
		/*
		 * A change of facts written at once (history_batch_size = 1, COPY
		 * into a facts table): the statement that leaves out the repeats the
		 * writer reads, as a statement's batch does, so the setting never
		 * changes what a change of facts proposes.
		 */
		Datum	   *values = palloc(sizeof(Datum) * ev->n * WF_EVENT_COLUMNS);
		char	   *vnulls = palloc(ev->n * WF_EVENT_COLUMNS);
		Datum		doc = JsonbPGetDatum(wf_event_facts(schema, stage_id, facts));

		wf_batch_flush_pending();	/* what a statement holds came first */
		memset(vnulls, ' ', ev->n * WF_EVENT_COLUMNS);
		for (int r = 0; r < ev->n; r++)
		{
			Datum	   *v = values + r * WF_EVENT_COLUMNS;

			v[0] = ev->id_datums[r];
			v[1] = ev->alert_ids[r];
			if (ev->alert_nulls[r])
				vnulls[r * WF_EVENT_COLUMNS + 1] = 'n';
			v[2] = Int64GetDatum(row->job_id);
			v[3] = Int64GetDatum(row->candidate_id);
			v[4] = Int64GetDatum(row->workflow_id);
			v[5] = Int64GetDatum(stage_id);
			v[6] = Int64GetDatum(row->visit_transition_id);
			v[7] = CStringGetTextDatum(cause);
			v[8] = ev->severities[r];
			v[9] = ev->messages[r];
			v[10] = doc;
			v[11] = CStringGetTextDatum(row->tenant);
		}
		return wf_write_alert_events(schema, ev->n, values, vnulls, ev->ids);
	}
	wf_batch_flush_pending();	/* what a statement holds came first */
	new_visit = new_visit && !wf_visit_has_events(row->visit_transition_id);
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
	args[10] = JsonbPGetDatum(wf_event_facts(schema, stage_id, facts));
	args[11] = CStringGetTextDatum(row->tenant);
	plan = new_visit && wf_event_arbiters_decide_nothing(get_relname_relid("alert_event", schema))
		? alert_event_entries_plan : alert_events_plan;

	/* (an announcement under way, an outer write whose triggers made this one, restored after) */
	wf_history_save(&outer);
	wf_history_expect_rows(get_relname_relid("alert_event", schema), ev->ids, ev->n);
	note_event_visit(row->visit_transition_id);
	PG_TRY();
	{
		ret = wf_execute_kept(plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_restore(&outer);
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
static int
raise_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
			 WfFacts *facts, const char *cause, bool new_visit)
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
	raised = events_write(&ev, schema, row, stage->id, cause, facts, new_visit);
	SPI_finish();
	return raised;
}

int
wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
				WfFacts *facts, const char *cause)
{
	return raise_alerts(schema, stage, fires, row, facts, cause, false);
}

/*
 * The entry events of a single change whose history row the caller has just
 * written (wf_write_transition): that row began the visit, so none can be a
 * repeat unless an event of this transaction already names the visit (a
 * change of facts in the same statement or a trigger of the caller's raised
 * its alerts first: wf_visit_has_events); otherwise, while no unique index
 * of alert_event could decide anything (wf_event_arbiters_decide_nothing), they are
 * written without ON CONFLICT, as a statement's batch writes its own
 * (wf_write_new_visit_events).  A row whose visit is not the one its history
 * row began keeps ON CONFLICT DO NOTHING.
 */
int
wf_raise_entry_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
					  WfFacts *facts)
{
	return raise_alerts(schema, stage, fires, row, facts, "entry",
						row->has_visit && row->visit_transition_id == row->transition_id);
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
	id = events_write(&ev, schema, row, row->stage_id, "sla", facts, false) == 1 ? ev.ids[0] : 0;
	SPI_finish();
	return id;
}

/*
 * Writes the history row of the change that stamped row->transition_id; its
 * to_status is row->status.  note (NULL: none) adds a rejection's reason code
 * and a transfer's other job.
 */
void
wf_transition_args(const WfPipelineRow *row, bool has_from, int64 from_stage_id,
				   const char *from_status, const char *actor, const char *reason,
				   int alerts_raised, Jsonb *warnings, const WfTransitionNote *note,
				   Datum *args, char *nulls)
{
	memset(nulls, ' ', WF_TRANSITION_COLUMNS);
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
}

void
wf_write_transition(Oid schema, const WfPipelineRow *row, bool has_from, int64 from_stage_id,
					const char *from_status, const char *actor, const char *reason,
					int alerts_raised, Jsonb *warnings, const WfTransitionNote *note)
{
	Datum		args[WF_TRANSITION_COLUMNS];
	char		nulls[WF_TRANSITION_COLUMNS];
	WfHistoryExpectation outer;
	int			ret;

	/* what a statement holds came before this change (batched_writes.c) */
	wf_batch_flush_pending();
	wf_transition_args(row, has_from, from_stage_id, from_status, actor, reason, alerts_raised,
					   warnings, note, args, nulls);
	SPI_connect();
	prepare_plans(schema);
	/* (an announcement under way, an outer write whose triggers made this one, restored after) */
	wf_history_save(&outer);
	wf_history_expect(get_relname_relid("stage_transition", schema), row->transition_id);
	PG_TRY();
	{
		ret = wf_execute_kept(transition_plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_restore(&outer);
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write the history of candidate " INT64_FORMAT,
			 row->candidate_id);
	SPI_finish();
}

/*
 * Column i of n rows of width columns (values and nulls row by row, as
 * wf_transition_args lays them out) as one array of type elmtype.
 */
static Datum
column_array(const Datum *values, const char *nulls, int n, int width, int i, Oid elmtype)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	bool	   *elem_nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	for (int r = 0; r < n; r++)
	{
		elem_nulls[r] = nulls[r * width + i] == 'n';
		elems[r] = elem_nulls[r] ? (Datum) 0 : values[r * width + i];
	}
	get_typlenbyvalalign(elmtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, elem_nulls, 1, dims, lbs, elmtype,
											  typlen, typbyval, typalign));
}

static const Oid transition_column_types[WF_TRANSITION_COLUMNS] = {INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, TEXTOID, INT8OID,
JSONBOID};
static const Oid event_column_types[WF_EVENT_COLUMNS] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID};

/*
 * Writes n history rows, each the arguments wf_transition_args made (ids:
 * their ids, in that order), with one statement: the single row's own
 * statement when n is 1.  Each row is announced to the history guard, in
 * order; an announcement under way (an outer write whose triggers made
 * this one) is restored after.
 */
void
wf_write_transitions(Oid schema, int n, const Datum *values, const char *nulls, const int64 *ids)
{
	Datum		args[WF_TRANSITION_COLUMNS];
	char		arg_nulls[WF_TRANSITION_COLUMNS];
	WfHistoryExpectation outer;
	WfVisitBuffer *visits = NULL;
	int			ret;

	if (n == 0)
		return;
	SPI_connect();
	prepare_plans(schema);
	if (n > 1)
	{
		for (int i = 0; i < WF_TRANSITION_COLUMNS; i++)
			args[i] = column_array(values, nulls, n, WF_TRANSITION_COLUMNS, i, transition_column_types[i]);
		memset(arg_nulls, ' ', sizeof(arg_nulls));
	}
	wf_history_save(&outer);
	wf_history_expect_rows(get_relname_relid("stage_transition", schema), ids, n);
	/*
	 * The rows' stage visits: the guard buffers them, and they are written
	 * set-wise when the INSERT's rows are in (stage_visits.c).
	 */
	if (n > 1)
	{
		visits = wf_stage_visits_begin(schema);
		wf_history_expect_visits(visits);
	}
	PG_TRY();
	{
		ret = n == 1 ? wf_execute_kept(transition_plan, (Datum *) values, (char *) nulls, false, 0)
			: wf_execute_kept(transitions_plan, args, arg_nulls, false, 0);
		if (visits)
			wf_stage_visits_flush(visits);
	}
	PG_FINALLY();
	{
		if (visits)
			wf_stage_visits_end(visits);
		wf_history_restore(&outer);
	}
	PG_END_TRY();
	/*
	 * Fewer rows than n: a BEFORE trigger of the owner's skipped some, as it
	 * can skip a row written alone; the pipeline rows' deferred foreign keys
	 * to their history then fail the transaction at commit, the same way.
	 */
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write the history of %d changes", n);
	SPI_finish();
}

static int	write_events(Oid schema, int n, const Datum *values, const char *nulls, const int64 *ids,
						 bool new_visits);

/*
 * Writes n alert events, each WF_EVENT_COLUMNS values (ids: their ids, in
 * order), with one statement, ON CONFLICT DO NOTHING.  Returns how many were
 * written.
 */
int
wf_write_alert_events(Oid schema, int n, const Datum *values, const char *nulls, const int64 *ids)
{
	return write_events(schema, n, values, nulls, ids, false);
}

/*
 * The same, when the caller knows that every event is an entry event of a
 * visit whose history row it has just inserted (batched_writes.c): no ON
 * CONFLICT, none can be a repeat (alert_events_new_plan).
 */
int
wf_write_new_visit_events(Oid schema, int n, const Datum *values, const char *nulls, const int64 *ids)
{
	return write_events(schema, n, values, nulls, ids, true);
}

static int
write_events(Oid schema, int n, const Datum *values, const char *nulls, const int64 *ids,
			 bool new_visits)
{
	Datum		args[WF_EVENT_COLUMNS];
	char		arg_nulls[WF_EVENT_COLUMNS];
	WfHistoryExpectation outer;
	int			ret;
	int			written;
	bool		raised_again = false;

	if (n == 0)
		return 0;
	SPI_connect();
	prepare_plans(schema);
	for (int i = 0; i < WF_EVENT_COLUMNS; i++)
		args[i] = column_array(values, nulls, n, WF_EVENT_COLUMNS, i, event_column_types[i]);
	memset(arg_nulls, ' ', sizeof(arg_nulls));
	/* events raised again by facts: the statement that leaves out the repeats */
	for (int r = 0; r < n && !raised_again && !new_visits; r++)
	{
		text	   *cause;

		if (nulls[r * WF_EVENT_COLUMNS + 7] == 'n')
			continue;
		cause = DatumGetTextPP(values[r * WF_EVENT_COLUMNS + 7]);
		raised_again = VARSIZE_ANY_EXHDR(cause) == 5 && memcmp(VARDATA_ANY(cause), "facts", 5) == 0;
	}
	if (new_visits && !wf_event_arbiters_decide_nothing(get_relname_relid("alert_event", schema)))
		new_visits = false;
	wf_history_save(&outer);
	wf_history_expect_rows(get_relname_relid("alert_event", schema), ids, n);
	for (int r = 0; r < n; r++)
		if (nulls[r * WF_EVENT_COLUMNS + 6] != 'n')
			note_event_visit(DatumGetInt64(values[r * WF_EVENT_COLUMNS + 6]));
	PG_TRY();
	{
		ret = wf_execute_kept(new_visits ? alert_events_new_plan
							   : raised_again ? alert_events_facts_plan : alert_events_rows_plan,
							   args, arg_nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_history_restore(&outer);
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write alert events");
	written = (int) SPI_processed;
	SPI_finish();
	return written;
}
