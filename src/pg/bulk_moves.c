/*
 * bulk_moves.c - move_candidates(job_id, candidate_ids, to_stage_id, reason):
 * many candidates of one job moved in one call, one result row each.
 *
 * Candidates go in batches of up to BATCH_MAX distinct ids.  One read finds
 * the cheap refusals (no row in the caller's tenant, not active, last stage,
 * already in the target stage); those candidates take the single move's path
 * (wf_move_candidate(), the path of move_to_stage() and move_to_next_stage())
 * inside their own internal subtransaction, as a PL/pgSQL exception block
 * runs its body, and a refusal becomes the candidate's row: outcome, the
 * SQLSTATE the single move raises and its JSON DETAIL.  The others move in
 * one UPDATE of the batch (the single move's statement over an array of ids:
 * the same triggers, checks, history, alerts, events and row-level security,
 * one frame per candidate) inside one subtransaction.  A refusal inside that
 * UPDATE (a blocking rule, a concurrent change) rolls the batch back; the
 * candidate the BEFORE trigger refused takes the single path and the batch
 * runs again, a few times at most, then its candidates go one by one; any
 * other error of a candidate's doing sends the whole batch one by one, where
 * the single path raises it again.  An id that comes again starts the next
 * batch, so it finds its row as the earlier element left it.  What is not a
 * candidate's (no actor, the job not visible, a bad argument, a cancel, a
 * deadlock) is raised as it is.  When candidate_stage carries an
 * application's trigger, every candidate takes the single path, in input
 * order (application_triggers()).
 *
 * Memory is bounded whatever the number of ids: the array is read element
 * by element, each batch's allocations go to a context reset before the
 * next one, and the rows go to a tuplestore (materialize mode), which spills
 * to disk beyond work_mem.  What a transaction keeps per change anyway (the
 * after-trigger queue, pending NOTIFYs) stays, as for a bulk UPDATE, with a
 * subtransaction id per batch and per candidate taken one by one.
 */
#include "workflow_ext.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_move_candidates);

#define N_COLUMNS 7

/* The job as the caller sees it: its tenant and workflow; P0002 when none. */
static int64
job_workflow(Oid schema, int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(job_id)};
	bool		isnull = true;
	int64		workflow_id = 0;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT j.workflow_id FROM %s j "
									   "WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
									   "AND j.tenant OPERATOR(pg_catalog.=) %s($1)",
									   wf_qualified(schema, "job_workflow"),
									   wf_qualified(schema, "job_tenant")),
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read job " INT64_FORMAT, job_id);
	if (SPI_processed == 1)
		workflow_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
												  &isnull));
	SPI_finish();
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job " INT64_FORMAT " not found", job_id),
				 errdetail_reason("job_not_found", "\"job_id\": " INT64_FORMAT, job_id)));
	return workflow_id;
}

/* detail as jsonb when it is JSON, else NULL (never raises). */
static Jsonb *
detail_json(const char *detail)
{
	JsonLexContext *lex;

	if (detail == NULL)
		return NULL;
	lex = makeJsonLexContextCstringLen(unconstify(char *, detail), strlen(detail),
									   GetDatabaseEncoding(), false);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(detail)));
}

