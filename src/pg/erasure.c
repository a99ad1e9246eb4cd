/*
 * erasure.c - erase_candidate(): a tenant administrator removes a
 * candidate's personal data (GDPR erasure) and keeps the audit trail of who
 * moved whom when.
 *
 * For the caller's tenant only:
 *  1. every pipeline row of the candidate is removed through
 *     remove_candidate(..., 'erasure'), with the caller's rights (the DELETE
 *     policy and the caller's own triggers on candidate_stage apply, as for
 *     any removal): the removal history row, to_status removed and reason
 *     erasure, is the record of the erasure, one per job; the row's
 *     application facts (attributes) go with it;
 *  2. the candidate's profile row is deleted, with the caller's rights;
 *  3. the history rows' warnings are redacted (wf_redact_leaves, what other
 *     tenants read: every key that may copy a fact dropped) and the alert
 *     events' facts snapshots emptied ('{}').  History is immutable and the
 *     application may not update it, so this step runs as the owner of the
 *     extension's tables, for fixed statements on the extension's own tables
 *     (no user-definable code: built-in types and the extension's triggers),
 *     and the immutability guards let exactly these changes through while the
 *     state below names this tenant and candidate: erasing_candidate() is
 *     true only inside step 3, and the state is cleared whatever happens.
 *
 * An id that is not a candidate of the caller's tenant (unknown, or another
 * tenant's) finds nothing and changes nothing: the same answer, all zeros.
 *
 * Entries of the same candidate (add_candidate(), an INSERT into
 * candidate_stage, transfer_candidate()'s entry) are ordered with the
 * erasure by a lock (wf_lock_candidate_entry): the candidate_stage guard
 * takes it shared for each row it enters, before the candidate's facts are
 * read, and the erasure takes it exclusive (after it has locked the
 * candidate's profile and pipeline rows) before it reads the candidate's
 * pipeline rows and history for good; both hold it to their
 * transaction's end.  So an entry either committed before the erasure reads
 * (and its row, history and alert events are erased with the rest) or reads
 * the facts after the erasure committed (the facts are always read under the
 * latest snapshot: facts_source.c), and finds no profile.  attack13 04: an
 * add_candidate() that began before the erasure committed wrote a pipeline
 * row, history warnings and alert event facts of the erased profile after it.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "storage/lock.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_erase_candidate);
PG_FUNCTION_INFO_V1(wf_erasing_candidate);

/* The erasure under way in this backend (step 3 only), or none. */
static bool erasing = false;
static char *erasing_tenant = NULL;
static int64 erasing_candidate = 0;

/*
 * erasing_candidate(tenant, candidate_id): true while erase_candidate()
 * rewrites this candidate's history; what the immutability guards of
 * stage_transition and alert_event ask.  Not a setting: nothing but the
 * function below sets it.
 */
Datum
wf_erasing_candidate(PG_FUNCTION_ARGS)
{
	char	   *tenant;

	if (!erasing || erasing_tenant == NULL || PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	tenant = TextDatumGetCString(PG_GETARG_DATUM(0));
	PG_RETURN_BOOL(PG_GETARG_INT64(1) == erasing_candidate && strcmp(tenant, erasing_tenant) == 0);
}

/*
 * Step 3 runs as the owner of the extension's tables, so nothing of anyone
 * else's may run in it: a trigger or a rule the owner added to
 * stage_transition or alert_event (README: Changing the extension's tables)
 * fires as the owner there, where everywhere else it fires as the writer
 * (attack13: a trigger function owned by the application role made it a
 * superuser; another rewrote history rows past the immutability guard).
 * While either table has anything a write there would run that is not built
 * in or the extension's (owner_writes.c: an enabled trigger, a rule,
 * row-level security forced on its owner, a CHECK, default, index or
 * foreign key calling a function of anyone's), the erasure is refused before
 * anything is changed: 55000 erasure_blocked, naming the object; disable or
 * drop it for the erasure.  The verdict is kept per backend until the
 * table's relcache entry changes.
 */
static void
check_history_tables_plain(Oid schema)
{
	static const WfOwnedTable tables[2] = {WF_OWNED_ALERT_EVENT, WF_OWNED_STAGE_TRANSITION};

	for (int i = 0; i < 2; i++)
	{
		const char *table = wf_owned_table_name(tables[i]);
		const char *kind;
		const char *name;

		if (wf_owner_write_allowed(schema, tables[i], &kind, &name))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("erase_candidate() does not run while %s has the %s \"%s\" of its owner's", table, kind, name),
				 errdetail_reason("erasure_blocked", "\"table\": %s, \"kind\": %s, \"name\": %s",
								  wf_json_string(table), wf_json_string(kind), wf_json_string(name)),
				 errhint("The erasure rewrites history as the tables' owner: disable the owner's triggers and rules on stage_transition and alert_event for it (ALTER TABLE ... DISABLE TRIGGER ...).")));
	}
}

