/*
 * sla_sweep.c - raise_overdue_alerts(): one alert event (cause 'sla') per
 * active stage visit that has lasted longer than its stage's sla.
 *
 * A visit is overdue when entered_at + sla has passed on the UTC calendar
 * (a day is a UTC day, a month a UTC calendar month), so the verdict is the
 * same whatever the TimeZone of the session that runs the sweep; the message
 * prints the sla in the postgres IntervalStyle (pinned on the function).
 *
 * Runs as the caller: for an actor it sweeps the pipelines that actor can
 * see (row-level security); a superuser, or a scheduler role with BYPASSRLS,
 * sweeps them all.  Rows that another transaction holds are skipped and
 * caught by the next run.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_raise_overdue_alerts);

static Datum
wf_raise_overdue_alerts_pinned(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	int			raised = 0;
	char	   *sql;

	(void) wf_tenant();		/* require_actor and require_tenant */
	SPI_connect();
	sql = psprintf("SELECT c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.visit_transition_id, "
				   "pg_catalog.format('candidate %%s has been in stage \"%%s\" of job %%s for more than %%s', "
				   "c.candidate_id, s.name, c.job_id, s.sla), c.tenant, c.attributes "
				   "FROM %s c JOIN %s s ON s.id OPERATOR(pg_catalog.=) c.stage_id "
				   "WHERE c.status OPERATOR(pg_catalog.=) 'active' AND s.sla IS NOT NULL "
				   /* on the UTC calendar, whatever the session's TimeZone */
				   "AND (c.entered_at AT TIME ZONE 'UTC') OPERATOR(pg_catalog.+) s.sla "
				   "OPERATOR(pg_catalog.<) (pg_catalog.now() AT TIME ZONE 'UTC') "
				   "AND c.visit_transition_id IS NOT NULL "
				   "AND NOT EXISTS (SELECT 1 FROM %s e WHERE e.tenant OPERATOR(pg_catalog.=) c.tenant "
				   "AND e.candidate_id OPERATOR(pg_catalog.=) c.candidate_id "
				   "AND e.transition_id OPERATOR(pg_catalog.=) c.visit_transition_id "
				   "AND e.cause OPERATOR(pg_catalog.=) 'sla') "
				   "ORDER BY c.id FOR NO KEY UPDATE OF c SKIP LOCKED",
				   wf_qualified(schema, "candidate_stage"), wf_qualified(schema, "workflow_stage"),
				   wf_qualified(schema, "alert_event"));
	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read overdue stage visits");
	{
		SPITupleTable *visits = SPI_tuptable;
		uint64		n = SPI_processed;
		/* Each visit's work (its facts, its message) is freed before the next. */
		MemoryContext per_visit = AllocSetContextCreate(CurrentMemoryContext,
														"workflow_ext overdue visit",
														ALLOCSET_DEFAULT_SIZES);

		for (uint64 i = 0; i < n; i++)
		{
			MemoryContext outer = MemoryContextSwitchTo(per_visit);

			HeapTuple	r = visits->vals[i];
			TupleDesc	desc = visits->tupdesc;
			WfPipelineRow row;
			WfFacts		facts;
			bool		isnull;
			int64		id;

			CHECK_FOR_INTERRUPTS();
			memset(&row, 0, sizeof(row));
			row.job_id = DatumGetInt64(SPI_getbinval(r, desc, 1, &isnull));
			row.candidate_id = DatumGetInt64(SPI_getbinval(r, desc, 2, &isnull));
			row.workflow_id = DatumGetInt64(SPI_getbinval(r, desc, 3, &isnull));
			row.stage_id = DatumGetInt64(SPI_getbinval(r, desc, 4, &isnull));
			row.visit_transition_id = DatumGetInt64(SPI_getbinval(r, desc, 5, &isnull));
			row.tenant = TextDatumGetCString(SPI_getbinval(r, desc, 7, &isnull));
			row.attributes = DatumGetJsonbP(SPI_getbinval(r, desc, 8, &isnull));
			row.has_job = row.has_candidate = row.has_workflow = row.has_stage = row.has_visit = true;
			wf_facts_for_row(&facts, schema, &row);
			id = wf_raise_sla_event(schema, &row, SPI_getvalue(r, desc, 6), &facts);
			if (id != 0)
			{
				wf_notify("sla", row.visit_transition_id, 1);
				raised++;
			}
			MemoryContextSwitchTo(outer);
			MemoryContextReset(per_visit);
		}
		MemoryContextDelete(per_visit);
	}
	SPI_finish();
	PG_RETURN_INT32(raised);
}

Datum
wf_raise_overdue_alerts(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_raise_overdue_alerts_pinned(fcinfo));
}
