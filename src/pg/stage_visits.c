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
 * The rows of one multi-row history INSERT (a statement's changes written
 * set-wise, batched_writes.c) are buffered by the guard instead, and their
 * visits written by one UPDATE and one INSERT when that INSERT's rows are
 * all in (wf_stage_visits_at_finish): the same visit rows.
 *
 * Called by the history guard for every stage_transition row it admits: the
 * engine's own writes (any order of arrival is handled the same way, so a
 * restore by COPY in whatever order its rows come builds the same visits).
 * Written with the owner's rights: the application role holds no privilege
 * on the table; only built-in types and the extension's own table are
 * involved, and each write is refused while the table carries anything of
 * anyone else's that would run there as the owner (a trigger, a rule, a
 * CHECK or an index calling a function of theirs: owner_writes.c).
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
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parsetree.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static Oid	plans_schema = InvalidOid;
static SPIPlanPtr close_plan = NULL;
static SPIPlanPtr open_plan = NULL;
static SPIPlanPtr close_rows_plan = NULL;	/* set-wise: a history INSERT's rows */
static SPIPlanPtr open_rows_plan = NULL;

/* Prepares a statement kept for the backend, always with its generic plan. */
static SPIPlanPtr
keep_generic_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "workflow_ext: could not prepare: %s", sql);
	return plan;
}

