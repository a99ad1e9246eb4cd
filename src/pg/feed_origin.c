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
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/xid8.h"

PG_FUNCTION_INFO_V1(wf_feed_xact_id);
PG_FUNCTION_INFO_V1(wf_feed_generation);

#define GENERATION_SHIFT 48

static bool cache_valid = false;	/* generation of this cluster, recorded */
static int64 cached_generation;
static bool callback_registered = false;

/* The database may be restored under a live backend (pg_restore --clean): ask again. */
static void
forget_generation(Datum arg, Oid relid)
{
	cache_valid = false;
}

/*
 * The generation of this cluster: the latest feed_origin row's when it names
 * this cluster, else the next one, inserted when record is true.  Read (and
 * written) as the owner of the extension's tables.
 */
static int64
generation(Oid schema, bool record)
{
	char		sysid[32];
	WfSavedUser saved;
	int64		result;
	bool		mine = false;
	char	   *table = wf_qualified(schema, "feed_origin");

	if (cache_valid)
		return cached_generation;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_generation, (Datum) 0);
		callback_registered = true;
	}
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, GetSystemIdentifier());
	wf_become_owner(schema, &saved);
	SPI_connect();
	if (SPI_execute(psprintf("SELECT id, system_identifier OPERATOR(pg_catalog.=) %s FROM %s "
							 "ORDER BY id DESC LIMIT 1",
							 quote_literal_cstr(sysid), table), true, 1) != SPI_OK_SELECT)
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
	if (mine)
	{
		cached_generation = result;
		cache_valid = true;
	}
	return result;
}

/* The feed position of the current transaction: generation << 48 | its full id. */
uint64
wf_feed_position(Oid schema)
{
	uint64		xid = U64FromFullTransactionId(GetTopFullTransactionId());

	return ((uint64) generation(schema, true) << GENERATION_SHIFT) |
		(xid & ((UINT64CONST(1) << GENERATION_SHIFT) - 1));
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
 * for workflow_events_since() to place its snapshot's transaction ids.
 */
Datum
wf_feed_generation(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);

	PG_RETURN_INT64(generation(schema, false));
}
