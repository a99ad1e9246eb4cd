/*
 * facts_source.c - reads a candidate's facts for rules and alerts: from
 * candidate_profile.attributes, or to_jsonb(row) of the table chosen with
 * set_candidate_source().  The query is prepared once per backend and
 * prepared again when facts_source changes (relcache invalidation, as for the
 * stage cache).  Runs inside the SECURITY DEFINER triggers, whose search_path
 * is pinned; names are qualified all the same.
 */
#include "workflow_ext.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

static SPIPlanPtr facts_plan = NULL;
static Oid	facts_plan_schema = InvalidOid;
static Oid	facts_source_relid = InvalidOid;
static bool facts_plan_valid = false;
static bool facts_from_profile = true;

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

/* The facts query for the current facts_source; the caller is connected to SPI. */
static char *
facts_query(Oid schema)
{
	char	   *sql = psprintf("SELECT f.relation::oid, f.key_column FROM %s f",
							   wf_qualified(schema, "facts_source"));

	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read facts_source");
	if (SPI_processed == 1)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
														   SPI_tuptable->tupdesc, 1, &isnull));
		char	   *key = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		char	   *nsp = get_namespace_name(get_rel_namespace(relid));
		char	   *rel = get_rel_name(relid);

		if (nsp == NULL || rel == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("the facts source table (oid %u) no longer exists", relid),
					 errhint("Call set_candidate_source() again, or delete the facts_source row.")));
		facts_from_profile = false;
		return psprintf("SELECT pg_catalog.to_jsonb(t) FROM %s.%s t WHERE t.%s OPERATOR(pg_catalog.=) $1",
						quote_identifier(nsp), quote_identifier(rel), quote_identifier(key));
	}
	facts_from_profile = true;
	return psprintf("SELECT p.attributes FROM %s p WHERE p.candidate_id OPERATOR(pg_catalog.=) $1",
					wf_qualified(schema, "candidate_profile"));
}

/* (Re)prepares the facts query when facts_source changed; caller is in SPI. */
static void
prepare_facts_plan(Oid schema)
{
	Oid			types[1] = {INT8OID};

	if (!facts_plan_valid || facts_plan == NULL || facts_plan_schema != schema)
	{
		if (facts_plan)
			SPI_freeplan(facts_plan);
		facts_plan = NULL;
		facts_source_relid = get_relname_relid("facts_source", schema);
		facts_plan_valid = true;
		facts_plan = wf_keep_plan(facts_query(schema), 1, types);
		facts_plan_schema = schema;
	}
}

/* True when the facts are candidate_profile.attributes (no set_candidate_source). */
bool
wf_facts_are_profile(Oid schema)
{
	SPI_connect();
	prepare_facts_plan(schema);
	SPI_finish();
	return facts_from_profile;
}

Jsonb *
wf_fetch_facts(Oid schema, int64 candidate_id)
{
	Datum		args[1] = {Int64GetDatum(candidate_id)};
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *facts = NULL;

	SPI_connect();
	prepare_facts_plan(schema);
	/* Not read-only: the facts must include the current command's own changes. */
	if (SPI_execute_plan(facts_plan, args, NULL, false, 1) != SPI_OK_SELECT)
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