/* Step 3, as the owner: returns the history rows and alert events changed. */
static void
erase_history(Oid schema, const char *tenant, int64 candidate_id, int *redacted, int *emptied)
{
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2];
	WfSavedUser saved;
	int			ret;
	uint64		n;
	int64	   *ids;
	Jsonb	  **warnings;

	args[0] = CStringGetTextDatum(tenant);
	args[1] = Int64GetDatum(candidate_id);
	*redacted = *emptied = 0;

	wf_become_owner(schema, &saved);
	PG_TRY();
	{
		erasing_tenant = MemoryContextStrdup(TopMemoryContext, tenant);
		erasing_candidate = candidate_id;
		erasing = true;

		ret = SPI_execute_with_args(psprintf("SELECT t.id, t.warnings FROM %s t "
											 "WHERE t.tenant OPERATOR(pg_catalog.=) $1 "
											 "AND t.candidate_id OPERATOR(pg_catalog.=) $2 "
											 "AND t.warnings OPERATOR(pg_catalog.<>) '[]'::pg_catalog.jsonb "
											 "ORDER BY t.id FOR UPDATE",
											 wf_qualified(schema, "stage_transition")),
									2, types, args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not read the history of candidate " INT64_FORMAT, candidate_id);
		n = SPI_processed;
		ids = palloc(sizeof(int64) * Max(n, 1));
		warnings = palloc(sizeof(Jsonb *) * Max(n, 1));
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			Datum		d;

			ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
			warnings[i] = isnull ? NULL : DatumGetJsonbPCopy(d);
		}
		for (uint64 i = 0; i < n; i++)
		{
			Oid			utypes[2] = {JSONBOID, INT8OID};
			Datum		uargs[2];
			Jsonb	   *r;

			if (warnings[i] == NULL)
				continue;
			r = wf_redact_leaves(warnings[i]);
			if (VARSIZE(r) == VARSIZE(warnings[i]) && memcmp(r, warnings[i], VARSIZE(r)) == 0)
				continue;		/* nothing to drop (already redacted) */
			uargs[0] = JsonbPGetDatum(r);
			uargs[1] = Int64GetDatum(ids[i]);
			ret = SPI_execute_with_args(psprintf("UPDATE %s t SET warnings = $1 "
												 "WHERE t.id OPERATOR(pg_catalog.=) $2",
												 wf_qualified(schema, "stage_transition")),
										2, utypes, uargs, NULL, false, 0);
			if (ret != SPI_OK_UPDATE)
				elog(ERROR, "workflow_ext: could not redact history row " INT64_FORMAT, ids[i]);
			*redacted += (int) SPI_processed;
		}
		ret = SPI_execute_with_args(psprintf("UPDATE %s e SET facts = '{}'::pg_catalog.jsonb "
											 "WHERE e.tenant OPERATOR(pg_catalog.=) $1 "
											 "AND e.candidate_id OPERATOR(pg_catalog.=) $2 "
											 "AND e.facts OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb",
											 wf_qualified(schema, "alert_event")),
									2, types, args, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "workflow_ext: could not empty the alert events of candidate " INT64_FORMAT, candidate_id);
		*emptied = (int) SPI_processed;
	}
	PG_FINALLY();
	{
		erasing = false;
		if (erasing_tenant != NULL)
			pfree(erasing_tenant);
		erasing_tenant = NULL;
		erasing_candidate = 0;
	}
	PG_END_TRY();
	wf_restore_user(&saved);
}

/*
 * The lock that orders the erasure of (tenant, candidate) and its entries:
 * an advisory lock of the database, in a space of its own (field4
 * WF_ERASURE_LOCK_SPACE, which pg_advisory_lock() and its siblings never use:
 * they use 1 and 2), so no advisory lock of the application's is ever it.
 * pg_locks shows it as locktype advisory, classid WF_ERASURE_LOCK_CLASS,
 * objid the stripe, objsubid WF_ERASURE_LOCK_SPACE.  Candidates share
 * WF_ERASURE_LOCK_STRIPES stripes (by a hash of tenant and id): an INSERT of
 * any number of candidates holds at most that many locks (one per candidate
 * would fill the shared lock table: 10,000 rows against its 64 per
 * connection), and an erasure holds up, for its own end, the entries of
 * about one in WF_ERASURE_LOCK_STRIPES candidates besides its own.
 */
static void
lock_candidate(const char *tenant, int64 candidate_id, LOCKMODE mode)
{
	LOCKTAG		tag;
	uint32		h;

	h = DatumGetUInt32(hash_any((const unsigned char *) tenant, (int) strlen(tenant)));
	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) candidate_id ^
												   (uint32) ((uint64) candidate_id >> 32))));
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, WF_ERASURE_LOCK_CLASS, h % WF_ERASURE_LOCK_STRIPES,
						 WF_ERASURE_LOCK_SPACE);
	(void) LockAcquire(&tag, mode, false, false);
}

