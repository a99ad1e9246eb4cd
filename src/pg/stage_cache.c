/*
 * stage_cache.c - per-backend cache of compiled stages: position, kind, the
 * rule and the alerts, whether it is archived or advances by itself, its
 * on_enter actions, keyed by stage id.
 *
 * Invalidation is transactional: the statement triggers on workflow_stage,
 * stage_rule, alert, workflow_share and workflow (archived_at) queue a
 * relcache invalidation of their table, and the
 * callback below only marks the cache stale (no allocation, no catalog access,
 * no error).  The next lookup starts a new cache.  The cache is bounded by
 * workflow_ext.stage_cache_size entries: when full it starts anew.
 *
 * Every lookup first takes in the invalidations other transactions have
 * committed, so a definition committed meanwhile is enforced by the next
 * move of the same transaction (READ COMMITTED or not, row-level security
 * or not), and a move that waited for a row lock sees the stages committed
 * while it waited.
 *
 * A stage is read under the latest snapshot, not the caller's: a REPEATABLE
 * READ transaction must not fill the cache with definitions older than the
 * commits it was told about, which later transactions would then enforce.
 * It is read as the extension's owner (rights.c), so every actor gets the same
 * entry; who may use a stage is decided by row-level security on the
 * pipeline row.
 *
 * A caller may hold a stage while it runs queries that move other candidates
 * and so look stages up again: a cache that starts anew is retired, not freed,
 * so no pointer handed out dangles.  Every entry point that looks stages up
 * pins the cache while it runs (WF_STAGES_PINNED); when the last pin goes,
 * no stage is held anywhere and the retired caches are freed: a transaction
 * that writes thousands of definitions between moves (each write retires the
 * cache) keeps at most the caches retired during one call, not all of them
 * until it commits.  An invalidated cache that holds no stage is reused, not
 * retired.  An error ends the calls: (sub)transaction abort restores the pins.
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

static MemoryContext cache_context = NULL;
static HTAB *cache = NULL;
static bool cache_valid = false;
static Oid	cache_schema = InvalidOid;
static Oid	watched[5] = {InvalidOid, InvalidOid, InvalidOid, InvalidOid, InvalidOid};
/* whether some stage of cache_schema advances by itself (wf_schema_auto_advances) */
static bool advance_known = false;
static bool advance_any = false;

/* Caches retired during this transaction, freed when it ends. */
typedef struct RetiredCache
{
	HTAB	   *cache;
	MemoryContext context;
	struct RetiredCache *next;	/* allocated in CacheMemoryContext */
} RetiredCache;

static RetiredCache *retired = NULL;

/* Entry points running that may hold a stage; saved per subtransaction level. */
static int	pins = 0;
static int *saved_pins = NULL;
static int	saved_pins_size = 0;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == watched[0] || relid == watched[1] || relid == watched[2] ||
		relid == watched[3] || relid == watched[4])
		cache_valid = advance_known = false;
}

/* Frees the compiled conditions of a cache and its memory. */
static void
free_cache(HTAB *stages, MemoryContext context)
{
	HASH_SEQ_STATUS seq;
	WfStage    *stage;

	hash_seq_init(&seq, stages);
	while ((stage = hash_seq_search(&seq)) != NULL)
	{
		/* Only the core objects: the rest goes with the context. */
		wf_condition_free(stage->rule.cond);
		stage->rule.cond = NULL;
		for (int i = 0; i < stage->n_alerts; i++)
		{
			wf_condition_free(stage->alerts[i].check.cond);
			stage->alerts[i].check.cond = NULL;
		}
	}
	MemoryContextDelete(context);
}

static void
free_retired_caches(void)
{
	while (retired != NULL)
	{
		RetiredCache *r = retired;

		retired = r->next;
		free_cache(r->cache, r->context);
		pfree(r);
	}
}

static void
free_retired(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	pins = 0;
	free_retired_caches();
}