static void
prepare_plans(Oid schema)
{
	Oid			types[8] = {TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, TEXTOID};
	Oid			array_types[8] = {TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	TIMESTAMPTZARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	const char *key;
	const char *rows_key;
	const char *rows;
	char	   *history;
	char	   *visits_table;

	if (plans_schema == schema && close_plan && open_plan && close_rows_plan && open_rows_plan)
		return;
	if (close_plan)
		SPI_freeplan(close_plan);
	if (open_plan)
		SPI_freeplan(open_plan);
	if (close_rows_plan)
		SPI_freeplan(close_rows_plan);
	if (open_rows_plan)
		SPI_freeplan(open_rows_plan);
	close_plan = open_plan = close_rows_plan = open_rows_plan = NULL;
	history = wf_qualified(schema, "stage_transition");
	visits_table = wf_qualified(schema, "stage_visit_row");
	key = "t.tenant OPERATOR(pg_catalog.=) $1 AND t.job_id OPERATOR(pg_catalog.=) $2 "
		"AND t.candidate_id OPERATOR(pg_catalog.=) $3 AND t.workflow_id OPERATOR(pg_catalog.=) $4";

	/* The row just before this one closes nothing now: this one does. */
	close_plan = wf_keep_plan(psprintf("UPDATE %s v SET left_at = $6, ended_by_transition_id = $5, "
									   "next_stage_id = $7, next_status = $8, "
									   "time_in_stage = $6 OPERATOR(pg_catalog.-) v.entered_at "
									   "WHERE v.id OPERATOR(pg_catalog.=) (SELECT t.id FROM %s t WHERE %s "
									   "AND t.id OPERATOR(pg_catalog.<) $5 ORDER BY t.id DESC LIMIT 1) "
									   "RETURNING v.folded",
									   visits_table, history, key),
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
									  visits_table, history, key),
							 8, types);

	/*
	 * The same two statements for the rows of one history INSERT at once
	 * (wf_stage_visits_write): $1..$8 arrays of the same values, one element
	 * per history row, in the order the rows were inserted.  All of them are
	 * in stage_transition by then, so the visit a row begins is closed at once
	 * by the row after it when that one came in the same INSERT, and the
	 * close of such a visit (not written yet) finds nothing: the INSERT of
	 * the visits runs after the UPDATE.  Generic plans: the arrays count 10
	 * rows to the planner, whatever the size of the INSERT, so each row is an
	 * index probe of stage_transition_visit_idx and of the visits' primary
	 * key, never a scan of either table (planned against young tables:
	 * kept_plans.c).  OFFSET 0: the rows' previous rows are found first, and only
	 * those are looked for among the visits (a plan made while the visits
	 * were empty joined every row to a scan of them).  The visit is matched
	 * by "v.id = ANY (ARRAY[r.prev_id])", not "v.id = r.prev_id": the same
	 * rows, but a clause no merge join can use, so no plan reads the visits
	 * whole in id order with the rows joined to each (what a plan made while
	 * the visits were empty or few did with sequential scans priced out: every
	 * visit of the table read again per batch, the rows' probes of
	 * stage_transition redone per visit, quadratic: a bulk move of 8,000 into
	 * a fresh fixture 109 s instead of 0.9 s); the only way in is the
	 * visits' primary key, probed once per row (test kept_plans, section 6).
	 */
	rows = "ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
		"pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), "
		"pg_catalog.unnest($8)) WITH ORDINALITY "
		"AS b (tenant, job_id, candidate_id, workflow_id, id, moved_at, to_stage_id, to_status, ord)";
	rows_key = "t.tenant OPERATOR(pg_catalog.=) b.tenant AND t.job_id OPERATOR(pg_catalog.=) b.job_id "
		"AND t.candidate_id OPERATOR(pg_catalog.=) b.candidate_id "
		"AND t.workflow_id OPERATOR(pg_catalog.=) b.workflow_id";
	close_rows_plan = keep_generic_plan(psprintf("UPDATE %s v SET left_at = r.moved_at, ended_by_transition_id = r.id, "
												 "next_stage_id = r.to_stage_id, next_status = r.to_status, "
												 "time_in_stage = r.moved_at OPERATOR(pg_catalog.-) v.entered_at "
												 "FROM (SELECT b.id, b.moved_at, b.to_stage_id, b.to_status, p.id AS prev_id "
												 "FROM %s CROSS JOIN LATERAL (SELECT t.id FROM %s t WHERE %s "
												 "AND t.id OPERATOR(pg_catalog.<) b.id ORDER BY t.id DESC LIMIT 1) p OFFSET 0) r "
												 "WHERE v.id OPERATOR(pg_catalog.=) ANY (ARRAY[r.prev_id]) "
												 "RETURNING v.folded, v.tenant, v.job_id, v.workflow_id",
												 visits_table, rows, history, rows_key),
										8, array_types);
	open_rows_plan = keep_generic_plan(psprintf("INSERT INTO %s (id, tenant, job_id, candidate_id, workflow_id, stage_id, "
												"entered_at, left_at, ended_by_transition_id, next_stage_id, next_status, "
												"time_in_stage) "
												"SELECT b.id, b.tenant, b.job_id, b.candidate_id, b.workflow_id, b.to_stage_id, "
												"b.moved_at, n.moved_at, n.id, n.to_stage_id, n.to_status, "
												"n.moved_at OPERATOR(pg_catalog.-) b.moved_at "
												"FROM %s LEFT JOIN LATERAL (SELECT t.id, t.moved_at, t.to_stage_id, t.to_status "
												"FROM %s t WHERE %s AND t.id OPERATOR(pg_catalog.>) b.id "
												"ORDER BY t.id LIMIT 1) n ON true ORDER BY b.ord",
												visits_table, rows, history, rows_key),
									   8, array_types);
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
 * The history INSERTs of many rows under way (wf_write_transitions), the
 * innermost first.  The hand-off is explicit at each step:
 *
 *  - the writer makes a buffer (wf_stage_visits_begin) and names it in its
 *    announcement of the rows (wf_history_expect_visits): the guard puts the
 *    visit values of each row it admits under that announcement into that
 *    buffer, instead of writing them.  A history row written by a trigger
 *    inside the INSERT comes with its own announcement (saved and restored
 *    around it), so with its own buffer or none;
 *  - the buffer, while it waits for its INSERT, takes the first query the
 *    ExecutorStart hook sees that inserts into stage_transition
 *    (wf_stage_visits_at_start): the writer's SPI_execute_plan, the next
 *    thing it runs, starts no other (planning it could only run functions,
 *    never an INSERT); it keeps that QueryDesc, alive until the INSERT ends;
 *  - the ExecutorFinish hook, for that QueryDesc only, writes the buffered
 *    visits before PostgreSQL's ExecutorFinish fires the INSERT's AFTER
 *    triggers (wf_stage_visits_at_finish): they see the visits as after a
 *    row-at-a-time write;
 *  - the writer ends the buffer whatever happens (PG_FINALLY:
 *    wf_stage_visits_end), after writing what is still held (none,
 *    normally).  The stack is also emptied at the end of each transaction.
 */
struct WfVisitBuffer
{
	WfVisitBuffer *outer;
	bool		awaiting_start; /* its INSERT not started yet */
	struct QueryDesc *query;	/* its INSERT, once started */
	Oid			schema;
	Oid			history_relid;
	MemoryContext context;
	int			n;
	int			max;
	Datum	   *values;			/* 8 per row: the args of close_plan */
	bool	   *begins;
};

static WfVisitBuffer *pending = NULL;	/* the innermost */

static void unfold(Oid schema, Datum tenant, Datum job_id, Datum workflow_id);

/*
 * The visits that the history row tuple of rel (stage_transition, about to be
 * inserted) closes and begins: written now, or put into visits, the buffer
 * of the multi-row INSERT whose announcement admitted the row (NULL: none).
 */
void
wf_stage_visit_record(Oid schema, Relation rel, HeapTuple tuple, WfVisitBuffer *visits)
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

	if (visits != NULL && visits->schema == schema && visits->history_relid == RelationGetRelid(rel))
	{
		WfVisitBuffer *b = visits;
		MemoryContext old = MemoryContextSwitchTo(b->context);

		if (b->n == b->max)
		{
			b->max = Max(b->max * 2, 64);
			b->values = b->values ? repalloc(b->values, sizeof(Datum) * 8 * b->max)
				: palloc(sizeof(Datum) * 8 * b->max);
			b->begins = b->begins ? repalloc(b->begins, sizeof(bool) * b->max)
				: palloc(sizeof(bool) * b->max);
		}
		for (i = 0; i < 8; i++)
			b->values[b->n * 8 + i] = (i == 0 || i == 7) ? PointerGetDatum(PG_DETOAST_DATUM_COPY(args[i]))
				: args[i];	/* int8 and timestamptz: by value */
		b->begins[b->n] = begins;
		b->n++;
		MemoryContextSwitchTo(old);
		return;
	}

	/* nothing of anyone else's may run in the owner's write (owner_writes.c) */
	wf_require_owner_write(schema, WF_OWNED_STAGE_VISIT_ROW);
	SPI_connect();
	wf_become_owner(schema, &saved);
	prepare_plans(schema);	/* parsed with the owner's pinned search_path */
	if (wf_execute_kept(close_plan, args, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "workflow_ext: could not close the stage visit of candidate " INT64_FORMAT,
			 DatumGetInt64(args[2]));
	if (SPI_processed == 1)
	{
		bool		folded_null;
		bool		folded = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
														&folded_null));

		/*
		 * A history row arriving before a later one re-closed a visit already
		 * folded into stage_visit_summary: the summary no longer holds.
		 */
		if (folded && !folded_null)
			unfold(schema, args[0], args[1], args[3]);
	}
	if (begins && wf_execute_kept(open_plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not open the stage visit of candidate " INT64_FORMAT,
			 DatumGetInt64(args[2]));
	wf_restore_user(&saved);
	SPI_finish();
}

