/*
 * pipeline_guard.c - the BEFORE trigger on candidate_stage: every insert and
 * update of a pipeline row, from a move function or an ORM's plain statement,
 * is checked here and stamped with a new transition id.
 *
 * Insert: fill the job's workflow and first stage, evaluate that stage's rule.
 * Update: a move (stage_id changes) or a status change, never both; the row's
 * job, candidate and workflow never change; transition_id is the optimistic
 * lock (a stale value written back is refused with 40001).  A move function's
 * request (move_context.c) is resolved against the row as this trigger finds
 * it, locked.  Runs with the caller's rights: row-level security decides
 * which jobs and stages the caller can use.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pipeline.h"

PG_FUNCTION_INFO_V1(wf_candidate_stage_guard);

/* One int8 result of a query with int8 arguments, run with the caller's rights. */
static bool
query_int8(const char *sql, int nargs, int64 a1, int64 a2, int64 *out)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2] = {Int64GetDatum(a1), Int64GetDatum(a2)};
	bool		found = false;

	SPI_connect();
	if (SPI_execute_with_args(sql, nargs, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: query failed: %s", sql);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		found = !isnull;
		if (found)
			*out = DatumGetInt64(d);
	}
	SPI_finish();
	return found;
}

static const WfStage *
stage_in_workflow(Oid schema, int64 stage_id, const WfPipelineRow *row)
{
	const WfStage *stage = wf_stage_lookup(schema, stage_id);

	if (stage == NULL || stage->workflow_id != row->workflow_id)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("stage " INT64_FORMAT " is not a stage of workflow " INT64_FORMAT
						" (job " INT64_FORMAT ")", stage_id, row->workflow_id, row->job_id),
				 errdetail_reason("stage_not_found", "\"stage_id\": " INT64_FORMAT ", \"workflow_id\": " INT64_FORMAT
								  ", \"job_id\": " INT64_FORMAT, stage_id, row->workflow_id, row->job_id)));
	return stage;
}

/*
 * Retired definitions take no new entrants (55000): a stage or workflow that
 * is archived is never entered, nor skipped over in its place.  Leaving one is
 * allowed, as are status changes of those who stand in it.
 */
static void
check_not_archived(const WfStage *stage, const WfPipelineRow *row, bool entering_job,
				   bool stage_named)
{
	if (entering_job && stage->workflow_archived)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workflow " INT64_FORMAT " of job " INT64_FORMAT
						" is archived; candidate " INT64_FORMAT " cannot enter it",
						stage->workflow_id, row->job_id, row->candidate_id),
				 errdetail_reason("workflow_archived", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"workflow_id\": " INT64_FORMAT,
								  row->candidate_id, row->job_id, stage->workflow_id),
				 errhint("Unarchive it with unarchive_workflow(); a job without candidates may instead be "
						 "assigned another workflow with assign_workflow().")));
	if (stage->archived)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stage \"%s\" (" INT64_FORMAT ") is archived; candidate " INT64_FORMAT
						" in job " INT64_FORMAT " cannot enter it",
						stage->name, stage->id, row->candidate_id, row->job_id),
				 errdetail_reason("stage_archived", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"stage_id\": " INT64_FORMAT,
								  row->candidate_id, row->job_id, stage->id),
				 errhint("%s", !entering_job
						 ? "Move the candidate to another stage with move_to_stage(), or unarchive it with unarchive_stage()."
						 : stage_named
						 ? "Name another stage of the job's workflow (transfer_candidate()'s to_stage_id, an INSERT's stage_id), or unarchive it with unarchive_stage()."
						 : "Unarchive it with unarchive_stage(): a candidate enters a job in its first stage.")));
}

/*
 * The candidate is about to enter stage: a blocking rule that fails refuses
 * with 23514 and the failed leaves in DETAIL.  (A warning rule is evaluated
 * by the AFTER trigger, which records its warnings and alerts.)
 */
