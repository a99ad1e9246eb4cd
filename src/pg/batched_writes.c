/*
 * batched_writes.c - the history rows, alert events and wake-ups of the
 * changes of one statement on candidate_stage (or on facts), written
 * set-wise.
 *
 * A bulk UPDATE of candidate_stage records each changed row in its AFTER
 * row trigger (pipeline_record.c).  Written one statement per row, each
 * history row and each row's alert events paid an executor start-up and
 * shut-down of its own: most of a bulk move's time (bench/results/
 * batched_writes.md).  Instead, while a statement on candidate_stage runs,
 * its row triggers put what they would write into a buffer of that
 * statement (a frame), and the rows are written as multi-row INSERTs of the
 * same columns (pipeline_events.c: one INSERT ... SELECT unnest(...), ...
 * for the history rows, one for the alert events, ON CONFLICT DO NOTHING),
 * every workflow_ext.history_batch_size changes and when the statement's row
 * triggers are done:
 *
 *  - the row trigger (candidate_stage_record) buffers into the frame of the
 *    query whose AFTER triggers are firing: frames are kept per level of
 *    ExecutorFinish (where PostgreSQL fires a query's AFTER triggers), made
 *    when the first change is buffered, and pushed on a stack, so a statement
 *    run inside another's triggers has a frame of its own.  A change is
 *    written at once, as it always was, when no query's AFTER triggers are
 *    firing through ExecutorFinish (COPY, logical replication), when its
 *    subtransaction is not the frame's, while the frame is being written,
 *    and for a move function's own change (its result counts the events
 *    written; move_candidates' batch UPDATE is buffered: frame->batch_writes);
 *  - an ExecutorFinish hook writes the frame of its level after
 *    PostgreSQL's ExecutorFinish has fired the query's AFTER triggers, and
 *    drops it.
 *
 * The facts trigger (candidate_profile, job_profile, the facts source
 * table) buffers the alert events that a statement's changes of facts raise again (facts_changed_trigger.c:
 * cause 'facts', ON CONFLICT DO NOTHING, most of them repeats); their
 * wake-ups are queued only for the visits whose events were written.
 *
 * The INSERTs are the only arbiter of every protection, as the single-row
 * ones were: privileges, row-level security, constraints, foreign keys,
 * column defaults, ON CONFLICT, the history guard (each row announced, in
 * order) and the caller's own triggers on the history tables.  Nothing is
 * decided here but when to write.  The ids are those a row-at-a-time write
 * gives (the history row's id is stamped by the BEFORE trigger, an event's
 * taken from the sequence when it is buffered), and each row's wake-up
 * (NOTIFY) is queued after its rows are written, with the count of its
 * events written.
 *
 * A frame lives in its own memory context under TopTransactionContext.  A
 * subtransaction that aborts drops the frames opened in it (and in its
 * children): their statements never happened.
 *
 * (Statement triggers were the first design: a BEFORE STATEMENT trigger
 * opening the frame and an AFTER one writing it.  PostgreSQL keeps a table
 * of fired statement triggers per query in CurTransactionContext, which then
 * outlives every subtransaction that ran a statement: move_candidates()'s
 * subtransactions and a move per savepoint kept 8 kB each until commit.)
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pipeline.h"

int			wf_history_batch_size = 1000;

/* One change's wake-up, queued once its events are written. */
typedef struct WakeUp
{
	const char *kind;			/* a string constant */
	int64		transition_id;
	int			first_event;	/* its events: [first_event, first_event + n_events) */
	int			n_events;
	bool		if_written;		/* only when some of its events were written */
} WakeUp;

