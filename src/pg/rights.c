/*
 * rights.c - whose rights the extension's code runs with.
 *
 * Nothing in the pipeline is SECURITY DEFINER: triggers and functions run as
 * the caller, so the caller's casts, type I/O and triggers never run with the
 * extension's rights.  Two narrow exceptions, both here:
 *  - reading the extension's own definition tables (stages, rules, alerts)
 *    into the per-backend cache runs as the extension's owner, so the cache
 *    is the same whoever loads it; those tables hold built-in types only and
 *    SELECT fires no triggers, so no user code can run there;
 *  - the history tables (stage_transition, alert_event) accept a row only
 *    from the extension's C code, which announces each row it is about to
 *    write (wf_history_expect); the BEFORE INSERT trigger checks it.  A
 *    superuser restoring a dump (COPY) is let through.
 */
#include "workflow_ext.h"

#include "utils/xid8.h"

#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "access/htup_details.h"

PG_FUNCTION_INFO_V1(wf_history_write_guard);
PG_FUNCTION_INFO_V1(wf_restoring_sql);

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "workflow_ext: relation %u is missing", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* The owner of the extension's tables (whom wf_become_owner runs as). */
Oid
wf_schema_owner(Oid schema)
{
	Oid			relid = get_relname_relid("workflow_stage", schema);

	if (!OidIsValid(relid))
		elog(ERROR, "workflow_ext: table workflow_stage is missing");
	return relation_owner(relid);
}

/*
 * Runs as the owner of the extension's tables until wf_restore_user, with
 * search_path pinned to pg_catalog, pg_temp: code of the caller's that ran
 * earlier in the same call (a cast, a trigger) may have changed search_path,
 * and no name in the owner's queries may resolve to an object of theirs.
 * Restricted: the owner's session state cannot be changed meanwhile.
 */