static void
check_blocking_rule(Oid schema, const WfStage *stage, const WfPipelineRow *row)
{
	char	   *failed;
	char	   *redacted;
	bool		other_tenant;
	WfFacts		facts;

	if (!stage->has_rule || !stage->rule_blocks)
		return;
	wf_facts_for_row(&facts, schema, row);
	if (wf_rule_holds(stage, &facts, &failed))
		return;
	/* A mover of another tenant (an agency) learns no fact of this one; the server log none at all. */
	redacted = JsonbToCString(NULL, &wf_redact_leaves(wf_json_text_to_jsonb(failed))->root, 0);
	other_tenant = strcmp(row->tenant, wf_tenant()) != 0;
	if (other_tenant)
		failed = redacted;
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("rule \"%s\" of stage \"%s\" blocks candidate " INT64_FORMAT
					" in job " INT64_FORMAT, stage->rule_name, stage->name,
					row->candidate_id, row->job_id),
			 errdetail_reason("rule_blocked", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
							  ", \"stage_id\": " INT64_FORMAT ", \"failed\": %s",
							  row->candidate_id, row->job_id, stage->id, failed),
			 errdetail_log("{\"reason\": \"rule_blocked\", \"candidate_id\": " INT64_FORMAT
						   ", \"job_id\": " INT64_FORMAT ", \"stage_id\": " INT64_FORMAT ", \"failed\": %s}",
						   row->candidate_id, row->job_id, stage->id, redacted),
			 errhint("%s", other_tenant
					 ? "The DETAIL's \"failed\" lists each failed leaf, without the facts: they are the job's tenant's."
					 : "The DETAIL's \"failed\" lists each failed leaf; evaluate_condition() explains the rule.")));
}

/* Sets the transition columns (and entered_at and status when given). */
static HeapTuple
stamp(HeapTuple tuple, TupleDesc desc, const WfPipelineColumns *c, int64 transition_id,
	  bool entering, const char *status)
{
	int			cols[4];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int			n = 0;

	cols[n] = c->transition_id;
	values[n++] = Int64GetDatum(transition_id);
	if (entering)
	{
		cols[n] = c->visit_transition_id;
		values[n++] = Int64GetDatum(transition_id);
		cols[n] = c->entered_at;
		values[n++] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	}
	if (status)
	{
		cols[n] = c->status;
		values[n++] = CStringGetTextDatum(status);
	}
	return heap_modify_tuple_by_cols(tuple, desc, n, cols, values, nulls);
}

static void
not_active(const WfPipelineRow *row)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is %s, not active",
					row->candidate_id, row->job_id, row->status),
			 errdetail_reason("not_active", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
							  ", \"status\": %s",
							  row->candidate_id, row->job_id, wf_json_string(row->status))));
}

/*
 * A pipeline row restored from a dump keeps its history: only a restore
 * (rights.c) may bring one, and its history must say it stands where it does.
 */
static HeapTuple
guard_restore(Oid schema, HeapTuple tuple, const WfPipelineRow *row)
{
	int64		found;
	char	   *sql;

	if (!wf_restoring())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("transition_id of candidate_stage is set by workflow_ext"),
				 errdetail_reason("transition_columns", NULL),
				 errhint("Insert (job_id, candidate_id) only, or call add_candidate(); only a superuser "
						 "restoring a dump (COPY) brings a pipeline row with its history.")));
	sql = psprintf("SELECT t.id FROM %s t WHERE t.id OPERATOR(pg_catalog.=) $1 "
				   "AND t.candidate_id OPERATOR(pg_catalog.=) $2 "
				   "AND t.job_id OPERATOR(pg_catalog.=) " INT64_FORMAT
				   " AND t.workflow_id OPERATOR(pg_catalog.=) " INT64_FORMAT
				   " AND t.to_stage_id OPERATOR(pg_catalog.=) " INT64_FORMAT
				   " AND t.to_status OPERATOR(pg_catalog.=) %s"
				   " AND t.tenant OPERATOR(pg_catalog.=) %s",
				   wf_qualified(schema, "stage_transition"), row->job_id, row->workflow_id,
				   row->stage_id, quote_literal_cstr(row->status ? row->status : ""),
				   quote_literal_cstr(row->tenant ? row->tenant : ""));
	if (!row->has_workflow || !row->has_stage || !row->has_visit ||
		!query_int8(sql, 2, row->transition_id, row->candidate_id, &found))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("restored pipeline row of candidate " INT64_FORMAT " in job " INT64_FORMAT
						" does not match its history", row->candidate_id, row->job_id),
				 errdetail_reason("restore_mismatch", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"transition_id\": " INT64_FORMAT,
								  row->candidate_id, row->job_id, row->transition_id),
				 errhint("stage_transition " INT64_FORMAT " must exist for the same job, candidate, "
						 "workflow, stage and status.", row->transition_id)));
	return tuple;
}

