/*
 * facts_source.c - reads a candidate's facts for rules and alerts: from
 * candidate_profile.attributes, or to_jsonb(row) of the table chosen with
 * set_candidate_source().  The queries are prepared once per backend and
 * prepared again when facts_source changes (relcache invalidation, as for the
 * stage cache); facts_source is read under the latest snapshot for the same
 * reason as the stages.
 *
 * Whose facts, seen by whom:
 *  - Read with the caller's rights (nothing here is SECURITY DEFINER): the
 *    caller's privileges and the table's row-level security apply.
 *  - Read under the latest snapshot, after the command's own changes: a move
 *    in a REPEATABLE READ transaction checks the committed facts, not those of
 *    its snapshot.
 *  - For a pipeline row, a candidate_profile counts only when it belongs to
 *    the owner of the row's workflow (pipeline_profile_attributes()): the
 *    facts a rule sees do not depend on who moves, and no one plants a
 *    profile past another's rule.
 *  - A custom source table's row is read for a pipeline only when the
 *    reader's actor owns the row's workflow, as a profile speaks only in its
 *    owner's workflows: what a reader may see (through the table's RLS, or
 *    past it as a superuser's SLA sweep or import, a BYPASSRLS role, the
 *    table's owner) would otherwise be copied into another tenant's history
 *    and alert events (a tenant may put any candidate id into its pipeline,
 *    and share that workflow with the reader).  Elsewhere the facts are
 *    withheld ({}).
 *  - A custom source table may hold only built-in column types: to_jsonb(row)
 *    runs each column type's output and casts, and whoever reads the facts (a
 *    superuser's SLA sweep, say) must not run its owner's code.
 */
#include "workflow_ext.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "access/transam.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

static SPIPlanPtr facts_plan = NULL;		/* by candidate */
static SPIPlanPtr pipeline_facts_plan = NULL;	/* by candidate and workflow */
static SPIPlanPtr owned_workflow_plan = NULL;	/* is the workflow the actor's? */
static Oid	facts_plan_schema = InvalidOid;
static Oid	facts_source_relid = InvalidOid;
static Oid	source_table = InvalidOid;	/* the custom table, or InvalidOid */
static bool facts_plan_valid = false;

static void
facts_source_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == facts_source_relid)
		facts_plan_valid = false;
}

void
wf_facts_source_init(void)
{
	CacheRegisterRelcacheCallback(facts_source_changed, (Datum) 0);
}

static void
source_table_missing(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("the facts source table no longer exists"),
			 errhint("A superuser calls set_candidate_source() with another table, "
					 "or deletes the facts_source row to go back to candidate_profile.")));
}

/* The custom table, or InvalidOid for candidate_profile; caller is in SPI. */
static Oid
read_facts_source(Oid schema, char **key)
{
	char	   *sql = psprintf("SELECT f.relation::oid, f.key_column FROM %s f",
							   wf_qualified(schema, "facts_source"));
	Oid			relid = InvalidOid;
	int			ret;

	PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute(sql, true, 1);
	PopActiveSnapshot();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read facts_source");
	if (SPI_processed == 1)
	{
		bool		isnull;

		relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*key = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		if (get_rel_name(relid) == NULL)
			source_table_missing(relid);
	}
	return relid;
}

/* (Re)prepares the facts queries when facts_source changed; caller is in SPI. */
static void
prepare_facts_plans(Oid schema)
{
	Oid			types[2] = {INT8OID, INT8OID};
	char	   *key = NULL;

	if (facts_plan_valid && facts_plan != NULL && facts_plan_schema == schema)
		return;
	if (facts_plan)
		SPI_freeplan(facts_plan);
	if (pipeline_facts_plan)
		SPI_freeplan(pipeline_facts_plan);
	if (owned_workflow_plan)
		SPI_freeplan(owned_workflow_plan);
	facts_plan = pipeline_facts_plan = owned_workflow_plan = NULL;
	facts_source_relid = get_relname_relid("facts_source", schema);
	facts_plan_valid = true;
	source_table = read_facts_source(schema, &key);
	if (OidIsValid(source_table))
	{
		char	   *sql = psprintf("SELECT pg_catalog.to_jsonb(t) FROM %s.%s t WHERE t.%s OPERATOR(pg_catalog.=) $1",
								   quote_identifier(get_namespace_name(get_rel_namespace(source_table))),
								   quote_identifier(get_rel_name(source_table)),
								   quote_identifier(key));

		facts_plan = wf_keep_plan(sql, 1, types);
		pipeline_facts_plan = wf_keep_plan(psprintf("%s AND $2 IS NOT NULL", sql), 2, types);
		owned_workflow_plan = wf_keep_plan(psprintf("SELECT 1 FROM %s w WHERE w.id OPERATOR(pg_catalog.=) $1 "
													"AND w.owner OPERATOR(pg_catalog.=) %s()",
													wf_qualified(schema, "workflow"),
													wf_qualified(schema, "current_actor")),
										   1, types);
	}
	else
	{
		facts_plan = wf_keep_plan(psprintf("SELECT p.attributes FROM %s p "
										   "WHERE p.candidate_id OPERATOR(pg_catalog.=) $1",
										   wf_qualified(schema, "candidate_profile")), 1, types);
		pipeline_facts_plan = wf_keep_plan(psprintf("SELECT %s($1, $2)",
													wf_qualified(schema, "pipeline_profile_attributes")),
										   2, types);
	}
	facts_plan_schema = schema;
}

