/*
 * transfer.c - transfer_candidate(): a candidate leaves one job's pipeline
 * for another job of the same organization, in one transaction.
 *
 * Two plain statements, each carrying its request in a frame
 * (move_context.c) that the candidate_stage triggers claim: an UPDATE of the
 * old row, whose BEFORE trigger (under the row lock, so a concurrent move of
 * the candidate is waited for) checks it is active and sets it
 * 'transferred', recorded with the job it goes to; then an INSERT into the
 * new job, checked like add_candidate() (the entered stage's rule: 23514
 * undoes both) and recorded with the job it came from.  Runs with the
 * caller's rights: both jobs must be visible (P0002 otherwise).
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_transfer_candidate);


/*
 * Is the candidate in job (of tenant), as the caller sees it, and its row
 * meets also (SQL on alias c, or "")?
 */
static bool
row_exists(Oid schema, const char *tenant, int64 job_id, int64 candidate_id, const char *also)
{
	Oid			types[3] = {INT8OID, INT8OID, TEXTOID};
	Datum		args[3] = {Int64GetDatum(job_id), Int64GetDatum(candidate_id), CStringGetTextDatum(tenant)};
	bool		found;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s c WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
									   "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
									   "AND c.tenant OPERATOR(pg_catalog.=) $3 %s",
									   wf_qualified(schema, "candidate_stage"), also),
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the pipeline");
	found = SPI_processed == 1;
	SPI_finish();
	return found;
}

static bool
in_job(Oid schema, const char *tenant, int64 job_id, int64 candidate_id)
{
	return row_exists(schema, tenant, job_id, candidate_id, "");
}

/*
 * The caller may take the candidate out of the job: the same rule as
 * removing it (candidate_stage's DELETE policy, candidate_stage_remove):
 * edit rights on the job's workflow.  A read-only grantee moves candidates
 * but cannot make one leave.
 */
static bool
may_take_out(Oid schema, const char *tenant, int64 job_id, int64 candidate_id)
{
	return row_exists(schema, tenant, job_id, candidate_id,
					  psprintf("AND ((c.tenant OPERATOR(pg_catalog.=) %s() "
							   "AND c.workflow_id OPERATOR(pg_catalog.=) ANY (%s())) "
							   "OR %s(c.workflow_id, c.tenant, true))",
							   wf_qualified(schema, "current_tenant"),
							   wf_qualified(schema, "editable_workflow_array"),
							   wf_qualified(schema, "shared_pipeline")));
}

/*
 * The workflow of a job of tenant, as the caller sees it (both jobs of a
 * transfer are visible: wf_visible_job_tenant() found them).
 */
static int64
job_workflow_of(Oid schema, const char *tenant, int64 job_id)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		args[2] = {Int64GetDatum(job_id), CStringGetTextDatum(tenant)};
	bool		isnull = true;
	int64		workflow_id = 0;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT j.workflow_id FROM %s j WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
									   "AND j.tenant OPERATOR(pg_catalog.=) $2",
									   wf_qualified(schema, "job_workflow")),
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the job's workflow");
	if (SPI_processed == 1)
		workflow_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return isnull ? 0 : workflow_id;
}

/* Runs sql (args: job, candidate, tenant, stage) with frame pushed; the rows it returned. */
static uint64
run_with_frame(WfChangeFrame *frame, const char *sql, int nargs, Datum *args, const char *nulls)
{
	Oid			types[4] = {INT8OID, INT8OID, TEXTOID, INT8OID};
	int			ret;

	wf_change_push(frame);
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, types, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		wf_change_pop(frame);
	}
	PG_END_TRY();
	if (ret != SPI_OK_UPDATE_RETURNING && ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "workflow_ext: could not transfer candidate " INT64_FORMAT, frame->candidate_id);
	return SPI_processed;
}

/*
 * transfer_candidate(candidate_id, from_job_id, to_job_id, to_stage_id,
 * reason): the new candidate_stage row.
 */