/* The workflow of row's job in row's tenant, as the caller sees it. */
static bool
job_workflow_of(Oid schema, WfPipelineRow *row)
{
	return query_int8(psprintf("SELECT j.workflow_id FROM %s j WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
							   "AND j.tenant OPERATOR(pg_catalog.=) %s",
							   wf_qualified(schema, "job_workflow"), quote_literal_cstr(row->tenant)),
					  1, row->job_id, 0, &row->workflow_id);
}

/* job_tenant(job_id): whose job the id names for the caller, or NULL. */
static const char *
job_tenant_of(Oid schema, int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(job_id)};
	MemoryContext caller = CurrentMemoryContext;
	char	   *tenant = NULL;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT %s($1)", wf_qualified(schema, "job_tenant")),
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not resolve job " INT64_FORMAT, job_id);
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		tenant = v ? MemoryContextStrdup(caller, v) : NULL;
	}
	SPI_finish();
	return tenant;
}

static HeapTuple
guard_insert(Oid schema, TriggerData *td, const WfPipelineColumns *c)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	HeapTuple	tuple = td->tg_trigtuple;
	WfPipelineRow row = wf_pipeline_read(tuple, desc, c);
	const WfStage *stage;
	int64		transition_id;
	int64		existing_stage;
	int64		given_workflow;
	bool		stage_named;
	WfChangeFrame *frame;

	if (!row.has_job || !row.has_candidate)
		return tuple;			/* NOT NULL reports it */
	if (row.has_transition || row.has_visit)
		return guard_restore(schema, tuple, &row);
	if (row.status != NULL && strcmp(row.status, "active") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("candidate " INT64_FORMAT " enters job " INT64_FORMAT
						" as active, not %s", row.candidate_id, row.job_id, row.status),
				 errdetail_reason("invalid_status", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"status\": %s",
								  row.candidate_id, row.job_id, wf_json_string(row.status))));

	given_workflow = row.workflow_id;

	/*
	 * The job's workflow as the caller sees it: an invisible job is not
	 * found.  The row is the job's tenant's, whatever the statement said: the
	 * caller's own, or that of a job shared with it (job_tenant()).
	 */
	row.tenant = wf_tenant();
	if (!job_workflow_of(schema, &row))
	{
		row.tenant = job_tenant_of(schema, row.job_id);
		if (row.tenant == NULL || !job_workflow_of(schema, &row))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("job " INT64_FORMAT " not found", row.job_id),
					 errdetail_reason("job_not_found", "\"job_id\": " INT64_FORMAT, row.job_id),
					 errhint("Assign a workflow to the job with assign_workflow().")));
	}
	{
		int			cols[1] = {c->tenant};
		Datum		values[1] = {CStringGetTextDatum(row.tenant)};
		bool		nulls[1] = {false};

		tuple = heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
	}

	/*
	 * Only the job's own tenant enters candidates into its jobs: candidate
	 * ids are the job's tenant's, so a grantee of another tenant (an agency,
	 * read-only or with can_edit) entering one would run the tenant's rules
	 * and alerts on a candidate it was never shown, and read its facts through
	 * them.  Refused before anything about the candidate is looked at (its
	 * row in the job, its facts, the first stage's rule), the same for every
	 * candidate id; the agency runs its own jobs on the workflow instead.
	 */
	if (strcmp(row.tenant, wf_tenant()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("job " INT64_FORMAT " is another organization's; candidate " INT64_FORMAT
						" cannot be entered into it", row.job_id, row.candidate_id),
				 errdetail_reason("other_tenant_job", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  row.candidate_id, row.job_id),
				 errhint("Only the job's organization enters candidates into its jobs; run a job of your own "
						 "on the shared workflow (assign_workflow()) and add your candidates there.")));
	if (row.has_workflow && given_workflow != row.workflow_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("job " INT64_FORMAT " follows workflow " INT64_FORMAT ", not the one given",
						row.job_id, row.workflow_id),
				 errdetail_reason("workflow_mismatch", "\"job_id\": " INT64_FORMAT ", \"workflow_id\": " INT64_FORMAT,
								  row.job_id, row.workflow_id)));
	row.has_workflow = true;

	/*
	 * Already in the job: leave the row to the unique key (23505, or nothing
	 * for INSERT ... ON CONFLICT DO NOTHING; ON CONFLICT DO UPDATE is then a
	 * checked move to the stage given); no rule is evaluated for a row that
	 * will not be inserted.  The row gets no transition: if it is inserted
	 * after all (the other row was deleted meanwhile), the AFTER trigger
	 * refuses it.
	 */
	if (query_int8(psprintf("SELECT c.stage_id FROM %s c WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
							"AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
							"AND c.tenant OPERATOR(pg_catalog.=) %s",
							wf_qualified(schema, "candidate_stage"), quote_literal_cstr(row.tenant)),
				   2, row.job_id, row.candidate_id, &existing_stage))
	{
		int			cols[2] = {c->workflow_id, c->stage_id};
		Datum		values[2] = {Int64GetDatum(row.workflow_id),
		Int64GetDatum(row.has_stage ? row.stage_id : existing_stage)};
		bool		nulls[2] = {false, false};

		return heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls);
	}

	/*
	 * Ordered with an erase_candidate() of the candidate (erasure.c): taken
	 * before the candidate's facts are read (the entered stage's rule here,
	 * its warnings and alerts after) and held to the end of the transaction.
	 * An erasure in progress is waited for, and its deleted profile is then
	 * not found (the facts are read under the latest snapshot); an erasure
	 * that begins now waits for this entry to commit, then erases its row
	 * and history as well.  Not for a row already in the job (above: no
	 * facts read, no transition; an upsert's update is a move, which locks
	 * the row, and taking this first would order them the other way round
	 * from the erasure, which locks the rows and then this); should that
	 * row be deleted meanwhile, the AFTER trigger refuses the row inserted
	 * without a transition.
	 */
	wf_lock_candidate_entry(row.tenant, row.candidate_id);

	stage_named = row.has_stage;
	if (!row.has_stage)
	{
		if (!query_int8(psprintf("SELECT s.id FROM %s s WHERE s.workflow_id OPERATOR(pg_catalog.=) $1 "
								 "ORDER BY s.position LIMIT 1",
								 wf_qualified(schema, "workflow_stage")),
						1, row.workflow_id, 0, &row.stage_id))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workflow " INT64_FORMAT " of job " INT64_FORMAT " has no stages",
							row.workflow_id, row.job_id),
					 errdetail_reason("no_stages", "\"workflow_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  row.workflow_id, row.job_id)));
		row.has_stage = true;
	}
	stage = stage_in_workflow(schema, row.stage_id, &row);
	check_not_archived(stage, &row, true, stage_named);
	check_blocking_rule(schema, stage, &row);
	transition_id = wf_next_transition_id(schema);
	/* transfer_candidate()'s entry: the AFTER trigger records where it came from */
	frame = wf_change_claim_as(row.job_id, row.candidate_id, WF_CHANGE_ENTER);
	if (frame != NULL)
	{
		frame->has_transition = true;
		frame->transition_id = transition_id;
	}
	{
		/* added_by is who adds, whatever the statement said: it records who brought the candidate into the job */
		int			cols[3] = {c->workflow_id, c->stage_id, c->added_by};
		Datum		values[3] = {Int64GetDatum(row.workflow_id), Int64GetDatum(row.stage_id),
		CStringGetTextDatum(wf_actor())};
		bool		nulls[3] = {false, false, false};

		tuple = heap_modify_tuple_by_cols(tuple, desc, 3, cols, values, nulls);
	}
	return stamp(tuple, desc, c, transition_id, true, stage->hired ? "hired" : "active");
}

