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

#include "access/htup_details.h"
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