void
wf_become_owner(Oid schema, WfSavedUser *saved)
{
	Oid			relid = get_relname_relid("workflow_stage", schema);

	if (!OidIsValid(relid))
		elog(ERROR, "workflow_ext: table workflow_stage is missing");
	GetUserIdAndSecContext(&saved->user, &saved->context);
	SetUserIdAndSecContext(relation_owner(relid),
						   saved->context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	saved->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * row_security off: a policy forced on the owner of a table read or
	 * written here (FORCE ROW LEVEL SECURITY, an owner who is no superuser)
	 * would run its expressions, anyone's functions among them, as the
	 * owner (attack15 04: candidate_profile in erase_candidate()); the
	 * query fails instead (42501, naming the table).  A superuser or
	 * BYPASSRLS owner, or a table not forced, is not affected.
	 */
	(void) set_config_option("row_security", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
wf_restore_user(const WfSavedUser *saved)
{
	AtEOXact_GUC(true, saved->guc_level);
	SetUserIdAndSecContext(saved->user, saved->context);
}

/*
 * Pins search_path to pg_catalog, pg_temp for the extension's SPI work run
 * with the caller's rights (a trigger function without a SET clause of its
 * own, so that its rows pay no GUC level each): no name in its queries, and
 * no saved plan's revalidation, resolves to an object on the caller's path.
 * Returns the GUC nest level to give wf_unpin_search_path; an error unwinds
 * it with its (sub)transaction.
 */
int
wf_pin_search_path(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
wf_unpin_search_path(int level)
{
	AtEOXact_GUC(true, level);
}

/*
 * A restore: a superuser loading a dump with COPY and row_security off, as
 * pg_dump's output sets it (pg_restore, or psql on a plain dump).  Only then
 * may pipeline rows arrive with their history, rules without regenerating
 * their alerts, rows keep their tenant, and history rows be inserted
 * directly.  Any other COPY, a superuser's CSV import included, is an
 * ordinary write.
 */
bool
wf_restoring(void)
{
	return superuser() && !row_security && ActivePortal != NULL &&
		ActivePortal->commandTag == CMDTAG_COPY;
}

Datum
wf_restoring_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(wf_restoring());
}

/*
 * The history rows the C code is about to insert, in the order its statement
 * inserts them: one stage_transition, or the alert events of one change (one
 * multi-row INSERT).  Each is admitted once, in that order; next is the first
 * not yet admitted.  The ids point into the caller's memory, valid until
 * wf_history_clear, which the caller runs whatever happens.
 */
static Oid	expected_relid = InvalidOid;
static const int64 *expected_ids = NULL;
static int	expected_count = 0;
static int	expected_next = 0;
static int64 expected_one;
/*
 * Where the admitted stage_transition rows' visits go (stage_visits.c): the
 * buffer of the multi-row history INSERT that announced them, NULL for
 * written at once.  Part of the announcement: saved, restored and cleared
 * with it.
 */
static WfVisitBuffer *expected_visits = NULL;

void
wf_history_expect(Oid relid, int64 id)
{
	expected_one = id;
	wf_history_expect_rows(relid, &expected_one, 1);
}

void
wf_history_expect_rows(Oid relid, const int64 *ids, int count)
{
	expected_relid = relid;
	expected_ids = ids;
	expected_count = count;
	expected_next = 0;
	expected_visits = NULL;
}

/*
 * The rows just announced are one multi-row history INSERT: the guard puts
 * their stage visits into visits (wf_stage_visits_begin) instead of writing
 * them row by row.
 */
void
wf_history_expect_visits(WfVisitBuffer *visits)
{
	expected_visits = visits;
}

/*
 * The announcement under way, saved while a nested write announces its own
 * (a multi-row INSERT of a statement's history whose rows' triggers, the
 * caller's, move candidates in turn: batched_writes.c) and restored after.
 */
void
wf_history_save(WfHistoryExpectation *saved)
{
	saved->relid = expected_relid;
	saved->ids = expected_ids;
	saved->count = expected_count;
	saved->next = expected_next;
	saved->one = expected_one;
	saved->visits = expected_visits;
}

void
wf_history_restore(const WfHistoryExpectation *saved)
{
	expected_relid = saved->relid;
	expected_ids = saved->ids == &expected_one ? &expected_one : saved->ids;
	expected_count = saved->count;
	expected_next = saved->next;
	expected_one = saved->one;
	expected_visits = saved->visits;
}

void
wf_history_clear(void)
{
	expected_relid = InvalidOid;
	expected_ids = NULL;
	expected_count = expected_next = 0;
	expected_visits = NULL;
}

/* True when relid is the table name of the extension in schema. */
bool
wf_is_extension_table(Oid relid, Oid schema, const char *name)
{
	return get_rel_namespace(relid) == schema && OidIsValid(relid) &&
		relid == get_relname_relid(name, schema);
}

/*
 * What the guard looks up by name for its table, once per query (the
 * trigger's fn_extra lives as long as the query's executor state, in which
 * the table and the function cannot change): not once per row of a
 * multi-row history INSERT.
 */
typedef struct GuardTable
{
	Oid			relid;
	Oid			schema;
	bool		history;		/* stage_transition (else alert_event) */
	int			id_col;
	int			xact_col;
} GuardTable;

static const GuardTable *
guard_table(FunctionCallInfo fcinfo, Relation rel)
{
	GuardTable *g = (GuardTable *) fcinfo->flinfo->fn_extra;
	Oid			relid = RelationGetRelid(rel);
	Oid			schema;

	if (g != NULL && g->relid == relid)
		return g;
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (!wf_is_extension_table(relid, schema, "stage_transition") &&
		!wf_is_extension_table(relid, schema, "alert_event"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("history_write_guard() fires only on workflow_ext's history tables, not on \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail_reason("trigger_protocol", NULL)));
	if (g == NULL)
		g = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(GuardTable));
	g->relid = relid;
	g->schema = schema;
	g->history = wf_is_extension_table(relid, schema, "stage_transition");
	g->id_col = SPI_fnumber(rel->rd_att, "id");
	g->xact_col = SPI_fnumber(rel->rd_att, "xact_id");
	fcinfo->flinfo->fn_extra = g;
	return g;
}

/*
 * BEFORE INSERT row trigger on stage_transition and alert_event: history is
 * written by workflow_ext alone.  A row is admitted when it is one announced
 * and not yet passed, and consumed: each announced row at most once, in order, nothing else
 * (a trigger of the caller's firing inside the write cannot add a row; a
 * repeat that ON CONFLICT DO NOTHING then skips still consumes its id).
 */
Datum
wf_history_write_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const GuardTable *g;
	Oid			schema;
	Oid			relid;
	int			col;
	bool		isnull;
	Datum		id;
	WfVisitBuffer *visits;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("history_write_guard() must be a BEFORE INSERT row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	g = guard_table(fcinfo, td->tg_relation);
	relid = g->relid;
	schema = g->schema;
	if (wf_restoring())
	{
		if (g->history)
			wf_stage_visit_record(schema, td->tg_relation, td->tg_trigtuple, NULL);
		return PointerGetDatum(td->tg_trigtuple);
	}
	col = g->id_col;
	id = heap_getattr(td->tg_trigtuple, col, td->tg_relation->rd_att, &isnull);
	/*
	 * An announced row may be passed over (a BEFORE trigger of the owner's
	 * that returned NULL for it, as it could for a row written alone): the
	 * row must be one still to come, and the ones before it are gone.
	 */
	while (expected_relid == relid && !isnull && expected_next < expected_count &&
		   DatumGetInt64(id) != expected_ids[expected_next])
		expected_next++;
	if (expected_relid != relid || isnull || expected_next >= expected_count)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s is history written by workflow_ext only",
						RelationGetRelationName(td->tg_relation)),
				 errhint("Move candidates with move_to_next_stage() or an UPDATE of candidate_stage; "
						 "alerts are raised by the extension."),
				 errdetail_reason("history_write", "\"table\": %s",
								  wf_json_string(RelationGetRelationName(td->tg_relation)))));
	visits = expected_visits;	/* (the announcement's, cleared after its last row) */
	if (++expected_next == expected_count)
		wf_history_clear();
	if (g->history)
		wf_stage_visit_record(schema, td->tg_relation, td->tg_trigtuple, visits);
	{
		/* Its place in the event feed, whatever the row says (feed_origin.c). */
		int			xact_col = g->xact_col;
		Datum		position = FullTransactionIdGetDatum(FullTransactionIdFromU64(wf_feed_position(schema)));
		bool		position_null = false;

		return PointerGetDatum(heap_modify_tuple_by_cols(td->tg_trigtuple, td->tg_relation->rd_att,
														 1, &xact_col, &position, &position_null));
	}
}
