/*
 * facts_changed_trigger.c - when facts change, the alerts of the stages the
 * candidates concerned stand in are evaluated again: a candidate's facts
 * (candidate_profile, or the table set with set_candidate_source) concern
 * that candidate's pipelines in the row's tenant; a job's facts
 * (job_profile) concern that job's pipeline.  (An application's facts,
 * candidate_stage.attributes, are the pipeline row itself:
 * pipeline_record.c.)  An alert fires at most once per stage visit: the
 * events' unique key includes the visit's transition id.  A candidate standing
 * in an auto_advance stage moves on when the next stage's rule now holds
 * (auto_advance.c).
 *
 * Runs with the writer's rights: only the pipelines the writer can see are
 * evaluated, with the facts of each row's tenant.  The pipeline rows are
 * locked first, so a concurrent move of the same candidate waits for this
 * change (and then reads the new facts), or this change waits for the move
 * (and then evaluates the stage the candidate ends up in).  Only rows that
 * pass the checks are locked: the tenant, row-level security, the status and
 * the open visit are filters of the scan, below the lock, so another
 * tenant's row (locked by anyone) never blocks this change
 * (test/specs/facts_lock_order.spec).  A row whose current stage has no
 * alerts is locked too: a move of it into a stage with alerts must wait for
 * this change to read its facts (test/specs/facts_move_race.spec).
 *
 * Trigger arguments: the key column; the jsonb column holding the facts, or
 * '' (then the configured source is read); 'candidate' or 'job'; the tenant
 * column, or '' (a custom table of one organization: every tenant's
 * pipelines of that candidate).
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_facts_changed);

static SPIPlanPtr visits_plan[2] = {NULL, NULL};	/* by candidate, by job */
static Oid	visits_plan_schema = InvalidOid;

/*
 * The open stage visits of a candidate (or of a job's candidates) in a
 * tenant (NULL: any), locked.  Prepared once per backend.  No ORDER BY for
 * the locks: two changes of one candidate's facts already queue on the facts
 * row, and a move locks one pipeline row (a Sort node was an eighth of a
 * facts update's time, in executor start-up alone).
 */
static SPIPlanPtr
visits(Oid schema, bool by_job)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	/*
	 * By candidate: candidate_stage_candidate_idx (candidate_id), the tenant
	 * a filter (none for a custom table of one organization).  By job: the
	 * unique key (tenant, job_id, candidate_id), a job's facts always naming
	 * their tenant.  Either way an index whatever plan the cache keeps.
	 */
	const char *sql = "SELECT c.job_id, c.workflow_id, c.stage_id, c.visit_transition_id, "
		"c.candidate_id, c.tenant, c.attributes "
		"FROM %s c WHERE %s "
		"AND c.status OPERATOR(pg_catalog.=) 'active' AND c.visit_transition_id IS NOT NULL "
		"FOR NO KEY UPDATE OF c";

	if (visits_plan[0] == NULL || visits_plan_schema != schema)
	{
		for (int i = 0; i < 2; i++)
		{
			if (visits_plan[i] != NULL)
				SPI_freeplan(visits_plan[i]);
			visits_plan[i] = wf_keep_plan(psprintf(sql, wf_qualified(schema, "candidate_stage"),
												   i ? "c.job_id OPERATOR(pg_catalog.=) $1 "
												   "AND c.tenant OPERATOR(pg_catalog.=) $2"
												   : "c.candidate_id OPERATOR(pg_catalog.=) $1 "
												   "AND ($2 IS NULL OR c.tenant OPERATOR(pg_catalog.=) $2)"),
										  2, types);
		}
		visits_plan_schema = schema;
	}
	return visits_plan[by_job ? 1 : 0];
}

/*
 * Evaluates the alerts of one open stage visit again; cause 'facts'.
 * batched: into the statement's buffer (batched_writes.c).
 */
void
wf_reevaluate_visit(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched)
{
	const WfStage *stage = wf_stage_lookup(schema, row->stage_id);
	bool	   *fires;
	char	   *failed_text = NULL;
	Jsonb	   *failed;
	int			raised;

	if (stage == NULL || stage->n_alerts == 0)
		return;
	if (stage->has_rule)
		(void) wf_rule_holds(stage, facts, &failed_text);
	failed = wf_json_text_to_jsonb(failed_text);
	fires = palloc(sizeof(bool) * stage->n_alerts);
	if (wf_firing_alerts(stage, facts, failed, fires) == 0)
		return;
	if (batched)
	{
		(void) wf_batch_alerts(schema, stage, fires, row, facts, "facts");
		wf_batch_notify_alerts(row->visit_transition_id);
		return;
	}
	raised = wf_raise_alerts(schema, stage, fires, row, facts, "facts");
	if (raised > 0)
		wf_notify("alert", row->visit_transition_id, raised);
}

