/*
 * stage_visits.c - each candidate's stage visits as rows (stage_visit_row),
 * kept as history is written, so that reports (pipeline_funnel) count visits
 * from an index instead of deriving them from the whole history each time.
 *
 * A history row of a candidate in a job and workflow closes the visit the
 * row before it began (if that one began a visit), and begins a visit itself
 * when it puts the candidate, active or hired, into a stage (an entry, a
 * move, a reopen): the definition of the stage_visit view, one row at a time.
 * Constant work per history row: two statements, each an index probe of the
 * candidate's history and a write of one visit row.
 *
 * Called by the history guard for every stage_transition row it admits: the
 * engine's own writes (any order of arrival is handled the same way, so a
 * restore by COPY in whatever order its rows come builds the same visits).
 * Written with the owner's rights: the application role holds no privilege
 * on the table; only built-in types and the extension's own table are
 * involved, so no user code runs there.
 */
#include "workflow_ext.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr close_plan = NULL;
static SPIPlanPtr open_plan = NULL;

static void
prepare_plans(Oid schema)
{
	Oid			types[8] = {TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, TEXTOID};
	const char *key;
	char	   *history;
	char	   *visits;

	if (plans_schema == schema && close_plan && open_plan)
		return;
	if (close_plan)
		SPI_freeplan(close_plan);
	if (open_plan)
		SPI_freeplan(open_plan);
	close_plan = open_plan = NULL;
	history = wf_qualified(schema, "stage_transition");
	visits = wf_qualified(schema, "stage_visit_row");
	key = "t.tenant OPERATOR(pg_catalog.=) $1 AND t.job_id OPERATOR(pg_catalog.=) $2 "
		"AND t.candidate_id OPERATOR(pg_catalog.=) $3 AND t.workflow_id OPERATOR(pg_catalog.=) $4";

	/* The row just before this one closes nothing now: this one does. */
	close_plan = wf_keep_plan(psprintf("UPDATE %s v SET left_at = $6, ended_by_transition_id = $5, "
									   "next_stage_id = $7, next_status = $8, "
									   "time_in_stage = $6 OPERATOR(pg_catalog.-) v.entered_at "
									   "WHERE v.id OPERATOR(pg_catalog.=) (SELECT t.id FROM %s t WHERE %s "
									   "AND t.id OPERATOR(pg_catalog.<) $5 ORDER BY t.id DESC LIMIT 1)",
									   visits, history, key),
							  8, types);
	/* A visit this row begins ends at the row after it, if one is there. */
	open_plan = wf_keep_plan(psprintf("INSERT INTO %s (id, tenant, job_id, candidate_id, workflow_id, stage_id, "
									  "entered_at, left_at, ended_by_transition_id, next_stage_id, next_status, "
									  "time_in_stage) "
									  "SELECT $5, $1, $2, $3, $4, $7, $6, n.moved_at, n.id, n.to_stage_id, n.to_status, "
									  "n.moved_at OPERATOR(pg_catalog.-) $6 "
									  "FROM (SELECT) x LEFT JOIN LATERAL (SELECT t.id, t.moved_at, t.to_stage_id, t.to_status "
									  "FROM %s t WHERE %s AND t.id OPERATOR(pg_catalog.>) $5 "
									  "ORDER BY t.id LIMIT 1) n ON true",
									  visits, history, key),
							 8, types);
	plans_schema = schema;
}

static Datum
column(Relation rel, HeapTuple tuple, const char *name, bool *isnull)
{
	int			col = SPI_fnumber(RelationGetDescr(rel), name);

	if (col <= 0)
		elog(ERROR, "workflow_ext: stage_transition has no column %s", name);
	return heap_getattr(tuple, col, RelationGetDescr(rel), isnull);
}

static bool
text_equals(Datum d, const char *s)
{
	return strcmp(TextDatumGetCString(d), s) == 0;
}

/*
 * The visits that the history row tuple of rel (stage_transition, about to be
 * inserted) closes and begins.
 */
