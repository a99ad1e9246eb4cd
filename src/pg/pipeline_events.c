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
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "storage/proc.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

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
 * Repeats: an alert of the visit that already has its event.
 *
 * A change of facts evaluates the alerts of the open visit again, and an
 * alert that still holds has usually fired already (once per visit): the
 * INSERT ... ON CONFLICT DO NOTHING of such an event writes nothing, yet its
 * executor start-up and arbitration were most of a facts update.  So before
 * the statement (never for an entry, whose visit is new), each event whose
 * (tenant, candidate_id, transition_id, alert_id) key is already in
 * alert_event_once_per_visit_idx is left out, when leaving it out changes
 * nothing the statement would have done for it:
 *  - the index probe uses the dirty snapshot, as ON CONFLICT's pre-check
 *    does, and a repeat is only a row whose insert is committed (or this
 *    transaction's) and that no one is deleting: one inserted or deleted by a
 *    transaction in progress stays in the statement, whose arbitration waits
 *    for it;
 *  - only under READ COMMITTED: at a higher isolation level ON CONFLICT
 *    refuses (40001) a conflicting row the transaction snapshot cannot see;
 *  - the statement would have checked, for the proposed row, the INSERT
 *    privilege, the BEFORE ROW INSERT triggers, the policies' WITH CHECK and
 *    the CHECK constraints before finding the conflict: a repeat is left out
 *    only when the role holds INSERT on the whole table, the table's only
 *    INSERT trigger is the extension's history_write_guard (besides the
 *    check of its foreign key, which fires for inserted rows only; any
 *    trigger of the user's: everything through the statement), and the WITH CHECK
 *    options of the INSERT policies (get_row_security_policies(), as the
 *    rewriter builds them) and the CHECK constraints all pass on the
 *    proposed row, evaluated here with the caller's rights under the
 *    snapshot the statement would take; a policy or constraint that reads a
 *    column the event does not fill here (raised_at, facts, xact_id, the
 *    acknowledgement), has a sublink or calls a volatile function keeps
 *    every event in the statement;
 *  - the statement computes, for every proposed row, the defaults of the
 *    columns it does not fill and their NOT NULL: only with the extension's
 *    (unfilled_columns_as_made) is a repeat left out; with a rule on the
 *    table ON CONFLICT is refused (0A000), with a unique index of the
 *    owner's it may wait (arbiters_as_made): nothing is left out;
 *  - the statement checks its rows in order, a later row's checks seeing
 *    what the earlier rows wrote: only the repeats before the first event
 *    it keeps are left out.
 * Any doubt keeps the event in the statement, which stays the arbiter; the
 * event's id is drawn all the same (the sequence's privilege, and the same
 * ids as before).  test/sql/alert_repeats.sql, test/specs/alert_repeats_race.spec.
 */
typedef struct RepeatCheck
{
	EState	   *estate;
	List	   *wco;			/* ExprStates of the WITH CHECK options */
	List	   *checks;			/* ExprStates of the CHECK constraints */
	TupleTableSlot *slot;		/* the proposed row */
} RepeatCheck;

/* The columns of a proposed event filled here, by name. */
static const char *const repeat_columns[] = {"id", "tenant", "alert_id", "job_id", "candidate_id",
	"workflow_id", "stage_id", "transition_id", "cause", "severity", "message"};

/* ... and their types, as the extension made them */
static const Oid repeat_column_types[] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID,
	INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};

static int
repeat_column(Relation rel, AttrNumber attno)
{
	const char *name = NameStr(TupleDescAttr(RelationGetDescr(rel), attno - 1)->attname);

	for (int i = 0; i < lengthof(repeat_columns); i++)
		if (strcmp(name, repeat_columns[i]) == 0)
			return i;
	return -1;
}