typedef struct BatchFrame
{
	struct BatchFrame *outer;	/* the frame of the statement this one runs in */
	int			depth;			/* its level of ExecutorFinish */
	SubTransactionId subxid;
	Oid			schema;
	bool		writing;		/* its rows are being written now */
	SubTransactionId write_subxid;	/* ... in this subtransaction */
	/*
	 * Written ahead of a nested write (flush_pending) from inside a
	 * subtransaction of its own: kept until that subtransaction commits
	 * into the frame's, and held again if it rolls back (its rows with it).
	 */
	SubTransactionId flushed_in;
	/* whose rights, and which tenant, the statement's writes run with */
	Oid			user;
	int			sec_context;
	char	   *tenant;
	char	   *actor;
	/* its changes of facts may be evaluated set-wise: -1 not decided yet */
	int			facts_setwise;
	MemoryContext context;
	/* history rows: WF_TRANSITION_COLUMNS values each */
	int			n_transitions;
	int			max_transitions;
	Datum	   *t_values;
	char	   *t_nulls;
	int64	   *t_ids;
	/* alert events: WF_EVENT_COLUMNS values each */
	int			n_events;
	int			max_events;
	Datum	   *e_values;
	char	   *e_nulls;
	int64	   *e_ids;
	/* wake-ups, and the events of the change being recorded */
	int			n_wakeups;
	int			max_wakeups;
	WakeUp	   *wakeups;
	int			row_first_event;
	int			row_events;
	/*
	 * Changes of facts recorded by the facts trigger (wf_batch_facts), in
	 * order, evaluated set-wise from facts_next on (evaluate_facts).
	 */
	MemoryContext facts_context;
	WfFactsChange *facts;
	int			n_facts;
	int			max_facts;
	int			facts_next;
	bool		evaluating;		/* its changes of facts are being evaluated now */
} BatchFrame;

static BatchFrame *top = NULL;
uint64		wf_batch_writes = 0;	/* frames written so far (a change in it: rows written) */
static int	finish_depth = 0;		/* ExecutorFinish calls under way */
static QueryDesc *finishing = NULL;	/* the query of the innermost one */
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;

static const bool transition_byref[WF_TRANSITION_COLUMNS] = {false, false, false, false, false, false,
true, true, true, true, false, true, true, true, false, true};

static void
open_frame(int depth)
{
	BatchFrame *f = MemoryContextAllocZero(TopTransactionContext, sizeof(BatchFrame));

	f->context = AllocSetContextCreate(TopTransactionContext, "workflow_ext batched writes",
									   ALLOCSET_DEFAULT_SIZES);
	f->facts_context = AllocSetContextCreate(TopTransactionContext, "workflow_ext changes of facts",
											 ALLOCSET_DEFAULT_SIZES);
	f->depth = depth;
	f->subxid = GetCurrentSubTransactionId();
	GetUserIdAndSecContext(&f->user, &f->sec_context);
	f->tenant = MemoryContextStrdup(TopTransactionContext, wf_tenant_setting ? wf_tenant_setting : "");
	f->actor = MemoryContextStrdup(TopTransactionContext, wf_actor_setting ? wf_actor_setting : "");
	f->facts_setwise = -1;
	f->outer = top;
	top = f;
}

static void
close_frame(void)
{
	BatchFrame *f = top;

	top = f->outer;
	MemoryContextDelete(f->context);
	MemoryContextDelete(f->facts_context);
	pfree(f->tenant);
	pfree(f->actor);
	pfree(f);
}

static void evaluate_facts(BatchFrame *f, bool at_end);

static bool
batch_open(void)
{
	if (finish_depth == 0 || wf_history_batch_size <= 1)
		return false;
	if (top != NULL && top->depth >= finish_depth)
		return top->depth == finish_depth && !top->writing && top->flushed_in == InvalidSubTransactionId &&
			top->subxid == GetCurrentSubTransactionId();
	/* a nested statement's changes come after what the outer ones hold */
	wf_batch_flush_pending();
	open_frame(finish_depth);
	return true;
}

/*
 * Whether the change a row trigger on rel records now goes into the frame
 * of the query whose AFTER triggers are firing (made if need be).  The
 * changes of facts the frame holds are evaluated first: they came before.
 */
bool
wf_batch_open(Relation rel)
{
	(void) rel;
	if (top != NULL && top->depth == finish_depth)
		evaluate_facts(top, false);
	return batch_open();
}

/* Room for need rows of width values (and their nulls and ids), in the frame's memory. */
static void
grow(int need, int *max, Datum **values, char **nulls, int64 **ids, int width)
{
	int			n;

	if (need <= *max)
		return;
	n = Max(*max * 2, Max(need, 64));
	*values = *values ? repalloc(*values, sizeof(Datum) * width * n) : palloc(sizeof(Datum) * width * n);
	*nulls = *nulls ? repalloc(*nulls, width * n) : palloc(width * n);
	*ids = *ids ? repalloc(*ids, sizeof(int64) * n) : palloc(sizeof(int64) * n);
	*max = n;
}