/* stage_visits_unfold(tenant, job_id, workflow_id); connected to SPI, as the owner. */
static void
unfold(Oid schema, Datum tenant, Datum job_id, Datum workflow_id)
{
	Oid			types[3] = {TEXTOID, INT8OID, INT8OID};
	Datum		unfold_args[3] = {tenant, job_id, workflow_id};

	/* (it deletes the job's summary rows and updates its visit rows, as the owner) */
	wf_require_owner_write(schema, WF_OWNED_STAGE_VISIT_SUMMARY);
	wf_require_owner_write(schema, WF_OWNED_STAGE_VISIT_ROW);

	if (SPI_execute_with_args(psprintf("SELECT %s($1, $2, $3)",
									   wf_qualified(schema, "stage_visits_unfold")),
							  3, types, unfold_args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not unfold the stage visits of job " INT64_FORMAT,
			 DatumGetInt64(job_id));
}

/*
 * A history INSERT of many rows is about to run: the buffer of its rows'
 * visits, which the caller names in its announcement of the rows and ends
 * with wf_stage_visits_end whatever happens, right after the INSERT.
 */
WfVisitBuffer *
wf_stage_visits_begin(Oid schema)
{
	WfVisitBuffer *b = palloc0(sizeof(WfVisitBuffer));

	b->outer = pending;
	b->awaiting_start = true;
	b->schema = schema;
	b->history_relid = get_relname_relid("stage_transition", schema);
	b->context = AllocSetContextCreate(CurrentMemoryContext, "workflow_ext stage visits",
									   ALLOCSET_DEFAULT_SIZES);
	pending = b;
	return b;
}

/* Its INSERT is over (or failed): off the stack, freed. */
void
wf_stage_visits_end(WfVisitBuffer *buffer)
{
	if (pending != buffer)
		elog(WARNING, "workflow_ext: stage visit buffers ended out of order");
	pending = buffer->outer;
	MemoryContextDelete(buffer->context);
	pfree(buffer);
}

/* The end of a transaction: no INSERT is under way (their buffers' memory went with it). */
void
wf_stage_visits_reset(void)
{
	pending = NULL;
}

/* Column i of the 8 values of the rows of b (rows: those in the history INSERT), as an array. */
static Datum
visit_column(WfVisitBuffer *b, const int *rows, int n, int i)
{
	static const Oid types[8] = {TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, TEXTOID};
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int16		typlen;
	bool		typbyval;
	char		typalign;

	for (int r = 0; r < n; r++)
		elems[r] = b->values[rows[r] * 8 + i];
	get_typlenbyvalalign(types[i], &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, types[i], typlen, typbyval, typalign));
}