/* A subtransaction keeps the pins of its start; its abort gives back the ones taken in it. */
static void
subxact_pins(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_START_SUB)
	{
		if (level >= saved_pins_size)
		{
			int			size = Max(16, level * 2);

			saved_pins = saved_pins == NULL
				? MemoryContextAllocZero(TopMemoryContext, sizeof(int) * size)
				: repalloc(saved_pins, sizeof(int) * size);
			saved_pins_size = size;
		}
		saved_pins[level] = pins;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB && level < saved_pins_size)
		pins = saved_pins[level];
}

void
wf_stage_pin(void)
{
	pins++;
}

/* The call that pinned returns: when it was the last, nothing holds a retired stage. */
Datum
wf_stage_unpin(Datum result)
{
	if (pins > 0 && --pins == 0)
		free_retired_caches();
	return result;
}

void
wf_stage_cache_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
	RegisterXactCallback(free_retired, NULL);
	RegisterSubXactCallback(subxact_pins, NULL);
}

/* Starts a new, empty cache; the old one is retired until the transaction ends. */
static void
reset_cache(Oid schema)
{
	if (cache != NULL && hash_get_num_entries(cache) == 0)
	{
		/* nothing was handed out: reuse it */
	}
	else if (cache != NULL)
	{
		RetiredCache *r = MemoryContextAlloc(CacheMemoryContext, sizeof(RetiredCache));

		r->cache = cache;
		r->context = cache_context;
		r->next = retired;
		retired = r;
		cache = NULL;
	}
	if (cache == NULL)
	{
		HASHCTL		ctl;

		cache_context = AllocSetContextCreate(CacheMemoryContext, "workflow_ext stage cache",
											  ALLOCSET_SMALL_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(WfStage);
		ctl.hcxt = cache_context;
		cache = hash_create("workflow_ext stages", 16, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	cache_schema = schema;
	watched[0] = get_relname_relid("workflow_stage", schema);
	watched[1] = get_relname_relid("stage_rule", schema);
	watched[2] = get_relname_relid("alert", schema);
	watched[3] = get_relname_relid("workflow_share", schema);
	watched[4] = get_relname_relid("workflow", schema);
	cache_valid = true;
}

char *
wf_qualified(Oid schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(get_namespace_name(schema)),
					quote_identifier(name));
}

static char *
copy_text_column(HeapTuple row, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, desc, col, &isnull);

	return isnull ? pstrdup("") : TextDatumGetCString(d);
}

/*
 * Reads one stage with its rule and alerts and compiles them.  Compiled
 * objects are freed if a later one fails, so an error leaks nothing.
 */
static bool
load_stage(Oid schema, int64 stage_id, WfStage *out)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(stage_id)};
	MemoryContext caller = CurrentMemoryContext;
	bool		found = false;
	char	   *sql;

	WfSavedUser saved;

	memset(out, 0, sizeof(*out));
	out->id = stage_id;
	SPI_connect();
	wf_become_owner(schema, &saved);
	PushActiveSnapshot(GetLatestSnapshot());
	/* Every operator qualified: these run with the owner's rights. */
	sql = psprintf("SELECT s.workflow_id, s.position, s.kind OPERATOR(pg_catalog.=) 'hired', s.name, r.id, r.name, "
				   "r.on_fail OPERATOR(pg_catalog.=) 'block', r.condition, "
				   "(SELECT n.id FROM %s n WHERE n.workflow_id OPERATOR(pg_catalog.=) s.workflow_id "
				   "AND n.position OPERATOR(pg_catalog.>) s.position ORDER BY n.position LIMIT 1), "
				   "EXISTS (SELECT 1 FROM %s sh WHERE sh.workflow_id OPERATOR(pg_catalog.=) s.workflow_id "
				   "AND sh.grantee_tenant OPERATOR(pg_catalog.<>) w.tenant AND sh.accepted_at IS NOT NULL), "
				   "s.archived_at IS NOT NULL, s.auto_advance, s.on_enter, w.archived_at IS NOT NULL "
				   "FROM %s s JOIN %s w ON w.id OPERATOR(pg_catalog.=) s.workflow_id "
				   "LEFT JOIN %s r ON r.stage_id OPERATOR(pg_catalog.=) s.id "
				   "WHERE s.id OPERATOR(pg_catalog.=) $1",
				   wf_qualified(schema, "workflow_stage"), wf_qualified(schema, "workflow_share"),
				   wf_qualified(schema, "workflow_stage"), wf_qualified(schema, "workflow"),
				   wf_qualified(schema, "stage_rule"));
	/* read_only: run under the snapshot pushed above */
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read stage " INT64_FORMAT, stage_id);
	if (SPI_processed == 1)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext spi = MemoryContextSwitchTo(caller);

		found = true;
		out->workflow_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		out->position = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));
		out->hired = DatumGetBool(SPI_getbinval(row, desc, 3, &isnull));
		out->name = copy_text_column(row, desc, 4);
		out->next_stage_id = DatumGetInt64(SPI_getbinval(row, desc, 9, &isnull));
		out->has_next = !isnull;
		out->shared_across_tenants = DatumGetBool(SPI_getbinval(row, desc, 10, &isnull));
		out->archived = DatumGetBool(SPI_getbinval(row, desc, 11, &isnull));
		out->auto_advance = DatumGetBool(SPI_getbinval(row, desc, 12, &isnull));
		{
			Datum		on_enter = SPI_getbinval(row, desc, 13, &isnull);

			out->on_enter = isnull ? NULL : DatumGetJsonbPCopy(on_enter);
		}
		out->workflow_archived = DatumGetBool(SPI_getbinval(row, desc, 14, &isnull));
		out->rule_id = DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull));
		out->has_rule = !isnull;
		if (out->has_rule)
		{
			out->rule_name = copy_text_column(row, desc, 6);
			out->rule_label = psprintf("rule \"%s\"", out->rule_name);
			out->rule_blocks = DatumGetBool(SPI_getbinval(row, desc, 7, &isnull));
			out->rule.cond = wf_compile_jsonb(DatumGetJsonbP(SPI_getbinval(row, desc, 8, &isnull)),
											  psprintf("rule \"%s\" of stage " INT64_FORMAT,
													   out->rule_name, stage_id));
			wf_compiled_prepare(&out->rule);
		}
		MemoryContextSwitchTo(spi);
	}
	if (found)
	{
		sql = psprintf("SELECT a.id, a.field_name, a.operator, a.value::pg_catalog.text, a.ignore_case, "
					   "a.fires_on OPERATOR(pg_catalog.=) 'match', a.severity, a.message, "
					   "a.rule_id IS NOT NULL, a.rule_path, a.source "
					   "FROM %s a WHERE a.stage_id OPERATOR(pg_catalog.=) $1 ORDER BY a.id",
					   wf_qualified(schema, "alert"));
		if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the alerts of stage " INT64_FORMAT, stage_id);
		if (SPI_processed > 0)
		{
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext spi = MemoryContextSwitchTo(caller);

			out->alerts = palloc0(sizeof(WfAlert) * SPI_processed);
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				HeapTuple	row = SPI_tuptable->vals[i];
				WfAlert    *a = &out->alerts[i];
				bool		isnull;
				char	   *value;
				wf_status	status;

				a->id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
				a->fires_on_match = DatumGetBool(SPI_getbinval(row, desc, 6, &isnull));
				a->severity = copy_text_column(row, desc, 7);
				a->message = copy_text_column(row, desc, 8);
				a->from_rule = DatumGetBool(SPI_getbinval(row, desc, 9, &isnull));
				a->rule_path = a->from_rule ? copy_text_column(row, desc, 10) : NULL;
				(void) SPI_getbinval(row, desc, 4, &isnull);
				value = isnull ? NULL : copy_text_column(row, desc, 4);
				a->check.cond = wf_alert_compile_source(copy_text_column(row, desc, 2),
												 copy_text_column(row, desc, 11),
												 copy_text_column(row, desc, 3),
										   value, value ? strlen(value) : 0,
										   DatumGetBool(SPI_getbinval(row, desc, 5, &isnull)),
										   &status);
				if (a->check.cond == NULL)
				{
					wf_condition_free(out->rule.cond);
					for (uint64 j = 0; j < i; j++)
						wf_condition_free(out->alerts[j].check.cond);
					wf_raise_status(&status, psprintf("alert " INT64_FORMAT, a->id));
				}
				wf_compiled_prepare(&a->check);
				out->n_alerts++;
			}
			MemoryContextSwitchTo(spi);
		}
	}
	PopActiveSnapshot();
	wf_restore_user(&saved);
	SPI_finish();
	return found;
}