/* A copy of n values of a row in the frame's memory (by-reference ones copied). */
static void
copy_row(Datum *to, char *to_nulls, const Datum *from, const char *from_nulls, const bool *byref, int n)
{
	for (int i = 0; i < n; i++)
	{
		to_nulls[i] = from_nulls[i];
		to[i] = from_nulls[i] == 'n' ? (Datum) 0
			: byref[i] ? datumCopy(from[i], false, -1) : from[i];
	}
}

static void
use_schema(BatchFrame *f, Oid schema)
{
	if (OidIsValid(f->schema) && f->schema != schema)
		elog(ERROR, "workflow_ext: one statement's history in two schemas");
	f->schema = schema;
}

/* Buffers the history row wf_write_transition would write now. */
void
wf_batch_transition(Oid schema, const WfPipelineRow *row, bool has_from, int64 from_stage_id,
					const char *from_status, const char *actor, const char *reason,
					int alerts_raised, Jsonb *warnings, const WfTransitionNote *note)
{
	BatchFrame *f = top;
	Datum		values[WF_TRANSITION_COLUMNS];
	char		nulls[WF_TRANSITION_COLUMNS];
	MemoryContext old;
	int			i;

	wf_transition_args(row, has_from, from_stage_id, from_status, actor, reason, alerts_raised,
					   warnings, note, values, nulls);
	use_schema(f, schema);
	old = MemoryContextSwitchTo(f->context);
	i = f->n_transitions;
	grow(i + 1, &f->max_transitions, &f->t_values, &f->t_nulls, &f->t_ids, WF_TRANSITION_COLUMNS);
	copy_row(&f->t_values[i * WF_TRANSITION_COLUMNS], &f->t_nulls[i * WF_TRANSITION_COLUMNS],
			 values, nulls, transition_byref, WF_TRANSITION_COLUMNS);
	f->t_ids[i] = row->transition_id;
	f->n_transitions++;
	MemoryContextSwitchTo(old);
}

/*
 * Buffers an alert_event for each firing alert of stage, as wf_raise_alerts
 * would write them now (ids taken now, in the same order).  Returns how many.
 */
int
wf_batch_alerts(Oid schema, const WfStage *stage, const bool *fires, const WfPipelineRow *row,
				WfFacts *facts, const char *cause)
{
	return wf_batch_alerts_except(schema, stage, fires, NULL, row, facts, cause);
}

/*
 * As wf_batch_alerts, but a firing alert marked in repeat (NULL: none) is
 * known to have its event of this visit already (the facts' locking read
 * saw it, as the writer): it takes its id, as its repeat would have (the
 * ids stay those of a row-at-a-time write), and is not buffered.
 */