void
wf_stage_visit_record(Oid schema, Relation rel, HeapTuple tuple)
{
	Datum		args[8];
	bool		isnull[8];
	char		nulls[8];
	bool		from_stage_null;
	bool		from_status_null;
	Datum		from_stage;
	Datum		from_status;
	bool		begins;
	WfSavedUser saved;
	int			i;

	args[0] = column(rel, tuple, "tenant", &isnull[0]);
	args[1] = column(rel, tuple, "job_id", &isnull[1]);
	args[2] = column(rel, tuple, "candidate_id", &isnull[2]);
	args[3] = column(rel, tuple, "workflow_id", &isnull[3]);
	args[4] = column(rel, tuple, "id", &isnull[4]);
	args[5] = column(rel, tuple, "moved_at", &isnull[5]);
	args[6] = column(rel, tuple, "to_stage_id", &isnull[6]);
	args[7] = column(rel, tuple, "to_status", &isnull[7]);
	for (i = 0; i < 8; i++)
	{
		if (isnull[i])
			return;				/* a NOT NULL column: the insert fails anyway */
		nulls[i] = ' ';
	}
	from_stage = column(rel, tuple, "from_stage_id", &from_stage_null);
	from_status = column(rel, tuple, "from_status", &from_status_null);
	/* stage_visit: to_status active or hired, and a change of stage or status */
	begins = (text_equals(args[7], "active") || text_equals(args[7], "hired")) &&
		(from_stage_null || DatumGetInt64(from_stage) != DatumGetInt64(args[6]) ||
		 from_status_null || !text_equals(from_status, TextDatumGetCString(args[7])));

	SPI_connect();
	wf_become_owner(schema, &saved);
	prepare_plans(schema);		/* parsed with the owner's pinned search_path */
	if (SPI_execute_plan(close_plan, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "workflow_ext: could not close the stage visit of candidate " INT64_FORMAT,
			 DatumGetInt64(args[2]));
	if (begins && SPI_execute_plan(open_plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not open the stage visit of candidate " INT64_FORMAT,
			 DatumGetInt64(args[2]));
	wf_restore_user(&saved);
	SPI_finish();
}

/*
 * stage_visit_counts(tenant, job_id, workflow_id, since, until): one ordered
 * pass over the job's entries of stage_visit_row_funnel_idx (index-only:
 * the heap is read only for a page not yet all-visible), in order of stage
 * and time in stage.  Per stage, the visits that began in [since, until)
 * (NULL: unbounded) counted by how they ended (next_stage_id, next_status;
 * both NULL while open), and percentile_cont(0.5) and (0.9) of the time in
 * stage of those that ended, computed as PostgreSQL's percentile_cont does
 * (rows floor and ceil of p * (n - 1), interpolated) over values that the
 * index already gives in order.
 *
 * It reads the table as the executor would for the caller: SELECT privilege
 * checked, and under row-level security the policy stage_visit_row_read's
 * rule decided once for the whole scan (every row scanned has this tenant
 * and workflow): tenant = current_tenant() and workflow_id among
 * visible_workflow_ids(), else nothing is counted.
 */

PG_FUNCTION_INFO_V1(wf_stage_visit_counts);

typedef struct VisitGroup
{
	int64		next_stage_id;
	bool		open;
	char	   *next_status;
	int64		visits;
} VisitGroup;

typedef struct StageCounts
{
	int64		stage_id;
	int			n_groups;
	int			max_groups;
	VisitGroup *groups;
	int64		n_ended;
	int64		max_ended;
	Interval   *ended;			/* in order */
} StageCounts;

static bool
policy_allows(Oid schema, Oid relid, text *tenant, int64 workflow_id)
{
	Oid			types[3] = {TEXTOID, INT8OID, OIDOID};
	Datum		args[3];
	bool		allowed;
	bool		isnull;

	args[0] = PointerGetDatum(tenant);
	args[1] = Int64GetDatum(workflow_id);
	args[2] = ObjectIdGetDatum(relid);
	SPI_connect();
	/*
	 * (Only while stage_visit_row_read is the table's one policy, and the
	 * history the visits derive from carries the extension's policies alone:
	 * a policy someone added, on either table, is not this rule (one on
	 * stage_transition may hide some of the job's history), and then nothing
	 * is counted; pipeline_funnel() then derives the funnel from history.)
	 */
	if (SPI_execute_with_args(psprintf("SELECT $1 OPERATOR(pg_catalog.=) %s() AND $2 OPERATOR(pg_catalog.=) "
									   "ANY (ARRAY(SELECT %s())) AND (SELECT pg_catalog.array_agg(p.polname) "
									   "FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) $3) "
									   "OPERATOR(pg_catalog.=) '{stage_visit_row_read}'::pg_catalog.name[] "
									   "AND (SELECT pg_catalog.array_agg(p.polname ORDER BY p.polname) "
									   "FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) "
									   "%s::pg_catalog.regclass) OPERATOR(pg_catalog.=) "
									   "'{stage_transition_read,stage_transition_record}'::pg_catalog.name[]",
									   wf_qualified(schema, "current_tenant"),
									   wf_qualified(schema, "visible_workflow_ids"),
									   quote_literal_cstr(wf_qualified(schema, "stage_transition"))),
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "workflow_ext: could not decide who sees the stage visits");
	allowed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	allowed = allowed && !isnull;
	SPI_finish();
	return allowed;
}

static Datum
percentile(const StageCounts *st, double pct)
{
	double		pos = pct * (double) (st->n_ended - 1);
	int64		lo = (int64) floor(pos);
	int64		hi = (int64) ceil(pos);
	Datum		a = IntervalPGetDatum(&st->ended[lo]);
	Datum		b = IntervalPGetDatum(&st->ended[hi]);
	Interval   *out = palloc(sizeof(Interval));

	if (lo == hi)
		*out = st->ended[lo];
	else
	{
		/* percentile_cont's interval_lerp: (hi - lo) * fraction + lo */
		Datum		diff = DirectFunctionCall2(interval_mi, b, a);
		Datum		mul = DirectFunctionCall2(interval_mul, diff, Float8GetDatum(pos - (double) lo));

		*out = *DatumGetIntervalP(DirectFunctionCall2(interval_pl, mul, a));
	}
	return IntervalPGetDatum(out);
}

static void
emit_stage(Tuplestorestate *store, TupleDesc desc, StageCounts *st)
{
	int			g;
	Datum		median = (Datum) 0;
	Datum		p90 = (Datum) 0;

	if (st->n_ended > 0)
	{
		median = percentile(st, 0.5);
		p90 = percentile(st, 0.9);
	}
	for (g = 0; g < st->n_groups; g++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int64GetDatum(st->stage_id);
		values[1] = Int64GetDatum(st->groups[g].next_stage_id);
		nulls[1] = st->groups[g].open;
		values[2] = st->groups[g].open ? (Datum) 0 : CStringGetTextDatum(st->groups[g].next_status);
		nulls[2] = st->groups[g].open;
		values[3] = Int64GetDatum(st->groups[g].visits);
		values[4] = median;
		nulls[4] = st->n_ended == 0;
		values[5] = p90;
		nulls[5] = st->n_ended == 0;
		tuplestore_putvalues(store, desc, values, nulls);
	}
	st->n_groups = 0;
	st->n_ended = 0;
}

Datum
wf_stage_visit_counts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid;
	Oid			indexid;
	text	   *tenant;
	int64		job_id;
	int64		workflow_id;
	bool		has_since = !PG_ARGISNULL(3);
	bool		has_until = !PG_ARGISNULL(4);
	TimestampTz since = has_since ? PG_GETARG_TIMESTAMPTZ(3) : 0;
	TimestampTz until = has_until ? PG_GETARG_TIMESTAMPTZ(4) : 0;
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	ScanKeyData keys[3];
	TupleTableSlot *slot;
	Buffer		vmbuffer = InvalidBuffer;
	ItemPointer tid;
	StageCounts st;
	bool		have_stage = false;
	MemoryContext work;
	MemoryContext old;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	tenant = PG_GETARG_TEXT_PP(0);
	job_id = PG_GETARG_INT64(1);
	workflow_id = PG_GETARG_INT64(2);

	relid = get_relname_relid("stage_visit_row", schema);
	indexid = get_relname_relid("stage_visit_row_funnel_idx", schema);
	if (!OidIsValid(relid) || !OidIsValid(indexid))
		elog(ERROR, "workflow_ext: stage_visit_row or its index is missing");
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, "stage_visit_row");
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED &&
		!policy_allows(schema, relid, tenant, workflow_id))
		PG_RETURN_NULL();

	work = AllocSetContextCreate(CurrentMemoryContext, "stage_visit_counts", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	memset(&st, 0, sizeof(st));
	st.max_groups = 8;
	st.groups = palloc(sizeof(VisitGroup) * st.max_groups);
	st.max_ended = 1024;
	st.ended = palloc(sizeof(Interval) * st.max_ended);

	heap = table_open(relid, AccessShareLock);
	index = index_open(indexid, AccessShareLock);
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(tenant));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8EQ, Int64GetDatum(job_id));
	ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8EQ, Int64GetDatum(workflow_id));
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 3, 0);
	scan->xs_want_itup = true;
	index_rescan(scan, keys, 3, NULL, 0);
	slot = table_slot_create(heap, NULL);

	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		IndexTuple	itup;
		TupleDesc	idesc;
		bool		isnull;
		int64		stage_id;
		Datum		d;
		bool		open;
		int64		next_stage_id = 0;
		char	   *next_status = NULL;
		int			g;

		CHECK_FOR_INTERRUPTS();
		/* as an index-only scan: the heap decides for a page not all-visible */
		if (!VM_ALL_VISIBLE(heap, ItemPointerGetBlockNumber(tid), &vmbuffer))
		{
			if (!index_fetch_heap(scan, slot))
				continue;
			ExecClearTuple(slot);
		}
		itup = scan->xs_itup;
		idesc = scan->xs_itupdesc;
		if (has_since || has_until)
		{
			TimestampTz entered = DatumGetTimestampTz(index_getattr(itup, 6, idesc, &isnull));

			if ((has_since && entered < since) || (has_until && entered >= until))
				continue;
		}
		stage_id = DatumGetInt64(index_getattr(itup, 4, idesc, &isnull));
		if (have_stage && stage_id != st.stage_id)
		{
			MemoryContextSwitchTo(old);
			emit_stage(rsinfo->setResult, rsinfo->setDesc, &st);
			MemoryContextSwitchTo(work);
		}
		st.stage_id = stage_id;
		have_stage = true;

		d = index_getattr(itup, 8, idesc, &open);
		if (!open)
		{
			next_status = TextDatumGetCString(d);
			next_stage_id = DatumGetInt64(index_getattr(itup, 7, idesc, &isnull));
		}
		for (g = 0; g < st.n_groups; g++)
			if (st.groups[g].open == open &&
				(open || (st.groups[g].next_stage_id == next_stage_id &&
						  strcmp(st.groups[g].next_status, next_status) == 0)))
				break;
		if (g == st.n_groups)
		{
			if (st.n_groups == st.max_groups)
			{
				st.max_groups *= 2;
				st.groups = repalloc(st.groups, sizeof(VisitGroup) * st.max_groups);
			}
			st.groups[g].open = open;
			st.groups[g].next_stage_id = next_stage_id;
			st.groups[g].next_status = next_status ? pstrdup(next_status) : NULL;
			st.groups[g].visits = 0;
			st.n_groups++;
		}
		st.groups[g].visits++;
		if (next_status)
			pfree(next_status);

		d = index_getattr(itup, 5, idesc, &isnull);
		if (!isnull)
		{
			if (st.n_ended == st.max_ended)
			{
				st.max_ended *= 2;
				st.ended = repalloc_huge(st.ended, sizeof(Interval) * st.max_ended);
			}
			st.ended[st.n_ended++] = *DatumGetIntervalP(d);
		}
	}
	if (have_stage)
	{
		MemoryContextSwitchTo(old);
		emit_stage(rsinfo->setResult, rsinfo->setDesc, &st);
		MemoryContextSwitchTo(work);
	}
	if (BufferIsValid(vmbuffer))
		ReleaseBuffer(vmbuffer);
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	PG_RETURN_NULL();
}