static bool
is_closed(const char *status)
{
	return strcmp(status, "rejected") == 0 || strcmp(status, "withdrawn") == 0;
}

static bool
same_id(bool has_a, int64 a, bool has_b, int64 b)
{
	return has_a == has_b && (!has_a || a == b);
}

/* Does text column col hold the same value in both tuples? */
static bool
same_text(HeapTuple a, HeapTuple b, TupleDesc desc, int col)
{
	bool		null_a;
	bool		null_b;
	Datum		da = heap_getattr(a, col, desc, &null_a);
	Datum		db = heap_getattr(b, col, desc, &null_b);

	if (null_a || null_b)
		return null_a == null_b;
	return DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, da, db));
}

/* transition_id and visit_transition_id are the extension's: refuse other values. */
static void
check_transition_columns(const WfPipelineRow *old, const WfPipelineRow *new)
{
	if (same_id(old->has_transition, old->transition_id, new->has_transition, new->transition_id) &&
		same_id(old->has_visit, old->visit_transition_id, new->has_visit, new->visit_transition_id))
		return;
	if (old->has_transition && new->has_transition && new->transition_id < old->transition_id)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " changed since it was read",
						old->candidate_id, old->job_id),
				 errdetail_reason("stale_transition", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"transition_id\": " INT64_FORMAT
								  ", \"current_transition_id\": " INT64_FORMAT,
								  old->candidate_id, old->job_id, new->transition_id, old->transition_id),
				 errhint("transition_id is the optimistic lock of candidate_stage: read the row again "
						 "and retry, or leave transition_id out of the UPDATE.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("transition_id and visit_transition_id of candidate_stage are set by workflow_ext"),
			 errdetail_reason("transition_columns", NULL),
			 errhint("Leave them out of the UPDATE, or write back the values read.")));
}