int
wf_batch_alerts_except(Oid schema, const WfStage *stage, const bool *fires, const bool *repeat,
					   const WfPipelineRow *row, WfFacts *facts, const char *cause)
{
	BatchFrame *f = top;
	Datum		shared[WF_EVENT_COLUMNS];
	char		nulls[WF_EVENT_COLUMNS];
	MemoryContext old;
	int			n = 0;

	f->row_first_event = f->n_events;
	f->row_events = 0;
	for (int a = 0; a < stage->n_alerts; a++)
		n += fires[a] && !(repeat && repeat[a]) ? 1 : 0;
	if (n == 0)
	{
		for (int a = 0; a < stage->n_alerts; a++)
			if (fires[a])
				(void) wf_next_alert_event_id(schema);	/* (repeats only) */
		return 0;
	}
	use_schema(f, schema);
	memset(nulls, ' ', sizeof(nulls));
	shared[2] = Int64GetDatum(row->job_id);
	shared[3] = Int64GetDatum(row->candidate_id);
	shared[4] = Int64GetDatum(row->workflow_id);
	shared[5] = Int64GetDatum(stage->id);
	shared[6] = Int64GetDatum(row->visit_transition_id);
	shared[11] = CStringGetTextDatum(row->tenant);
	old = MemoryContextSwitchTo(f->context);
	/* one copy of what the events share (the arrays copy them when written) */
	shared[7] = CStringGetTextDatum(cause);
	shared[10] = datumCopy(JsonbPGetDatum(wf_event_facts(schema, stage->id, facts)), false, -1);
	shared[11] = datumCopy(shared[11], false, -1);
	grow(f->n_events + n, &f->max_events, &f->e_values, &f->e_nulls, &f->e_ids, WF_EVENT_COLUMNS);
	for (int a = 0; a < stage->n_alerts; a++)
	{
		const WfAlert *alert = &stage->alerts[a];
		int			i = f->n_events;
		Datum	   *v = &f->e_values[i * WF_EVENT_COLUMNS];
		char	   *vn = &f->e_nulls[i * WF_EVENT_COLUMNS];

		if (!fires[a])
			continue;
		if (repeat && repeat[a])
		{
			(void) wf_next_alert_event_id(schema);
			continue;
		}
		memcpy(v, shared, sizeof(shared));
		memcpy(vn, nulls, sizeof(nulls));
		f->e_ids[i] = wf_next_alert_event_id(schema);
		v[0] = Int64GetDatum(f->e_ids[i]);
		v[1] = Int64GetDatum(alert->id);
		v[8] = CStringGetTextDatum(alert->severity);
		v[9] = CStringGetTextDatum(alert->message);
		f->n_events++;
	}
	MemoryContextSwitchTo(old);
	f->row_events = n;
	return n;
}

static void write_frame(BatchFrame *f);
static void reset_frame(BatchFrame *f);

/* Whether the caller runs with the rights, the tenant and the actor of the frame's statement. */
static bool
same_rights(BatchFrame *f)
{
	Oid			user;
	int			sec_context;

	GetUserIdAndSecContext(&user, &sec_context);
	return user == f->user && sec_context == f->sec_context &&
		strcmp(f->tenant, wf_tenant_setting ? wf_tenant_setting : "") == 0 &&
		strcmp(f->actor, wf_actor_setting ? wf_actor_setting : "") == 0;
}

/*
 * Whether a trigger runs only the extension's code or PostgreSQL's own: a
 * function of the extension, or a foreign key's check (its query passes
 * ExecutorStart) or a deferred unique check.  A foreign key's action
 * (CASCADE, SET NULL, SET DEFAULT) writes another table, whose own triggers
 * are then queued after the statement's.
 */
static bool
own_trigger(const Trigger *t, Oid extension)
{
	if (t->tgenabled == TRIGGER_DISABLED)
		return true;
	switch (t->tgfoid)
	{
		case F_RI_FKEY_CHECK_INS:
		case F_RI_FKEY_CHECK_UPD:
		case F_RI_FKEY_NOACTION_DEL:
		case F_RI_FKEY_NOACTION_UPD:
		case F_RI_FKEY_RESTRICT_DEL:
		case F_RI_FKEY_RESTRICT_UPD:
		case F_UNIQUE_KEY_RECHECK:
			return true;
		default:
			return OidIsValid(extension) && getExtensionOfObject(ProcedureRelationId, t->tgfoid) == extension;
	}
}

/* Whether every trigger of the result relations in list is the extension's or PostgreSQL's own. */
static bool
own_triggers(List *relations, Oid extension)
{
	ListCell   *lc;

	foreach(lc, relations)
	{
		ResultRelInfo *r = (ResultRelInfo *) lfirst(lc);
		TriggerDesc *triggers = r->ri_TrigDesc;

		for (int i = 0; triggers != NULL && i < triggers->numtriggers; i++)
			if (!own_trigger(&triggers->triggers[i], extension))
				return false;
	}
	return true;
}

/*
 * Whether the changes of facts of the query whose AFTER triggers are
 * firing may be evaluated later than their rows (set-wise), decided once
 * per frame: only when nothing but the extension's own code (and
 * PostgreSQL's) can run between a change's row trigger and its
 * evaluation, so that it is evaluated under the context, the locks and the
 * facts its row trigger had.  Not when a table the query writes (or fires
 * triggers of) has a trigger of anyone else's: an owner's or application's
 * trigger may switch the tenant, the actor or the role (utility statements
 * pass no ExecutorStart), take locks, or change facts or move candidates
 * from a subtransaction or a SECURITY DEFINER function, ahead of the
 * pending evaluation.  Not when some stage of the schema advances by
 * itself: an auto-advance's move, with the triggers of candidate_stage,
 * would run after the batch's pipeline rows are locked
 * (test/specs/facts_setwise_advance.spec).  rel is candidate_profile.
 */
