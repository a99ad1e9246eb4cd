/*
 * facts_changed_trigger.c - when a candidate's facts change (candidate_profile
 * or the table set with set_candidate_source), the alerts of every stage the
 * candidate stands in are evaluated again.  An alert fires at most once per
 * stage visit: the events' unique key includes the visit's transition id.
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

static SPIPlanPtr visits_plan = NULL;
static Oid	visits_plan_schema = InvalidOid;

/* The open stage visits of a candidate; prepared once per backend. */
static SPIPlanPtr
visits(Oid schema)
{
	Oid			types[1] = {INT8OID};

	if (visits_plan != NULL && visits_plan_schema == schema)
		return visits_plan;
	if (visits_plan != NULL)
		SPI_freeplan(visits_plan);
	visits_plan = NULL;
	visits_plan = wf_keep_plan(psprintf("SELECT c.job_id, c.workflow_id, c.stage_id, c.transition_id "
								"FROM %s c WHERE c.candidate_id = $1 "
								"AND c.status = 'active' AND c.transition_id IS NOT NULL",
								wf_qualified(schema, "candidate_stage")), 1, types);
	visits_plan_schema = schema;
	return visits_plan;
}

static int64
candidate_key(TriggerData *td, HeapTuple tuple)
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
				 errmsg("candidate_facts_changed() needs the key column as its argument")));
	key = td->tg_trigger->tgargs[0];
	col = SPI_fnumber(desc, key);
	if (col <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column \"%s\" for candidate facts",
						RelationGetRelationName(td->tg_relation), key)));
	d = heap_getattr(tuple, col, desc, &isnull);
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
			 errmsg("candidate key column \"%s\" must be an integer", key)));
	return 0;
}

Datum
wf_candidate_facts_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema;
	HeapTuple	tuple;
	int64		candidate_id;
	WfPipelineRow *rows = NULL;
	uint64		n_rows = 0;
	Jsonb	   *facts = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_facts_changed() must be an AFTER INSERT OR UPDATE row trigger")));
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	candidate_id = candidate_key(td, tuple);
	if (candidate_id == 0)
		return PointerGetDatum(NULL);
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);

	/*
	 * A second argument names the jsonb column that holds the facts (as for
	 * candidate_profile.attributes): read them from the new row, and do
	 * nothing when they did not change.  (Only while that table is the facts
	 * source; otherwise the configured source is read below.)
	 */
	if (td->tg_trigger->tgnargs >= 2 && wf_facts_are_profile(schema))
	{
		TupleDesc	desc = td->tg_relation->rd_att;
		int			col = SPI_fnumber(desc, td->tg_trigger->tgargs[1]);
		bool		isnull;
		Datum		d;

		if (col <= 0 || SPI_gettypeid(desc, col) != JSONBOID)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no jsonb column \"%s\" for candidate facts",
							RelationGetRelationName(td->tg_relation), td->tg_trigger->tgargs[1])));
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
			facts = DatumGetJsonbP(d);
	}

	/* The stage visits of this candidate that are still open. */
	{
		Datum		args[1] = {Int64GetDatum(candidate_id)};
		MemoryContext caller = CurrentMemoryContext;

		SPI_connect();
		if (SPI_execute_plan(visits(schema), args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the pipeline of candidate " INT64_FORMAT,
				 candidate_id);
		n_rows = SPI_processed;
		if (n_rows > 0)
			rows = MemoryContextAlloc(caller, sizeof(WfPipelineRow) * n_rows);
		for (uint64 i = 0; i < n_rows; i++)
		{
			HeapTuple	r = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;

			rows[i].candidate_id = candidate_id;
			rows[i].job_id = DatumGetInt64(SPI_getbinval(r, desc, 1, &isnull));
			rows[i].workflow_id = DatumGetInt64(SPI_getbinval(r, desc, 2, &isnull));
			rows[i].stage_id = DatumGetInt64(SPI_getbinval(r, desc, 3, &isnull));
			rows[i].transition_id = DatumGetInt64(SPI_getbinval(r, desc, 4, &isnull));
			rows[i].status = MemoryContextStrdup(caller, "active");
		}
		SPI_finish();
	}

	for (uint64 i = 0; i < n_rows; i++)
	{
		const WfStage *stage = wf_stage_lookup(schema, rows[i].stage_id);
		bool	   *fires;
		StringInfoData ids;

		if (stage == NULL || stage->n_alerts == 0)
			continue;
		if (facts == NULL)
			facts = wf_fetch_facts(schema, candidate_id);	/* the configured source decides */
		fires = palloc(sizeof(bool) * stage->n_alerts);
		if (wf_firing_alerts(stage, facts, fires) == 0)
			continue;
		initStringInfo(&ids);
		if (wf_raise_alerts(schema, stage, fires, &rows[i], facts, "facts", &ids) > 0)
			wf_notify("alert", &rows[i], 0, NULL, ids.data);
	}
	return PointerGetDatum(NULL);
}
