/*
 * definition_triggers.c - triggers on stage_rule and alert: validation of
 * conditions at write time, and invalidation of the compiled-stage caches.
 */
#include "workflow_ext.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/rls.h"

PG_FUNCTION_INFO_V1(wf_stage_rule_validate);
PG_FUNCTION_INFO_V1(wf_alert_validate);
PG_FUNCTION_INFO_V1(wf_invalidate_caches);

static TriggerData *
row_trigger(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BEFORE(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be a BEFORE INSERT OR UPDATE row trigger", name),
				 errdetail_reason("trigger_protocol", NULL)));
	return td;
}

static int
attnum(TupleDesc desc, const char *column)
{
	int			n = SPI_fnumber(desc, column);

	if (n <= 0)
		elog(ERROR, "workflow_ext: column \"%s\" is missing", column);
	return n;
}

Datum
wf_stage_rule_validate(PG_FUNCTION_ARGS)
{
	TriggerData *td = row_trigger(fcinfo, "stage_rule_validate");
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	TupleDesc	desc = td->tg_relation->rd_att;
	bool		isnull;
	Datum		condition;
	char	   *object;

	(void) wf_tenant();		/* require_actor and require_tenant */
	condition = heap_getattr(tuple, attnum(desc, "condition"), desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL reports it */
	{
		Datum		stage = heap_getattr(tuple, attnum(desc, "stage_id"), desc, &isnull);
		Datum		name = heap_getattr(tuple, attnum(desc, "name"), desc, &isnull);

		object = psprintf("condition of rule \"%s\" on stage " INT64_FORMAT,
						  isnull ? "" : TextDatumGetCString(name), DatumGetInt64(stage));
	}
	wf_condition_free(wf_compile_jsonb(DatumGetJsonbP(condition), object));
	return PointerGetDatum(tuple);
}

/* Maps the core's one-leaf path onto the alert's column names. */
static const char *
alert_column(const char *path)
{
	if (strncmp(path, "$.field", 7) == 0)
		return "field_name";
	if (strncmp(path, "$.op", 4) == 0)
		return "operator";
	if (strncmp(path, "$.ignore_case", 13) == 0)
		return "ignore_case";
	return "value";
}

/*
 * An alert that names a rule (rule_id) names a rule of its own stage:
 * alert_rule_fk says so, but only once the row is in, at the end of the
 * statement, whereas the unique key (rule_id, rule_path) is probed as the row
 * goes in, and it answered for a rule of any tenant: 23505 (or a row that
 * ON CONFLICT DO NOTHING left out) for a rule id and leaf path another tenant
 * has, 23503 for ones nobody has, so that a tenant could tell another's rules
 * and the shape of their conditions from its own stages (attack10).  Checked
 * here first, with the caller's rights: the foreign key's own 23503 for a
 * rule that is not the stage's, whether it exists elsewhere or not.
 */
static void
check_alert_rule(Relation rel, HeapTuple tuple, HeapTuple old, TupleDesc desc, int64 stage_id)
{
	bool		isnull;
	Datum		rule = heap_getattr(tuple, attnum(desc, "rule_id"), desc, &isnull);
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	bool		found;

	if (isnull || wf_restoring())
		return;
	if (old != NULL)
	{
		bool		old_null,
					old_stage_null;
		Datum		old_rule = heap_getattr(old, attnum(desc, "rule_id"), desc, &old_null);
		Datum		old_stage = heap_getattr(old, attnum(desc, "stage_id"), desc, &old_stage_null);

		/* an UPDATE that keeps the rule and the stage: nothing new is named */
		if (!old_null && !old_stage_null && DatumGetInt64(old_rule) == DatumGetInt64(rule) &&
			DatumGetInt64(old_stage) == stage_id)
			return;
	}
	args[0] = rule;
	args[1] = Int64GetDatum(stage_id);
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s r WHERE r.id OPERATOR(pg_catalog.=) $1 "
									   "AND r.stage_id OPERATOR(pg_catalog.=) $2",
									   wf_qualified(RelationGetNamespace(rel), "stage_rule")),
							  2, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the alert's rule");
	found = SPI_processed > 0;
	SPI_finish();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
						RelationGetRelationName(rel), "alert_rule_fk"),
				 /* the key shown as PostgreSQL shows it: not under row-level security */
				 check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED
				 ? errdetail("Key is not present in table \"%s\".", "stage_rule")
				 : errdetail("Key (rule_id, stage_id)=(" INT64_FORMAT ", " INT64_FORMAT ") is not present in table \"%s\".",
							 DatumGetInt64(rule), stage_id, "stage_rule"),
				 errtableconstraint(rel, "alert_rule_fk")));
}