static bool
setwise_allowed(Relation rel, Oid schema)
{
	Oid			extension;
	EState	   *estate;

	if (finishing == NULL || finishing->estate == NULL)
		return false;
	if (wf_schema_auto_advances(schema))
		return false;
	extension = getExtensionOfObject(RelationRelationId, RelationGetRelid(rel));
	estate = finishing->estate;
	return own_triggers(estate->es_opened_result_relations, extension) &&
		own_triggers(estate->es_tuple_routing_result_relations, extension) &&
		own_triggers(estate->es_trig_target_relations, extension);
}

/*
 * Records a change of facts in the frame of the query whose AFTER triggers
 * are firing, to be evaluated with the frame's other changes of facts, in
 * order, before anything that comes after it: another change written or
 * buffered (wf_batch_open), a statement run inside the query's AFTER
 * triggers (executor_start), a full frame, the frame's flush.  False when
 * the change is to be evaluated at once (not batched now; other rights,
 * another tenant or actor than the statement's: a SECURITY DEFINER
 * function; a statement where code other than the extension's could run
 * before its evaluation: setwise_allowed).
 */
bool
wf_batch_facts(Relation rel, const WfFactsChange *change)
{
	BatchFrame *f;
	WfFactsChange *c;
	MemoryContext old;

	if (!batch_open())
		return false;
	f = top;
	if (f->evaluating || !same_rights(f))
		return false;
	if (f->facts_setwise < 0)
		f->facts_setwise = setwise_allowed(rel, change->schema) ? 1 : 0;
	if (!f->facts_setwise)
		return false;
	old = MemoryContextSwitchTo(f->facts_context);
	if (f->n_facts == f->max_facts)
	{
		f->max_facts = Max(f->max_facts * 2, 64);
		f->facts = f->facts ? repalloc(f->facts, sizeof(WfFactsChange) * f->max_facts)
			: palloc(sizeof(WfFactsChange) * f->max_facts);
	}
	c = &f->facts[f->n_facts++];
	*c = *change;
	c->tenant = change->tenant ? pstrdup(change->tenant) : NULL;
	c->given = change->given ? DatumGetJsonbPCopy(JsonbPGetDatum(change->given)) : NULL;
	MemoryContextSwitchTo(old);
	if (f->n_facts - f->facts_next >= wf_history_batch_size)
		evaluate_facts(f, false);
	return true;
}

/*
 * Evaluates the changes of facts the frame holds (wf_facts_evaluate: their
 * open stage visits read set-wise), into the frame, when it is the
 * innermost frame, the caller runs in its subtransaction and with its
 * rights and tenant.  Not from inside a subtransaction of the frame's (a
 * statement in an exception block of an application's trigger): that
 * subtransaction may roll back, and the evaluation with it; the changes
 * wait for the next point in the frame's own (at the latest the
 * statement's end).  search_path is pinned meanwhile, as the trigger's row
 * work was.  At the
 * statement's end (at_end) whatever the tenant setting is then (a trigger
 * of the application's may have changed it for the session): the changes
 * are evaluated, as each row's trigger evaluated its own.
 */
static void
evaluate_facts(BatchFrame *f, bool at_end)
{
	if (f != top || f->evaluating || f->writing || f->facts_next >= f->n_facts ||
		f->subxid != GetCurrentSubTransactionId() || f->flushed_in != InvalidSubTransactionId ||
		!(at_end || same_rights(f)))
		return;
	f->evaluating = true;
	wf_stage_pin();
	PG_TRY();
	{
		int			pinned = wf_pin_search_path();

		while (f->facts_next < f->n_facts)
			f->facts_next += wf_facts_evaluate(f->facts + f->facts_next, f->n_facts - f->facts_next, true);
		wf_unpin_search_path(pinned);
	}
	PG_FINALLY();
	{
		f->evaluating = false;
	}
	PG_END_TRY();
	(void) wf_stage_unpin((Datum) 0);
	MemoryContextReset(f->facts_context);
	f->facts = NULL;
	f->n_facts = f->max_facts = f->facts_next = 0;
}