/* Does expr read only the columns filled here? */
static bool
reads_filled_columns(Node *expr, Relation rel)
{
	Bitmapset  *attnos = NULL;
	int			k = -1;

	pull_varattnos(expr, 1, &attnos);
	while ((k = bms_next_member(attnos, k)) >= 0)
	{
		AttrNumber	attno = k + FirstLowInvalidHeapAttributeNumber;

		if (attno <= 0 || repeat_column(rel, attno) < 0)
			return false;
	}
	return true;
}

/*
 * Is the only INSERT trigger of alert_event the extension's write guard (and
 * the check of its foreign key to alert, which fires for inserted rows only)?
 */
static bool
only_write_guard(Relation rel, Oid schema)
{
	TriggerDesc *td = rel->trigdesc;

	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		char	   *fname;

		if (!TRIGGER_FOR_INSERT(t->tgtype))
			continue;
		/* a foreign key's check: AFTER ROW, for an inserted row alone */
		if (t->tgisinternal && TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) &&
			RI_FKey_trigger_type(t->tgfoid) == RI_TRIGGER_FK)
			continue;
		fname = get_func_name(t->tgfoid);
		if (!(TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_BEFORE(t->tgtype) && fname != NULL &&
			  strcmp(fname, "history_write_guard") == 0 && get_func_namespace(t->tgfoid) == schema))
			return false;
	}
	return true;
}

/*
 * Are the columns the statement does not fill (their defaults, evaluated for
 * every proposed row before the conflict is found, and NOT NULL) as the
 * extension made them?  raised_at DEFAULT now(), xact_id DEFAULT
 * pg_current_xact_id(), the acknowledgement nullable without a default: a
 * default of the owner's (a side effect, an error) or NOT NULL without a
 * default (23502) would act on a repeat too; and are the filled ones of
 * the extension's types (the DDL guard refuses ALTER COLUMN TYPE, not under
 * session_replication_role = replica): a domain's check, a varchar(n)'s
 * length are the statement's coercion of the proposed row.
 */
static bool
unfilled_columns_as_made(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		Node	   *def;

		if (att->attisdropped)
			continue;
		if (att->attgenerated || get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			return false;
		/* (a filled column of another type: the statement's coercion, 22001 say) */
		if (repeat_column(rel, att->attnum) >= 0 || strcmp(NameStr(att->attname), "facts") == 0)
		{
			if (att->atttypmod != -1 ||
				att->atttypid != (strcmp(NameStr(att->attname), "facts") == 0 ? JSONBOID
								  : repeat_column_types[repeat_column(rel, att->attnum)]))
				return false;
			continue;
		}
		def = att->atthasdef ? build_column_default(rel, att->attnum) : NULL;
		if (def == NULL)
		{
			if (att->attnotnull)
				return false;
			continue;
		}
		if (!IsA(def, FuncExpr) || ((FuncExpr *) def)->args != NIL ||
			!((strcmp(NameStr(att->attname), "raised_at") == 0 && ((FuncExpr *) def)->funcid == F_NOW) ||
			  (strcmp(NameStr(att->attname), "xact_id") == 0 &&
			   ((FuncExpr *) def)->funcid == F_PG_CURRENT_XACT_ID)))
			return false;
	}
	return true;
}

/*
 * Are alert_event's unique and exclusion indexes the extension's?  The
 * statement probes each, in the order of their OIDs, until one conflicts: an
 * index of the owner's probed before alert_event_once_per_visit_idx (after a
 * REINDEX CONCURRENTLY of it, say) would wait for a transaction inserting or
 * deleting a conflicting row, or refuse a deferrable one (55000), for a
 * repeat too.  The primary key on id (a value just drawn from the sequence)
 * and the partial alert_event_sla_once_idx (cause = 'sla': never a change of
 * facts) are the others.
 */
