/*
 * kept_plans.c: the statements the extension prepares once per backend
 * (SPI_keepplan) and runs many times, and the rule for their generic plan.
 *
 * PostgreSQL keeps a statement's generic plan until something invalidates
 * it (DDL, ANALYZE, a role or search_path change): it is not re-costed as
 * a table grows.  Our statements look rows up by key (a candidate's
 * pipeline rows, a visit, an event of a visit); a generic plan made while
 * the table was small (a young database, never analyzed or analyzed before
 * a bulk load, plan_cache_mode = force_generic_plan) is a sequential scan,
 * and stays one per row, per change, per event, once the table holds
 * thousands of rows.  That is a plan made from statistics we do not
 * control, and it is what ./test.sh saw at random under load (history_plans,
 * attack12, alert_repeats_settings).  So every kept statement's generic
 * plan is made here, with sequential scans priced out, before the statement
 * runs; the setting lasts for the planning only (no trigger or function
 * the statement fires sees it; a function the planner itself evaluates, an
 * IMMUTABLE one of a user's policy with constant arguments, does: attack14
 * 03).  Custom plans (the first executions, or plan_cache_mode =
 * force_custom_plan, or when the plan cache finds them cheaper than this
 * generic plan) are made at each execution with the table's current size,
 * but with its statistics as last analyzed: a value most of a young
 * table's sample still gets a sequential scan until ANALYZE (attack14 02).
 *
 * Pricing out sequential scans does not price out a full scan in index
 * order: a join the planner may order, with a merge-joinable clause on a
 * table's key, can still read that table whole per execution (the stage
 * visits' set-wise close did, planned while the visits were empty:
 * stage_visits.c, close_rows_plan).  A kept statement joining a table to
 * its parameters' rows gives it a key clause no merge join takes
 * (= ANY (ARRAY[...])) or a LATERAL probe; test kept_plans counts the rows
 * each path reads.
 */
#include "postgres.h"

#include "workflow_ext.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/plancache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

/* Prepares a statement and keeps it for the life of the backend (caller is in SPI). */
SPIPlanPtr
wf_keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "workflow_ext: could not prepare: %s", sql);
	return plan;
}

/*
 * Would the next execution use the generic plan there is now, as it is?
 * The tests GetCachedPlan makes before it re-plans (plancache.c,
 * RevalidateCachedQuery and CheckCachedPlan in PostgreSQL 15), after the
 * pending invalidations are read: when one of them fails, the plan is made
 * again, and it must be made here.
 */
static bool
generic_plan_current(const CachedPlanSource *source)
{
	const CachedPlan *gplan = source->gplan;

	if (!source->is_valid || gplan == NULL || !gplan->is_valid)
		return false;
	if (source->dependsOnRLS &&
		(source->rewriteRoleId != GetUserId() || source->rewriteRowSecurity != row_security))
		return false;
	if (source->search_path != NULL && !OverrideSearchPathMatchesCurrent(source->search_path))
		return false;
	if (gplan->dependsOnRole && gplan->planRoleId != GetUserId())
		return false;
	if (TransactionIdIsValid(gplan->saved_xmin) && !TransactionIdEquals(gplan->saved_xmin, TransactionXmin))
		return false;
	return true;
}

/*
 * Makes plan's generic plan, if it has to be made, with sequential scans
 * priced out (enable_seqscan = off for the planning alone: this call's
 * GUC level, undone before the statement runs, or by the abort).  A table
 * without an index the statement can use is still scanned.  Returns the
 * plan source's generation then (every plan made later is newer), or -1
 * for a plan of more than one statement.
 */
static int
plan_by_index(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source;
	int			nest;
	CachedPlan *cplan;

	if (list_length(sources) != 1)
		return -1;
	source = (CachedPlanSource *) linitial(sources);
	AcceptInvalidationMessages();
	if (generic_plan_current(source))
		return source->generation;
	nest = NewGUCNestLevel();
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	cplan = SPI_plan_get_cached_plan(plan);
	AtEOXact_GUC(true, nest);
	if (cplan != NULL)
		ReleaseCachedPlan(cplan, CurrentResourceOwner);
	return source->generation;
}

/*
 * SPI_execute_plan of a kept statement whose rows are found by key: its
 * generic plan made by index (above).  Same arguments and result.
 *
 * The statement may still plan itself: an invalidation read when it takes
 * a table's lock (one committed while it waited for that lock behind a
 * CREATE INDEX or other DDL, after the test above) makes the executor plan
 * it again, as PostgreSQL always does, with sequential scans, and keep that
 * plan as the table grows (attack14 04).  Such a plan (a generic plan newer
 * than the test: generations, not addresses, as a plan's memory is reused)
 * serves this execution and is then marked invalid, as an invalidation
 * would, so that the next execution makes it by index.  (One made by a
 * nested call of the same statement, by index, is made once more.)
 */
int
wf_execute_kept(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, long count)
{
	int			made = plan_by_index(plan);
	int			ret;

	ret = SPI_execute_plan(plan, values, nulls, read_only, count);
	if (made >= 0)
	{
		CachedPlan *now = ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(plan)))->gplan;

		if (now != NULL && now->generation > made)
			now->is_valid = false;
	}
	return ret;
}