/*
 * The change's wake-up, queued when its rows are written: the last step of
 * a buffered change; a full frame is written now.
 */
static void
queue_wakeup(const char *kind, int64 transition_id, bool if_written)
{
	BatchFrame *f = top;
	WakeUp	   *w;

	if (f->n_wakeups == f->max_wakeups)
	{
		MemoryContext old = MemoryContextSwitchTo(f->context);

		f->max_wakeups = Max(f->max_wakeups * 2, 64);
		f->wakeups = f->wakeups ? repalloc(f->wakeups, sizeof(WakeUp) * f->max_wakeups)
			: palloc(sizeof(WakeUp) * f->max_wakeups);
		MemoryContextSwitchTo(old);
	}
	w = &f->wakeups[f->n_wakeups++];
	w->kind = kind;
	w->transition_id = transition_id;
	w->first_event = f->row_first_event;
	w->n_events = f->row_events;
	w->if_written = if_written;
	f->row_first_event = f->n_events;
	f->row_events = 0;
	if (f->n_wakeups >= wf_history_batch_size)
		write_frame(f);
}

/*
 * How many more wake-ups the innermost frame takes before it is written (at
 * least 1; history_batch_size without a frame).  A set-wise read of changes
 * of facts locks at most this many pipeline rows (one wake-up each at most),
 * so that no write of the frame comes between a run's locks and its last
 * change, as none came row by row (facts_changed_trigger.c).
 */
int
wf_batch_room(void)
{
	if (top == NULL)
		return Max(wf_history_batch_size, 1);
	return Max(wf_history_batch_size - top->n_wakeups, 1);
}

void
wf_batch_notify(const char *kind, int64 transition_id, int alert_events)
{
	(void) alert_events;		/* counted when written */
	queue_wakeup(kind, transition_id, false);
}

/* The wake-up of alerts raised again by new facts: queued only if some were written. */
void
wf_batch_notify_alerts(int64 visit_transition_id)
{
	queue_wakeup("alert", visit_transition_id, true);
}

/*
 * Whether the frame holds rows not written, and the caller runs with the
 * rights and the tenant of the frame's statement (so that writing them now
 * decides what writing them when they were buffered decided).
 */
static bool
flushable(BatchFrame *f)
{
	Oid			user;
	int			sec_context;

	if (f->writing || f->flushed_in != InvalidSubTransactionId ||
		(f->n_transitions == 0 && f->n_events == 0 && f->n_wakeups == 0))
		return false;
	GetUserIdAndSecContext(&user, &sec_context);
	return user == f->user && sec_context == f->sec_context &&
		strcmp(f->tenant, wf_tenant_setting ? wf_tenant_setting : "") == 0;
}

static void
flush_from(BatchFrame *f)
{
	if (f == NULL)
		return;
	flush_from(f->outer);
	evaluate_facts(f, false);
	if (flushable(f))
		write_frame(f);
}

/*
 * Writes what the frames hold, outermost first, before a write that comes
 * after their changes (a change written at once, a nested statement's
 * first change buffered): row by row, a nested statement run by the
 * application's AFTER trigger, or a move function it calls, found the
 * statement's earlier changes written (their history, alert events and
 * wake-ups first).  A frame of other rights or another tenant (a SECURITY
 * DEFINER function, a function's SET workflow_ext.tenant) is left alone.
 */
void
wf_batch_flush_pending(void)
{
	flush_from(top);
}

/* Writes what the statement's frame holds now (before an auto-advance, say). */
void
wf_batch_flush(void)
{
	if (top != NULL && !top->writing)
		write_frame(top);
}

/*
 * Which of the events were written, when ON CONFLICT or a trigger of the
 * caller's skipped some: read back by id as the tables' owner (the writer
 * may not read them back), sorted.  Returns how many were found.  Not a
 * read-only SPI call: that would read with the snapshot taken before the
 * INSERT just made, find none, and every wake-up of the frame would say 0
 * events (or be dropped when it is sent only if some were written).
 */
