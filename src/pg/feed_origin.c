/*
 * feed_origin.c - positions in the event feed that stay ordered across a
 * restore into another cluster.
 *
 * The feed orders history and alert events by the writing transaction's id
 * (xact_id).  Transaction ids belong to a cluster: restored into another one,
 * the rows keep the old cluster's ids, which may be far ahead of the new
 * cluster's, and a consumer's cursor from the old cluster would then sort
 * after every new event for good.  So xact_id is the transaction id within a
 * generation: generation << 48 | full transaction id.  Generation 0 is the
 * first cluster the database wrote events in (so the positions and cursors of
 * databases that never moved are plain transaction ids, as before); each
 * cluster the database is restored into takes the next generation on its first
 * event (table feed_origin, dumped with the data), so everything it writes
 * sorts after everything restored, and an old cursor resumes exactly there.
 * A promoted standby is the same cluster (the same system identifier) and
 * keeps its generation.  2^48 transaction ids (65,536 wraparound epochs) per
 * generation.
 */
#include "workflow_ext.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/xid8.h"

PG_FUNCTION_INFO_V1(wf_feed_xact_id);
PG_FUNCTION_INFO_V1(wf_feed_generation);
PG_FUNCTION_INFO_V1(wf_feed_advance);

#define GENERATION_SHIFT 48

static bool cache_valid = false;	/* generation of this cluster, recorded */
static int64 cached_generation;
static bool callback_registered = false;

/*
 * The position wf_feed_position gave last, and where: the same transaction
 * and subtransaction (whose share lock on feed_origin is still held), while
 * the generation stays recorded.  Forgotten with the generation.
 */
static uint64 last_position;
static Oid	last_schema = InvalidOid;
static LocalTransactionId last_lxid = InvalidLocalTransactionId;
static SubTransactionId last_subxid = InvalidSubTransactionId;

static void
forget(void)
{
	cache_valid = false;
	last_lxid = InvalidLocalTransactionId;
}

/* The database may be restored under a live backend (pg_restore --clean): ask again. */
static void
forget_generation(Datum arg, Oid relid)
{
	forget();
}

/*
 * The generation of this cluster: the latest feed_origin row's when it names
 * this cluster, else the next one, inserted when record is true.  Read (and
 * written) as the owner of the extension's tables.
 *
 * A writer (record: a feed position, feed_advance) reads with a snapshot
 * taken now, not the statement's or the transaction's: a statement that
 * waited for feed_origin's lock while feed_advance() held it, or a
 * REPEATABLE READ transaction begun before that commit, would otherwise not
 * see the new generation, write in the old one (behind a moved tenant's
 * copied positions) and cache it for the backend.  A reader (feed_generation:
 * the feed's horizon) reads with the snapshot it reads the events with, and
 * caches nothing: a horizon in a generation its snapshot does not see would
 * pass the transactions of the old one that were running in that snapshot.
 */
static int64
generation(Oid schema, bool record)
{
	char		sysid[32];
	WfSavedUser saved;
	int64		result;
	bool		mine = false;
	char	   *table = wf_qualified(schema, "feed_origin");
	SPIPlanPtr	plan;

	if (cache_valid && record)
		return cached_generation;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_generation, (Datum) 0);
		callback_registered = true;
	}
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, GetSystemIdentifier());
	wf_become_owner(schema, &saved);
	SPI_connect();

	plan = SPI_prepare(psprintf("SELECT id, system_identifier OPERATOR(pg_catalog.=) %s FROM %s "
								"ORDER BY id DESC LIMIT 1",
								quote_literal_cstr(sysid), table), 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, record ? GetLatestSnapshot() : GetActiveSnapshot(),
							 InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read feed_origin");
	if (SPI_processed == 0)
		result = 0;
	else
	{
		bool		isnull;

		result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		mine = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		if (!mine)
			result++;
	}
	if (!mine && record)
	{
		/* (nothing of anyone else's may run in the owner's write: owner_writes.c) */
		wf_require_owner_write(schema, WF_OWNED_FEED_ORIGIN);
		/* Two first writers at once: one row, the other's insert is a no-op. */
		if (SPI_execute(psprintf("INSERT INTO %s (id, system_identifier) VALUES (" INT64_FORMAT ", %s) "
								 "ON CONFLICT (id) DO NOTHING",
								 table, result, quote_literal_cstr(sysid)), false, 0) != SPI_OK_INSERT)
			elog(ERROR, "workflow_ext: could not write feed_origin");
		mine = true;
	}
	SPI_finish();
	wf_restore_user(&saved);
	if (result >= (INT64CONST(1) << (63 - GENERATION_SHIFT)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the event feed has had too many clusters (generation " INT64_FORMAT ")", result),
				 errdetail_reason("feed_generations_exhausted", NULL)));
	if (mine && record)
	{
		cached_generation = result;
		cache_valid = true;
	}
	return result;
}