/* The "reason" member of a JSON object DETAIL, or NULL. */
static const char *
detail_reason(Jsonb *detail)
{
	JsonbValue *v;

	if (detail == NULL || !JB_ROOT_IS_OBJECT(detail))
		return NULL;
	v = getKeyJsonValueFromContainer(&detail->root, "reason", strlen("reason"), NULL);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * The outcome of a refusal of one candidate, or NULL when the error is not
 * a per-candidate outcome (it is then raised).  *detail may be replaced.
 */
static const char *
classify(const ErrorData *edata, Jsonb **detail)
{
	const char *reason = detail_reason(*detail);

	switch (edata->sqlerrcode)
	{
		case ERRCODE_NO_DATA_FOUND:
			/* the engine's "not in the job" only: an application trigger's P0002 is raised */
			return reason != NULL && strcmp(reason, "candidate_not_found") == 0 ? "not_found" : NULL;
		case ERRCODE_CHECK_VIOLATION:
			/* the rule's refusal (a CHECK constraint's has no reason) */
			return reason != NULL && strcmp(reason, "rule_blocked") == 0 ? "blocked" : NULL;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:

			/*
			 * One candidate's: its row changed since the snapshot (REPEATABLE
			 * READ or SERIALIZABLE: the heap's "concurrent update", no
			 * DETAIL) or the engine's own (a JSON reason).  Not SSI's (DETAIL
			 * "Reason code: ...", errdetail_internal, never translated):
			 * read/write dependencies with the row unchanged, after which
			 * every write of the transaction fails: raised, the transaction's
			 * to retry whole, as the single move raises it (attack16); nor
			 * an application's at READ COMMITTED.
			 */
			if (reason == NULL &&
				(!IsolationUsesXactSnapshot() ||
				 (edata->detail != NULL && strncmp(edata->detail, "Reason code:", 12) == 0)))
				return NULL;
			if (*detail == NULL)
				*detail = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															 CStringGetDatum("{\"reason\": \"concurrent_update\"}")));
			return "stale";
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			if (reason == NULL)
				return "refused";		/* an application trigger's refusal of the move */
			if (strcmp(reason, "not_active") == 0)
				return "not_active";
			if (strcmp(reason, "last_stage") == 0)
				return "last_stage";
			if (strcmp(reason, "already_in_stage") == 0 || strcmp(reason, "stale_expected_stage") == 0)
				return "stale";
			return "refused";
		default:
			return NULL;
	}
}

/* {"alerts_raised": n, "warnings": [...]} of a move. */
static Datum
moved_detail(const WfChangeFrame *frame)
{
	return DirectFunctionCall1(jsonb_in,
							   CStringGetDatum(psprintf("{\"alerts_raised\": %d, \"warnings\": %s}",
														frame->alerts_raised,
														frame->warnings
														? JsonbToCString(NULL, &frame->warnings->root, 0)
														: "[]")));
}

/* What every candidate of the call shares. */
typedef struct BulkCall
{
	Oid			schema;
	int64		job_id;
	bool		has_to;
	int64		to;
	const char *reason;
	const char *tenant;			/* the caller's */
	const char *actor;
	ResourceOwner owner;
	bool		one_by_one;		/* an application trigger: no batches */
} BulkCall;

typedef enum
{
	ENTRY_SINGLE,				/* takes the single move's path */
	ENTRY_BATCH,				/* expected to move in the batch's UPDATE */
	ENTRY_DONE					/* its row is in values/nulls */
} EntryState;

/* One element of the array, in input order. */
typedef struct BulkEntry
{
	Datum		id;
	bool		id_null;
	EntryState	state;
	WfChangeFrame frame;
	Datum		values[N_COLUMNS];
	bool		nulls[N_COLUMNS];
} BulkEntry;

typedef struct EntryKey
{
	int64		candidate_id;	/* hash key */
	int			index;
} EntryKey;

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr read_plan = NULL;
static SPIPlanPtr update_plan = NULL;

/* The batch's two statements, prepared once per backend (and schema); caller is in SPI. */
static void
prepare_plans(Oid schema)
{
	Oid			types[3] = {INT8OID, INT8ARRAYOID, TEXTOID};

	/*
	 * The tenant and job are tested as one expression (IS TRUE), which no
	 * index can take: the rows are found by their candidate ids.  Written as
	 * index conditions, a candidate_stage without statistics (a young
	 * database, loaded and not analyzed yet) estimated the job at one row,
	 * and the plan read the whole job through the pipeline key, testing each
	 * row against the array, once per batch: quadratic in the job's size.
	 */
	const char *where = "WHERE c.candidate_id OPERATOR(pg_catalog.=) ANY ($2) "
		"AND (c.tenant OPERATOR(pg_catalog.=) $3 AND c.job_id OPERATOR(pg_catalog.=) $1) IS TRUE";

	if (plans_schema == schema && read_plan && update_plan)
		return;
	if (read_plan)
		SPI_freeplan(read_plan);
	if (update_plan)
		SPI_freeplan(update_plan);
	read_plan = update_plan = NULL;
	read_plan = wf_keep_plan(psprintf("SELECT c.candidate_id, c.stage_id, c.status FROM %s c %s",
									  wf_qualified(schema, "candidate_stage"), where),
							 3, types);
	/* SET stage_id = stage_id: the BEFORE trigger applies each row's frame. */
	update_plan = wf_keep_plan(psprintf("UPDATE %s c SET stage_id = c.stage_id %s "
										"RETURNING c.candidate_id, c.stage_id",
										wf_qualified(schema, "candidate_stage"), where),
							   3, types);
	plans_schema = schema;
}