Datum
wf_transfer_candidate(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	int64		candidate_id;
	int64		from_job;
	int64		to_job;
	const char *tenant;
	const char *to_tenant;
	const char *reason;
	WfChangeFrame out;
	WfChangeFrame in;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Datum		result;

	(void) wf_tenant();			/* require_actor and require_tenant */
	if (PG_ARGISNULL(0))
		wf_explain_null_argument("candidate_id");
	if (PG_ARGISNULL(1))
		wf_explain_null_argument("from_job_id");
	if (PG_ARGISNULL(2))
		wf_explain_null_argument("to_job_id");
	candidate_id = PG_GETARG_INT64(0);
	from_job = PG_GETARG_INT64(1);
	to_job = PG_GETARG_INT64(2);
	reason = PG_ARGISNULL(4) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(4));

	tenant = wf_visible_job_tenant(schema, from_job);
	to_tenant = wf_visible_job_tenant(schema, to_job);
	/*
	 * ids are the application's within a tenant: candidate 456 of one is not
	 * another's.  And only a job's own tenant enters candidates into it (as
	 * for add_candidate() and an INSERT): a grantee of another tenant, even
	 * with can_edit, does not transfer between that tenant's jobs.  Refused
	 * (42501) before the candidate is looked for in either job.
	 */
	if (strcmp(tenant, to_tenant) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("jobs " INT64_FORMAT " and " INT64_FORMAT " belong to different organizations",
						from_job, to_job),
				 errdetail_reason("other_tenant_job", "\"from_job_id\": " INT64_FORMAT
								  ", \"to_job_id\": " INT64_FORMAT, from_job, to_job),
				 errhint("A candidate is transferred between jobs of one tenant; the other organization adds them to its job (add_candidate()).")));
	if (strcmp(to_tenant, wf_tenant()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("job " INT64_FORMAT " is another organization's; a candidate cannot be transferred into it",
						to_job),
				 errdetail_reason("other_tenant_job", "\"from_job_id\": " INT64_FORMAT
								  ", \"to_job_id\": " INT64_FORMAT, from_job, to_job),
				 errhint("Only the job's organization enters candidates into its jobs, transfers included.")));
	if (!in_job(schema, tenant, from_job, candidate_id))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("candidate " INT64_FORMAT " is not in job " INT64_FORMAT, candidate_id, from_job),
				 errdetail_reason("candidate_not_in_job", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  candidate_id, from_job)));
	if (!may_take_out(schema, tenant, from_job, candidate_id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("transferring candidate " INT64_FORMAT " out of job " INT64_FORMAT
						" needs edit rights on the job's workflow", candidate_id, from_job),
				 errdetail_reason("not_editable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  candidate_id, from_job),
				 errhint("The workflow's owner, a grantee with can_edit or a tenant administrator transfers candidates.")));
	if (in_job(schema, tenant, to_job, candidate_id))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("candidate " INT64_FORMAT " is already in job " INT64_FORMAT, candidate_id, to_job),
				 errdetail_reason("already_in_job", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  candidate_id, to_job),
				 errhint("A row that was transferred or closed stays in its job; remove_candidate() takes it out.")));

	memset(&out, 0, sizeof(out));
	out.kind = WF_CHANGE_TRANSFER_OUT;
	out.job_id = from_job;
	out.candidate_id = candidate_id;
	out.reason = reason;
	out.actor = wf_actor();
	out.has_related_job = true;
	out.related_job_id = to_job;
	/* (the history row drops a job on another workflow when its own is shared across tenants) */
	out.related_workflow_id = job_workflow_of(schema, tenant, to_job);
	out.result_context = CurrentMemoryContext;
	in = out;
	in.kind = WF_CHANGE_ENTER;
	in.job_id = to_job;
	in.related_job_id = from_job;
	in.related_workflow_id = job_workflow_of(schema, tenant, from_job);

	SPI_connect();
	/* the old row, locked: a concurrent move is waited for, then the row as it left it */
	args[0] = Int64GetDatum(from_job);
	args[1] = Int64GetDatum(candidate_id);
	args[2] = CStringGetTextDatum(tenant);
	if (run_with_frame(&out, psprintf("UPDATE %s c SET stage_id = c.stage_id "
									  "WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
									  "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
									  "AND c.tenant OPERATOR(pg_catalog.=) $3 RETURNING c.id",
									  wf_qualified(schema, "candidate_stage")),
					   3, args, nulls) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("candidate " INT64_FORMAT " is not in job " INT64_FORMAT, candidate_id, from_job),
				 errdetail_reason("candidate_not_in_job", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  candidate_id, from_job)));
	if (!out.claimed || !out.recorded)
		elog(ERROR, "workflow_ext: the transfer of candidate " INT64_FORMAT " was not recorded",
			 candidate_id);

	/* the new row: the guard fills the workflow, the first stage when none is given */
	args[0] = Int64GetDatum(to_job);
	args[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (run_with_frame(&in, psprintf("INSERT INTO %s AS c (job_id, candidate_id, tenant, stage_id) "
									 "VALUES ($1, $2, $3, $4) RETURNING c.*",
									 wf_qualified(schema, "candidate_stage")),
					   4, args, nulls) != 1 || !in.claimed || !in.recorded)
		elog(ERROR, "workflow_ext: the entry of candidate " INT64_FORMAT " into job " INT64_FORMAT
			 " was not recorded", candidate_id, to_job);
	result = PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc));
	SPI_finish();
	PG_RETURN_DATUM(result);
}