static bool
arbiters_as_made(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		ok = true;

	foreach(lc, indexes)
	{
		Oid			indexid = lfirst_oid(lc);
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
		Form_pg_index ix;
		char	   *name = get_rel_name(indexid);

		if (!HeapTupleIsValid(tup))
			return false;
		ix = (Form_pg_index) GETSTRUCT(tup);
		if ((ix->indisunique || ix->indisexclusion) &&
			!(ix->indisunique && !ix->indisexclusion && ix->indimmediate && name != NULL &&
			  ((ix->indisprimary && ix->indnatts == 1 && ix->indkey.values[0] > 0 &&
				strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), ix->indkey.values[0] - 1)->attname),
					   "id") == 0) ||
			   strcmp(name, "alert_event_once_per_visit_idx") == 0 ||
			   (strcmp(name, "alert_event_sla_once_idx") == 0 &&
				!heap_attisnull(tup, Anum_pg_index_indpred, NULL)))))
			ok = false;
		ReleaseSysCache(tup);
		if (!ok)
			break;
	}
	list_free(indexes);
	return ok;
}

/* Prepares the checks of a proposed row; false when they cannot be decided here. */
static bool
repeat_check_init(RepeatCheck *rc, Relation rel)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Query	   *q = makeNode(Query);
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *security_quals = NIL;
	List	   *wcos = NIL;
	bool		has_rls = false;
	bool		has_sublinks = false;
	ListCell   *lc;

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	rte->checkAsUser = InvalidOid;
	q->commandType = CMD_INSERT;
	q->resultRelation = 1;
	q->rtable = list_make1(rte);
	get_row_security_policies(q, rte, 1, &security_quals, &wcos, &has_rls, &has_sublinks);
	if (has_sublinks || !unfilled_columns_as_made(rel) || !arbiters_as_made(rel))
		return false;
	rc->estate = CreateExecutorState();
	rc->wco = rc->checks = NIL;
	foreach(lc, wcos)
	{
		WithCheckOption *wco = lfirst_node(WithCheckOption, lc);

		/*
		 * (a volatile function would see, in the statement, the events it
		 * wrote before this one: evaluated here, it would not)
		 */
		if (!reads_filled_columns(wco->qual, rel) || contain_volatile_functions(wco->qual))
			return false;
		rc->wco = lappend(rc->wco, ExecPrepareQual(make_ands_implicit((Expr *) wco->qual), rc->estate));
	}
	for (int i = 0; constr != NULL && i < constr->num_check; i++)
	{
		Node	   *check = stringToNode(constr->check[i].ccbin);

		if (!reads_filled_columns(check, rel) || contain_volatile_functions(check))
			return false;
		rc->checks = lappend(rc->checks, ExecPrepareCheck(make_ands_implicit((Expr *) check), rc->estate));
	}
	/* (a copy of the descriptor: the slot outlives this statement's resource owner) */
	rc->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)), &TTSOpsVirtual);
	return true;
}

/* Would the statement's WITH CHECK options and CHECK constraints pass on this row? */
static bool
repeat_check_passes(RepeatCheck *rc, Relation rel, const Datum *values)
{
	ExprContext *econtext = GetPerTupleExprContext(rc->estate);
	TupleTableSlot *slot = rc->slot;
	ListCell   *lc;

	ResetExprContext(econtext);
	ExecClearTuple(slot);
	for (int a = 0; a < slot->tts_tupleDescriptor->natts; a++)
	{
		int			c = TupleDescAttr(slot->tts_tupleDescriptor, a)->attisdropped ? -1
			: repeat_column(rel, a + 1);

		slot->tts_values[a] = c >= 0 ? values[c] : (Datum) 0;
		slot->tts_isnull[a] = c < 0;
	}
	ExecStoreVirtualTuple(slot);
	econtext->ecxt_scantuple = slot;
	foreach(lc, rc->wco)
		if (!ExecQual((ExprState *) lfirst(lc), econtext))
			return false;
	foreach(lc, rc->checks)
		if (!ExecCheck((ExprState *) lfirst(lc), econtext))
			return false;
	ResetExprContext(econtext);
	return true;
}