/*
 * Writes the visits buffered for the history INSERT of b, whose rows are
 * all in stage_transition now: one UPDATE closes the visits the rows end,
 * one INSERT writes the visits they begin, each closed at once by the row
 * after it if that one is there.  The same rows as row at a time (the
 * guard's two statements per row) write: the history row after a visit's
 * first row is the same whichever order a candidate's rows came in.
 */
static void
write_visits(WfVisitBuffer *b)
{
	int		   *all = palloc(sizeof(int) * b->n);
	int		   *opens = palloc(sizeof(int) * b->n);
	int			n_opens = 0;
	Datum		args[8];
	char		nulls[8];
	WfSavedUser saved;

	for (int r = 0; r < b->n; r++)
	{
		all[r] = r;
		if (b->begins[r])
			opens[n_opens++] = r;
	}
	memset(nulls, ' ', sizeof(nulls));
	wf_require_owner_write(b->schema, WF_OWNED_STAGE_VISIT_ROW);
	SPI_connect();
	wf_become_owner(b->schema, &saved);
	prepare_plans(b->schema);	/* parsed with the owner's pinned search_path */
	for (int i = 0; i < 8; i++)
		args[i] = visit_column(b, all, b->n, i);
	if (wf_execute_kept(close_rows_plan, args, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "workflow_ext: could not close the stage visits of %d history rows", b->n);
	/* (a history row arriving before a later one: see wf_stage_visit_record) */
	if (SPI_processed > 0)
	{
		SPITupleTable *closed = SPI_tuptable;
		uint64		n_closed = SPI_processed;

		for (uint64 c = 0; c < n_closed; c++)
		{
			bool		isnull;
			bool		folded = DatumGetBool(SPI_getbinval(closed->vals[c], closed->tupdesc, 1, &isnull));

			if (folded && !isnull)
			{
				bool		n1,
							n2,
							n3;

				unfold(b->schema, SPI_getbinval(closed->vals[c], closed->tupdesc, 2, &n1),
					   SPI_getbinval(closed->vals[c], closed->tupdesc, 3, &n2),
					   SPI_getbinval(closed->vals[c], closed->tupdesc, 4, &n3));
			}
		}
	}
	if (n_opens > 0)
	{
		for (int i = 0; i < 8; i++)
			args[i] = visit_column(b, opens, n_opens, i);
		/*
		 * (no count check, as row at a time; a trigger that could skip a
		 * visit is refused above: wf_require_owner_write)
		 */
		if (wf_execute_kept(open_rows_plan, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "workflow_ext: could not open the stage visits of %d history rows", n_opens);
	}
	wf_restore_user(&saved);
	SPI_finish();
	b->n = 0;
}

/*
 * From the ExecutorStart hook: the innermost buffer waiting for its INSERT
 * takes the first query that inserts into stage_transition (see above).
 */
void
wf_stage_visits_at_start(QueryDesc *queryDesc)
{
	WfVisitBuffer *b = pending;
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (b == NULL || !b->awaiting_start || queryDesc->operation != CMD_INSERT || stmt == NULL ||
		list_length(stmt->resultRelations) != 1 ||
		rt_fetch(linitial_int(stmt->resultRelations), stmt->rtable)->relid != b->history_relid)
		return;
	b->awaiting_start = false;
	b->query = queryDesc;
}

/*
 * From the ExecutorFinish hook, before the query's AFTER triggers fire: when
 * the query is the history INSERT of the innermost buffer, the visits of the
 * rows the guard admitted are written now (a row a later BEFORE trigger of
 * the owner's skipped included, as row at a time: the pipeline row's
 * deferred foreign key to its history then fails the transaction).
 */
void
wf_stage_visits_at_finish(QueryDesc *queryDesc)
{
	WfVisitBuffer *b = pending;

	if (b == NULL || b->query != queryDesc || b->n == 0)
		return;
	write_visits(b);
}

/* After the INSERT: what the hook did not write (none, normally). */
void
wf_stage_visits_flush(WfVisitBuffer *buffer)
{
	if (buffer->n > 0)
		write_visits(buffer);
}

/*
 * stage_visit_counts(tenant, job_id, workflow_id, since, until): per stage,
 * the visits that began in [since, until) (NULL: unbounded) counted by how
 * they ended (next_stage_id, next_status; both NULL while open), and
 * percentile_cont(0.5) and (0.9) of the time in stage of those that ended,
 * computed as PostgreSQL's percentile_cont does (rows floor and ceil of
 * p * (n - 1), interpolated) over the values in order.
 *
 * Without a window: the job's stage_visit_summary rows (the visits folded by
 * compact_stage_visits(): counts, and times in stage in order) and the
 * entries of stage_visit_row_funnel_idx with folded = false (the visits not
 * folded yet: open ones, and those that ended or began since), merged per
 * stage.  The folded visits are exactly the summary's (stage_visits_unfold
 * keeps it so), and both are read under the same snapshot.  With a window:
 * the index entries of both kinds (the summary does not know when a visit
 * began), each kind in order of stage and time in stage.  Index-only: the
 * heap is read only for a page not yet all-visible.
 *
 * It reads the tables as the executor would for the caller: SELECT
 * privilege checked (and the summary read by a query as the caller), and
 * under row-level security the policy stage_visit_row_read's rule decided
 * once for the whole scan (every row scanned has this tenant and workflow):
 * tenant = current_tenant() and workflow_id among visible_workflow_array(),
 * else nothing is counted.
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
	int64		n_run[2];
	int64		max_run[2];
	Interval   *run[2];			/* two runs of ended visits, each in order */
} StageCounts;

typedef struct Stages
{
	int			n;
	int			max;
	int			last;
	StageCounts *stage;
} Stages;

static StageCounts *
stage_of(Stages *all, int64 stage_id)
{
	StageCounts *st;
	int			i;

	if (all->n > 0 && all->stage[all->last].stage_id == stage_id)
		return &all->stage[all->last];
	for (i = 0; i < all->n; i++)
		if (all->stage[i].stage_id == stage_id)
		{
			all->last = i;
			return &all->stage[i];
		}
	if (all->n == all->max)
	{
		all->max = all->max ? all->max * 2 : 16;
		all->stage = all->stage ? repalloc(all->stage, sizeof(StageCounts) * all->max)
			: palloc(sizeof(StageCounts) * all->max);
	}
	st = &all->stage[all->n];
	memset(st, 0, sizeof(*st));
	st->stage_id = stage_id;
	all->last = all->n++;
	return st;
}

static void
add_group(StageCounts *st, bool open, int64 next_stage_id, const char *next_status, int64 visits)
{
	int			g;

	for (g = 0; g < st->n_groups; g++)
		if (st->groups[g].open == open &&
			(open || (st->groups[g].next_stage_id == next_stage_id &&
					  strcmp(st->groups[g].next_status, next_status) == 0)))
			break;
	if (g == st->n_groups)
	{
		if (st->n_groups == st->max_groups)
		{
			st->max_groups = st->max_groups ? st->max_groups * 2 : 8;
			st->groups = st->groups ? repalloc(st->groups, sizeof(VisitGroup) * st->max_groups)
				: palloc(sizeof(VisitGroup) * st->max_groups);
		}
		st->groups[g].open = open;
		st->groups[g].next_stage_id = next_stage_id;
		st->groups[g].next_status = open ? NULL : pstrdup(next_status);
		st->groups[g].visits = 0;
		st->n_groups++;
	}
	st->groups[g].visits += visits;
}

static void
reserve_run(StageCounts *st, int r, int64 more)
{
	if (st->n_run[r] + more <= st->max_run[r])
		return;
	if (st->max_run[r] == 0)
		st->max_run[r] = 1024;
	while (st->max_run[r] < st->n_run[r] + more)
		st->max_run[r] *= 2;
	st->run[r] = st->run[r] ? repalloc_huge(st->run[r], sizeof(Interval) * st->max_run[r])
		: MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Interval) * st->max_run[r]);
}

