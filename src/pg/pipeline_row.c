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

WfPipelineColumns
wf_pipeline_columns(TupleDesc desc)
{
	WfPipelineColumns c;

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
	return c;
}

static int64
get_int8(HeapTuple t, TupleDesc desc, int col, bool *present)
{
	bool		isnull;
	Datum		d = heap_getattr(t, col, desc, &isnull);

	*present = !isnull;
	return isnull ? 0 : DatumGetInt64(d);
}

WfPipelineRow
wf_pipeline_read(HeapTuple t, TupleDesc desc, const WfPipelineColumns *c)
{
	WfPipelineRow row;
	bool		isnull;
	Datum		d;

	row.job_id = get_int8(t, desc, c->job_id, &row.has_job);
	row.candidate_id = get_int8(t, desc, c->candidate_id, &row.has_candidate);
	row.workflow_id = get_int8(t, desc, c->workflow_id, &row.has_workflow);
	row.stage_id = get_int8(t, desc, c->stage_id, &row.has_stage);
	row.transition_id = get_int8(t, desc, c->transition_id, &row.has_transition);
	row.visit_transition_id = get_int8(t, desc, c->visit_transition_id, &row.has_visit);
	d = heap_getattr(t, c->status, desc, &isnull);
	row.status = isnull ? NULL : TextDatumGetCString(d);
	d = heap_getattr(t, c->tenant, desc, &isnull);
	row.tenant = isnull ? NULL : TextDatumGetCString(d);
	d = heap_getattr(t, c->attributes, desc, &isnull);
	row.attributes = isnull ? NULL : DatumGetJsonbP(d);
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