static void
init_frame(const BulkCall *call, BulkEntry *e)
{
	memset(&e->frame, 0, sizeof(e->frame));
	e->frame.kind = call->has_to ? WF_CHANGE_STAGE : WF_CHANGE_NEXT;
	e->frame.stage_id = call->to;
	e->frame.reason = call->reason;
	e->frame.job_id = call->job_id;
	e->frame.candidate_id = e->id_null ? 0 : DatumGetInt64(e->id);
	e->frame.result_context = CurrentMemoryContext;
}

static void
set_moved(BulkEntry *e, int64 to_stage)
{
	memset(e->nulls, 0, sizeof(e->nulls));
	e->values[0] = e->id;
	e->values[1] = CStringGetTextDatum("moved");
	e->nulls[2] = true;
	e->values[3] = Int64GetDatum(e->frame.from_stage_id);
	e->values[4] = Int64GetDatum(to_stage);
	e->values[5] = Int64GetDatum(e->frame.transition_id);
	e->values[6] = moved_detail(&e->frame);
	e->state = ENTRY_DONE;
}

/*
 * One candidate by the single move's path, inside its own subtransaction:
 * its refusal becomes its row; any other error is raised.
 */
static void
move_single(const BulkCall *call, BulkEntry *e)
{
	MemoryContext mine = CurrentMemoryContext;
	volatile int64 to_stage = 0;
	volatile bool moved = false;

	init_frame(call, e);
	memset(e->nulls, 0, sizeof(e->nulls));
	e->values[0] = e->id;
	e->nulls[0] = e->id_null;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(mine);
	PG_TRY();
	{
		to_stage = wf_move_candidate(call->schema, &e->frame, !e->id_null, true);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = call->owner;
		moved = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		Jsonb	   *detail;
		const char *outcome;

		MemoryContextSwitchTo(mine);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = call->owner;

		detail = detail_json(edata->detail);
		outcome = classify(edata, &detail);
		if (outcome == NULL)
			ReThrowError(edata);
		e->values[1] = CStringGetTextDatum(outcome);
		e->values[2] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
		e->nulls[3] = !e->frame.claimed;
		e->values[3] = Int64GetDatum(e->frame.from_stage_id);
		e->nulls[4] = !e->frame.has_to_stage && !call->has_to;
		e->values[4] = Int64GetDatum(e->frame.has_to_stage ? e->frame.to_stage_id : call->to);
		e->nulls[5] = true;
		e->nulls[6] = detail == NULL;
		e->values[6] = detail ? JsonbPGetDatum(detail) : (Datum) 0;
		e->state = ENTRY_DONE;
	}
	PG_END_TRY();
	if (moved)
	{
		e->values[0] = e->id;
		e->nulls[0] = e->id_null;
		set_moved(e, to_stage);
	}
}

/*
 * Does candidate_stage carry a trigger that is not workflow_ext's (an
 * application's, enabled in any replication role)?  Such a trigger may read
 * or change other candidates (a hire that rejects the job's other active
 * candidates, a stage's capacity) or count its statements: in one batch
 * UPDATE it would see every row's BEFORE trigger before any AFTER trigger,
 * the rows in key order and one statement for many moves, where one-by-one
 * moves give it each move finished in input order.  Then every candidate
 * takes the single move's path.  (Internal triggers are foreign keys' checks
 * and actions: a move changes no key.)
 */
