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
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

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
