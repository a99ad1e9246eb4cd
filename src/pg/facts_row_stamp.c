/*
 * facts_row_stamp.c - the BEFORE row triggers of the facts tables
 * (candidate_profile, job_profile), one C function for both: stamp_tenant
 * gives an INSERT the acting tenant (a restore keeps the dumped one) and
 * keeps the row's tenant on UPDATE (42501 tenant_immutable);
 * <table>_touch, the function called with the argument 'updated_at', stamps
 * updated_at with the transaction's time on UPDATE.  Two triggers, named as
 * before, so that an owner's own BEFORE trigger fires where it fired
 * between them (name order).
 *
 * The definition tables keep stamp_tenant() and touch_updated_at() in
 * PL/pgSQL; the facts tables are written in bulk (an import, a sync from an
 * ATS), where those two triggers and their SET search_path were a fifth of
 * an UPDATE of 100,000 profiles.  Nothing here runs user-definable code:
 * the tenant comes from the settings (actor.c), the comparison is of bytes
 * (text under the database's deterministic default collation, as IS
 * DISTINCT FROM compared it).
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(wf_stamp_facts_row);

/* What a trigger's calls keep (fn_extra): the table checked and its columns. */
typedef struct StampColumns
{
	Oid			relid;
	int			tenant;
	int			updated_at;
	int			id;
} StampColumns;

static int
column(Relation rel, const char *name)
{
	AttrNumber	n = get_attnum(RelationGetRelid(rel), name);

	if (n <= 0)
		elog(ERROR, "workflow_ext: column \"%s\" of \"%s\" is missing", name, RelationGetRelationName(rel));
	return n;
}

/* The table's columns, after checking that it is one of the extension's facts tables. */
static const StampColumns *
stamp_columns(FunctionCallInfo fcinfo, Relation rel)
{
	StampColumns *cols = (StampColumns *) fcinfo->flinfo->fn_extra;

	if (cols != NULL && cols->relid == RelationGetRelid(rel))
		return cols;
	if (get_rel_namespace(RelationGetRelid(rel)) != get_func_namespace(fcinfo->flinfo->fn_oid) ||
		(strcmp(RelationGetRelationName(rel), "candidate_profile") != 0 &&
		 strcmp(RelationGetRelationName(rel), "job_profile") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("stamp_facts_row() fires only on workflow_ext's facts tables"),
				 errdetail_reason("trigger_protocol", NULL)));
	if (cols == NULL)
		cols = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(StampColumns));
	cols->relid = InvalidOid;
	cols->tenant = column(rel, "tenant");
	cols->updated_at = column(rel, "updated_at");
	cols->id = column(rel, "id");
	cols->relid = RelationGetRelid(rel);
	fcinfo->flinfo->fn_extra = cols;
	return cols;
}

Datum
wf_stamp_facts_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	const StampColumns *columns;
	Datum		value;
	bool		isnull;
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BEFORE(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) || td->tg_trigger->tgnargs > 1 ||
		(td->tg_trigger->tgnargs == 1 &&
		 (strcmp(td->tg_trigger->tgargs[0], "updated_at") != 0 || !TRIGGER_FIRED_BY_UPDATE(td->tg_event))))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("stamp_facts_row() must be a BEFORE INSERT OR UPDATE row trigger, or BEFORE UPDATE with the argument 'updated_at'"),
				 errdetail_reason("trigger_protocol", NULL)));
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	columns = stamp_columns(fcinfo, rel);

	if (td->tg_trigger->tgnargs == 1)
	{
		cols[0] = columns->updated_at;
		values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		return PointerGetDatum(heap_modify_tuple_by_cols(td->tg_newtuple, desc, 1, cols, values, nulls));
	}

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		if (wf_restoring())
			return PointerGetDatum(td->tg_trigtuple);
		cols[0] = columns->tenant;
		values[0] = CStringGetTextDatum(wf_tenant());
		return PointerGetDatum(heap_modify_tuple_by_cols(td->tg_trigtuple, desc, 1, cols, values, nulls));
	}

	/* UPDATE: the tenant stays */
	{
		Datum		old_tenant = heap_getattr(td->tg_trigtuple, columns->tenant, desc, &isnull);
		bool		old_null = isnull;

		value = heap_getattr(td->tg_newtuple, columns->tenant, desc, &isnull);
		if (old_null != isnull ||
			(!isnull && !datum_image_eq(old_tenant, value, false, -1)))
		{
			Datum		id = heap_getattr(td->tg_trigtuple, columns->id, desc, &isnull);

			/* (the DETAIL as stamp_tenant() writes it for the other tables, in jsonb's key order) */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the tenant of %s " INT64_FORMAT " cannot change",
							RelationGetRelationName(rel), isnull ? 0 : DatumGetInt64(id)),
					 errdetail("{\"id\": " INT64_FORMAT ", \"table\": \"%s\", \"reason\": \"tenant_immutable\"}",
							   isnull ? 0 : DatumGetInt64(id), RelationGetRelationName(rel)),
					 errhint("A row belongs to the tenant that created it.")));
		}
	}
	return PointerGetDatum(td->tg_newtuple);
}
