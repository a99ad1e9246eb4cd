/*
 * pipeline_triggers.c - the triggers on candidate_stage that make every
 * change of the pipeline a checked, recorded move, whether it comes from
 * move_to_next_stage() or from an ORM's plain UPDATE.
 *
 * BEFORE (guard): fill a new row, check the change, evaluate the target
 * stage's rule, stamp entered_at and a new transition id.  AFTER (record):
 * write the stage_transition row, raise alerts, NOTIFY.  (Facts that change
 * later are handled in facts_changed_trigger.c.)  What the BEFORE
 * trigger learned (facts, warnings) waits for the AFTER trigger in a
 * per-transaction map keyed by transition id.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_stage_guard);
PG_FUNCTION_INFO_V1(wf_candidate_stage_record);

/* What the BEFORE trigger hands to the AFTER trigger of the same row. */
typedef struct PendingMove
{
	int64		transition_id;	/* hash key */
	bool		restored;		/* row restored with its history: record nothing */
	Jsonb	   *facts;			/* facts the rule saw, or NULL */
	Jsonb	   *warnings;		/* failed leaves of a 'warn' rule, or NULL */
} PendingMove;

static HTAB *pending = NULL;
static bool xact_callback_registered = false;

/* The latest recorded change, for the move function that caused it. */
static int64 last_transition_id = 0;
static int	last_alerts_raised = 0;
static Jsonb *last_warnings = NULL;	/* in TopTransactionContext */

static void
forget_pending(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		pending = NULL;			/* its memory goes with TopTransactionContext */
		last_transition_id = 0;
		last_warnings = NULL;
	}
}

static PendingMove *
remember(int64 transition_id)
{
	bool		found;
	PendingMove *p;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(forget_pending, NULL);
		xact_callback_registered = true;
	}
	if (pending == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(PendingMove);
		ctl.hcxt = TopTransactionContext;
		pending = hash_create("workflow_ext pending moves", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	p = hash_search(pending, &transition_id, HASH_ENTER, &found);
	p->restored = false;
	p->facts = NULL;
	p->warnings = NULL;
	return p;
}

bool
wf_last_move(int64 transition_id, int *alerts_raised, Jsonb **warnings)
{
	if (transition_id == 0 || transition_id != last_transition_id)
		return false;
	*alerts_raised = last_alerts_raised;
	*warnings = last_warnings;
	return true;
}

static void
remember_recorded(int64 transition_id, int alerts_raised, Jsonb *warnings)
{
	last_transition_id = transition_id;
	last_alerts_raised = alerts_raised;
	last_warnings = warnings;	/* already in TopTransactionContext, or NULL */
}

static bool
take_pending(int64 transition_id, PendingMove *out)
{
	PendingMove *p;

	if (pending == NULL)
		return false;
	p = hash_search(pending, &transition_id, HASH_FIND, NULL);
	if (p == NULL)
		return false;
	*out = *p;
	hash_search(pending, &transition_id, HASH_REMOVE, NULL);
	return true;
}

/* Column numbers of candidate_stage, looked up by name. */
typedef struct Columns
{
	int			job_id,
				candidate_id,
				workflow_id,
				stage_id,
				status,
				entered_at,
				transition_id;
} Columns;

static int
column(TupleDesc desc, const char *name)
{
	int			n = SPI_fnumber(desc, name);

	if (n <= 0)
		elog(ERROR, "workflow_ext: candidate_stage has no column \"%s\"", name);
	return n;
}

static Columns
columns_of(TupleDesc desc)
{
	Columns		c;

	c.job_id = column(desc, "job_id");
	c.candidate_id = column(desc, "candidate_id");
	c.workflow_id = column(desc, "workflow_id");
	c.stage_id = column(desc, "stage_id");
	c.status = column(desc, "status");
	c.entered_at = column(desc, "entered_at");
	c.transition_id = column(desc, "transition_id");
	return c;
}

static int64
get_int8(HeapTuple t, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = heap_getattr(t, col, desc, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static WfPipelineRow
read_row(HeapTuple t, TupleDesc desc, const Columns *c)
{
	WfPipelineRow row;
	bool		isnull;
	Datum		d;

	row.job_id = get_int8(t, desc, c->job_id, &isnull);
	row.candidate_id = get_int8(t, desc, c->candidate_id, &isnull);
	row.workflow_id = get_int8(t, desc, c->workflow_id, &isnull);
	row.stage_id = get_int8(t, desc, c->stage_id, &isnull);
	row.transition_id = get_int8(t, desc, c->transition_id, &isnull);
	d = heap_getattr(t, c->status, desc, &isnull);
	row.status = isnull ? NULL : TextDatumGetCString(d);
	return row;
}

static Oid
extension_schema(FunctionCallInfo fcinfo)
{
	return get_func_namespace(fcinfo->flinfo->fn_oid);
}

static int64
next_transition_id(Oid schema)
{
	Oid			seq = get_relname_relid("stage_transition_id_seq", schema);

	if (!OidIsValid(seq))
		elog(ERROR, "workflow_ext: sequence stage_transition_id_seq is missing");
	return nextval_internal(seq, false);
}

/* One int8 result of a query with int8 arguments, run as the extension owner. */
static bool
query_int8(const char *sql, int nargs, int64 a1, int64 a2, int64 *out)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2] = {Int64GetDatum(a1), Int64GetDatum(a2)};
	bool		found = false;

	SPI_connect();
	if (SPI_execute_with_args(sql, nargs, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: query failed: %s", sql);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		found = !isnull;
		if (found)
			*out = DatumGetInt64(d);
	}
	SPI_finish();
	return found;
}

static const WfStage *
stage_in_workflow(Oid schema, int64 stage_id, const WfPipelineRow *row)
{
	const WfStage *stage = wf_stage_lookup(schema, stage_id);

	if (stage == NULL || stage->workflow_id != row->workflow_id)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("stage " INT64_FORMAT " is not a stage of workflow " INT64_FORMAT
						" (job " INT64_FORMAT ")", stage_id, row->workflow_id, row->job_id)));
	return stage;
}