static int64
candidate_key(TriggerData *td, HeapTuple tuple, bool *present)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	const char *key;
	int			col;
	Oid			type;
	bool		isnull;
	Datum		d;

	if (td->tg_trigger->tgnargs < 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("facts_changed() needs the key column as its argument"),
				 errdetail_reason("trigger_protocol", NULL)));
	key = td->tg_trigger->tgargs[0];
	col = SPI_fnumber(desc, key);
	if (col <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no key column \"%s\" for facts",
						RelationGetRelationName(td->tg_relation), key),
				 errdetail_reason("facts_table_column", "\"table\": %s, \"column\": %s",
								  wf_json_string(RelationGetRelationName(td->tg_relation)), wf_json_string(key))));
	d = heap_getattr(tuple, col, desc, &isnull);
	*present = !isnull;
	if (isnull)
		return 0;
	type = SPI_gettypeid(desc, col);
	if (type == INT8OID)
		return DatumGetInt64(d);
	if (type == INT4OID)
		return DatumGetInt32(d);
	if (type == INT2OID)
		return DatumGetInt16(d);
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("facts key column \"%s\" must be an integer", key),
			 errdetail_reason("facts_table_column", "\"table\": %s, \"column\": %s",
								  wf_json_string(RelationGetRelationName(td->tg_relation)), wf_json_string(key))));
	return 0;
}

/*
 * Fires on candidate_profile, job_profile, or the table set with
 * set_candidate_source (or a partition of it: a partitioned table's row
 * trigger is cloned onto its partitions).
 */
static void
require_facts_table(Relation rel, Oid schema)
{
	Oid			relid = RelationGetRelid(rel);
	bool		ok = wf_is_extension_table(relid, schema, "candidate_profile") ||
		wf_is_extension_table(relid, schema, "job_profile");

	if (!ok)
	{
		Oid			types[1] = {OIDOID};
		Datum		args[1] = {ObjectIdGetDatum(relid)};

		SPI_connect();
		if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s f WHERE f.relation OPERATOR(pg_catalog.=) $1 "
										   "OR f.relation IN (SELECT a.relid FROM "
										   "pg_catalog.pg_partition_ancestors($1) a)",
										   wf_qualified(schema, "facts_source")),
								  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read facts_source");
		ok = SPI_processed == 1;
		SPI_finish();
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("facts_changed() fires only on candidate_profile, job_profile or the facts source table, "
						"not on \"%s\"", RelationGetRelationName(rel)),
				 errdetail_reason("trigger_protocol", NULL)));
}

/* Text argument i of the trigger, or NULL when absent or ''. */
static const char *
trigger_arg(TriggerData *td, int i)
{
	if (td->tg_trigger->tgnargs <= i || td->tg_trigger->tgargs[i][0] == '\0')
		return NULL;
	return td->tg_trigger->tgargs[i];
}