static int
written_events(Oid schema, const int64 *ids, int n, int64 **found)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	Oid			types[1] = {INT8ARRAYOID};
	Datum		args[1];
	WfSavedUser saved;
	MemoryContext caller = CurrentMemoryContext;
	int			count;

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	args[0] = PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	SPI_connect();
	wf_become_owner(schema, &saved);
	if (SPI_execute_with_args(psprintf("SELECT e.id FROM %s e WHERE e.id OPERATOR(pg_catalog.=) "
									   "ANY ($1) ORDER BY e.id",
									   wf_qualified(schema, "alert_event")),
							  1, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read alert events back");
	wf_restore_user(&saved);
	count = (int) SPI_processed;
	*found = MemoryContextAlloc(caller, sizeof(int64) * Max(count, 1));
	for (int i = 0; i < count; i++)
	{
		bool		isnull;

		(*found)[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	return count;
}

/*
 * True when every event of the frame is an entry event of a visit begun by
 * one of the frame's own history rows (a bulk move's) that no alert event
 * of this transaction names yet (wf_visit_has_events: a change of facts or
 * a trigger of the caller's may have raised its alerts first): none can be
 * a repeat, they are written without ON CONFLICT (wf_write_new_visit_events).
 */
static bool
events_of_new_visits(const BatchFrame *f)
{
	int64	   *visits;
	bool		all = true;

	if (f->n_events == 0 || f->n_transitions == 0)
		return false;
	visits = palloc(sizeof(int64) * f->n_transitions);
	memcpy(visits, f->t_ids, sizeof(int64) * f->n_transitions);
	qsort(visits, f->n_transitions, sizeof(int64), wf_compare_int64);
	for (int i = 0; i < f->n_events && all; i++)
	{
		const Datum *v = &f->e_values[i * WF_EVENT_COLUMNS];
		const char *vn = &f->e_nulls[i * WF_EVENT_COLUMNS];
		int64		visit = DatumGetInt64(v[6]);
		text	   *cause;

		if (vn[6] == 'n' || vn[7] == 'n')
		{
			all = false;
			break;
		}
		cause = DatumGetTextPP(v[7]);
		all = VARSIZE_ANY_EXHDR(cause) == 5 && memcmp(VARDATA_ANY(cause), "entry", 5) == 0 &&
			bsearch(&visit, visits, f->n_transitions, sizeof(int64), wf_compare_int64) != NULL &&
			!wf_visit_has_events(visit);
	}
	pfree(visits);
	return all;
}

/*
 * Writes the frame's rows: the history rows first (in order), then the
 * alert events, then the wake-ups.  Then the frame is empty again.
 */
static void
write_frame(BatchFrame *f)
{
	int64	   *found = NULL;
	int			n_found = -1;
	int			written;

	if (f->flushed_in != InvalidSubTransactionId ||
		(f->n_transitions == 0 && f->n_events == 0 && f->n_wakeups == 0))
		return;
	f->writing = true;
	f->write_subxid = GetCurrentSubTransactionId();
	wf_batch_writes++;
	wf_write_transitions(f->schema, f->n_transitions, f->t_values, f->t_nulls, f->t_ids);
	/* (after the history rows: their triggers may have raised a visit's alerts) */
	written = (events_of_new_visits(f) ? wf_write_new_visit_events : wf_write_alert_events)
		(f->schema, f->n_events, f->e_values, f->e_nulls, f->e_ids);
	if (written == 0)
		n_found = 0;			/* none written: nothing to read back */
	else if (written != f->n_events)
	{
		n_found = written_events(f->schema, f->e_ids, f->n_events, &found);
		qsort(found, n_found, sizeof(int64), wf_compare_int64);
	}
	for (int i = 0; i < f->n_wakeups; i++)
	{
		WakeUp	   *w = &f->wakeups[i];
		int			count = w->n_events;

		if (n_found >= 0)
		{
			count = 0;
			for (int e = w->first_event; e < w->first_event + w->n_events; e++)
				if (bsearch(&f->e_ids[e], found, n_found, sizeof(int64), wf_compare_int64) != NULL)
					count++;
		}
		if (count > 0 || !w->if_written)
			wf_notify(w->kind, w->transition_id, count);
	}
	f->writing = false;
	if (found)
		pfree(found);
	/* written from inside a subtransaction of the frame's: kept until it commits */
	if (f->write_subxid > f->subxid)
		f->flushed_in = f->write_subxid;
	else
		reset_frame(f);
}

/* The frame emptied (its rows written for good). */
static void
reset_frame(BatchFrame *f)
{
	MemoryContextReset(f->context);
	f->n_transitions = f->max_transitions = 0;
	f->n_events = f->max_events = 0;
	f->n_wakeups = f->max_wakeups = 0;
	f->t_values = NULL;
	f->t_nulls = NULL;
	f->t_ids = NULL;
	f->e_values = NULL;
	f->e_nulls = NULL;
	f->e_ids = NULL;
	f->wakeups = NULL;
	f->row_first_event = f->row_events = 0;
}

/*
 * After PostgreSQL's ExecutorFinish (the query's AFTER triggers fired), the
 * frame of this level is written and dropped.  On error the frame goes with
 * its (sub)transaction.
 */
static void
executor_finish(QueryDesc *queryDesc)
{
	QueryDesc  *outer = finishing;

	/* a history INSERT's rows are in: their stage visits (stage_visits.c) */
	wf_stage_visits_at_finish(queryDesc);
	finish_depth++;
	finishing = queryDesc;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
		if (top != NULL && top->depth == finish_depth)
		{
			evaluate_facts(top, true);
			write_frame(top);
			close_frame();
		}
	}
	PG_FINALLY();
	{
		finish_depth--;
		finishing = outer;
	}
	PG_END_TRY();
}

/*
 * A statement about to run inside the AFTER triggers of the query whose
 * frame is on top comes after the frame's changes of facts: they are
 * evaluated first.  (From the ExecutorStart hook, and from a read made
 * without the executor where the statement it replaces would run:
 * facts_source.c's probe.)
 */
void
wf_batch_before_statement(void)
{
	if (top != NULL && top->depth == finish_depth)
		evaluate_facts(top, false);
}

/* A history INSERT of many rows starting: its stage visits' buffer takes it (stage_visits.c). */
static void
executor_start(QueryDesc *queryDesc, int eflags)
{
	wf_batch_before_statement();
	wf_stage_visits_at_start(queryDesc);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
at_xact_event(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			for (BatchFrame *f = top; f != NULL; f = f->outer)
				if (f->n_transitions > 0 || f->n_events > 0 || f->facts_next < f->n_facts)
					elog(ERROR, "workflow_ext: history held for a set-wise write was not written");
			top = NULL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_ABORT:
			top = NULL;			/* (its memory goes with the transaction) */
			wf_stage_visits_reset();
			break;
		default:
			break;
	}
}

/*
 * A subtransaction rolled back: the frames of the statements it ran are
 * dropped (subtransaction ids grow: those opened in it or its children are
 * >= its own, and on top of the stack).
 */
static void
at_subxact_event(SubXactEvent event, SubTransactionId mine, SubTransactionId parent, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		/* rows written ahead from inside it now belong to its parent */
		for (BatchFrame *f = top; f != NULL; f = f->outer)
			if (f->flushed_in == mine)
			{
				f->flushed_in = parent <= f->subxid ? InvalidSubTransactionId : parent;
				if (f->flushed_in == InvalidSubTransactionId)
					reset_frame(f);
			}
		return;
	}
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (top != NULL && top->subxid >= mine)
		close_frame();
	/*
	 * Rows of an outer frame written from inside it (or a write of them that
	 * failed there) are gone with it: held again, to be written again.
	 */
	for (BatchFrame *f = top; f != NULL; f = f->outer)
	{
		if (f->flushed_in != InvalidSubTransactionId && f->flushed_in >= mine)
			f->flushed_in = InvalidSubTransactionId;
		if (f->writing && f->write_subxid >= mine)
			f->writing = false;
	}
}

void
wf_batched_writes_init(void)
{
	RegisterXactCallback(at_xact_event, NULL);
	RegisterSubXactCallback(at_subxact_event, NULL);
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = executor_finish;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = executor_start;
}