/*
 * The candidate is about to enter stage: evaluate its rule.  A blocking rule
 * that fails refuses with 23514 and the failed leaves in DETAIL; a warning
 * rule lets the move happen and keeps the failed leaves for the history row.
 */
static void
check_rule(Oid schema, const WfStage *stage, const WfPipelineRow *row, PendingMove *p)
{
	Jsonb	   *facts;
	const wf_fact *resolved;
	wf_status	status;
	int			result;
	char	   *failed;
	MemoryContext old;

	if (stage->rule.cond == NULL)
		return;
	facts = wf_fetch_facts(schema, row->candidate_id);
	old = MemoryContextSwitchTo(TopTransactionContext);
	p->facts = (Jsonb *) palloc(VARSIZE(facts));
	memcpy(p->facts, facts, VARSIZE(facts));
	MemoryContextSwitchTo(old);

	resolved = wf_compiled_resolve(&stage->rule, facts);
	result = wf_condition_evaluate(stage->rule.cond, resolved, &status);
	if (result < 0)
		wf_raise_status(&status, psprintf("rule \"%s\"", stage->rule_name));
	if (result == 1)
		return;
	failed = wf_condition_explain(stage->rule.cond, resolved, 1, &result, &status);
	if (failed == NULL)
		wf_raise_status(&status, psprintf("rule \"%s\"", stage->rule_name));
	if (stage->rule_blocks)
	{
		char	   *detail = pstrdup(failed);

		wf_free(failed);
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("rule \"%s\" of stage \"%s\" blocks candidate " INT64_FORMAT
						" in job " INT64_FORMAT, stage->rule_name, stage->name,
						row->candidate_id, row->job_id),
				 errdetail("%s", detail)));
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p->warnings = wf_take_core_json(failed);
	MemoryContextSwitchTo(old);
}

static HeapTuple
stamp(HeapTuple tuple, TupleDesc desc, const Columns *c, int64 transition_id,
	  bool entering, const char *status)
{
	int			cols[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			n = 0;

	cols[n] = c->transition_id;
	values[n++] = Int64GetDatum(transition_id);
	if (entering)
	{
		cols[n] = c->entered_at;
		values[n++] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	}
	if (status)
	{
		cols[n] = c->status;
		values[n++] = CStringGetTextDatum(status);
	}
	return heap_modify_tuple_by_cols(tuple, desc, n, cols, values, nulls);
}

static void
not_active(const WfPipelineRow *row, const char *status)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is %s, not active",
					row->candidate_id, row->job_id, status)));
}

/* A pipeline row restored by pg_restore keeps its history: verify and pass. */
static HeapTuple
guard_restore(Oid schema, HeapTuple tuple, const WfPipelineRow *row)
{
	int64		found;
	char	   *sql = psprintf("SELECT t.id FROM %s t WHERE t.id = $1 AND t.candidate_id = $2",
							   wf_qualified(schema, "stage_transition"));

	if (!query_int8(sql, 2, row->transition_id, row->candidate_id, &found))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("transition_id of candidate_stage is set by workflow_ext"),
				 errdetail("A new pipeline row may name a transition only when that "
						   "stage_transition row of the same candidate exists (restore).")));
	remember(row->transition_id)->restored = true;
	return tuple;
}

