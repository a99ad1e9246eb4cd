/*
 * pipeline_row.c - reading candidate_stage rows in the triggers, and the
 * pieces every change of the pipeline shares.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pipeline.h"

/* The pipeline triggers fire on the extension's candidate_stage only. */
void
wf_require_pipeline_table(Relation rel, Oid schema, const char *function)
{
	if (!wf_is_extension_table(RelationGetRelid(rel), schema, "candidate_stage"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() fires only on workflow_ext's candidate_stage, not on \"%s\"",
						function, RelationGetRelationName(rel)),
				 errdetail_reason("trigger_protocol", NULL)));
}

static int
column(TupleDesc desc, const char *name)
{
	int			n = SPI_fnumber(desc, name);

	if (n <= 0)
		elog(ERROR, "workflow_ext: candidate_stage has no column \"%s\"", name);
	return n;
}

/* The column at n of desc is a live one named name. */
static bool
column_at(TupleDesc desc, int n, const char *name)
{
	Form_pg_attribute att;

	if (n <= 0 || n > desc->natts)
		return false;
	att = TupleDescAttr(desc, n - 1);
	return !att->attisdropped && strcmp(NameStr(att->attname), name) == 0;
}

/*
 * The column numbers, as SPI_fnumber finds them (the live column of each
 * name: names are unique).  The last ones found are given again while desc
 * has each name at its number (a check by position, not a search: the
 * triggers ask for every row).
 */
WfPipelineColumns
wf_pipeline_columns(TupleDesc desc)
{
	static WfPipelineColumns last;
	static bool have_last = false;
	WfPipelineColumns c;

	if (have_last &&
		column_at(desc, last.job_id, "job_id") && column_at(desc, last.candidate_id, "candidate_id") &&
		column_at(desc, last.workflow_id, "workflow_id") && column_at(desc, last.stage_id, "stage_id") &&
		column_at(desc, last.status, "status") && column_at(desc, last.entered_at, "entered_at") &&
		column_at(desc, last.transition_id, "transition_id") &&
		column_at(desc, last.visit_transition_id, "visit_transition_id") &&
		column_at(desc, last.added_by, "added_by") && column_at(desc, last.tenant, "tenant") &&
		column_at(desc, last.attributes, "attributes"))
		return last;
	c.job_id = column(desc, "job_id");
	c.candidate_id = column(desc, "candidate_id");
	c.workflow_id = column(desc, "workflow_id");
	c.stage_id = column(desc, "stage_id");
	c.status = column(desc, "status");
	c.entered_at = column(desc, "entered_at");
	c.transition_id = column(desc, "transition_id");
	c.visit_transition_id = column(desc, "visit_transition_id");
	c.added_by = column(desc, "added_by");
	c.tenant = column(desc, "tenant");
	c.attributes = column(desc, "attributes");
	last = c;
	have_last = true;
	return c;
}

static int64
get_int8(const Datum *values, const bool *nulls, int col, bool *present)
{
	*present = !nulls[col - 1];
	return nulls[col - 1] ? 0 : DatumGetInt64(values[col - 1]);
}

/* The row's values (the tuple deformed once: the columns after its text ones have no cached offset). */
WfPipelineRow
wf_pipeline_read(HeapTuple t, TupleDesc desc, const WfPipelineColumns *c)
{
	WfPipelineRow row;
	Datum		values_here[32];
	bool		nulls_here[32];
	Datum	   *values = desc->natts <= 32 ? values_here : palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = desc->natts <= 32 ? nulls_here : palloc(sizeof(bool) * desc->natts);

	heap_deform_tuple(t, desc, values, nulls);
	row.job_id = get_int8(values, nulls, c->job_id, &row.has_job);
	row.candidate_id = get_int8(values, nulls, c->candidate_id, &row.has_candidate);
	row.workflow_id = get_int8(values, nulls, c->workflow_id, &row.has_workflow);
	row.stage_id = get_int8(values, nulls, c->stage_id, &row.has_stage);
	row.transition_id = get_int8(values, nulls, c->transition_id, &row.has_transition);
	row.visit_transition_id = get_int8(values, nulls, c->visit_transition_id, &row.has_visit);
	row.status = nulls[c->status - 1] ? NULL : TextDatumGetCString(values[c->status - 1]);
	row.tenant = nulls[c->tenant - 1] ? NULL : TextDatumGetCString(values[c->tenant - 1]);
	row.attributes = nulls[c->attributes - 1] ? NULL : DatumGetJsonbP(values[c->attributes - 1]);
	if (values != values_here)
	{
		pfree(values);
		pfree(nulls);
	}
	return row;
}

/* A new transition id; the sequence is the extension's, no privilege needed. */
int64
wf_next_transition_id(Oid schema)
{
	Oid			seq = get_relname_relid("stage_transition_id_seq", schema);

	if (!OidIsValid(seq))
		elog(ERROR, "workflow_ext: sequence stage_transition_id_seq is missing");
	return nextval_internal(seq, false);
}

/*
 * job_tenant(job_id), or pipeline_tenant(job_id, candidate_id) when
 * has_candidate: whose job (pipeline row) the ids name for the caller, or
 * NULL; in the caller's memory context.  Run with the caller's rights.
 */
char *
wf_resolve_tenant(Oid schema, int64 job_id, bool has_candidate, int64 candidate_id)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2] = {Int64GetDatum(job_id), Int64GetDatum(candidate_id)};
	MemoryContext caller = CurrentMemoryContext;
	char	   *tenant = NULL;

	SPI_connect();
	if (SPI_execute_with_args(has_candidate
							  ? psprintf("SELECT %s($1, $2)", wf_qualified(schema, "pipeline_tenant"))
							  : psprintf("SELECT %s($1)", wf_qualified(schema, "job_tenant")),
							  has_candidate ? 2 : 1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not resolve job " INT64_FORMAT, job_id);
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		tenant = v ? MemoryContextStrdup(caller, v) : NULL;
	}
	SPI_finish();
	return tenant;
}

/* The tenant of the job job_id names for the caller, or P0002 job_not_found naming the job. */
const char *
wf_visible_job_tenant(Oid schema, int64 job_id)
{
	const char *tenant = wf_resolve_tenant(schema, job_id, false, 0);

	if (tenant == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job " INT64_FORMAT " not found", job_id),
				 errdetail_reason("job_not_found", "\"job_id\": " INT64_FORMAT, job_id)));
	return tenant;
}
