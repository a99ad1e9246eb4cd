/*
 * facts_changed_trigger.c - when a candidate's facts change (candidate_profile
 * or the table set with set_candidate_source), the alerts of every stage the
 * candidate stands in are evaluated again.  An alert fires at most once per
 * stage visit: the events' unique key includes the visit's transition id.
 *
 * Runs with the writer's rights: only the pipelines the writer can see are
 * evaluated (a tenant's profile update never runs another tenant's alerts),
 * with the facts the writer reads.  The pipeline rows are locked first, so a
 * concurrent move of the same candidate waits for this change (and then reads
 * the new facts), or this change waits for the move (and then evaluates the
 * stage the candidate ends up in).
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
static SPIPlanPtr owner_visits_plan = NULL;
static Oid	visits_plan_schema = InvalidOid;

/*
 * The open stage visits of a candidate, locked; with owner (a profile's), only
 * the rows that actor added in workflows it owns: a profile speaks only there
 * (pipeline_profile_attributes()).  Prepared once per backend.  No ORDER BY
 * for the locks: two changes of one candidate's facts already queue on the
 * facts row, and a move locks one pipeline row (a Sort node was an eighth of
 * a facts update's time, in executor start-up alone).
 */
static SPIPlanPtr
visits(Oid schema, bool by_owner)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	const char *sql = "SELECT c.job_id, c.workflow_id, c.stage_id, c.visit_transition_id "
		"FROM %s c WHERE c.candidate_id OPERATOR(pg_catalog.=) $1 "
		"AND c.status OPERATOR(pg_catalog.=) 'active' AND c.visit_transition_id IS NOT NULL %s"
		"FOR NO KEY UPDATE OF c";

	if (visits_plan == NULL || visits_plan_schema != schema)
	{
		if (visits_plan != NULL)
			SPI_freeplan(visits_plan);
		if (owner_visits_plan != NULL)
			SPI_freeplan(owner_visits_plan);
		visits_plan = owner_visits_plan = NULL;
		visits_plan = wf_keep_plan(psprintf(sql, wf_qualified(schema, "candidate_stage"), ""), 1, types);
		owner_visits_plan = wf_keep_plan(psprintf(sql, wf_qualified(schema, "candidate_stage"),
												  psprintf("AND EXISTS (SELECT 1 FROM %s w WHERE w.id "
														   "OPERATOR(pg_catalog.=) c.workflow_id AND w.owner "
														   "OPERATOR(pg_catalog.=) $2) "
														   "AND c.added_by OPERATOR(pg_catalog.=) $2 ",
														   wf_qualified(schema, "workflow"))),
										 2, types);
		visits_plan_schema = schema;
	}
	return by_owner ? owner_visits_plan : visits_plan;
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
				 errmsg("candidate_facts_changed() needs the key column as its argument")));
	key = td->tg_trigger->tgargs[0];
	col = SPI_fnumber(desc, key);
	if (col <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column \"%s\" for candidate facts",
						RelationGetRelationName(td->tg_relation), key)));
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
			 errmsg("candidate key column \"%s\" must be an integer", key)));
	return 0;
}

/*
 * Fires on candidate_profile, or on the table set with set_candidate_source
 * (or a partition of it: a partitioned table's row trigger is cloned onto
 * its partitions).
 */
static void
require_facts_table(Relation rel, Oid schema)
{
	Oid			relid = RelationGetRelid(rel);
	bool		ok = wf_is_extension_table(relid, schema, "candidate_profile");

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
				 errmsg("candidate_facts_changed() fires only on candidate_profile or the facts source table, "
						"not on \"%s\"", RelationGetRelationName(rel))));
}

Datum
wf_candidate_facts_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema;
	HeapTuple	tuple;
	int64		candidate_id;
	bool		present;
	WfPipelineRow *rows = NULL;
	uint64		n_rows = 0;
	Jsonb	   *facts = NULL;
	bool		by_owner;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_facts_changed() must be an AFTER INSERT OR UPDATE row trigger")));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	require_facts_table(td->tg_relation, schema);
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	candidate_id = candidate_key(td, tuple, &present);
	if (!present)
		return PointerGetDatum(NULL);

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
		Datum		args[2] = {Int64GetDatum(candidate_id), (Datum) 0};
		MemoryContext caller = CurrentMemoryContext;

		by_owner = wf_is_extension_table(RelationGetRelid(td->tg_relation), schema,
										 "candidate_profile");

		if (by_owner)
		{
			bool		isnull;
			int			col = SPI_fnumber(td->tg_relation->rd_att, "owner");
			Datum		owner = col > 0 ? heap_getattr(tuple, col, td->tg_relation->rd_att, &isnull)
				: (Datum) 0;

			if (col <= 0 || isnull)
				return PointerGetDatum(NULL);
			args[1] = owner;
		}
		SPI_connect();
		if (SPI_execute_plan(visits(schema, by_owner), args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the pipeline of candidate " INT64_FORMAT,
				 candidate_id);
		n_rows = SPI_processed;
		if (n_rows > 0)
			rows = MemoryContextAllocZero(caller, sizeof(WfPipelineRow) * n_rows);
		for (uint64 i = 0; i < n_rows; i++)
		{
			HeapTuple	r = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;

			rows[i].candidate_id = candidate_id;
			rows[i].job_id = DatumGetInt64(SPI_getbinval(r, desc, 1, &isnull));
			rows[i].workflow_id = DatumGetInt64(SPI_getbinval(r, desc, 2, &isnull));
			rows[i].stage_id = DatumGetInt64(SPI_getbinval(r, desc, 3, &isnull));
			rows[i].visit_transition_id = DatumGetInt64(SPI_getbinval(r, desc, 4, &isnull));
			rows[i].has_visit = true;
			rows[i].status = MemoryContextStrdup(caller, "active");
		}
		SPI_finish();
	}

	for (uint64 i = 0; i < n_rows; i++)
	{
		const WfStage *stage = wf_stage_lookup(schema, rows[i].stage_id);
		bool	   *fires;
		char	   *failed_text = NULL;
		Jsonb	   *failed;
		int			raised;

		if (stage == NULL || stage->n_alerts == 0)
			continue;
		/* A custom table's row speaks only in its writer's own workflows. */
		if (!by_owner && wf_facts_withheld(schema, rows[i].workflow_id))
			continue;
		if (facts == NULL)
			facts = wf_fetch_facts(schema, candidate_id, true, rows[i].workflow_id);	/* the configured source decides */
		if (stage->has_rule)
			(void) wf_rule_holds(stage, facts, &failed_text);
		failed = wf_json_text_to_jsonb(failed_text);
		fires = palloc(sizeof(bool) * stage->n_alerts);
		if (wf_firing_alerts(stage, facts, failed, fires) == 0)
			continue;
		raised = wf_raise_alerts(schema, stage, fires, &rows[i], facts, "facts");
		if (raised > 0)
			wf_notify("alert", rows[i].visit_transition_id, raised);
	}
	return PointerGetDatum(NULL);
}