static HeapTuple
guard_insert(Oid schema, TriggerData *td, const Columns *c)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	HeapTuple	tuple = td->tg_trigtuple;
	WfPipelineRow row = read_row(tuple, desc, c);
	bool		isnull;
	const WfStage *stage;
	PendingMove *p;
	int64		transition_id;

	if (row.job_id == 0 || row.candidate_id == 0)
		return tuple;			/* NOT NULL reports it */
	if (row.transition_id != 0)
		return guard_restore(schema, tuple, &row);
	if (row.status != NULL && strcmp(row.status, "active") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate " INT64_FORMAT " enters job " INT64_FORMAT
						" as active, not %s", row.candidate_id, row.job_id, row.status)));

	(void) get_int8(tuple, desc, c->workflow_id, &isnull);
	if (isnull)
	{
		/* Look the workflow up as the caller would see it, so nothing leaks. */
		bool		rls = check_enable_rls(RelationGetRelid(td->tg_relation), GetOuterUserId(),
										   true) == RLS_ENABLED;
		char	   *sql = psprintf("SELECT j.workflow_id FROM %s j WHERE j.job_id = $1%s",
								   wf_qualified(schema, "job_workflow"),
								   rls ? psprintf(" AND j.workflow_id IN (SELECT %s())",
												  wf_qualified(schema, "visible_workflow_ids"))
								   : "");

		if (!query_int8(sql, 1, row.job_id, 0, &row.workflow_id))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("job " INT64_FORMAT " not found", row.job_id),
					 errhint("Assign a workflow to the job with assign_workflow().")));
	}
	if (row.stage_id == 0)
	{
		char	   *sql = psprintf("SELECT s.id FROM %s s WHERE s.workflow_id = $1 "
								   "ORDER BY s.position LIMIT 1",
								   wf_qualified(schema, "workflow_stage"));

		if (!query_int8(sql, 1, row.workflow_id, 0, &row.stage_id))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workflow " INT64_FORMAT " of job " INT64_FORMAT " has no stages",
							row.workflow_id, row.job_id)));
	}
	stage = stage_in_workflow(schema, row.stage_id, &row);
	transition_id = next_transition_id(schema);
	p = remember(transition_id);
	check_rule(schema, stage, &row, p);
	{
		int			cols[2] = {c->workflow_id, c->stage_id};
		Datum		values[2] = {Int64GetDatum(row.workflow_id), Int64GetDatum(row.stage_id)};
		bool		nulls[2] = {false, false};

		tuple = heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls);
	}
	return stamp(tuple, desc, c, transition_id, true, stage->hired ? "hired" : "active");
}

static bool
is_closed(const char *status)
{
	return strcmp(status, "rejected") == 0 || strcmp(status, "withdrawn") == 0;
}

static HeapTuple
guard_update(Oid schema, TriggerData *td, const Columns *c)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	WfPipelineRow old = read_row(td->tg_trigtuple, desc, c);
	WfPipelineRow new = read_row(td->tg_newtuple, desc, c);
	HeapTuple	tuple = td->tg_newtuple;
	bool		moved = new.stage_id != old.stage_id;
	bool		status_changed = new.status == NULL || strcmp(new.status, old.status) != 0;
	int64		transition_id;

	if (new.job_id != old.job_id || new.candidate_id != old.candidate_id ||
		new.workflow_id != old.workflow_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the job, candidate and workflow of candidate " INT64_FORMAT
						" in job " INT64_FORMAT " cannot change", old.candidate_id, old.job_id),
				 errhint("Remove the candidate from the job and add them to the other one.")));
	if (new.status == NULL)
		return tuple;			/* NOT NULL reports it */

	if (wf_move_request.active && wf_move_request.job_id == old.job_id &&
		wf_move_request.candidate_id == old.candidate_id)
	{
		/* A move function's request, checked against the row as locked now. */
		int64		target = wf_move_request.stage_id;
		int			col = c->stage_id;
		Datum		value;
		bool		isnull = false;

		wf_move_request.handled = true;
		wf_move_request.from_stage_id = old.stage_id;
		if (strcmp(old.status, "active") != 0)
			not_active(&old, old.status);
		if (wf_move_request.next)
		{
			const WfStage *current = wf_stage_lookup(schema, old.stage_id);

			if (current == NULL || current->next_stage_id == 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
								" is already in the last stage (" INT64_FORMAT ")",
								old.candidate_id, old.job_id, old.stage_id)));
			if (wf_move_request.has_expected && wf_move_request.expected_stage_id != old.stage_id)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is in stage "
								INT64_FORMAT ", not in the expected stage " INT64_FORMAT,
								old.candidate_id, old.job_id, old.stage_id,
								wf_move_request.expected_stage_id)));
			target = current->next_stage_id;
		}
		else if (target == old.stage_id)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is already in stage " INT64_FORMAT,
							old.candidate_id, old.job_id, old.stage_id)));
		value = Int64GetDatum(target);
		tuple = heap_modify_tuple_by_cols(tuple, desc, 1, &col, &value, &isnull);
		new.stage_id = target;
		moved = true;
	}

	if (!moved && !status_changed)
	{
		/* Not a move: entered_at and transition_id stay as the history says. */
		bool		isnull;
		Datum		entered = heap_getattr(td->tg_trigtuple, c->entered_at, desc, &isnull);
		int			cols[2] = {c->entered_at, c->transition_id};
		Datum		values[2] = {entered, Int64GetDatum(old.transition_id)};
		bool		nulls[2] = {isnull, old.transition_id == 0};

		return heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls);
	}
	if (moved)
	{
		const WfStage *stage;
		PendingMove *p;

		if (strcmp(old.status, "active") != 0)
			not_active(&old, old.status);
		if (status_changed)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("change the stage or the status of candidate " INT64_FORMAT
							" in job " INT64_FORMAT ", not both at once",
							old.candidate_id, old.job_id)));
		stage = stage_in_workflow(schema, new.stage_id, &new);
		transition_id = next_transition_id(schema);
		p = remember(transition_id);
		check_rule(schema, stage, &new, p);
		return stamp(tuple, desc, c, transition_id, true, stage->hired ? "hired" : NULL);
	}

	/* A status change: active -> rejected/withdrawn, or back (reopen). */
	if (!is_closed(new.status) && strcmp(new.status, "active") != 0 &&
		strcmp(new.status, "hired") != 0)
		return tuple;			/* not a status at all: the CHECK constraint reports it */
	if (strcmp(new.status, "hired") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
						" is hired by moving into a hired stage, not by setting the status",
						old.candidate_id, old.job_id)));
	if (strcmp(old.status, "active") == 0 ? !is_closed(new.status)
		: !(is_closed(old.status) && strcmp(new.status, "active") == 0))
	{
		if (strcmp(new.status, "active") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is %s and cannot be reopened", old.candidate_id, old.job_id,
							old.status)));
		not_active(&old, old.status);
	}
	transition_id = next_transition_id(schema);
	(void) remember(transition_id);
	return stamp(tuple, desc, c, transition_id, false, NULL);
}

