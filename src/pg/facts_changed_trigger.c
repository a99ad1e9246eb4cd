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
 * A statement of many rows may do it set-wise (issue 21): the row trigger
 * records the change in the statement's buffer (wf_batch_facts), and the
 * buffer's changes are evaluated together (wf_facts_evaluate, called by
 * batched_writes.c at the statement's end and before anything that comes
 * after them): one locking read of the open stage visits of a run of changes,
 * with the same filters, lock strength and rights as the row's read, the
 * locks taken in the order of the statement's rows (each change's rows in
 * its index's order, as the row trigger took them one change after the
 * other), with the alerts whose event of each visit the writer already
 * sees (their repeats are not buffered, their ids taken all the same); then
 * each change evaluated in order.  A run ends after a change
 * that may have let anyone's code run (an auto-advance, a write of the
 * buffer): the next changes' rows are read again after it.
 *
 * Set-wise only where nothing but the extension's own code can run between
 * a change's row and its evaluation (a change evaluated later is evaluated
 * under whatever tenant, actor, role, locks and facts hold then): a
 * candidate's facts in candidate_profile, in a statement whose tables carry
 * no trigger but the extension's and PostgreSQL's foreign key checks, in a
 * schema with no auto_advance stage, with the rights,
 * tenant and actor the statement started with (batched_writes.c,
 * setwise_allowed; docs/architecture.md, "When set-wise applies").  Every
 * other change is evaluated at once, in the row trigger, by the
 * row-at-a-time read, as before: a job's facts (its rows locked in its
 * standing index's order), a custom source table's, history_batch_size = 1,
 * COPY, another user's, tenant's or actor's statement, an owner's or
 * application's trigger anywhere in the statement.
 *
 * No SET clause on the function (a GUC level per row): search_path is
 * pinned in C around the SPI work (wf_pin_search_path); what runs per
 * recorded row resolves no name.
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
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_facts_changed);

static SPIPlanPtr visits_plan[2] = {NULL, NULL};	/* by candidate, by job */

/*
 * The order in which a change's pipeline rows are locked and evaluated, by
 * the row trigger's read and the set-wise read alike: the same whatever
 * plan either gets (an index scan gives a row updated in place at its
 * index entry's place, a sequential scan at its new place; the two reads,
 * planned apart, took different ones: attack6 D1, attack7 D2).  A sort of a
 * candidate's few rows.
 */
#define WF_CANDIDATE_ROWS_ORDER "c.job_id, c.tenant COLLATE \"C\""
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
	 * their tenant.  A candidate's rows are locked in an order no plan
	 * decides (WF_CANDIDATE_ROWS_ORDER), as the set-wise read locks them; a
	 * job's (never read set-wise) as its plan finds them.
	 */
	const char *sql = "SELECT c.job_id, c.workflow_id, c.stage_id, c.visit_transition_id, "
		"c.candidate_id, c.tenant, c.attributes "
		"FROM %s c WHERE %s "
		"AND c.status OPERATOR(pg_catalog.=) 'active' AND c.visit_transition_id IS NOT NULL "
		"%s FOR NO KEY UPDATE OF c";

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
												   "AND ($2 IS NULL OR c.tenant OPERATOR(pg_catalog.=) $2)",
												   i ? "" : "ORDER BY " WF_CANDIDATE_ROWS_ORDER),
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
static void reevaluate(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched,
					   ArrayType *seen);

void
wf_reevaluate_visit(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched)
{
	reevaluate(schema, row, facts, batched, NULL);
}

/*
 * seen (batched only; NULL: unknown): the ids of the alerts whose event of
 * this visit the writer already sees.  Their repeats are not buffered (the
 * events' INSERT would leave them out: pipeline_events.c), and no wake-up
 * is queued for a visit whose events are all repeats (it would send none).
 */