/*
 * The prepared checks are kept for the transaction, for the role, security
 * context and row_security setting they were built for, until alert_event's
 * relcache entry (its policies, constraints, owner, RLS flags), a role
 * (BYPASSRLS, memberships: which policies apply) or a function (EXECUTE,
 * checked when an expression is prepared) is invalidated.
 */
static struct
{
	bool		valid;
	bool		decidable;
	LocalTransactionId lxid;
	Oid			relid;
	Oid			user;
	int			sec_context;
	bool		row_security;
	MemoryContext context;
	RepeatCheck rc;
} repeat_cache;

static void
repeat_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == repeat_cache.relid)
		repeat_cache.valid = false;
}

static void
repeat_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	repeat_cache.valid = false;
}

/* The checks of a proposed row of rel, prepared; NULL when they cannot be decided here. */
static RepeatCheck *
repeat_checks(Relation rel)
{
	static bool callbacks = false;
	Oid			user;
	int			sec_context;
	MemoryContext old;

	GetUserIdAndSecContext(&user, &sec_context);
	if (repeat_cache.valid && repeat_cache.lxid == MyProc->lxid &&
		repeat_cache.relid == RelationGetRelid(rel) && repeat_cache.user == user &&
		repeat_cache.sec_context == sec_context && repeat_cache.row_security == row_security)
		return repeat_cache.decidable ? &repeat_cache.rc : NULL;
	if (!callbacks)
	{
		CacheRegisterRelcacheCallback(repeat_relcache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHOID, repeat_syscache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, repeat_syscache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, repeat_syscache_callback, (Datum) 0);
		callbacks = true;
	}
	/* (a context of an earlier transaction went with its TopTransactionContext) */
	if (repeat_cache.context != NULL && repeat_cache.lxid == MyProc->lxid)
		MemoryContextDelete(repeat_cache.context);
	repeat_cache.valid = false;
	repeat_cache.context = NULL;
	repeat_cache.lxid = MyProc->lxid;
	repeat_cache.relid = RelationGetRelid(rel);
	repeat_cache.context = AllocSetContextCreate(TopTransactionContext, "workflow_ext alert repeats",
												 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(repeat_cache.context);
	memset(&repeat_cache.rc, 0, sizeof(repeat_cache.rc));
	repeat_cache.decidable = repeat_check_init(&repeat_cache.rc, rel);
	MemoryContextSwitchTo(old);
	repeat_cache.user = user;
	repeat_cache.sec_context = sec_context;
	repeat_cache.row_security = row_security;
	repeat_cache.valid = true;
	return repeat_cache.decidable ? &repeat_cache.rc : NULL;
}

/* Is the event's key in the unique index, committed or this transaction's, and not being deleted? */
static bool
event_present(Relation heap, Relation index, const WfPipelineRow *row, int64 alert_id)
{
	SnapshotData dirty;
	ScanKeyData keys[4];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		present = false;

	InitDirtySnapshot(dirty);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(row->tenant));
	keys[0].sk_collation = index->rd_indcollation[0];
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(row->candidate_id));
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(row->visit_transition_id));
	ScanKeyInit(&keys[3], 4, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(alert_id));
	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, &dirty, 4, 0);
	index_rescan(scan, keys, 4, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		present = !TransactionIdIsValid(dirty.xmin) && !TransactionIdIsValid(dirty.xmax);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return present;
}