Datum
wf_candidate_stage_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema;
	Columns		c;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_stage_guard() must be a BEFORE INSERT OR UPDATE row trigger")));
	(void) wf_actor();
	schema = extension_schema(fcinfo);
	c = columns_of(td->tg_relation->rd_att);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		return PointerGetDatum(guard_insert(schema, td, &c));
	return PointerGetDatum(guard_update(schema, td, &c));
}

Datum
wf_candidate_stage_record(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			schema;
	Columns		c;
	WfPipelineRow row;
	WfPipelineRow old = {0};
	bool		inserted;
	bool		entered;
	PendingMove p;
	const char *actor;
	StringInfoData ids;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_stage_record() must be an AFTER INSERT OR UPDATE row trigger")));
	desc = td->tg_relation->rd_att;
	c = columns_of(desc);
	inserted = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	row = read_row(inserted ? td->tg_trigtuple : td->tg_newtuple, desc, &c);
	if (!inserted)
	{
		old = read_row(td->tg_trigtuple, desc, &c);
		if (old.transition_id == row.transition_id)
			return PointerGetDatum(NULL);	/* not a move nor a status change */
	}
	if (!take_pending(row.transition_id, &p))
		memset(&p, 0, sizeof(p));
	if (p.restored)
		return PointerGetDatum(NULL);

	schema = extension_schema(fcinfo);
	actor = wf_actor();
	entered = inserted || row.stage_id != old.stage_id;
	initStringInfo(&ids);
	if (entered)
	{
		const WfStage *stage = wf_stage_lookup(schema, row.stage_id);

		if (stage != NULL && stage->n_alerts > 0)
		{
			Jsonb	   *facts = p.facts ? p.facts : wf_fetch_facts(schema, row.candidate_id);
			bool	   *fires = palloc(sizeof(bool) * stage->n_alerts);
			int			firing = wf_firing_alerts(stage, facts, fires);

			/* The history row first: alert events reference it. */
			wf_write_transition(schema, &row, inserted ? 0 : old.stage_id,
								inserted ? NULL : old.status, actor, firing, p.warnings);
			if (firing > 0)
				(void) wf_raise_alerts(schema, stage, fires, &row, facts, "entry", &ids);
			remember_recorded(row.transition_id, firing, p.warnings);
		}
		else
		{
			wf_write_transition(schema, &row, inserted ? 0 : old.stage_id,
								inserted ? NULL : old.status, actor, 0, p.warnings);
			remember_recorded(row.transition_id, 0, p.warnings);
		}
	}
	else
		wf_write_transition(schema, &row, old.stage_id, old.status, actor, 0, NULL);
	wf_notify(inserted ? "enter" : entered ? "move" : "status", &row,
			  inserted ? 0 : old.stage_id, inserted ? NULL : old.status, ids.data);
	return PointerGetDatum(NULL);
}