/* Past this many bytes of JSON an operand is not copied into a message. */
#define WF_MESSAGE_VALUE_BYTES 1024

Datum
wf_alert_validate(PG_FUNCTION_ARGS)
{
	TriggerData *td = row_trigger(fcinfo, "alert_validate");
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	TupleDesc	desc = td->tg_relation->rd_att;
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bool		isnull;
	char	   *field,
			   *op,
			   *value_text = NULL,
			   *message;
	const char *canonical;
	bool		ignore_case;
	int64		stage_id;
	Datum		d;
	wf_status	status;
	wf_condition *cond;

	(void) wf_tenant();		/* require_actor and require_tenant */
	d = heap_getattr(tuple, attnum(desc, "stage_id"), desc, &isnull);
	stage_id = isnull ? 0 : DatumGetInt64(d);
	if (!isnull)
		check_alert_rule(td->tg_relation, tuple,
						 TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_trigtuple : NULL, desc, stage_id);
	d = heap_getattr(tuple, attnum(desc, "field_name"), desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL reports it */
	field = TextDatumGetCString(d);
	d = heap_getattr(tuple, attnum(desc, "operator"), desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);
	op = TextDatumGetCString(d);
	d = heap_getattr(tuple, attnum(desc, "value"), desc, &isnull);
	if (!isnull)
	{
		Jsonb	   *value = DatumGetJsonbP(d);

		value_text = JsonbToCString(NULL, &value->root, VARSIZE(value));
	}
	d = heap_getattr(tuple, attnum(desc, "ignore_case"), desc, &isnull);
	ignore_case = !isnull && DatumGetBool(d);
	d = heap_getattr(tuple, attnum(desc, "source"), desc, &isnull);

	cond = wf_alert_compile_source(field, isnull ? NULL : TextDatumGetCString(d), op, value_text,
								   value_text ? strlen(value_text) : 0, ignore_case, &status);
	if (cond == NULL)
	{
		int			code = MAKE_SQLSTATE(status.sqlstate[0], status.sqlstate[1],
										 status.sqlstate[2], status.sqlstate[3],
										 status.sqlstate[4]);

		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid alert on stage " INT64_FORMAT ": %s", stage_id, status.message),
				 errdetail_reason("invalid_alert", "\"stage_id\": " INT64_FORMAT ", \"column\": %s, \"path\": %s",
								  stage_id, wf_json_string(alert_column(status.path)),
								  wf_json_string(status.path))));
	}
	wf_condition_free(cond);

	/* Store the canonical operator and a message when none was given. */
	canonical = wf_operator_canonical(op);
	cols[0] = attnum(desc, "operator");
	values[0] = CStringGetTextDatum(canonical);
	d = heap_getattr(tuple, attnum(desc, "message"), desc, &isnull);
	message = isnull ? "" : TextDatumGetCString(d);
	cols[1] = attnum(desc, "message");
	/* A long operand is named, not copied (DESIGN section 6: bounded). */
	if (value_text != NULL && strlen(value_text) > WF_MESSAGE_VALUE_BYTES)
	{
		Jsonb	   *value = DatumGetJsonbP(heap_getattr(tuple, attnum(desc, "value"), desc, &isnull));

		value_text = JB_ROOT_IS_ARRAY(value) && !JB_ROOT_IS_SCALAR(value)
			? psprintf("[%u values]", JB_ROOT_COUNT(value))
			: psprintf("(a value of %zu bytes)", strlen(value_text));
	}
	if (message[0] == '\0')
		values[1] = CStringGetTextDatum(psprintf("%s %s %s", field, canonical,
												 value_text ? value_text : ""));
	else
		values[1] = CStringGetTextDatum(message);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls));
}

/*
 * Rows of workflow_stage, stage_rule, alert or facts_source changed: queue a relcache
 * invalidation of the table, which PostgreSQL delivers to this backend at the
 * next command and to the others at commit (never on rollback).
 */
Datum
wf_invalidate_caches(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("invalidate_caches() must be called as a trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}