/*
 * An application's facts are its tenant's: a grantee of another tenant (an
 * agency) sees the pipeline row but may not change what the tenant's rules
 * read (42501).  A full-row save writing back what it read is no change.
 */
static void
check_application_facts_writer(const WfPipelineRow *old, TriggerData *td, TupleDesc desc,
							   const WfPipelineColumns *c)
{
	bool		null_old;
	bool		null_new;
	Datum		a = heap_getattr(td->tg_trigtuple, c->attributes, desc, &null_old);
	Datum		b = heap_getattr(td->tg_newtuple, c->attributes, desc, &null_new);

	if (old->tenant == NULL || strcmp(old->tenant, wf_tenant()) == 0)
		return;
	if (null_old == null_new &&
		(null_old || DatumGetBool(DirectFunctionCall2(jsonb_eq, a, b))))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("the application facts of candidate " INT64_FORMAT " in job " INT64_FORMAT
					" are tenant %s's", old->candidate_id, old->job_id, old->tenant),
			 errdetail_reason("other_tenant_facts", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
							  old->candidate_id, old->job_id),
			 errhint("A workflow shared across tenants opens its pipelines, not the facts its rules read.")));
}

/*
 * A rejection or withdrawal names a code of the row's tenant's catalogue
 * (rejection_reason, read with the caller's rights: another tenant's codes
 * are unknown), active and of that kind; a workflow with
 * requires_reason_code needs one.  code: the function's (given) or
 * workflow_ext.reason_code's, which a plain UPDATE that is no rejection
 * ignores.  Shared with pipeline_record.c, which records what passed here.
 */
bool
wf_status_takes_reason_code(const char *status)
{
	return status != NULL && (strcmp(status, "rejected") == 0 || strcmp(status, "withdrawn") == 0);
}