/*
 * Whether the transaction's snapshot sees stage stage_id (read as the
 * extension's owner).  A REPEATABLE READ or SERIALIZABLE move asks before it
 * moves to a next stage the cache read under the latest snapshot.
 */
bool
wf_stage_in_snapshot(Oid schema, int64 stage_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(stage_id)};
	WfSavedUser saved;
	bool		seen;

	SPI_connect();
	wf_become_owner(schema, &saved);
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s s WHERE s.id OPERATOR(pg_catalog.=) $1",
									   wf_qualified(schema, "workflow_stage")),
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read stage " INT64_FORMAT, stage_id);
	seen = SPI_processed == 1;
	PopActiveSnapshot();
	wf_restore_user(&saved);
	SPI_finish();
	return seen;
}

/*
 * Whether some stage of the schema (archived or not) advances by itself:
 * read as the owner under the latest snapshot, kept with the cache and
 * invalidated like it (a write of workflow_stage).  Caller pins the cache.
 * (Changes of facts are evaluated set-wise only when none does: an
 * auto-advance's move runs code between the changes: batched_writes.c.)
 */
bool
wf_schema_auto_advances(Oid schema)
{
	WfSavedUser saved;

	if (pins == 0)
		elog(ERROR, "workflow_ext: stage looked up outside a pinned call");
	AcceptInvalidationMessages();
	if (!cache_valid || cache == NULL || cache_schema != schema)
	{
		reset_cache(schema);
		advance_known = false;
	}
	if (advance_known)
		return advance_any;
	SPI_connect();
	wf_become_owner(schema, &saved);
	PushActiveSnapshot(GetLatestSnapshot());
	if (SPI_execute(psprintf("SELECT 1 FROM %s s WHERE s.auto_advance LIMIT 1",
							 wf_qualified(schema, "workflow_stage")), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the stages");
	advance_any = SPI_processed > 0;
	PopActiveSnapshot();
	wf_restore_user(&saved);
	SPI_finish();
	/* (an invalidation taken in meanwhile leaves it unknown) */
	advance_known = cache_valid;
	return advance_any;
}

const WfStage *
wf_stage_lookup(Oid schema, int64 stage_id)
{
	WfStage		loaded;
	WfStage    *entry;
	bool		found;
	MemoryContext old;

	/*
	 * Definitions committed since the last command count now, for every
	 * session (PostgreSQL itself takes them in only when a lock is acquired,
	 * which a session that bypasses row-level security, or a move that
	 * waited for a row lock, may not do again in this transaction).
	 */
	if (pins == 0)
		elog(ERROR, "workflow_ext: stage looked up outside a pinned call");
	AcceptInvalidationMessages();
	if (!cache_valid || cache == NULL || cache_schema != schema ||
		hash_get_num_entries(cache) >= wf_stage_cache_size)
		reset_cache(schema);
	entry = hash_search(cache, &stage_id, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;

	old = MemoryContextSwitchTo(cache_context);
	PG_TRY();
	{
		found = load_stage(schema, stage_id, &loaded);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	if (!found)
		return NULL;
	/*
	 * Loading ran queries, which may have processed an invalidation; what was
	 * loaded is current, and if the cache went stale the next lookup empties it.
	 */
	entry = hash_search(cache, &stage_id, HASH_ENTER, &found);
	*entry = loaded;
	return entry;
}