/*
 * An entry of (tenant, candidate): the candidate_stage guard, for every row
 * it enters, before it reads the candidate's facts.  Shared: entries never wait for one another here, only for
 * an erasure of the candidate in progress, whose end they wait for.
 */
void
wf_lock_candidate_entry(const char *tenant, int64 candidate_id)
{
	lock_candidate(tenant, candidate_id, ShareLock);
}

/*
 * Under REPEATABLE READ or SERIALIZABLE the erasure reads and removes what
 * its snapshot shows; an entry committed after the snapshot was taken (even
 * before this erasure began: BEGIN, a query, then erase_candidate()) would
 * stay, facts and all.  With the lock held no entry commits any more, so the
 * candidate's rows are counted under the latest snapshot and under the
 * transaction's: any difference (an entry, a move or an alert event
 * committed since) is 40001 erasure_snapshot_stale, before anything changes.
 * Read as the owner (every row of the tenant's candidate counts).
 */
static void
check_snapshot_current(Oid schema, const char *tenant, int64 candidate_id)
{
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2];
	WfSavedUser saved;
	SPIPlanPtr	plan;
	int64		counts[2][3];

	if (!IsolationUsesXactSnapshot())
		return;
	args[0] = CStringGetTextDatum(tenant);
	args[1] = Int64GetDatum(candidate_id);
	wf_become_owner(schema, &saved);
	plan = SPI_prepare(psprintf("SELECT (SELECT pg_catalog.count(*) FROM %s c WHERE c.tenant OPERATOR(pg_catalog.=) $1 "
								"AND c.candidate_id OPERATOR(pg_catalog.=) $2), "
								"(SELECT pg_catalog.count(*) FROM %s t WHERE t.tenant OPERATOR(pg_catalog.=) $1 "
								"AND t.candidate_id OPERATOR(pg_catalog.=) $2), "
								"(SELECT pg_catalog.count(*) FROM %s e WHERE e.tenant OPERATOR(pg_catalog.=) $1 "
								"AND e.candidate_id OPERATOR(pg_catalog.=) $2)",
								wf_qualified(schema, "candidate_stage"),
								wf_qualified(schema, "stage_transition"),
								wf_qualified(schema, "alert_event")), 2, types);
	if (plan == NULL)
		elog(ERROR, "workflow_ext: could not count the rows of candidate " INT64_FORMAT, candidate_id);
	for (int i = 0; i < 2; i++)
	{
		Snapshot	snapshot = i == 0 ? GetTransactionSnapshot() : GetLatestSnapshot();

		if (SPI_execute_snapshot(plan, args, NULL, snapshot, InvalidSnapshot, true, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "workflow_ext: could not count the rows of candidate " INT64_FORMAT, candidate_id);
		for (int k = 0; k < 3; k++)
		{
			bool		isnull;

			counts[i][k] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, k + 1, &isnull));
		}
	}
	SPI_freeplan(plan);
	wf_restore_user(&saved);
	if (memcmp(counts[0], counts[1], sizeof(counts[0])) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize the erasure of candidate " INT64_FORMAT
						": its pipeline or history changed after this transaction's snapshot", candidate_id),
				 errdetail_reason("erasure_snapshot_stale", "\"candidate_id\": " INT64_FORMAT, candidate_id),
				 errhint("Retry the transaction: the erasure then covers what was committed meanwhile.")));
}

/*
 * Before the lock: the profile and the candidate's pipeline rows locked, in
 * the order a change of the candidate's facts locks them (the profile, then
 * the rows by job), as the owner.  Taken before the erasure lock so that the
 * erasure holds nothing an entry waits for while it waits for their rows:
 * an application's transaction that changed the candidate's facts or moved
 * them and then enters them elsewhere commits first, and its entry is then
 * found and removed.
 */
static void
lock_candidate_rows(Oid schema, const char *tenant, int64 candidate_id)
{
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2];
	WfSavedUser saved;

	args[0] = CStringGetTextDatum(tenant);
	args[1] = Int64GetDatum(candidate_id);
	wf_become_owner(schema, &saved);
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s p WHERE p.tenant OPERATOR(pg_catalog.=) $1 "
									   "AND p.candidate_id OPERATOR(pg_catalog.=) $2 FOR UPDATE",
									   wf_qualified(schema, "candidate_profile")),
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_execute_with_args(psprintf("SELECT 1 FROM %s c WHERE c.tenant OPERATOR(pg_catalog.=) $1 "
									   "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
									   "ORDER BY c.job_id FOR UPDATE",
									   wf_qualified(schema, "candidate_stage")),
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not lock the rows of candidate " INT64_FORMAT, candidate_id);
	wf_restore_user(&saved);
}