static void
reevaluate(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched, ArrayType *seen)
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
	if (batched && seen != NULL)
	{
		bool	   *repeat = palloc0(sizeof(bool) * stage->n_alerts);
		Datum	   *ids;
		bool	   *id_nulls;
		int			n_ids;

		deconstruct_array(seen, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &ids, &id_nulls, &n_ids);
		for (int a = 0; a < stage->n_alerts; a++)
			for (int i = 0; i < n_ids && fires[a] && !repeat[a]; i++)
				repeat[a] = !id_nulls[i] && DatumGetInt64(ids[i]) == stage->alerts[a].id;
		if (wf_batch_alerts_except(schema, stage, fires, repeat, row, facts, "facts") > 0)
			wf_batch_notify_alerts(row->visit_transition_id);
		return;
	}
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
static bool
require_facts_table(Relation rel, Oid schema)
{
	Oid			relid = RelationGetRelid(rel);
	bool		profile = wf_is_extension_table(relid, schema, "candidate_profile");
	bool		ok = profile || wf_is_extension_table(relid, schema, "job_profile");

	if (!ok)
	{
		Oid			types[1] = {OIDOID};
		Datum		args[1] = {ObjectIdGetDatum(relid)};

		int			pinned = wf_pin_search_path();

		SPI_connect();
		if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s f WHERE f.relation OPERATOR(pg_catalog.=) $1 "
										   "OR f.relation IN (SELECT a.relid FROM "
										   "pg_catalog.pg_partition_ancestors($1) a)",
										   wf_qualified(schema, "facts_source")),
								  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read facts_source");
		ok = SPI_processed == 1;
		SPI_finish();
		wf_unpin_search_path(pinned);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("facts_changed() fires only on candidate_profile, job_profile or the facts source table, "
						"not on \"%s\"", RelationGetRelationName(rel)),
				 errdetail_reason("trigger_protocol", NULL)));
	return profile;
}

/* Text argument i of the trigger, or NULL when absent or ''. */
static const char *
trigger_arg(TriggerData *td, int i)
{
	if (td->tg_trigger->tgnargs <= i || td->tg_trigger->tgargs[i][0] == '\0')
		return NULL;
	return td->tg_trigger->tgargs[i];
}

/* Copies the pipeline rows of an SPI result (columns 1..7 from first) into cxt. */
static WfPipelineRow *
copy_visits(MemoryContext cxt, int first, uint64 n)
{
	WfPipelineRow *rows = n > 0 ? MemoryContextAllocZero(cxt, sizeof(WfPipelineRow) * n) : NULL;
	TupleDesc	rdesc = SPI_tuptable->tupdesc;
	MemoryContext spi = MemoryContextSwitchTo(cxt);

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	r = SPI_tuptable->vals[i];
		bool		isnull;

		rows[i].job_id = DatumGetInt64(SPI_getbinval(r, rdesc, first, &isnull));
		rows[i].workflow_id = DatumGetInt64(SPI_getbinval(r, rdesc, first + 1, &isnull));
		rows[i].stage_id = DatumGetInt64(SPI_getbinval(r, rdesc, first + 2, &isnull));
		rows[i].visit_transition_id = DatumGetInt64(SPI_getbinval(r, rdesc, first + 3, &isnull));
		rows[i].candidate_id = DatumGetInt64(SPI_getbinval(r, rdesc, first + 4, &isnull));
		rows[i].tenant = TextDatumGetCString(SPI_getbinval(r, rdesc, first + 5, &isnull));
		rows[i].attributes = DatumGetJsonbPCopy(SPI_getbinval(r, rdesc, first + 6, &isnull));
		rows[i].has_job = rows[i].has_candidate = rows[i].has_workflow = true;
		rows[i].has_stage = rows[i].has_visit = true;
		rows[i].status = "active";
	}
	MemoryContextSwitchTo(spi);
	return rows;
}

/*
 * The open stage visits one change concerns, locked (one statement: the
 * at-once path, and a change whose predecessor in the frame may have moved
 * someone).  search_path is pinned.
 */
