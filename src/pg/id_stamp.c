/*
 * id_stamp.c - the ids of the extension's tables are the engine's.
 *
 * The id sequences are shared by every tenant, so an id chosen by a caller
 * ahead of its sequence would make every tenant's later inserts fail with
 * 23505.  The id columns therefore have no default: a BEFORE INSERT trigger
 * draws the id from the table's sequence (no privilege on the sequence is
 * needed, so the application role gets none and cannot count everyone's
 * rows with nextval), and refuses an id the statement gives (428C9, as
 * PostgreSQL refuses a value for a GENERATED ALWAYS column, but with no
 * OVERRIDING SYSTEM VALUE and for COPY too).  The same trigger refuses an
 * UPDATE of the id.  A restore (rights.c) keeps the dumped ids.
 * stage_transition and alert_event get their ids from the C code that writes
 * them (history_write_guard admits only those).
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(wf_stamp_id);

static void
refuse(Relation rel, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("the id of %s is assigned by workflow_ext: %s",
					RelationGetRelationName(rel), what),
			 errdetail_reason("id_assigned", "\"table\": \"%s\"", RelationGetRelationName(rel)),
			 errhint("Leave id out of the INSERT (or write DEFAULT) and read it back with RETURNING id.")));
}

Datum
wf_stamp_id(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Relation	rel;
	TupleDesc	desc;
	int			col;
	bool		isnull;
	Datum		id;
	Oid			seq;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("stamp_id() must be a BEFORE INSERT OR UPDATE row trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	rel = td->tg_relation;
	desc = rel->rd_att;
	seq = get_relname_relid(psprintf("%s_id_seq", RelationGetRelationName(rel)), schema);
	if (RelationGetNamespace(rel) != schema || !OidIsValid(seq))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("stamp_id() fires only on workflow_ext's tables, not on \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail_reason("trigger_protocol", NULL)));
	col = SPI_fnumber(desc, "id");
	if (col <= 0)
		elog(ERROR, "workflow_ext: table %s has no id", RelationGetRelationName(rel));

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		bool		old_null;
		Datum		old = heap_getattr(td->tg_trigtuple, col, desc, &old_null);

		id = heap_getattr(td->tg_newtuple, col, desc, &isnull);
		if (isnull != old_null || (!isnull && DatumGetInt64(id) != DatumGetInt64(old)))
			refuse(rel, "it cannot change");
		return PointerGetDatum(td->tg_newtuple);
	}

	(void) heap_getattr(td->tg_trigtuple, col, desc, &isnull);
	if (wf_restoring())
		return PointerGetDatum(td->tg_trigtuple);
	if (!isnull)
		refuse(rel, "an INSERT or COPY cannot give one");
	{
		int			cols[1] = {col};
		Datum		values[1] = {Int64GetDatum(nextval_internal(seq, false))};
		bool		nulls[1] = {false};

		return PointerGetDatum(heap_modify_tuple_by_cols(td->tg_trigtuple, desc, 1, cols, values, nulls));
	}
}
