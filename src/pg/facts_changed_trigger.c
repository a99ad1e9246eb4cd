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
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
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
	 * job's (never read set-wise) as its plan finds them.  By candidate,
	 * the tenant and the status are one expression no index takes (IS
	 * TRUE), as in visits_keyed(): as index conditions, the generic plan
	 * made on a candidate_stage without statistics (a young database) read
	 * every active row through the standing index per change once the table
	 * had grown (attack12, test/repros/attack12/07).
	 */
	const char *sql = "SELECT c.job_id, c.workflow_id, c.stage_id, c.visit_transition_id, "
		"c.candidate_id, c.tenant, c.attributes "
		"FROM %s c WHERE %s "
		"AND c.visit_transition_id IS NOT NULL "
		"%s FOR NO KEY UPDATE OF c";

	if (visits_plan[0] == NULL || visits_plan_schema != schema)
	{
		for (int i = 0; i < 2; i++)
		{
			if (visits_plan[i] != NULL)
				SPI_freeplan(visits_plan[i]);
			visits_plan[i] = wf_keep_plan(psprintf(sql, wf_qualified(schema, "candidate_stage"),
												   i ? "c.job_id OPERATOR(pg_catalog.=) $1 "
												   "AND c.tenant OPERATOR(pg_catalog.=) $2 "
												   "AND c.status OPERATOR(pg_catalog.=) 'active'"
												   : "c.candidate_id OPERATOR(pg_catalog.=) $1 "
												   "AND (($2 IS NULL OR c.tenant OPERATOR(pg_catalog.=) $2) "
												   "AND c.status OPERATOR(pg_catalog.=) 'active') IS TRUE",
												   i ? "" : "ORDER BY " WF_CANDIDATE_ROWS_ORDER),
										  2, types);
		}
		visits_plan_schema = schema;
	}
	return visits_plan[by_job ? 1 : 0];
}

/*
 * Which alerts of the stage row stands in fire for facts: NULL when none
 * does (or the stage has none); *stage_out: the stage (NULL: not found).
 */
static bool *
firing_alerts(Oid schema, const WfPipelineRow *row, WfFacts *facts, const WfStage **stage_out)
{
	const WfStage *stage = wf_stage_lookup(schema, row->stage_id);
	bool	   *fires;
	char	   *failed_text = NULL;
	Jsonb	   *failed;

	*stage_out = stage;
	if (stage == NULL || stage->n_alerts == 0)
		return NULL;
	if (stage->has_rule)
		(void) wf_rule_holds(stage, facts, &failed_text);
	failed = wf_json_text_to_jsonb(failed_text);
	fires = palloc(sizeof(bool) * stage->n_alerts);
	if (wf_firing_alerts(stage, facts, failed, fires) == 0)
	{
		pfree(fires);
		return NULL;
	}
	return fires;
}

/*
 * Raises the firing alerts of one open stage visit; cause 'facts'.
 * batched: into the statement's buffer (batched_writes.c).  repeat (batched
 * only; NULL: unknown): the firing alerts whose event of this visit the
 * writer already sees.  Their repeats are not buffered (the events' INSERT
 * would leave them out: pipeline_events.c), and no wake-up is queued for a
 * visit whose events are all repeats (it would send none).
 */