/* The jobs of the tenant where the candidate has a pipeline row, read as the owner. */
static int64 *
candidate_jobs(Oid schema, const char *tenant, int64 candidate_id, int *count)
{
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2];
	WfSavedUser saved;
	int64	   *jobs;

	args[0] = CStringGetTextDatum(tenant);
	args[1] = Int64GetDatum(candidate_id);
	wf_become_owner(schema, &saved);
	if (SPI_execute_with_args(psprintf("SELECT c.job_id FROM %s c "
									   "WHERE c.tenant OPERATOR(pg_catalog.=) $1 "
									   "AND c.candidate_id OPERATOR(pg_catalog.=) $2 ORDER BY c.job_id",
									   wf_qualified(schema, "candidate_stage")),
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the pipelines of candidate " INT64_FORMAT, candidate_id);
	wf_restore_user(&saved);
	*count = (int) SPI_processed;
	jobs = palloc(sizeof(int64) * Max(*count, 1));
	for (int i = 0; i < *count; i++)
	{
		bool		isnull;

		jobs[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	return jobs;
}

/*
 * erase_candidate(candidate_id, OUT jobs_removed, OUT history_rows_redacted,
 * OUT alert_events_emptied, OUT profile_deleted)
 */
Datum
wf_erase_candidate(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	const char *tenant;
	int64		candidate_id;
	int64	   *jobs;
	int			njobs;
	int			redacted;
	int			emptied;
	bool		profile_deleted;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	MemoryContext caller = CurrentMemoryContext;

	tenant = pstrdup(wf_tenant());	/* require_actor and require_tenant */
	if (!wf_tenant_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("erasing a candidate of tenant \"%s\" takes its administrator", tenant),
				 errhint("The application sets workflow_ext.tenant_admin = on for its administrators."),
				 errdetail_reason("not_tenant_admin", "\"tenant\": %s", wf_json_string(tenant))));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("candidate_id must not be NULL"),
				 errdetail_reason("null_argument", "\"argument\": \"candidate_id\"")));
	candidate_id = PG_GETARG_INT64(0);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "workflow_ext: erase_candidate must return a record");
	tupdesc = BlessTupleDesc(tupdesc);

	SPI_connect();
	/* nothing of the owner's may run in step 3: refused before anything changes */
	check_history_tables_plain(schema);
	/*
	 * No entry of the candidate from here on: the rows it has locked, then
	 * the lock entries take shared (their transactions in progress end
	 * first), then, under REPEATABLE READ or SERIALIZABLE, nothing committed
	 * since the snapshot.  What is read from here on is then all there is.
	 */
	lock_candidate_rows(schema, tenant, candidate_id);
	lock_candidate(tenant, candidate_id, ExclusiveLock);
	check_snapshot_current(schema, tenant, candidate_id);
	/* 1. the pipeline rows, removed with the caller's rights */
	jobs = candidate_jobs(schema, tenant, candidate_id, &njobs);
	for (int i = 0; i < njobs; i++)
	{
		Oid			types[2] = {INT8OID, INT8OID};
		Datum		args[2];

		args[0] = Int64GetDatum(candidate_id);
		args[1] = Int64GetDatum(jobs[i]);
		if (SPI_execute_with_args(psprintf("SELECT %s($1, $2, 'erasure')",
										   wf_qualified(schema, "remove_candidate")),
								  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "workflow_ext: could not remove candidate " INT64_FORMAT " from job " INT64_FORMAT,
				 candidate_id, jobs[i]);
	}
	/* 2. the profile, with the caller's rights */
	{
		Oid			types[2] = {TEXTOID, INT8OID};
		Datum		args[2];

		args[0] = CStringGetTextDatum(tenant);
		args[1] = Int64GetDatum(candidate_id);
		if (SPI_execute_with_args(psprintf("DELETE FROM %s p WHERE p.tenant OPERATOR(pg_catalog.=) $1 "
										   "AND p.candidate_id OPERATOR(pg_catalog.=) $2",
										   wf_qualified(schema, "candidate_profile")),
								  2, types, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "workflow_ext: could not delete the profile of candidate " INT64_FORMAT, candidate_id);
		profile_deleted = SPI_processed > 0;
	}
	/* 3. history and alert events, as the owner (checked again: steps 1-2 ran the caller's triggers) */
	check_history_tables_plain(schema);
	erase_history(schema, tenant, candidate_id, &redacted, &emptied);
	SPI_finish();

	MemoryContextSwitchTo(caller);
	values[0] = Int32GetDatum(njobs);
	values[1] = Int32GetDatum(redacted);
	values[2] = Int32GetDatum(emptied);
	values[3] = BoolGetDatum(profile_deleted);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