/*
 * feed_origin, locked in share mode until the transaction ends: by every
 * transaction that takes a feed position or reads the feed, so that
 * feed_advance() (exclusive) waits until no position of the old generation
 * can still commit, and every later one re-reads the generation (the lock
 * taken anew accepts the relcache invalidation feed_advance() sends).
 */
static void
lock_feed_origin(Oid schema, LOCKMODE mode)
{
	Oid			relid = get_relname_relid("feed_origin", schema);

	if (!OidIsValid(relid))
		elog(ERROR, "workflow_ext: feed_origin not found");
	LockRelationOid(relid, mode);
}

/*
 * The feed position of the current transaction: generation << 48 | its full
 * id.  Asked again in the same subtransaction while the generation stays
 * recorded (the history guard, per row), the same position without the
 * name lookup and the lock table: the share lock taken then is still held,
 * and a feed_advance() meanwhile, in this transaction (a trigger inside the
 * same statement) or committed by another (a relcache invalidation),
 * forgets the generation, so the next row reads the new one.
 */
uint64
wf_feed_position(Oid schema)
{
	uint64		xid;
	uint64		position;

	if (cache_valid && last_lxid == MyProc->lxid && last_lxid != InvalidLocalTransactionId &&
		last_subxid == GetCurrentSubTransactionId() && last_schema == schema)
		return last_position;
	xid = U64FromFullTransactionId(GetTopFullTransactionId());
	lock_feed_origin(schema, AccessShareLock);
	position = ((uint64) generation(schema, true) << GENERATION_SHIFT) |
		(xid & ((UINT64CONST(1) << GENERATION_SHIFT) - 1));
	if (cache_valid)
	{
		last_position = position;
		last_schema = schema;
		last_lxid = MyProc->lxid;
		last_subxid = GetCurrentSubTransactionId();
	}
	return position;
}

/* feed_xact_id(): that position as xid8 (assigns a transaction id). */
Datum
wf_feed_xact_id(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);

	PG_RETURN_FULLTRANSACTIONID(FullTransactionIdFromU64(wf_feed_position(schema)));
}

/*
 * feed_generation(): the generation this cluster writes (or will write) in,
 * as the current snapshot sees it, for workflow_events_since() to place its
 * snapshot's transaction ids: every writer of the old generation ended before
 * feed_advance() committed, so a snapshot that sees the new generation sees
 * all of the old one's events, and one that does not places its horizon in
 * the old generation.
 */
Datum
wf_feed_generation(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);

	lock_feed_origin(schema, AccessShareLock);
	PG_RETURN_INT64(generation(schema, false));
}

/*
 * feed_advance(after): makes every feed position this cluster gives from now
 * on sort after `after` (a position copied from another cluster: a tenant
 * moved here by shard_tenant_import(), whose rows keep their positions).
 * When this cluster's next position is not already past it, the cluster takes
 * a new generation (a feed_origin row naming it), above after's and its own:
 * under feed_origin's exclusive lock, so that every transaction holding a
 * position of the old generation has ended first and every later one reads
 * the new generation.  Returns the generation written in from now on.
 */
Datum
wf_feed_advance(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	uint64		after = U64FromFullTransactionId(PG_GETARG_FULLTRANSACTIONID(0));
	uint64		mask = (UINT64CONST(1) << GENERATION_SHIFT) - 1;
	int64		current;
	int64		next_generation;
	char		sysid[32];
	WfSavedUser saved;

	current = generation(schema, true);
	if (after < (((uint64) current << GENERATION_SHIFT) |
				 (U64FromFullTransactionId(ReadNextFullTransactionId()) & mask)))
		PG_RETURN_INT64(current);
	lock_feed_origin(schema, AccessExclusiveLock);
	forget();
	current = generation(schema, true);
	if (after < (((uint64) current << GENERATION_SHIFT) |
				 (U64FromFullTransactionId(ReadNextFullTransactionId()) & mask)))
		PG_RETURN_INT64(current);
	next_generation = Max(current, (int64) (after >> GENERATION_SHIFT)) + 1;
	if (next_generation >= (INT64CONST(1) << (63 - GENERATION_SHIFT)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the event feed has had too many clusters (generation " INT64_FORMAT ")", next_generation),
				 errdetail_reason("feed_generations_exhausted", NULL)));
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, GetSystemIdentifier());
	wf_require_owner_write(schema, WF_OWNED_FEED_ORIGIN);
	wf_become_owner(schema, &saved);
	SPI_connect();
	if (SPI_execute(psprintf("INSERT INTO %s (id, system_identifier) VALUES (" INT64_FORMAT ", %s)",
							 wf_qualified(schema, "feed_origin"), next_generation,
							 quote_literal_cstr(sysid)), false, 0) != SPI_OK_INSERT)
		elog(ERROR, "workflow_ext: could not write feed_origin");
	SPI_finish();
	wf_restore_user(&saved);
	/* every backend reads the generation again (forget_generation) */
	CacheInvalidateRelcacheByRelid(get_relname_relid("feed_origin", schema));
	forget();
	PG_RETURN_INT64(next_generation);
}