static void
check_reason_code(Oid schema, const WfPipelineRow *old, const char *status, const char *code,
				  bool given)
{
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		known = false;
	bool		required = false;
	bool		isnull;
	Datum		d;

	if (!wf_status_takes_reason_code(status) && !(given && code != NULL))
		return;
	args[0] = CStringGetTextDatum(old->tenant);
	args[1] = CStringGetTextDatum(status);
	args[2] = code ? CStringGetTextDatum(code) : (Datum) 0;
	if (code == NULL)
		nulls[2] = 'n';
	args[3] = Int64GetDatum(old->workflow_id);
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT EXISTS (SELECT 1 FROM %s r WHERE r.tenant OPERATOR(pg_catalog.=) $1 "
									   "AND r.kind OPERATOR(pg_catalog.=) $2 AND r.code OPERATOR(pg_catalog.=) $3 "
									   "AND r.active), "
									   "(SELECT w.requires_reason_code FROM %s w WHERE w.id OPERATOR(pg_catalog.=) $4)",
									   wf_qualified(schema, "rejection_reason"), wf_qualified(schema, "workflow")),
							  4, types, args, nulls, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "workflow_ext: could not read the rejection reasons");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	known = !isnull && DatumGetBool(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	required = !isnull && DatumGetBool(d);
	SPI_finish();
	if (code != NULL && !known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason code \"%s\" is not an active code for %s candidates", code, status),
				 errdetail_reason("unknown_reason_code", "\"code\": %s, \"kind\": %s",
								  wf_json_string(code), wf_json_string(status)),
				 errhint("Add it to rejection_reason (code, label, kind), or use one listed there.")));
	if (code == NULL && required)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workflow " INT64_FORMAT " requires a reason code to mark candidate " INT64_FORMAT
						" in job " INT64_FORMAT " %s", old->workflow_id, old->candidate_id,
						old->job_id, status),
				 errdetail_reason("reason_code_required", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
								  ", \"workflow_id\": " INT64_FORMAT,
								  old->candidate_id, old->job_id, old->workflow_id),
				 errhint("Pass reason_code, or SET LOCAL workflow_ext.reason_code for a plain UPDATE.")));
}

/* A move function's request, resolved against the row as locked now. */
static HeapTuple
apply_request(Oid schema, WfChangeFrame *frame, const WfPipelineRow *old, WfPipelineRow *new,
			  HeapTuple tuple, TupleDesc desc, const WfPipelineColumns *c)
{
	int			cols[1];
	Datum		values[1];
	bool		nulls[1] = {false};

	frame->from_stage_id = old->stage_id;
	/*
	 * A stage's own move is for the visit that asked for it: if that visit is
	 * over (or the candidate no longer active), nothing changes.
	 */
	if (frame->auto_advance &&
		(strcmp(old->status, "active") != 0 || old->stage_id != frame->expected_stage_id ||
		 !old->has_visit || old->visit_transition_id != frame->expected_visit_id))
		return tuple;
	if (frame->kind == WF_CHANGE_TRANSFER_OUT)
	{
		if (strcmp(old->status, "active") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is %s, not active",
							old->candidate_id, old->job_id, old->status),
					 errdetail_reason("not_active", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"status\": %s",
									  old->candidate_id, old->job_id, wf_json_string(old->status)),
					 errhint("%s", strcmp(old->status, "hired") == 0
							  ? "Only an active candidate is transferred; hired is final: add_candidate() adds them to the other job."
							  : strcmp(old->status, "transferred") == 0
							  ? "Only an active candidate is transferred; transferred is final: the candidate is in the other job already."
							  : "Only an active candidate is transferred; reopen_candidate() first.")));
		cols[0] = c->status;
		values[0] = CStringGetTextDatum("transferred");
		new->status = "transferred";
		return heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
	}
	if (frame->kind == WF_CHANGE_STATUS)
	{
		if (strcmp(old->status, frame->status) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is already %s",
							old->candidate_id, old->job_id, old->status),
					 errdetail_reason("status_unchanged", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"status\": %s",
									  old->candidate_id, old->job_id, wf_json_string(old->status))));
		cols[0] = c->status;
		values[0] = CStringGetTextDatum(frame->status);
		new->status = frame->status;
		return heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
	}
	if (strcmp(old->status, "active") != 0)
		not_active(old);
	if (frame->kind == WF_CHANGE_NEXT)
	{
		const WfStage *current = wf_stage_lookup(schema, old->stage_id);

		if (current == NULL || !current->has_next)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is already in the last stage (" INT64_FORMAT ")",
							old->candidate_id, old->job_id, old->stage_id),
					 errdetail_reason("last_stage", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"stage_id\": " INT64_FORMAT,
									  old->candidate_id, old->job_id, old->stage_id)));
		if (frame->has_expected && frame->expected_stage_id != old->stage_id)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT " is in stage "
							INT64_FORMAT ", not in the expected stage " INT64_FORMAT,
							old->candidate_id, old->job_id, old->stage_id,
							frame->expected_stage_id),
					 errdetail_reason("stale_expected_stage", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"stage_id\": " INT64_FORMAT ", \"expected_stage_id\": " INT64_FORMAT,
									  old->candidate_id, old->job_id, old->stage_id, frame->expected_stage_id)));
		new->stage_id = current->next_stage_id;
		/*
		 * The next stage is the committed order's (read under the latest
		 * snapshot, after the row lock was granted).  A transaction whose
		 * snapshot predates that stage cannot move into it: 40001, retry.
		 */
		if (IsolationUsesXactSnapshot() && !wf_stage_in_snapshot(schema, new->stage_id))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize the move of candidate " INT64_FORMAT " in job " INT64_FORMAT
							": its next stage " INT64_FORMAT " was committed after this transaction's snapshot",
							old->candidate_id, old->job_id, new->stage_id),
					 errdetail_reason("stage_order_changed", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"stage_id\": " INT64_FORMAT,
									  old->candidate_id, old->job_id, new->stage_id),
					 errhint("Retry the transaction.")));
		frame->has_to_stage = true;
		frame->to_stage_id = new->stage_id;
	}
	else
	{
		frame->has_to_stage = true;
		frame->to_stage_id = frame->stage_id;
		if (frame->stage_id == old->stage_id)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is already in stage " INT64_FORMAT,
							old->candidate_id, old->job_id, old->stage_id),
					 errdetail_reason("already_in_stage", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
									  ", \"stage_id\": " INT64_FORMAT,
									  old->candidate_id, old->job_id, old->stage_id)));
		new->stage_id = frame->stage_id;
	}
	cols[0] = c->stage_id;
	values[0] = Int64GetDatum(new->stage_id);
	return heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
}