/* A type whose to_jsonb output runs no user-defined code. */
static bool
built_in_type(Oid type)
{
	Oid			base = getBaseType(type);
	Oid			element = get_element_type(base);

	if (OidIsValid(element))
		base = getBaseType(element);
	return base < FirstNormalObjectId && get_typtype(base) != TYPTYPE_COMPOSITE;
}

/* Refuses a dropped custom table, or one with a column whose type is not built in. */
static void
check_source_columns(Oid relid)
{
	Relation	rel = try_table_open(relid, AccessShareLock);
	TupleDesc	desc;

	if (rel == NULL)
		source_table_missing(relid);
	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || built_in_type(att->atttypid))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("facts source table \"%s\" has column \"%s\" of type %s, which is not built in",
						RelationGetRelationName(rel), NameStr(att->attname),
						format_type_be(att->atttypid)),
				 errdetail("Reading facts runs each column type's output and casts to json; "
						   "workflow_ext reads only tables of built-in types."),
				 errhint("Use a view-free table of built-in types (jsonb, text, numeric, dates, arrays of them).")));
	}
	table_close(rel, AccessShareLock);
}

/* True when the facts are candidate_profile.attributes (no set_candidate_source). */
bool
wf_facts_are_profile(Oid schema)
{
	SPI_connect();
	prepare_facts_plans(schema);
	SPI_finish();
	return !OidIsValid(source_table);
}

/*
 * Does this reader get no facts for pipelines of workflow_id?  True when the
 * facts come from a custom table and the workflow is not the reader's
 * actor's (see the file's comment).  Caller is in SPI, plans prepared.
 */
static bool
withheld(int64 workflow_id)
{
	Datum		args[1] = {Int64GetDatum(workflow_id)};

	if (!OidIsValid(source_table))
		return false;
	if (SPI_execute_plan(owned_workflow_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read workflow " INT64_FORMAT, workflow_id);
	return SPI_processed == 0;
}

bool
wf_facts_withheld(Oid schema, int64 workflow_id)
{
	bool		result;

	SPI_connect();
	prepare_facts_plans(schema);
	result = withheld(workflow_id);
	SPI_finish();
	return result;
}

/*
 * The facts of a candidate: of the pipeline row in workflow_id when
 * has_workflow (see the file's comment), else as the caller may read them.
 */
Jsonb *
wf_fetch_facts(Oid schema, int64 candidate_id, bool has_workflow, int64 workflow_id)
{
	Datum		args[2] = {Int64GetDatum(candidate_id), Int64GetDatum(workflow_id)};
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *facts = NULL;
	int			ret;

	SPI_connect();
	prepare_facts_plans(schema);
	if (OidIsValid(source_table))
		check_source_columns(source_table);
	if (has_workflow && withheld(workflow_id))
	{
		SPI_finish();
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	}
	/* The command's own changes, and every commit so far. */
	CommandCounterIncrement();
	PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute_plan(has_workflow ? pipeline_facts_plan : facts_plan, args, NULL, true, 1);
	PopActiveSnapshot();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the facts of candidate " INT64_FORMAT,
			 candidate_id);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext spi = MemoryContextSwitchTo(caller);

		facts = isnull ? NULL : DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	if (facts == NULL)
		facts = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	return facts;
}

PG_FUNCTION_INFO_V1(wf_candidate_facts);

/* candidate_facts(candidate_id): the facts as the caller may read them. */
Datum
wf_candidate_facts(PG_FUNCTION_ARGS)
{
	(void) wf_actor();
	PG_RETURN_JSONB_P(wf_fetch_facts(get_func_namespace(fcinfo->flinfo->fn_oid),
									 PG_GETARG_INT64(0), false, 0));
}