static Datum
wf_candidate_facts_changed_pinned(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			schema;
	HeapTuple	tuple;
	int64		key;
	bool		present;
	bool		by_job;
	const char *facts_column;
	const char *tenant_column;
	Datum		tenant = (Datum) 0;
	bool		tenant_null = true;
	WfPipelineRow *rows = NULL;
	uint64		n_rows = 0;
	Jsonb	   *given = NULL;
	bool		batched;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("facts_changed() must be an AFTER INSERT OR UPDATE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	require_facts_table(td->tg_relation, schema);
	desc = td->tg_relation->rd_att;
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	key = candidate_key(td, tuple, &present);
	if (!present)
		return PointerGetDatum(NULL);
	facts_column = trigger_arg(td, 1);
	by_job = trigger_arg(td, 2) != NULL && strcmp(trigger_arg(td, 2), "job") == 0;
	tenant_column = trigger_arg(td, 3);

	/* Whose pipelines: the row's tenant, or every tenant's (one organization's table). */
	if (tenant_column != NULL)
	{
		int			col = SPI_fnumber(desc, tenant_column);

		if (col <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no tenant column \"%s\"",
							RelationGetRelationName(td->tg_relation), tenant_column),
					 errdetail_reason("facts_table_column", "\"table\": %s, \"column\": %s",
								  wf_json_string(RelationGetRelationName(td->tg_relation)), wf_json_string(tenant_column))));
		tenant = heap_getattr(tuple, col, desc, &tenant_null);
		if (tenant_null)
			return PointerGetDatum(NULL);	/* a row of no tenant is nobody's facts */
		if (SPI_gettypeid(desc, col) != TEXTOID)
			tenant = CStringGetTextDatum(SPI_getvalue(tuple, desc, col));
	}

	/*
	 * The jsonb column that holds the facts (candidate_profile.attributes,
	 * job_profile.attributes): read them from the new row, and do nothing
	 * when they did not change.  (For candidate_profile only while it is the
	 * facts source; otherwise the configured source is read per row.)
	 */
	if (facts_column != NULL && (by_job || wf_facts_are_profile(schema)))
	{
		int			col = SPI_fnumber(desc, facts_column);
		bool		isnull;
		Datum		d;

		if (col <= 0 || SPI_gettypeid(desc, col) != JSONBOID)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no jsonb column \"%s\" for facts",
							RelationGetRelationName(td->tg_relation), facts_column),
					 errdetail_reason("facts_table_column", "\"table\": %s, \"column\": %s",
								  wf_json_string(RelationGetRelationName(td->tg_relation)), wf_json_string(facts_column))));
		d = heap_getattr(tuple, col, desc, &isnull);
		if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		{
			bool		old_isnull;
			Datum		old = heap_getattr(td->tg_trigtuple, col, desc, &old_isnull);

			if (isnull == old_isnull &&
				(isnull || DatumGetBool(DirectFunctionCall2(jsonb_eq, old, d))))
				return PointerGetDatum(NULL);
		}
		if (!isnull)
			given = DatumGetJsonbP(d);
	}

	/* The open stage visits concerned. */
	{
		Datum		args[2] = {Int64GetDatum(key), tenant};
		char		nulls[2] = {' ', tenant_null ? 'n' : ' '};
		MemoryContext caller = CurrentMemoryContext;

		SPI_connect();
		if (SPI_execute_plan(visits(schema, by_job), args, nulls, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the pipelines of %s " INT64_FORMAT,
				 by_job ? "job" : "candidate", key);
		n_rows = SPI_processed;
		if (n_rows > 0)
			rows = MemoryContextAllocZero(caller, sizeof(WfPipelineRow) * n_rows);
		for (uint64 i = 0; i < n_rows; i++)
		{
			HeapTuple	r = SPI_tuptable->vals[i];
			TupleDesc	rdesc = SPI_tuptable->tupdesc;
			bool		isnull;
			MemoryContext spi = MemoryContextSwitchTo(caller);

			rows[i].job_id = DatumGetInt64(SPI_getbinval(r, rdesc, 1, &isnull));
			rows[i].workflow_id = DatumGetInt64(SPI_getbinval(r, rdesc, 2, &isnull));
			rows[i].stage_id = DatumGetInt64(SPI_getbinval(r, rdesc, 3, &isnull));
			rows[i].visit_transition_id = DatumGetInt64(SPI_getbinval(r, rdesc, 4, &isnull));
			rows[i].candidate_id = DatumGetInt64(SPI_getbinval(r, rdesc, 5, &isnull));
			rows[i].tenant = TextDatumGetCString(SPI_getbinval(r, rdesc, 6, &isnull));
			rows[i].attributes = DatumGetJsonbPCopy(SPI_getbinval(r, rdesc, 7, &isnull));
			rows[i].has_job = rows[i].has_candidate = rows[i].has_workflow = true;
			rows[i].has_stage = rows[i].has_visit = true;
			rows[i].status = "active";
			MemoryContextSwitchTo(spi);
		}
		SPI_finish();
	}

	/*
	 * A statement changing many facts rows writes the events of them all
	 * set-wise (batched_writes.c).
	 */
	batched = n_rows > 0 && wf_batch_open(td->tg_relation);
	for (uint64 i = 0; i < n_rows; i++)
	{
		WfFacts		facts;
		const WfStage *stage;

		wf_facts_for_row(&facts, schema, &rows[i]);
		if (given != NULL)
			facts.doc[by_job ? WF_SOURCE_JOB : WF_SOURCE_CANDIDATE] = given;
		wf_reevaluate_visit(schema, &rows[i], &facts, batched);
		/* an auto-advance's move comes after the events that led to it */
		stage = batched ? wf_stage_lookup(schema, rows[i].stage_id) : NULL;
		if (stage != NULL && stage->auto_advance)
			wf_batch_flush();
		wf_auto_advance(schema, &rows[i], &facts);
	}
	return PointerGetDatum(NULL);
}

Datum
wf_candidate_facts_changed(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_candidate_facts_changed_pinned(fcinfo));
}