/* The order of interval_cmp: months as 30 days, days as 24 hours. */
static inline __int128
interval_key(const Interval *iv)
{
	return (__int128) iv->time + ((__int128) iv->day + (__int128) iv->month * 30) * USECS_PER_DAY;
}

/*
 * The entries of stage_visit_row_funnel_idx of the job and workflow with
 * this folded, into run r of their stages.
 */
static void
scan_visits(Relation heap, Relation index, text *tenant, int64 job_id, int64 workflow_id, bool folded,
			bool has_since, TimestampTz since, bool has_until, TimestampTz until, Stages *all, int r)
{
	IndexScanDesc scan;
	ScanKeyData keys[4];
	TupleTableSlot *slot;
	Buffer		vmbuffer = InvalidBuffer;
	ItemPointer tid;

	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(tenant));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8EQ, Int64GetDatum(job_id));
	ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8EQ, Int64GetDatum(workflow_id));
	ScanKeyEntryInitialize(&keys[3], 0, 4, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_BOOLEQ, BoolGetDatum(folded));
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 4, 0);
	scan->xs_want_itup = true;
	index_rescan(scan, keys, 4, NULL, 0);
	slot = table_slot_create(heap, NULL);

	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		IndexTuple	itup;
		TupleDesc	idesc;
		bool		isnull;
		bool		open;
		Datum		d;
		StageCounts *st;
		char	   *next_status = NULL;
		int64		next_stage_id = 0;

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
			TimestampTz entered = DatumGetTimestampTz(index_getattr(itup, 7, idesc, &isnull));

			if ((has_since && entered < since) || (has_until && entered >= until))
				continue;
		}
		st = stage_of(all, DatumGetInt64(index_getattr(itup, 5, idesc, &isnull)));
		d = index_getattr(itup, 9, idesc, &open);
		if (!open)
		{
			next_status = TextDatumGetCString(d);
			next_stage_id = DatumGetInt64(index_getattr(itup, 8, idesc, &isnull));
		}
		add_group(st, open, next_stage_id, next_status, 1);
		if (next_status)
			pfree(next_status);

		d = index_getattr(itup, 6, idesc, &isnull);
		if (!isnull)
		{
			reserve_run(st, r, 1);
			st->run[r][st->n_run[r]++] = *DatumGetIntervalP(d);
		}
	}
	if (BufferIsValid(vmbuffer))
		ReleaseBuffer(vmbuffer);
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
}