static uint64
read_visits_one(const WfFactsChange *c, WfPipelineRow **rows)
{
	Datum		args[2] = {Int64GetDatum(c->key), c->tenant ? CStringGetTextDatum(c->tenant) : (Datum) 0};
	char		nulls[2] = {' ', c->tenant ? ' ' : 'n'};
	MemoryContext caller = CurrentMemoryContext;
	uint64		n;

	SPI_connect();
	if (SPI_execute_plan(visits(c->schema, c->by_job), args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the pipelines of %s " INT64_FORMAT,
			 c->by_job ? "job" : "candidate", c->key);
	n = SPI_processed;
	*rows = copy_visits(caller, 1, n);
	SPI_finish();
	return n;
}

static SPIPlanPtr visits_set_plan = NULL;	/* by candidate: job facts are evaluated at once */
static Oid	visits_set_plan_schema = InvalidOid;

/*
 * The open stage visits of many changes of candidates' facts (a job's are
 * evaluated at once: only candidate_profile's changes are recorded), locked,
 * in the order of the changes (ord, from 1), each change's in the order
 * the one-change read finds them.  The same filters, the same lock, the
 * writer's rights and row-level security; one statement for them all.
 * Prepared once per backend.
 */
static SPIPlanPtr
visits_set(Oid schema)
{
	Oid			types[3] = {INT8ARRAYOID, TEXTARRAYOID, INT8OID};
	/*
	 * Each change's rows are a LATERAL subquery probing candidate_stage by
	 * candidate (its index): a join the planner was free to order, planned
	 * while the pipeline's statistics said no row had a visit yet (after a
	 * bulk load), scanned the table once per change (quadratic: 2,000
	 * profiles took a second).  The subquery is the row trigger's own read
	 * (visits()), in its order (WF_CANDIDATE_ROWS_ORDER).  No outer ORDER
	 * BY: the rows come out of the nested loop in the changes' order (the
	 * caller checks).
	 * LIMIT: the rows a run may lock before the frame could be written
	 * (wf_batch_room); each row is locked as it is read.
	 */
	const char *sql = "SELECT r.ord, c.job_id, c.workflow_id, c.stage_id, c.visit_transition_id, "
		"c.candidate_id, c.tenant, c.attributes, "
		"ARRAY(SELECT e.alert_id FROM %s e WHERE e.tenant OPERATOR(pg_catalog.=) c.tenant "
		"AND e.candidate_id OPERATOR(pg_catalog.=) c.candidate_id "
		"AND e.transition_id OPERATOR(pg_catalog.=) c.visit_transition_id AND e.alert_id IS NOT NULL) "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY r(key, tenant, ord) "
		"CROSS JOIN LATERAL (SELECT c.job_id, c.workflow_id, c.stage_id, "
		"c.visit_transition_id, c.candidate_id, c.tenant, c.attributes FROM %s c "
		"WHERE c.candidate_id OPERATOR(pg_catalog.=) r.key "
		"AND (r.tenant IS NULL OR c.tenant OPERATOR(pg_catalog.=) r.tenant) "
		"AND c.status OPERATOR(pg_catalog.=) 'active' AND c.visit_transition_id IS NOT NULL "
		"ORDER BY " WF_CANDIDATE_ROWS_ORDER " FOR NO KEY UPDATE OF c) c LIMIT $3";

	if (visits_set_plan == NULL || visits_set_plan_schema != schema)
	{
		if (visits_set_plan != NULL)
			SPI_freeplan(visits_set_plan);
		visits_set_plan = wf_keep_plan(psprintf(sql, wf_qualified(schema, "alert_event"),
												wf_qualified(schema, "candidate_stage")),
									   3, types);
		visits_set_plan_schema = schema;
	}
	return visits_set_plan;
}

/*
 * Evaluates one change's open stage visits again, in order; an auto-advance
 * comes after the events that led to it.  Returns whether a row stood in a
 * stage that advances by itself (someone may have moved).
 */
static bool
evaluate_rows(const WfFactsChange *c, WfPipelineRow *rows, uint64 n_rows, bool batched,
			  ArrayType **raised)
{
	bool		advancing = false;

	for (uint64 i = 0; i < n_rows; i++)
	{
		WfFacts		facts;
		const WfStage *stage;

		wf_facts_for_row(&facts, c->schema, &rows[i]);
		if (c->given != NULL)
			facts.doc[c->by_job ? WF_SOURCE_JOB : WF_SOURCE_CANDIDATE] = c->given;
		reevaluate(c->schema, &rows[i], &facts, batched, raised ? raised[i] : NULL);
		/* an auto-advance's move comes after the events that led to it */
		stage = wf_stage_lookup(c->schema, rows[i].stage_id);
		if (stage != NULL && stage->auto_advance)
		{
			advancing = true;
			if (batched)
				wf_batch_flush();
		}
		wf_auto_advance(c->schema, &rows[i], &facts);
	}
	return advancing;
}

/*
 * Evaluates the first of changes, or the longest run of them that one
 * statement can read (batched_writes.c, at its frame's flush): the run's
 * open stage visits read and locked together, then evaluated change by
 * change in the recorded order.  The run ends early after a change that may
 * have let anyone's code run (an auto-advance's move, a write of the
 * frame's rows and their triggers): what the next changes concern is read
 * again, after it, as the row trigger read it.  A run reads (and locks) no
 * more rows than the frame has room for before it is written, so no such
 * write comes between its locks and its last change.  search_path is pinned and
 * the stage cache held by the caller.  Returns how many changes were
 * evaluated.
 */
int
wf_facts_evaluate(const WfFactsChange *changes, int n, bool batched)
{
	MemoryContext cxt;
	MemoryContext old;
	WfPipelineRow *rows;
	uint64		n_rows;
	int			m = 1;
	int			done = 0;
	uint64		writes;

	if (n <= 0)
		return 0;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "workflow_ext facts evaluation", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	if (batched)
		while (m < n && m < wf_history_batch_size && changes[m].by_job == changes[0].by_job &&
			   changes[m].schema == changes[0].schema)
			m++;
	if (m > 1)
	{
		Datum	   *keys = palloc(sizeof(Datum) * m);
		Datum	   *tenants = palloc(sizeof(Datum) * m);
		bool	   *tenant_nulls = palloc(sizeof(bool) * m);
		int			dims[1] = {m};
		int			lbs[1] = {1};
		Datum		args[3];
		int64		room = wf_batch_room();
		int			complete = m;
		int64	   *ords;
		ArrayType **raised;
		int			ret;
		uint64		at = 0;

		for (int j = 0; j < m; j++)
		{
			keys[j] = Int64GetDatum(changes[j].key);
			tenant_nulls[j] = changes[j].tenant == NULL;
			tenants[j] = tenant_nulls[j] ? (Datum) 0 : CStringGetTextDatum(changes[j].tenant);
		}
		args[0] = PointerGetDatum(construct_array(keys, m, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
												  TYPALIGN_DOUBLE));
		args[1] = PointerGetDatum(construct_md_array(tenants, tenant_nulls, 1, dims, lbs, TEXTOID, -1,
													 false, TYPALIGN_INT));
		args[2] = Int64GetDatum(room);
		SPI_connect();
		/* (each change's rows through its index: visits_set's LATERAL leaves no join to choose) */
		ret = SPI_execute_plan(visits_set(changes[0].schema), args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the pipelines of %d %ss", m,
				 changes[0].by_job ? "job" : "candidate");
		n_rows = SPI_processed;
		ords = MemoryContextAlloc(cxt, sizeof(int64) * Max(n_rows, 1));	/* (not SPI's memory) */
		raised = MemoryContextAlloc(cxt, sizeof(ArrayType *) * Max(n_rows, 1));
		for (uint64 i = 0; i < n_rows; i++)
		{
			bool		isnull;
			MemoryContext spi = MemoryContextSwitchTo(cxt);	/* (not SPI's memory) */

			ords[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			if (i > 0 && ords[i] < ords[i - 1])
				elog(ERROR, "workflow_ext: the pipelines of %d changes of facts were read out of order", m);
			raised[i] = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 9, &isnull));
			MemoryContextSwitchTo(spi);
		}
		rows = copy_visits(cxt, 2, n_rows);
		SPI_finish();

		/*
		 * At the limit, the last change read may have more rows: the run ends
		 * before it (its rows read so far stay locked, as its row trigger
		 * would have locked them, before anything else of the frame's).  A
		 * first change with more rows than the room is read alone, below.
		 */
		if (n_rows > 0 && (int64) n_rows >= room)
			complete = (int) ords[n_rows - 1] - 1;
		writes = wf_batch_writes;
		for (int j = 0; j < complete; j++)
		{
			uint64		first = at;
			bool		advancing;

			while (at < n_rows && ords[at] == j + 1)
				at++;
			advancing = evaluate_rows(&changes[j], rows + first, at - first, true, raised + first);
			done = j + 1;
			if (advancing || wf_batch_writes != writes)
				break;
		}
		if (complete == 0)
			m = 1;
	}
	if (m == 1)
	{
		n_rows = read_visits_one(&changes[0], &rows);
		(void) evaluate_rows(&changes[0], rows, n_rows, batched, NULL);
		done = 1;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return done;
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
	const char *facts_column;
	const char *tenant_column;
	WfFactsChange change;
	WfPipelineRow *rows = NULL;
	uint64		n_rows;
	int			pinned;
	bool		batched;
	bool		profile;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("facts_changed() must be an AFTER INSERT OR UPDATE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	profile = require_facts_table(td->tg_relation, schema);
	desc = td->tg_relation->rd_att;
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	key = candidate_key(td, tuple, &present);
	if (!present)
		return PointerGetDatum(NULL);
	memset(&change, 0, sizeof(change));
	change.schema = schema;
	change.key = key;
	facts_column = trigger_arg(td, 1);
	change.by_job = trigger_arg(td, 2) != NULL && strcmp(trigger_arg(td, 2), "job") == 0;
	tenant_column = trigger_arg(td, 3);

	/* Whose pipelines: the row's tenant, or every tenant's (one organization's table). */
	if (tenant_column != NULL)
	{
		int			col = SPI_fnumber(desc, tenant_column);
		bool		tenant_null;
		Datum		tenant;

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
		change.tenant = SPI_gettypeid(desc, col) == TEXTOID ? TextDatumGetCString(tenant)
			: SPI_getvalue(tuple, desc, col);
	}

	/*
	 * The jsonb column that holds the facts (candidate_profile.attributes,
	 * job_profile.attributes): read them from the new row, and do nothing
	 * when they did not change.  (For candidate_profile only while it is the
	 * facts source; otherwise the configured source is read per row.)
	 */
	if (facts_column != NULL && (change.by_job || wf_facts_are_profile(schema)))
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
			change.given = DatumGetJsonbP(d);
	}

	/*
	 * A statement changing candidates' facts in candidate_profile may record
	 * the change in its frame, evaluated with the frame's other changes when
	 * its AFTER triggers are done (batched_writes.c decides when).  A job's
	 * facts and a custom source table's are evaluated at once: a job's rows
	 * are locked in the order of its standing index, and a custom table's
	 * check above runs a query per row.
	 */
	if (profile && !change.by_job && wf_batch_facts(td->tg_relation, &change))
		return PointerGetDatum(NULL);

	/*
	 * At once (as before issue 21): the changes the frame holds first, then the open stage
	 * visits concerned, locked, evaluated.
	 */
	pinned = wf_pin_search_path();
	batched = wf_batch_open(td->tg_relation);
	n_rows = read_visits_one(&change, &rows);
	(void) evaluate_rows(&change, rows, n_rows, batched, NULL);
	wf_unpin_search_path(pinned);
	return PointerGetDatum(NULL);
}

Datum
wf_candidate_facts_changed(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_candidate_facts_changed_pinned(fcinfo));
}