static void
raise_firing(Oid schema, const WfStage *stage, const bool *fires, const bool *repeat,
			 const WfPipelineRow *row, WfFacts *facts, bool batched)
{
	int			raised;

	if (batched && repeat != NULL)
	{
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

/*
 * Evaluates the alerts of one open stage visit again; cause 'facts'.
 * batched: into the statement's buffer (batched_writes.c).
 */
static void
reevaluate(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched)
{
	const WfStage *stage;
	bool	   *fires = firing_alerts(schema, row, facts, &stage);

	if (fires != NULL)
		raise_firing(schema, stage, fires, NULL, row, facts, batched);
}

void
wf_reevaluate_visit(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched)
{
	reevaluate(schema, row, facts, batched);
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
	/*
	 * The job read too has its generic plan made by index (kept_plans.c):
	 * kept as a sequential scan from a young candidate_stage, every change
	 * of a job's facts read the whole table once it had grown, whatever the
	 * job's size (attack14 01).  Its rows are locked in its plan's order,
	 * which is now the job's index's (candidate_stage_standing_idx: by stage,
	 * as facts_setwise_job_lock expects) rather than a young table's
	 * physical order.
	 */
	if (wf_execute_kept(visits(c->schema, c->by_job), args, nulls, false, 0) != SPI_OK_SELECT)
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
		"c.candidate_id, c.tenant, c.attributes "
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
		visits_set_plan = wf_keep_plan(psprintf(sql, wf_qualified(schema, "candidate_stage")), 3, types);
		visits_set_plan_schema = schema;
	}
	return visits_set_plan;
}

static SPIPlanPtr visits_keyed_plan = NULL;	/* by candidate, one tenant */
static Oid	visits_keyed_plan_schema = InvalidOid;

/*
 * visits_set() for a run of changes of one tenant, each of another
 * candidate: the same rows, filters, lock, rights and order, read by one
 * index scan of candidate_stage_candidate_idx over the run's candidates
 * (candidate_id = ANY) instead of one LATERAL probe (a subquery, its sort and
 * its lock node started again) per change; the per-change work of the
 * executor was most of a set-wise read's time.  The rows are sorted below
 * the lock in the order the row triggers locked them: the change's place in
 * the run (ord: width_bucket finds the candidate in the run's sorted keys,
 * $3 gives its change's place), then WF_CANDIDATE_ROWS_ORDER; the sort keys
 * are unique (the pipeline's unique key), the lock is taken row by row in
 * that order, and LIMIT stops it as before.  The rows are found by their
 * candidate ids whatever the statistics: the tenant and the status are
 * tested as one expression no index takes (IS TRUE), and the plan is
 * generic (an array of unknown length: an index scan).  As index
 * conditions, a candidate_stage without statistics (a young database,
 * loaded and not analyzed yet) made the plan read every active row through
 * the standing index once per run, and a plan made for the run's own keys
 * scanned the table once per run (history_plans section 5; move_candidates
 * had the first: bulk_moves.c).
 * $1 the tenant, $2 the
 * candidates (sorted, distinct), $3 the place of each in the run, $4 the
 * room.  Prepared once per backend.
 */
static SPIPlanPtr
visits_keyed(Oid schema)
{
	Oid			types[4] = {TEXTOID, INT8ARRAYOID, INT8ARRAYOID, INT8OID};
	const char *sql = "SELECT $3[pg_catalog.width_bucket(c.candidate_id, $2)], c.job_id, c.workflow_id, "
		"c.stage_id, c.visit_transition_id, c.candidate_id, c.tenant, c.attributes FROM %s c "
		"WHERE c.candidate_id OPERATOR(pg_catalog.=) ANY ($2) "
		"AND (c.tenant OPERATOR(pg_catalog.=) $1 AND c.status OPERATOR(pg_catalog.=) 'active') IS TRUE "
		"AND c.visit_transition_id IS NOT NULL "
		"ORDER BY 1, " WF_CANDIDATE_ROWS_ORDER " FOR NO KEY UPDATE OF c LIMIT $4";

	if (visits_keyed_plan == NULL || visits_keyed_plan_schema != schema)
	{
		if (visits_keyed_plan != NULL)
			SPI_freeplan(visits_keyed_plan);
		visits_keyed_plan = SPI_prepare_cursor(psprintf(sql, wf_qualified(schema, "candidate_stage")), 4, types,
											   CURSOR_OPT_GENERIC_PLAN);
		if (visits_keyed_plan == NULL || SPI_keepplan(visits_keyed_plan) != 0)
			elog(ERROR, "workflow_ext: could not prepare the set-wise read of the pipelines");
		visits_keyed_plan_schema = schema;
	}
	return visits_keyed_plan;
}

/* A change's place in a run, by its key (sort_keys). */
typedef struct KeyedChange
{
	int64		key;
	int64		ord;
} KeyedChange;

static int
keyed_change_cmp(const void *a, const void *b)
{
	int64		x = ((const KeyedChange *) a)->key;
	int64		y = ((const KeyedChange *) b)->key;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * For visits_keyed(): the run's keys sorted, with each one's place (from 1),
 * when every change of the run names the same tenant and no two the same
 * candidate; false otherwise (visits_set() reads the run).
 */
static bool
sort_keys(const WfFactsChange *changes, int m, Datum *keys, Datum *ords)
{
	KeyedChange *kc;

	if (changes[0].tenant == NULL)
		return false;
	for (int j = 1; j < m; j++)
		if (changes[j].tenant == NULL || strcmp(changes[j].tenant, changes[0].tenant) != 0)
			return false;
	kc = palloc(sizeof(KeyedChange) * m);
	for (int j = 0; j < m; j++)
	{
		kc[j].key = changes[j].key;
		kc[j].ord = j + 1;
	}
	qsort(kc, m, sizeof(KeyedChange), keyed_change_cmp);
	for (int j = 0; j < m; j++)
	{
		if (j > 0 && kc[j].key == kc[j - 1].key)
			return false;
		keys[j] = Int64GetDatum(kc[j].key);
		ords[j] = Int64GetDatum(kc[j].ord);
	}
	pfree(kc);
	return true;
}

static SPIPlanPtr repeats_plan = NULL;
static Oid	repeats_plan_schema = InvalidOid;

/*
 * The alerts whose event of each given open stage visit the writer already
 * sees, one array per visit in the order given (ord, from 1): the repeats'
 * own NOT EXISTS (pipeline_events.c), as the same writer, row-level security
 * deciding what it reads.  One index probe of alert_event_once_per_visit_idx
 * per visit.  Prepared once per backend.
 */
static SPIPlanPtr
repeats(Oid schema)
{
	Oid			types[3] = {TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	const char *sql = "SELECT v.ord, ARRAY(SELECT e.alert_id FROM %s e "
		"WHERE e.tenant OPERATOR(pg_catalog.=) v.tenant "
		"AND e.candidate_id OPERATOR(pg_catalog.=) v.candidate_id "
		"AND e.transition_id OPERATOR(pg_catalog.=) v.transition_id AND e.alert_id IS NOT NULL) "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) "
		"WITH ORDINALITY v(tenant, candidate_id, transition_id, ord)";

	if (repeats_plan == NULL || repeats_plan_schema != schema)
	{
		if (repeats_plan != NULL)
			SPI_freeplan(repeats_plan);
		repeats_plan = wf_keep_plan(psprintf(sql, wf_qualified(schema, "alert_event")), 3, types);
		repeats_plan_schema = schema;
	}
	return repeats_plan;
}

/*
 * Can the writer read what repeats() reads of alert_event (SELECT on the
 * table, or on the four columns)?  When it cannot, that read fails (42501)
 * at the run's first visit where an alert fires, and so does the row at a
 * time path, at that visit's events: no row after it is evaluated ahead, or
 * an error of its evaluation (42501 on job_profile for a writer without
 * SELECT on it) would come first (attack12 D1).
 */
static bool
repeats_readable(Oid schema)
{
	static const char *const columns[] = {"tenant", "candidate_id", "transition_id", "alert_id"};
	Oid			relid = get_relname_relid("alert_event", schema);
	Oid			user = GetUserId();

	if (!OidIsValid(relid))
		return false;
	if (pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK)
		return true;
	for (size_t i = 0; i < lengthof(columns); i++)
	{
		AttrNumber	att = get_attnum(relid, columns[i]);

		if (att == InvalidAttrNumber || pg_attribute_aclcheck(relid, att, user, ACL_SELECT) != ACLCHECK_OK)
			return false;
	}
	return true;
}

/*
 * One open stage visit of a set-wise run, evaluated before its repeats are
 * read: the alerts that fire for its facts, then (read for the visits where
 * one fires) those whose event of the visit the writer already sees.
 */
typedef struct VisitEval
{
	WfFacts		facts;
	const WfStage *stage;
	bool	   *fires;			/* NULL: no alert fires */
	bool	   *repeat;			/* the firing alerts seen (NULL: not read) */
} VisitEval;

/* The facts of a change's row, as its evaluation reads them. */
static void
change_facts(WfFacts *facts, const WfFactsChange *c, const WfPipelineRow *row)
{
	wf_facts_for_row(facts, c->schema, row);
	if (c->given != NULL)
		facts->doc[c->by_job ? WF_SOURCE_JOB : WF_SOURCE_CANDIDATE] = c->given;
}

/*
 * Reads the repeats (repeats()) of the n visits of evals that have a
 * firing alert, into their repeat, allocated in cxt.
 */
static void
read_repeats(MemoryContext cxt, Oid schema, const WfPipelineRow *rows, VisitEval *evals, uint64 n,
			 int n_probe)
{
	Datum	   *tenants = palloc(sizeof(Datum) * n_probe);
	Datum	   *candidates = palloc(sizeof(Datum) * n_probe);
	Datum	   *visits = palloc(sizeof(Datum) * n_probe);
	uint64	   *which = palloc(sizeof(uint64) * n_probe);
	Datum		args[3];
	int			k = 0;

	for (uint64 i = 0; i < n; i++)
		if (evals[i].fires != NULL)
		{
			tenants[k] = CStringGetTextDatum(rows[i].tenant);
			candidates[k] = Int64GetDatum(rows[i].candidate_id);
			visits[k] = Int64GetDatum(rows[i].visit_transition_id);
			which[k++] = i;
		}
	Assert(k == n_probe);
	args[0] = PointerGetDatum(construct_array(tenants, k, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(candidates, k, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(visits, k, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	SPI_connect();
	if (wf_execute_kept(repeats(schema), args, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) k)
		elog(ERROR, "workflow_ext: could not read the alert events of %d stage visits", k);
	for (int v = 0; v < k; v++)
	{
		HeapTuple	t = SPI_tuptable->vals[v];
		VisitEval  *e = &evals[which[v]];
		bool		isnull;
		ArrayType  *seen;
		Datum	   *ids;
		bool	   *id_nulls;
		int			n_ids;

		if (DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull)) != v + 1)
			elog(ERROR, "workflow_ext: the alert events of %d stage visits were read out of order", k);
		seen = DatumGetArrayTypeP(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
		deconstruct_array(seen, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &ids, &id_nulls, &n_ids);
		e->repeat = MemoryContextAllocZero(cxt, sizeof(bool) * e->stage->n_alerts);
		for (int a = 0; a < e->stage->n_alerts; a++)
			for (int i = 0; i < n_ids && e->fires[a] && !e->repeat[a]; i++)
				e->repeat[a] = !id_nulls[i] && DatumGetInt64(ids[i]) == e->stage->alerts[a].id;
	}
	SPI_finish();
}

/*
 * Evaluates one change's open stage visits again, in order; an auto-advance
 * comes after the events that led to it.  Returns whether a row stood in a
 * stage that advances by itself (someone may have moved).  evals (set-wise,
 * NULL: none): the rows before n_evals evaluated already, with the repeats
 * the writer sees; used until a row of the change advances or the frame is
 * written (writes: wf_batch_writes when the run began), after which each
 * row is evaluated as it comes, as the row trigger did.
 */
static bool
evaluate_rows(const WfFactsChange *c, WfPipelineRow *rows, uint64 n_rows, bool batched,
			  VisitEval *evals, uint64 n_evals, uint64 writes)
{
	bool		advancing = false;

	for (uint64 i = 0; i < n_rows; i++)
	{
		WfFacts		own;
		WfFacts    *facts;
		const WfStage *stage;

		if (i < n_evals && !advancing && wf_batch_writes == writes)
		{
			facts = &evals[i].facts;
			stage = evals[i].stage;
			if (evals[i].fires != NULL)
				raise_firing(c->schema, stage, evals[i].fires, evals[i].repeat, &rows[i], facts, batched);
		}
		else
		{
			facts = &own;
			change_facts(facts, c, &rows[i]);
			reevaluate(c->schema, &rows[i], facts, batched);
			stage = wf_stage_lookup(c->schema, rows[i].stage_id);
		}
		/* an auto-advance's move comes after the events that led to it */
		if (stage != NULL && stage->auto_advance)
		{
			advancing = true;
			if (batched)
				wf_batch_flush();
		}
		wf_auto_advance(c->schema, &rows[i], facts);
	}
	return advancing;
}

/*
 * Evaluates the first of changes, or the longest run of them that one
 * statement can read (batched_writes.c, at its frame's flush): the run's
 * open stage visits read and locked together, each evaluated (which alerts
 * fire for its facts), the alerts whose event of the visit the writer
 * already sees read for the visits where one fires (one statement; their
 * repeats are not buffered, their ids taken all the same), then buffered
 * change by change in the recorded order.  The run ends early after a change
 * that may have let anyone's code run (an auto-advance's move, a write of the
 * frame's rows and their triggers): what the next changes concern is read
 * again, after it, as the row trigger read it; nothing is evaluated ahead
 * past a row standing in an auto_advance stage.  A run reads (and locks) no
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
		Datum		keyed_args[4];
		int64		room = wf_batch_room();
		int			complete = m;
		int64	   *ords;
		VisitEval  *evals;
		uint64		n_evals = 0;
		int			n_probe = 0;
		int			ret;
		uint64		at = 0;
		uint64		writes;

		if (sort_keys(changes, m, keys, tenants))
		{
			/* (tenants: the places of the sorted keys) */
			keyed_args[0] = CStringGetTextDatum(changes[0].tenant);
			keyed_args[1] = PointerGetDatum(construct_array(keys, m, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
															TYPALIGN_DOUBLE));
			keyed_args[2] = PointerGetDatum(construct_array(tenants, m, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
															TYPALIGN_DOUBLE));
			keyed_args[3] = Int64GetDatum(room);
			SPI_connect();
			ret = wf_execute_kept(visits_keyed(changes[0].schema), keyed_args, NULL, false, 0);
		}
		else
		{
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
			ret = wf_execute_kept(visits_set(changes[0].schema), args, NULL, false, 0);
		}
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the pipelines of %d %ss", m,
				 changes[0].by_job ? "job" : "candidate");
		n_rows = SPI_processed;
		ords = MemoryContextAlloc(cxt, sizeof(int64) * Max(n_rows, 1));	/* (not SPI's memory) */
		for (uint64 i = 0; i < n_rows; i++)
		{
			bool		isnull;

			ords[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			if (i > 0 && ords[i] < ords[i - 1])
				elog(ERROR, "workflow_ext: the pipelines of %d changes of facts were read out of order", m);
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

		/*
		 * Which alerts fire, row by row in order (up to the first row standing
		 * in an auto_advance stage: its move may change what comes after);
		 * then the repeats of the visits where one fires, read at once.
		 */
		evals = MemoryContextAllocZero(cxt, sizeof(VisitEval) * Max(n_rows, 1));
		while (n_evals < n_rows && ords[n_evals] <= complete)
		{
			VisitEval  *e = &evals[n_evals];

			change_facts(&e->facts, &changes[ords[n_evals] - 1], &rows[n_evals]);
			e->fires = firing_alerts(changes[0].schema, &rows[n_evals], &e->facts, &e->stage);
			n_probe += e->fires != NULL ? 1 : 0;
			n_evals++;
			if (e->stage != NULL && e->stage->auto_advance)
				break;
			/* (the repeats' read is bound to fail: nothing evaluated past it) */
			if (e->fires != NULL && n_probe == 1 && !repeats_readable(changes[0].schema))
				break;
		}
		if (n_probe > 0)
			read_repeats(cxt, changes[0].schema, rows, evals, n_evals, n_probe);

		writes = wf_batch_writes;
		for (int j = 0; j < complete; j++)
		{
			uint64		first = at;
			bool		advancing;

			while (at < n_rows && ords[at] == j + 1)
				at++;
			advancing = evaluate_rows(&changes[j], rows + first, at - first, true, evals + first,
									  first < n_evals ? n_evals - first : 0, writes);
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
		(void) evaluate_rows(&changes[0], rows, n_rows, batched, NULL, 0, wf_batch_writes);
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
	(void) evaluate_rows(&change, rows, n_rows, batched, NULL, 0, wf_batch_writes);
	wf_unpin_search_path(pinned);
	return PointerGetDatum(NULL);
}

Datum
wf_candidate_facts_changed(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_candidate_facts_changed_pinned(fcinfo));
}