static bool
application_triggers(Oid schema, Oid extension)
{
	Relation	rel = table_open(get_relname_relid("candidate_stage", schema), AccessShareLock);
	TriggerDesc *triggers = rel->trigdesc;
	bool		found = false;

	for (int i = 0; triggers != NULL && i < triggers->numtriggers && !found; i++)
	{
		const Trigger *t = &triggers->triggers[i];

		if (t->tgenabled == TRIGGER_DISABLED || t->tgisinternal)
			continue;
		found = getExtensionOfObject(ProcedureRelationId, t->tgfoid) != extension;
	}
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The cheap refusals, read once for the whole batch: a candidate whose row
 * (in the caller's tenant) is missing, not active, in the last stage or
 * already in the target stage takes the single path, which gives its
 * refusal exactly; the others are expected to move.  A prediction that turns
 * out wrong (a concurrent change) costs a retry, never a wrong answer.
 */
static void
predict(const BulkCall *call, BulkEntry *entries, int n, HTAB *by_id)
{
	Datum	   *ids = palloc(sizeof(Datum) * n);
	int			count = 0;
	Datum		args[3];
	MemoryContext mine = CurrentMemoryContext;

	for (int i = 0; i < n; i++)
	{
		entries[i].state = ENTRY_SINGLE;
		if (!entries[i].id_null)
			ids[count++] = entries[i].id;
	}
	if (count == 0)
		return;
	args[0] = Int64GetDatum(call->job_id);
	args[1] = PointerGetDatum(construct_array(ids, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = CStringGetTextDatum(call->tenant);
	SPI_connect();
	prepare_plans(call->schema);
	if (wf_execute_kept(read_plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the pipeline of job " INT64_FORMAT, call->job_id);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		cid = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		int64		stage_id = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		char	   *status = SPI_getvalue(tuple, desc, 3);
		EntryKey   *key = hash_search(by_id, &cid, HASH_FIND, NULL);
		const WfStage *current;

		if (key == NULL || status == NULL || strcmp(status, "active") != 0)
			continue;
		if (call->has_to ? stage_id == call->to
			: (current = wf_stage_lookup(call->schema, stage_id)) == NULL || !current->has_next)
			continue;
		entries[key->index].state = ENTRY_BATCH;
	}
	SPI_finish();
	MemoryContextSwitchTo(mine);
}

/*
 * May a batch that raised this error (no candidate's refusal) be redone one
 * candidate at a time?  Yes for what one candidate's row can cause (an
 * application trigger's error, a constraint): the single path raises it again
 * if it is that candidate's.  No for what is not the statement's doing, which
 * is raised as it is: a cancel or shutdown, a lack of resources, a deadlock,
 * a system or internal error.
 */
static bool
redo_after(const ErrorData *edata)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	return category != ERRCODE_OPERATOR_INTERVENTION &&
		category != ERRCODE_INSUFFICIENT_RESOURCES &&
		category != ERRCODE_PROGRAM_LIMIT_EXCEEDED &&
		category != ERRCODE_SYSTEM_ERROR &&
		category != ERRCODE_INTERNAL_ERROR &&
		edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED;
}

/*
 * The candidates expected to move, in one UPDATE inside one subtransaction,
 * one frame each.  Returns true when it held: each row the UPDATE changed is
 * recorded (ENTRY_DONE); a candidate whose row it did not find takes the
 * single path.  Returns false when the batch was rolled back: *failed is then
 * the entry whose refusal stopped it, or -1 when no one entry is to blame
 * (then all take the single path).  An error that is not the statement's
 * doing (redo_after()) is raised.
 */
static bool
move_batch(const BulkCall *call, BulkEntry *entries, int n, HTAB *by_id, int *failed)
{
	MemoryContext mine = CurrentMemoryContext;
	Datum	   *ids = palloc(sizeof(Datum) * n);
	int			count = 0;
	int			first = -1;
	Datum		args[3];
	volatile bool consistent = true;

	*failed = -1;
	for (int i = 0; i < n; i++)
		if (entries[i].state == ENTRY_BATCH)
		{
			init_frame(call, &entries[i]);
			entries[i].frame.actor = call->actor;
			entries[i].frame.batch_writes = true;	/* written with the batch's others */
			ids[count++] = entries[i].id;
			if (first < 0)
				first = i;
		}
	if (count == 0)
		return true;
	args[0] = Int64GetDatum(call->job_id);
	args[1] = PointerGetDatum(construct_array(ids, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = CStringGetTextDatum(call->tenant);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(mine);
	PG_TRY();
	{
		for (int i = first; i < n; i++)
			if (entries[i].state == ENTRY_BATCH)
				wf_change_push(&entries[i].frame);
		SPI_connect();
		prepare_plans(call->schema);
		if (wf_execute_kept(update_plan, args, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "workflow_ext: could not move the candidates of job " INT64_FORMAT, call->job_id);
		wf_change_pop(&entries[first].frame);
		for (uint64 r = 0; r < SPI_processed && consistent; r++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		cid = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
			int64		stage_id = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
			EntryKey   *key = hash_search(by_id, &cid, HASH_FIND, NULL);
			BulkEntry  *e = key ? &entries[key->index] : NULL;
			MemoryContext spi = MemoryContextSwitchTo(mine);

			if (e == NULL || e->state != ENTRY_BATCH || !e->frame.claimed || !e->frame.recorded)
				consistent = false;		/* not as the frames asked: redo one by one */
			else
				set_moved(e, stage_id);
			MemoryContextSwitchTo(spi);
		}
		SPI_finish();
		MemoryContextSwitchTo(mine);
		if (consistent)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = call->owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		Jsonb	   *detail;
		bool		refusal;

		wf_change_pop(&entries[first].frame);
		MemoryContextSwitchTo(mine);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = call->owner;
		detail = detail_json(edata->detail);
		refusal = classify(edata, &detail) != NULL;
		if (!refusal && !redo_after(edata))
			ReThrowError(edata);
		/* the BEFORE trigger refused the one frame it claimed and did not stamp */
		for (int i = first; i < n && refusal; i++)
			if (entries[i].state == ENTRY_BATCH && entries[i].frame.claimed &&
				!entries[i].frame.has_transition)
			{
				if (*failed >= 0)
				{
					*failed = -1;
					break;
				}
				*failed = i;
			}
		consistent = false;
	}
	PG_END_TRY();
	if (!consistent)
	{
		for (int i = first; i < n; i++)
			if (entries[i].state == ENTRY_DONE)
				entries[i].state = ENTRY_BATCH;
		return false;
	}
	for (int i = first; i < n; i++)
		if (entries[i].state == ENTRY_BATCH)
			entries[i].state = ENTRY_SINGLE;	/* its row was not there to change */
	return true;
}

#define BATCH_MAX 256
#define BATCH_MIN 16
#define BATCH_ATTEMPTS 4

/*
 * A batch of entries (distinct ids): the cheap refusals predicted, the rest
 * moved by one UPDATE; a refusal inside the UPDATE takes its candidate out
 * and the batch is tried again (at most BATCH_ATTEMPTS times); then whoever
 * remains takes the single move's path, in input order.  Returns whether the
 * batch UPDATE held at the first attempt.
 */
static bool
run_batch(const BulkCall *call, BulkEntry *entries, int n, HTAB *by_id)
{
	bool		clean = true;
	int			attempt;

	if (call->one_by_one)
		for (int i = 0; i < n; i++)
			entries[i].state = ENTRY_SINGLE;
	else
		predict(call, entries, n, by_id);
	for (attempt = 0; attempt < BATCH_ATTEMPTS && !call->one_by_one; attempt++)
	{
		int			failed;

		CHECK_FOR_INTERRUPTS();
		if (move_batch(call, entries, n, by_id, &failed))
			break;
		clean = false;
		if (failed < 0)
			break;
		entries[failed].state = ENTRY_SINGLE;
	}
	for (int i = 0; i < n; i++)
	{
		if (entries[i].state == ENTRY_BATCH)
			entries[i].state = ENTRY_SINGLE;
		if (entries[i].state == ENTRY_SINGLE)
		{
			CHECK_FOR_INTERRUPTS();
			move_single(call, &entries[i]);
		}
	}
	return clean;
}

static Datum
wf_move_candidates_pinned(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext per_batch;
	ArrayType  *ids;
	ArrayIterator it;
	BulkCall	call;
	BulkEntry  *entries;
	int			batch_size = BATCH_MAX;
	bool		more;
	bool		carried = false;
	Datum		next_id = (Datum) 0;
	bool		next_null = false;
	int64		workflow_id;

	memset(&call, 0, sizeof(call));
	call.schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	call.has_to = !PG_ARGISNULL(2);
	call.to = call.has_to ? PG_GETARG_INT64(2) : 0;
	call.reason = PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3));
	call.owner = CurrentResourceOwner;

	/* What is not one candidate's is raised before anything moves. */
	call.tenant = pstrdup(wf_tenant());	/* require_actor and require_tenant */
	call.actor = pstrdup(wf_actor());
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job_id must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"job_id\"")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("candidate_ids must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"candidate_ids\"")));
	call.job_id = PG_GETARG_INT64(0);
	ids = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("candidate_ids must be a one-dimensional array"),
				 errdetail_reason("invalid_argument", "\"argument\": \"candidate_ids\"")));
	workflow_id = job_workflow(call.schema, call.job_id);
	call.one_by_one = application_triggers(call.schema,
										   getExtensionOfObject(ProcedureRelationId, fcinfo->flinfo->fn_oid));
	if (call.has_to)
	{
		const WfStage *stage = wf_stage_lookup(call.schema, call.to);

		if (stage == NULL || stage->workflow_id != workflow_id)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("stage " INT64_FORMAT " is not a stage of workflow " INT64_FORMAT
							" (job " INT64_FORMAT ")", call.to, workflow_id, call.job_id),
					 errdetail_reason("stage_not_found", "\"stage_id\": " INT64_FORMAT
									  ", \"workflow_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  call.to, workflow_id, call.job_id)));
	}

	InitMaterializedSRF(fcinfo, 0);
	per_batch = AllocSetContextCreate(caller, "move_candidates batch", ALLOCSET_DEFAULT_SIZES);
	entries = MemoryContextAlloc(caller, sizeof(BulkEntry) * BATCH_MAX);
	it = array_create_iterator(ids, 0, NULL);
	more = true;

	/*
	 * Batches of consecutive ids, none twice in one batch: an id that comes
	 * again starts the next batch, so it finds its row as the earlier
	 * element left it.  A batch that needed retries halves the next one.
	 */
	while (more)
	{
		HASHCTL		ctl;
		HTAB	   *by_id;
		int			n = 0;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(per_batch);
		MemoryContextSwitchTo(per_batch);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(EntryKey);
		ctl.hcxt = per_batch;
		by_id = hash_create("move_candidates ids", batch_size, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		while (n < batch_size)
		{
			Datum		id;
			bool		id_null;

			if (carried)
			{
				id = next_id;
				id_null = next_null;
				carried = false;
			}
			else if (!array_iterate(it, &id, &id_null))
			{
				more = false;
				break;
			}
			if (!id_null)
			{
				int64		cid = DatumGetInt64(id);
				bool		found;
				EntryKey   *key = hash_search(by_id, &cid, HASH_ENTER, &found);

				if (found)
				{
					next_id = id;
					next_null = false;
					carried = true;
					break;
				}
				key->index = n;
			}
			memset(&entries[n], 0, sizeof(BulkEntry));
			entries[n].id = id;
			entries[n].id_null = id_null;
			n++;
		}
		if (n == 0)
			continue;
		if (run_batch(&call, entries, n, by_id))
			batch_size = Min(batch_size * 2, BATCH_MAX);
		else
			batch_size = Max(batch_size / 2, BATCH_MIN);
		for (int i = 0; i < n; i++)
		{
			entries[i].values[0] = entries[i].id;
			entries[i].nulls[0] = entries[i].id_null;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, entries[i].values, entries[i].nulls);
		}
	}
	array_free_iterator(it);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(per_batch);
	pfree(entries);
	return (Datum) 0;
}

/* The stages it looks up stay valid for the whole call (stage_cache.c). */
Datum
wf_move_candidates(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_move_candidates_pinned(fcinfo));
}