/*
 * The job's stage_visit_summary rows (read as the caller, under the
 * function's snapshot) into run r of their stages.
 */
static void
read_summary(Oid schema, text *tenant, int64 job_id, int64 workflow_id, Stages *all, int r,
			 MemoryContext work)
{
	Oid			types[3] = {TEXTOID, INT8OID, INT8OID};
	Datum		args[3];
	uint64		row;

	args[0] = PointerGetDatum(tenant);
	args[1] = Int64GetDatum(job_id);
	args[2] = Int64GetDatum(workflow_id);
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT s.stage_id, s.next_stage_ids, s.next_statuses, s.visits, "
									   "s.time_in_stage FROM %s s WHERE s.tenant OPERATOR(pg_catalog.=) $1 "
									   "AND s.job_id OPERATOR(pg_catalog.=) $2 "
									   "AND s.workflow_id OPERATOR(pg_catalog.=) $3",
									   wf_qualified(schema, "stage_visit_summary")),
							  3, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read stage_visit_summary");
	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		stage_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		ArrayType  *ids = DatumGetArrayTypeP(SPI_getbinval(tuple, desc, 2, &isnull));
		ArrayType  *statuses = DatumGetArrayTypeP(SPI_getbinval(tuple, desc, 3, &isnull));
		ArrayType  *visits = DatumGetArrayTypeP(SPI_getbinval(tuple, desc, 4, &isnull));
		ArrayType  *times = DatumGetArrayTypeP(SPI_getbinval(tuple, desc, 5, &isnull));
		Datum	   *id_d;
		Datum	   *status_d;
		Datum	   *visit_d;
		int			n_ids;
		int			n_statuses;
		int			n_visits;
		int			n_times;
		const int64 *micros;
		StageCounts *st;
		MemoryContext spi;
		int			g;
		int64		i;

		deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &id_d, NULL, &n_ids);
		deconstruct_array(statuses, TEXTOID, -1, false, TYPALIGN_INT, &status_d, NULL, &n_statuses);
		deconstruct_array(visits, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &visit_d, NULL, &n_visits);
		if (n_ids != n_statuses || n_ids != n_visits || ARR_NDIM(times) > 1 || ARR_HASNULL(times) ||
			ARR_HASNULL(ids) || ARR_HASNULL(statuses) || ARR_HASNULL(visits))
			elog(ERROR, "workflow_ext: stage_visit_summary of stage " INT64_FORMAT " is malformed", stage_id);
		n_times = ArrayGetNItems(ARR_NDIM(times), ARR_DIMS(times));
		micros = (const int64 *) ARR_DATA_PTR(times);

		spi = MemoryContextSwitchTo(work);
		st = stage_of(all, stage_id);
		for (g = 0; g < n_ids; g++)
			add_group(st, false, DatumGetInt64(id_d[g]), TextDatumGetCString(status_d[g]),
					  DatumGetInt64(visit_d[g]));
		reserve_run(st, r, n_times);
		for (i = 0; i < n_times; i++)
		{
			/* the form timestamptz subtraction gives: days, then under a day */
			Interval   *iv = &st->run[r][st->n_run[r]++];

			iv->month = 0;
			iv->day = (int32) (micros[i] / USECS_PER_DAY);
			iv->time = micros[i] % USECS_PER_DAY;
		}
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
}

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
	 * (Only while stage_visit_row_read and stage_visit_summary_read are
	 * their tables' one policy, and the history the visits derive from
	 * carries the extension's policies alone: a policy someone added, on any
	 * of the three, is not this rule (one on
	 * stage_transition may hide some of the job's history), and then nothing
	 * is counted; pipeline_funnel() then derives the funnel from history.)
	 */
	if (SPI_execute_with_args(psprintf("SELECT $1 OPERATOR(pg_catalog.=) %s() AND $2 OPERATOR(pg_catalog.=) "
									   "ANY (%s()) AND (SELECT pg_catalog.array_agg(p.polname) "
									   "FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) $3) "
									   "OPERATOR(pg_catalog.=) '{stage_visit_row_read}'::pg_catalog.name[] "
									   "AND (SELECT pg_catalog.array_agg(p.polname ORDER BY p.polname) "
									   "FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) "
									   "%s::pg_catalog.regclass) OPERATOR(pg_catalog.=) "
									   "'{stage_transition_read,stage_transition_record}'::pg_catalog.name[] "
									   "AND (SELECT pg_catalog.array_agg(p.polname) "
									   "FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) "
									   "%s::pg_catalog.regclass) OPERATOR(pg_catalog.=) "
									   "'{stage_visit_summary_read}'::pg_catalog.name[]",
									   wf_qualified(schema, "current_tenant"),
									   wf_qualified(schema, "visible_workflow_array"),
									   quote_literal_cstr(wf_qualified(schema, "stage_transition")),
									   quote_literal_cstr(wf_qualified(schema, "stage_visit_summary"))),
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "workflow_ext: could not decide who sees the stage visits");
	allowed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	allowed = allowed && !isnull;
	SPI_finish();
	return allowed;
}

static Datum
percentile(const Interval *ended, int64 n_ended, double pct)
{
	double		pos = pct * (double) (n_ended - 1);
	int64		lo = (int64) floor(pos);
	int64		hi = (int64) ceil(pos);
	Datum		a = IntervalPGetDatum(&ended[lo]);
	Datum		b = IntervalPGetDatum(&ended[hi]);
	Interval   *out = palloc(sizeof(Interval));

	if (lo == hi)
		*out = ended[lo];
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
	int64		n_ended = st->n_run[0] + st->n_run[1];
	Interval   *ended;

	if (st->n_run[1] == 0)
		ended = st->run[0];
	else if (st->n_run[0] == 0)
		ended = st->run[1];
	else
	{
		/* the two runs merged in order */
		int64		a = 0;
		int64		b = 0;
		int64		o = 0;

		ended = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Interval) * n_ended);
		while (a < st->n_run[0] && b < st->n_run[1])
		{
			if (interval_key(&st->run[1][b]) < interval_key(&st->run[0][a]))
				ended[o++] = st->run[1][b++];
			else
				ended[o++] = st->run[0][a++];
		}
		while (a < st->n_run[0])
			ended[o++] = st->run[0][a++];
		while (b < st->n_run[1])
			ended[o++] = st->run[1][b++];
	}
	if (n_ended > 0)
	{
		median = percentile(ended, n_ended, 0.5);
		p90 = percentile(ended, n_ended, 0.9);
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
		nulls[4] = n_ended == 0;
		values[5] = p90;
		nulls[5] = n_ended == 0;
		tuplestore_putvalues(store, desc, values, nulls);
	}
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
	Stages		all;
	MemoryContext work;
	MemoryContext old;
	int			i;

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
	memset(&all, 0, sizeof(all));

	heap = table_open(relid, AccessShareLock);
	index = index_open(indexid, AccessShareLock);
	if (has_since || has_until)
		scan_visits(heap, index, tenant, job_id, workflow_id, true, has_since, since, has_until, until, &all, 0);
	else
		read_summary(schema, tenant, job_id, workflow_id, &all, 0, work);
	scan_visits(heap, index, tenant, job_id, workflow_id, false, has_since, since, has_until, until, &all, 1);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);

	/* (the tuplestore copies what it keeps into its own memory) */
	for (i = 0; i < all.n; i++)
		emit_stage(rsinfo->setResult, rsinfo->setDesc, &all.stage[i]);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	PG_RETURN_NULL();
}