static HeapTuple
guard_update(Oid schema, TriggerData *td, const WfPipelineColumns *c)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	WfPipelineRow old = wf_pipeline_read(td->tg_trigtuple, desc, c);
	WfPipelineRow new = wf_pipeline_read(td->tg_newtuple, desc, c);
	HeapTuple	tuple = td->tg_newtuple;
	WfChangeFrame *frame;
	bool		moved;
	bool		status_changed;
	int64		transition_id;

	if (!same_id(old.has_job, old.job_id, new.has_job, new.job_id) ||
		!same_id(old.has_candidate, old.candidate_id, new.has_candidate, new.candidate_id) ||
		!same_id(old.has_workflow, old.workflow_id, new.has_workflow, new.workflow_id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the job, candidate and workflow of candidate " INT64_FORMAT
						" in job " INT64_FORMAT " cannot change", old.candidate_id, old.job_id),
				 errdetail_reason("key_immutable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  old.candidate_id, old.job_id),
				 errhint("Remove the candidate from the job and add them to the other one.")));
	if (!same_text(td->tg_trigtuple, td->tg_newtuple, desc, c->added_by))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("added_by of candidate " INT64_FORMAT " in job " INT64_FORMAT
						" cannot change", old.candidate_id, old.job_id),
				 errdetail_reason("added_by_immutable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  old.candidate_id, old.job_id),
				 errhint("It records who brought the candidate into the job.")));
	if (!same_text(td->tg_trigtuple, td->tg_newtuple, desc, c->tenant))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the tenant of candidate " INT64_FORMAT " in job " INT64_FORMAT
						" cannot change", old.candidate_id, old.job_id),
				 errdetail_reason("tenant_immutable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  old.candidate_id, old.job_id),
				 errhint("A row belongs to the tenant of its job.")));
	check_transition_columns(&old, &new);
	check_application_facts_writer(&old, td, desc, c);
	if (new.status == NULL || !new.has_stage)
		return tuple;			/* NOT NULL reports it */

	frame = wf_change_claim(old.job_id, old.candidate_id);
	if (frame != NULL)
		tuple = apply_request(schema, frame, &old, &new, tuple, desc, c);

	moved = new.stage_id != old.stage_id;
	status_changed = strcmp(new.status, old.status) != 0;
	if (!moved && !status_changed)
	{
		/* Not a change: entered_at stays as the history says. */
		bool		isnull;
		Datum		entered = heap_getattr(td->tg_trigtuple, c->entered_at, desc, &isnull);
		int			cols[1] = {c->entered_at};
		Datum		values[1] = {entered};
		bool		nulls[1] = {isnull};

		return heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
	}
	if (moved)
	{
		const WfStage *stage;

		if (strcmp(old.status, "active") != 0)
			not_active(&old);
		if (status_changed)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("change the stage or the status of candidate " INT64_FORMAT
							" in job " INT64_FORMAT ", not both at once",
							old.candidate_id, old.job_id),
					 errdetail_reason("stage_and_status", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  old.candidate_id, old.job_id)));
		stage = stage_in_workflow(schema, new.stage_id, &new);
		check_not_archived(stage, &new, false, true);
		check_blocking_rule(schema, stage, &new);
		transition_id = wf_next_transition_id(schema);
		tuple = stamp(tuple, desc, c, transition_id, true, stage->hired ? "hired" : NULL);
	}
	else
	{
		/*
		 * A status change: active -> rejected/withdrawn, or back (reopen);
		 * active -> transferred by transfer_candidate() alone, for good.
		 */
		if (strcmp(old.status, "transferred") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" was transferred to another job and cannot be %s",
							old.candidate_id, old.job_id,
							strcmp(new.status, "active") == 0 ? "reopened" : "changed"),
					 errdetail_reason("transferred", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  old.candidate_id, old.job_id),
					 errhint("Add the candidate to this job again with add_candidate() after remove_candidate().")));
		if (strcmp(new.status, "transferred") == 0 &&
			(frame == NULL || frame->kind != WF_CHANGE_TRANSFER_OUT))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is transferred by transfer_candidate(), not by setting the status",
							old.candidate_id, old.job_id),
					 errdetail_reason("transfer_by_function", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  old.candidate_id, old.job_id),
					 errhint("transfer_candidate() records the job the candidate goes to.")));
		if (!is_closed(new.status) && strcmp(new.status, "active") != 0 &&
			strcmp(new.status, "hired") != 0 && strcmp(new.status, "transferred") != 0)
			return tuple;		/* not a status at all: the CHECK constraint reports it */
		if (strcmp(new.status, "hired") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
							" is hired by moving into a hired stage, not by setting the status",
							old.candidate_id, old.job_id),
					 errdetail_reason("hired_by_stage", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
									  old.candidate_id, old.job_id)));
		if (strcmp(old.status, "active") == 0
			? !(is_closed(new.status) || strcmp(new.status, "transferred") == 0)
			: !(is_closed(old.status) && strcmp(new.status, "active") == 0))
		{
			if (strcmp(new.status, "active") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("candidate " INT64_FORMAT " in job " INT64_FORMAT
								" is %s and cannot be reopened", old.candidate_id, old.job_id,
								old.status),
						 errdetail_reason("not_reopenable", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT
										  ", \"status\": %s",
										  old.candidate_id, old.job_id, wf_json_string(old.status)),
						 errhint("Only a rejected or withdrawn candidate is reopened; hired and transferred are final.")));
			not_active(&old);
		}
		check_reason_code(schema, &old, new.status,
						  frame != NULL ? frame->reason_code : wf_reason_code(), frame != NULL);
		transition_id = wf_next_transition_id(schema);
		tuple = stamp(tuple, desc, c, transition_id, false, NULL);
		{
			/* The visit goes on: entered_at stays as the history says. */
			bool		isnull;
			Datum		entered = heap_getattr(td->tg_trigtuple, c->entered_at, desc, &isnull);
			int			cols[1] = {c->entered_at};
			Datum		values[1] = {entered};
			bool		nulls[1] = {isnull};

			tuple = heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls);
		}
	}
	if (frame != NULL)
	{
		frame->has_transition = true;
		frame->transition_id = transition_id;
	}
	return tuple;
}

static Datum
wf_candidate_stage_guard_pinned(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema;
	WfPipelineColumns c;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("candidate_stage_guard() must be a BEFORE INSERT OR UPDATE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	wf_require_pipeline_table(td->tg_relation, schema, "candidate_stage_guard");
	(void) wf_tenant();		/* require_actor and require_tenant */
	c = wf_pipeline_columns(td->tg_relation->rd_att);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		return PointerGetDatum(guard_insert(schema, td, &c));
	return PointerGetDatum(guard_update(schema, td, &c));
}

Datum
wf_candidate_stage_guard(PG_FUNCTION_ARGS)
{
	return WF_STAGES_PINNED(wf_candidate_stage_guard_pinned(fcinfo));
}