/* Is index alert_event_once_per_visit_idx as the extension made it? */
static bool
once_per_visit_index(Relation heap, Relation index)
{
	static const char *const keys[4] = {"tenant", "candidate_id", "transition_id", "alert_id"};
	Form_pg_index ix = index->rd_index;

	if (ix->indrelid != RelationGetRelid(heap) || !ix->indisunique || !ix->indimmediate ||
		!ix->indisvalid || !ix->indisready || !ix->indislive || ix->indnatts != 4 ||
		IndexRelationGetNumberOfKeyAttributes(index) != 4 ||
		RelationGetIndexExpressions(index) != NIL || RelationGetIndexPredicate(index) != NIL)
		return false;
	for (int i = 0; i < 4; i++)
	{
		AttrNumber	attno = ix->indkey.values[i];

		if (attno <= 0 ||
			strcmp(NameStr(TupleDescAttr(RelationGetDescr(heap), attno - 1)->attname), keys[i]) != 0)
			return false;
	}
	return true;
}

/*
 * Leaves out of ev the events of alerts already raised in the visit (see
 * above); the events of SLA (alert_id NULL) are never left out.
 */
static void
events_drop_repeats(AlertEvents *ev, Oid schema, const WfPipelineRow *row, int64 stage_id,
					const char *cause)
{
	Oid			relid = get_relname_relid("alert_event", schema);
	Oid			indexid = get_relname_relid("alert_event_once_per_visit_idx", schema);
	Relation	heap;
	Relation	index;
	RepeatCheck *rc = NULL;
	bool		checks_ready = false;
	bool		decidable = true;
	int			kept = 0;

	if (IsolationUsesXactSnapshot() || !OidIsValid(relid) || !OidIsValid(indexid))
		return;
	/* (the statement's lock; the privilege as ExecCheckRTPerms asks it) */
	heap = table_open(relid, RowExclusiveLock);
	/* (a rule: ON CONFLICT refuses the table, 0A000) */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK ||
		!only_write_guard(heap, schema) || heap->rd_rules != NULL)
	{
		table_close(heap, NoLock);
		return;
	}
	index = index_open(indexid, RowExclusiveLock);
	if (!once_per_visit_index(heap, index))
		decidable = false;

	/* the statement's snapshot: a new command, a new snapshot under READ COMMITTED */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int i = 0; i < ev->n; i++)
	{
		bool		repeat = false;

		/*
		 * (only before the first event the statement keeps: the checks of a
		 * later one would run, in the statement, after that event's, and
		 * see what it wrote; their notices, errors and side effects come
		 * in the statement's order)
		 */
		if (decidable && kept == 0 && !ev->alert_nulls[i] &&
			event_present(heap, index, row, DatumGetInt64(ev->alert_ids[i])))
		{
			Datum		values[lengthof(repeat_columns)];

			if (!checks_ready)
			{
				rc = repeat_checks(heap);
				decidable = rc != NULL;
				checks_ready = true;
			}
			values[0] = ev->id_datums[i];
			values[1] = CStringGetTextDatum(row->tenant);
			values[2] = ev->alert_ids[i];
			values[3] = Int64GetDatum(row->job_id);
			values[4] = Int64GetDatum(row->candidate_id);
			values[5] = Int64GetDatum(row->workflow_id);
			values[6] = Int64GetDatum(stage_id);
			values[7] = Int64GetDatum(row->visit_transition_id);
			values[8] = CStringGetTextDatum(cause);
			values[9] = ev->severities[i];
			values[10] = ev->messages[i];
			repeat = decidable && repeat_check_passes(rc, heap, values);
		}
		if (repeat)
			continue;
		ev->ids[kept] = ev->ids[i];
		ev->id_datums[kept] = ev->id_datums[i];
		ev->alert_ids[kept] = ev->alert_ids[i];
		ev->alert_nulls[kept] = ev->alert_nulls[i];
		ev->severities[kept] = ev->severities[i];
		ev->messages[kept] = ev->messages[i];
		kept++;
	}
	PopActiveSnapshot();
	ev->n = kept;
	index_close(index, NoLock);
	table_close(heap, NoLock);
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
	/* an entry's visit is new: none of its events can be there yet */
	if (ev.n > 0 && strcmp(cause, "entry") != 0)
		events_drop_repeats(&ev, schema, row, stage->id, cause);
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
