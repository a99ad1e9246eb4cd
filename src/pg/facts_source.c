/*
 * facts_source.c - reads the facts rules and alerts see, by source:
 *  - candidate: candidate_profile.attributes of (tenant, candidate), or
 *    to_jsonb(row) of the table chosen with set_candidate_source(), matched
 *    on its key column and, when it has one, its tenant column;
 *  - application: candidate_stage.attributes of the pipeline row itself;
 *  - job: job_profile.attributes of (tenant, job).
 *
 * Whose facts, seen by whom: a pipeline row's facts are its tenant's (the
 * row's tenant is the job's organization), the same for every actor of the
 * tenant whoever moves or sweeps the candidate.  They are read with the
 * caller's rights (nothing here is SECURITY DEFINER): the caller's
 * privileges and the tables' row-level security apply, and the tenant is
 * named in every query so that a role bypassing RLS (the SLA sweep as a
 * superuser) reads each row's own tenant's facts.  They are read under the
 * latest snapshot, after the command's own changes: a move in a REPEATABLE
 * READ transaction checks the committed facts, not those of its snapshot.
 *
 * A custom source table may hold only built-in column types: to_jsonb(row)
 * runs each column type's output and casts, and whoever reads the facts (a
 * superuser's SLA sweep, say) must not run its owner's code.  The queries
 * are prepared once per backend and again when facts_source changes
 * (relcache invalidation, as for the stage cache).
 */
#include "workflow_ext.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pipeline.h"

static SPIPlanPtr candidate_plan = NULL;	/* by tenant and candidate */
static SPIPlanPtr job_plan = NULL;	/* by tenant and job */
static Oid	facts_plan_schema = InvalidOid;
static Oid	facts_source_relid = InvalidOid;
static Oid	source_table = InvalidOid;	/* the custom table, or InvalidOid */
static char source_nspname[NAMEDATALEN];	/* its name when the queries were prepared */
static char source_relname[NAMEDATALEN];
static bool facts_plan_valid = false;

static bool source_checked = false;	/* check_source_table passed since the last invalidation */

/*
 * The direct read of candidate_profile or job_profile ([0] and [1]): what
 * read_one's query does, as an index probe.  Decided per table and reader
 * until a relation, a role or a membership changes (probe_decide).
 */
typedef struct ProfileProbe
{
	bool		decided;
	Oid			relid;
	Oid			reader;
	Oid			indexid;		/* InvalidOid: read by the query */
	AttrNumber	attributes;
	int			key_column;		/* 0 or 1: the index column of the key; the tenant's the other */
	Oid			tenant_collation;
} ProfileProbe;

static ProfileProbe probes[2];
static Oid	int8_equality = InvalidOid;	/* OPERATOR(pg_catalog.=) (bigint, bigint) */
static Oid	source_checked_user = InvalidOid;	/* for this reader */

static void
facts_source_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == facts_source_relid)
		facts_plan_valid = false;
	/* any relation: an index or a partition of the table is another relation */
	source_checked = false;
	probes[0].decided = probes[1].decided = false;
}

/*
 * What the facts read (SELECT to_jsonb(t) FROM source t WHERE key = $1 AND
 * tenant = $2) would run that someone defined, as the reader (the mover, a
 * superuser's sweep): NULL when nothing, else the reason.  The source is the
 * table with its partition tree and its ancestors; on each, and on their
 * indexes, constraints, extended statistics and partition keys (policies
 * run only with row-level security, which is refused):
 *  - facts_source_owner: an owner who could not set the facts source itself
 *    (not a superuser, not a member of the database owner) and who does not
 *    hold every right of the reader (is not a member of the reading role):
 *    who owns the table writes every tenant's facts and can attach code to
 *    it, which would run with the reader's rights;
 *  - facts_source_policies: row-level security enabled or forced (the
 *    policies' expressions run in every read);
 *  - facts_source_user_code: a dependency on a function, operator, operator
 *    class or family, type, collation or access method that is not built in
 *    (index expressions and predicates, constraints and statistics are
 *    planned; operator classes' support functions run in index scans and
 *    partition pruning; types' output and casts run in to_jsonb), or a table
 *    or index access method that is not built in;
 *  - facts_source_changed: a child that is not a plain table (a foreign
 *    table, a view), or an inheritance child outside the partition tree.
 * Column defaults, triggers and rules do not run on a read, and the
 * extension never writes the table.
 */
static const char *
source_runs_user_code(Oid relid)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args(
							  "WITH tree AS (SELECT $1 AS relid UNION SELECT t.relid FROM pg_catalog.pg_partition_tree($1) t "
							  "UNION SELECT a.relid FROM pg_catalog.pg_partition_ancestors($1) a), "
							  "objs AS (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, t.relid AS objid FROM tree t "
							  "UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid "
							  "FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT relid FROM tree) "
							  "UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, c.oid "
							  "FROM pg_catalog.pg_constraint c WHERE c.conrelid IN (SELECT relid FROM tree) "
							  "UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid "
							  "FROM pg_catalog.pg_statistic_ext s WHERE s.stxrelid IN (SELECT relid FROM tree)) "
							  "SELECT CASE "
							  "WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r "
							  "ON r.oid OPERATOR(pg_catalog.=) c.relowner WHERE c.oid OPERATOR(pg_catalog.=) $1 "
							  "AND (r.rolsuper OR pg_catalog.pg_has_role(r.oid, (SELECT d.datdba FROM pg_catalog.pg_database d "
							  "WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()), 'MEMBER') "
							  "OR pg_catalog.pg_has_role(r.oid, pg_catalog.current_user(), 'MEMBER'))) "
							  "THEN 'facts_source_owner' "
							  "WHEN EXISTS (SELECT 1 FROM tree t JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid "
							  "WHERE c.relrowsecurity OR c.relforcerowsecurity) "
							  "THEN 'facts_source_policies' "
							  "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN objs o "
							  "ON d.classid OPERATOR(pg_catalog.=) o.classid AND d.objid OPERATOR(pg_catalog.=) o.objid "
							  "WHERE d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, "
							  "'pg_catalog.pg_operator'::pg_catalog.regclass, 'pg_catalog.pg_opclass'::pg_catalog.regclass, "
							  "'pg_catalog.pg_opfamily'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass, "
							  "'pg_catalog.pg_collation'::pg_catalog.regclass, 'pg_catalog.pg_am'::pg_catalog.regclass) "
							  "AND d.refobjid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid) "
							  "OR EXISTS (SELECT 1 FROM objs o JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) o.objid "
							  "WHERE o.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "AND c.relam OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid) "
							  "OR EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table p WHERE p.partrelid IN (SELECT relid FROM tree) "
							  "AND EXISTS (SELECT 1 FROM pg_catalog.unnest(p.partclass::pg_catalog.oid[] "
							  "OPERATOR(pg_catalog.||) p.partcollation::pg_catalog.oid[]) x "
							  "WHERE x OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid)) "
							  "THEN 'facts_source_user_code' "
							  "WHEN EXISTS (SELECT 1 FROM tree t JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid "
							  "WHERE c.relkind NOT IN ('r', 'p')) "
							  "OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhparent IN (SELECT relid FROM tree) "
							  "AND h.inhrelid NOT IN (SELECT relid FROM tree)) "
							  "THEN 'facts_source_changed' END",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not inspect the facts source table");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

/* Roles, memberships or the database's owner changed: check the source again. */
static void
facts_trust_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	source_checked = false;
	probes[0].decided = probes[1].decided = false;
}

void
wf_facts_source_init(void)
{
	CacheRegisterRelcacheCallback(facts_source_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, facts_trust_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, facts_trust_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(DATABASEOID, facts_trust_changed, (Datum) 0);
}

static void
source_table_missing(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("the facts source table no longer exists"),
			 errhint("A superuser calls set_candidate_source() with another table, "
					 "or deletes the facts_source row to go back to candidate_profile."),
			 errdetail_reason("facts_source_dropped", NULL)));
}

/* The custom table, or InvalidOid for candidate_profile; caller is in SPI. */
static Oid
read_facts_source(Oid schema, char **key, char **tenant_column)
{
	char	   *sql = psprintf("SELECT f.relation::oid, f.key_column, f.tenant_column FROM %s f",
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
		*tenant_column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		if (get_rel_name(relid) == NULL)
			source_table_missing(relid);
	}
	return relid;
}

/* (Re)prepares the facts queries when facts_source changed; caller is in SPI. */
static void
prepare_facts_plans(Oid schema)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	char	   *key = NULL;
	char	   *tenant_column = NULL;

	if (facts_plan_valid && candidate_plan != NULL && facts_plan_schema == schema)
		return;
	if (candidate_plan)
		SPI_freeplan(candidate_plan);
	if (job_plan)
		SPI_freeplan(job_plan);
	candidate_plan = job_plan = NULL;
	facts_source_relid = get_relname_relid("facts_source", schema);
	facts_plan_valid = true;
	source_table = read_facts_source(schema, &key, &tenant_column);
	if (OidIsValid(source_table))
	{
		/* $2 is always sent; without a tenant column the table is one organization's. */
		char	   *sql;

		strlcpy(source_nspname, get_namespace_name(get_rel_namespace(source_table)), NAMEDATALEN);
		strlcpy(source_relname, get_rel_name(source_table), NAMEDATALEN);
		sql = psprintf("SELECT pg_catalog.to_jsonb(t) FROM %s.%s t "
								   "WHERE t.%s OPERATOR(pg_catalog.=) $1 AND %s",
								   quote_identifier(get_namespace_name(get_rel_namespace(source_table))),
								   quote_identifier(get_rel_name(source_table)),
								   quote_identifier(key),
								   tenant_column
								   ? psprintf("t.%s OPERATOR(pg_catalog.=) $2", quote_identifier(tenant_column))
								   : "$2 IS NOT NULL");

		candidate_plan = wf_keep_plan(sql, 2, types);
	}
	else
		candidate_plan = wf_keep_plan(psprintf("SELECT p.attributes FROM %s p "
											   "WHERE p.candidate_id OPERATOR(pg_catalog.=) $1 "
											   "AND p.tenant OPERATOR(pg_catalog.=) $2",
											   wf_qualified(schema, "candidate_profile")), 2, types);
	job_plan = wf_keep_plan(psprintf("SELECT p.attributes FROM %s p "
									 "WHERE p.job_id OPERATOR(pg_catalog.=) $1 "
									 "AND p.tenant OPERATOR(pg_catalog.=) $2",
									 wf_qualified(schema, "job_profile")), 2, types);
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

/*
 * Refuses a custom table that would run code someone defined inside whoever
 * reads the facts (the application role moving any tenant's candidates, a
 * superuser's SLA sweep), or whose owner is not trusted as one who sets the
 * facts source: see source_runs_user_code() for what is looked at; and a
 * column whose type is not built in (its output and casts).  42501 with the
 * reason in a JSON DETAIL.  Caller is in SPI.
 */
static void
check_source_code(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const char *reason;

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
				 errdetail_reason("facts_source_user_code", "\"table\": %s, \"attnum\": %d",
								  wf_json_string(RelationGetRelationName(rel)), (int) att->attnum),
				 errhint("Reading facts runs each column type's output and casts to json; "
						 "use a table of built-in types (jsonb, text, numeric, dates, arrays of them).")));
	}
	reason = source_runs_user_code(RelationGetRelid(rel));
	if (reason == NULL)
		return;
	if (strcmp(reason, "facts_source_owner") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("facts source table \"%s\" is owned by %s, who is neither a superuser, the database owner nor a member of the reading role",
						RelationGetRelationName(rel),
						GetUserNameFromId(rel->rd_rel->relowner, true)
						? GetUserNameFromId(rel->rd_rel->relowner, true) : "an unknown role"),
				 errdetail_reason(reason, "\"table\": %s", wf_json_string(RelationGetRelationName(rel))),
				 errhint("Its owner writes every tenant's facts and can attach code to the table that "
						 "would run as each reader; give it to the database owner (ALTER TABLE ... OWNER TO).")));
	if (strcmp(reason, "facts_source_policies") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("facts source table \"%s\" has row-level security enabled",
						RelationGetRelationName(rel)),
				 errdetail_reason(reason, "\"table\": %s", wf_json_string(RelationGetRelationName(rel))),
				 errhint("Its policies would run their owner's functions inside every reader of the facts; "
						 "name the tenant column instead (set_candidate_source(..., tenant_column)).")));
	if (strcmp(reason, "facts_source_user_code") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("facts source table \"%s\" has an index, constraint, statistics object or "
						"partition key using a function, operator, operator class, type, collation or access "
						"method that is not built in", RelationGetRelationName(rel)),
				 errdetail_reason(reason, "\"table\": %s", wf_json_string(RelationGetRelationName(rel))),
				 errhint("Every reader of the facts would run it; drop it, or use another table.")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("facts source table \"%s\" has a child that is not a plain table of its partition tree",
					RelationGetRelationName(rel)),
			 errdetail_reason("facts_source_changed", "\"table\": %s",
								  wf_json_string(RelationGetRelationName(rel))),
			 errhint("A superuser calls set_candidate_source() again with a plain table.")));
}

/*
 * Refuses, before every read, a custom table that is no longer the plain
 * table that was set (a view under its name now: its rules; the prepared
 * query reads by name) or that would run someone's code (check_source_code).
 * Checked once until a relation, a role or a membership changes.
 */
static void
check_source_table(Oid relid, const char *nspname, const char *relname)
{
	Relation	rel = try_table_open(relid, AccessShareLock);
	Oid			named;

	if (rel == NULL)
		source_table_missing(relid);
	/* (opening it processed pending invalidations: source_checked is current) */
	if (source_checked && source_checked_user == GetUserId())
	{
		table_close(rel, NoLock);	/* the lock is kept until the transaction ends */
		return;
	}
	named = get_relname_relid(relname, get_namespace_oid(nspname, true));
	if (named != relid ||
		(rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("facts source \"%s\" is no longer the plain table that was set",
						RelationGetRelationName(rel)),
				 errdetail_reason("facts_source_changed", "\"table\": %s",
								  wf_json_string(RelationGetRelationName(rel))),
				 errhint("A superuser calls set_candidate_source() again with the table.")));
	check_source_code(rel);
	source_checked = true;
	source_checked_user = GetUserId();
	table_close(rel, NoLock);	/* the lock is kept until the transaction ends */
}

/* True when the facts are candidate_profile.attributes (no set_candidate_source). */
bool
wf_facts_are_profile(Oid schema)
{
	int			pinned;

	/* (a facts trigger's row asks: no SPI, no GUC level, while nothing changed) */
	if (facts_plan_valid && candidate_plan != NULL && facts_plan_schema == schema)
		return !OidIsValid(source_table);
	pinned = wf_pin_search_path();
	SPI_connect();
	prepare_facts_plans(schema);
	SPI_finish();
	wf_unpin_search_path(pinned);
	return !OidIsValid(source_table);
}

static Jsonb *
empty_object(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

/* The first column of the SPI result's one row, copied into caller; NULL when none. */
static Jsonb *
first_jsonb(MemoryContext caller)
{
	bool		isnull;
	Datum		d;
	MemoryContext spi;
	Jsonb	   *copy;

	if (SPI_processed != 1)
		return NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	spi = MemoryContextSwitchTo(caller);
	copy = DatumGetJsonbPCopy(d);
	MemoryContextSwitchTo(spi);
	return copy;
}

/*
 * Whether the reader's query on the table (SELECT p.attributes FROM table p
 * WHERE p.<key> = $1 AND p.tenant = $2, as the reader) can be made as a
 * direct probe of the table's unique btree index on (tenant, key) with the
 * same answer: the table a plain one without inheritance children, the
 * reader exempt from its row-level security (a superuser, BYPASSRLS, or its
 * owner while it is not forced)
 * and holding SELECT on it; the columns of the query's types; the index
 * valid, unique, without expressions or predicate, its equality operators
 * those of the query (bigint = bigint, text = text in the column's
 * collation, the default one) and its comparison functions PostgreSQL's
 * (no user code).  Otherwise the query runs.
 */
static void
probe_decide(ProfileProbe *p, Oid relid, Oid reader, bool candidate)
{
	Relation	rel = table_open(relid, AccessShareLock);
	AttrNumber	key = get_attnum(relid, candidate ? "candidate_id" : "job_id");
	AttrNumber	tenant = get_attnum(relid, "tenant");
	List	   *indexes;
	ListCell   *lc;
	Oid			tenant_type,
				tenant_collation;
	int32		typmod;

	p->decided = true;
	p->relid = relid;
	p->reader = reader;
	p->indexid = InvalidOid;
	p->attributes = get_attnum(relid, "attributes");
	/* (a table with inheritance children: the query reads theirs too, the probe only its own index) */
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relhassubclass ||
		!(superuser_arg(reader) || has_bypassrls_privilege(reader) || !rel->rd_rel->relrowsecurity ||
		  (rel->rd_rel->relowner == reader && !rel->rd_rel->relforcerowsecurity)) ||
		pg_class_aclcheck(relid, reader, ACL_SELECT) != ACLCHECK_OK ||
		p->attributes == InvalidAttrNumber || key == InvalidAttrNumber || tenant == InvalidAttrNumber ||
		get_atttype(relid, p->attributes) != JSONBOID || get_atttype(relid, key) != INT8OID ||
		get_atttype(relid, tenant) != TEXTOID)
	{
		table_close(rel, NoLock);
		return;
	}
	/*
	 * (the query's p.tenant = $2 compares in the column's collation against
	 * the parameter's default one: well defined only when they are the same)
	 */
	get_atttypetypmodcoll(relid, tenant, &tenant_type, &typmod, &tenant_collation);
	if (tenant_collation != DEFAULT_COLLATION_OID)
	{
		table_close(rel, NoLock);
		return;
	}
	if (!OidIsValid(int8_equality))
		int8_equality = OpernameGetOprid(list_make2(makeString("pg_catalog"), makeString("=")),
										 INT8OID, INT8OID);
	if (!OidIsValid(int8_equality))
	{
		table_close(rel, NoLock);
		return;
	}
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index form = index->rd_index;
		int			k = -1;

		if (form->indisunique && form->indisvalid && form->indislive && form->indisready &&
			index->rd_rel->relam == BTREE_AM_OID && IndexRelationGetNumberOfKeyAttributes(index) == 2 &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL))
		{
			if (form->indkey.values[0] == key && form->indkey.values[1] == tenant)
				k = 0;
			else if (form->indkey.values[0] == tenant && form->indkey.values[1] == key)
				k = 1;
		}
		if (k >= 0 &&
			get_opfamily_member(index->rd_opfamily[k], INT8OID, INT8OID, BTEqualStrategyNumber) == int8_equality &&
			get_opfamily_member(index->rd_opfamily[1 - k], TEXTOID, TEXTOID, BTEqualStrategyNumber) == TextEqualOperator &&
			index->rd_indcollation[1 - k] == tenant_collation &&
			!index->rd_indoption[0] && !index->rd_indoption[1] &&
			/*
			 * the descent's comparison functions PostgreSQL's own: an
			 * operator class of a superuser's may pair pg_catalog.= with a
			 * function of its own, which the probe would run as the caller
			 * (the query ran it as the owner, restricted)
			 */
			index_getprocid(index, k + 1, BTORDER_PROC) == F_BTINT8CMP &&
			(index_getprocid(index, 2 - k, BTORDER_PROC) == F_BTTEXTCMP ||
			 index_getprocid(index, 2 - k, BTORDER_PROC) == F_BTTEXT_PATTERN_CMP))
		{
			p->indexid = RelationGetRelid(index);
			p->key_column = k;
			p->tenant_collation = index->rd_indcollation[1 - k];
		}
		index_close(index, NoLock);
		if (OidIsValid(p->indexid))
			break;
	}
	list_free(indexes);
	table_close(rel, NoLock);
}

/*
 * The row of (id, tenant) read through the probe's index under the active
 * snapshot: its attributes copied into caller (*facts), NULL when there is
 * none.  The index is unique: at most one row is visible.  False when the
 * index is no longer the one decided on (the caller runs the query).
 */
static bool
probe_read(ProfileProbe *p, int64 id, const char *tenant, MemoryContext caller, Jsonb **facts)
{
	Relation	heap = table_open(p->relid, AccessShareLock);
	Relation	index = try_relation_open(p->indexid, AccessShareLock);
	TupleTableSlot *slot;
	ScanKeyData keys[2];
	IndexScanDesc scan;

	*facts = NULL;
	/* gone or no longer valid since (REINDEX CONCURRENTLY): decided again, the query reads */
	if (index == NULL || index->rd_rel->relkind != RELKIND_INDEX || index->rd_index == NULL ||
		!index->rd_index->indisvalid || index->rd_index->indrelid != p->relid)
	{
		if (index != NULL)
			relation_close(index, NoLock);
		table_close(heap, NoLock);
		p->decided = false;
		return false;
	}
	slot = table_slot_create(heap, NULL);

	ScanKeyInit(&keys[p->key_column], p->key_column + 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(id));
	ScanKeyEntryInitialize(&keys[1 - p->key_column], 0, 2 - p->key_column, BTEqualStrategyNumber,
						   InvalidOid, p->tenant_collation, F_TEXTEQ, CStringGetTextDatum(tenant));
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, p->attributes, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			*facts = DatumGetJsonbPCopy(d);
			MemoryContextSwitchTo(old);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return true;
}

/* One jsonb read by a facts plan for (id, tenant); {} when there is no row. */
static Jsonb *
read_one(Oid schema, bool candidate, int64 id, const char *tenant)
{
	Datum		args[2] = {Int64GetDatum(id), CStringGetTextDatum(tenant)};
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *facts = NULL;
	bool		own_table;
	WfSavedUser saved;
	int			ret;
	ProfileProbe *probe;
	bool		read;

	SPI_connect();
	prepare_facts_plans(schema);
	own_table = !(candidate && OidIsValid(source_table));
	if (!own_table)
		check_source_table(source_table, source_nspname, source_relname);
	/* The command's own changes, and every commit so far. */
	CommandCounterIncrement();
	/*
	 * candidate_profile and job_profile are read as their owner, for the
	 * tenant named: the same facts whoever evaluates (a member of the
	 * tenant, an agency it shares the workflow with, a sweep).  A custom
	 * table is read with the caller's rights.
	 */
	if (own_table)
	{
		/*
		 * Only for a caller who may read the table itself (the application
		 * role's grant set): a role that can only log in reads no one's facts
		 * through the engine.
		 */
		const char *table = candidate ? "candidate_profile" : "job_profile";
		Oid			relid = get_relname_relid(table, schema);
		Oid			owner;

		if (!OidIsValid(relid) ||
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", table),
					 errdetail_reason("no_grant", "\"table\": \"%s\"", table),
					 errhint("Grant the application role the grant set of the README (Privileges).")));
		/*
		 * Read by a direct probe of the table's index when that is the
		 * query's answer (probe_decide): no executor, no GUC level, per row
		 * of a bulk move.
		 */
		owner = wf_schema_owner(schema);
		/* (the table locked first: invalidations up to now are processed, the decision current) */
		LockRelationOid(relid, AccessShareLock);
		probe = &probes[candidate ? 0 : 1];
		if (!probe->decided || probe->relid != relid || probe->reader != owner)
			probe_decide(probe, relid, owner, candidate);
		if (OidIsValid(probe->indexid))
		{
			Oid			user;
			int			sec_context;

			/*
			 * What the query's ExecutorStart would have done first, with the
			 * identity it ran with (wf_become_owner's): the frame's changes of
			 * facts evaluated if that is the frame's (batched_writes.c,
			 * same_rights), as before.
			 */
			GetUserIdAndSecContext(&user, &sec_context);
			SetUserIdAndSecContext(owner, sec_context | SECURITY_LOCAL_USERID_CHANGE |
								   SECURITY_RESTRICTED_OPERATION);
			wf_batch_before_statement();
			SetUserIdAndSecContext(user, sec_context);
			PushActiveSnapshot(GetLatestSnapshot());
			read = probe_read(probe, id, tenant, caller, &facts);
			PopActiveSnapshot();
			if (read)
			{
				SPI_finish();
				return facts ? facts : empty_object();
			}
		}
		wf_become_owner(schema, &saved);
	}
	PushActiveSnapshot(GetLatestSnapshot());
	ret = wf_execute_kept(candidate ? candidate_plan : job_plan, args, NULL, true, 1);
	PopActiveSnapshot();
	if (own_table)
		wf_restore_user(&saved);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read the facts of %s " INT64_FORMAT,
			 candidate ? "candidate" : "job", id);
	facts = first_jsonb(caller);
	SPI_finish();
	return facts ? facts : empty_object();
}

Jsonb *
wf_fetch_candidate_facts(Oid schema, const char *tenant, int64 candidate_id)
{
	return read_one(schema, true, candidate_id, tenant);
}

Jsonb *
wf_fetch_job_facts(Oid schema, const char *tenant, int64 job_id)
{
	return read_one(schema, false, job_id, tenant);
}

/* The facts of a pipeline row, each source read when a condition first needs it. */
void
wf_facts_for_row(WfFacts *facts, Oid schema, const WfPipelineRow *row)
{
	memset(facts, 0, sizeof(*facts));
	facts->has_row = true;
	facts->schema = schema;
	facts->tenant = row->tenant;
	facts->candidate_id = row->candidate_id;
	facts->job_id = row->job_id;
	facts->doc[WF_SOURCE_APPLICATION] = row->attributes ? row->attributes : empty_object();
}

/*
 * {} made once per backend, for documents only read while a condition is
 * evaluated (never returned, changed or freed): condition_matches gives no
 * application or job facts, and parsing "{}" twice per row was a third of a
 * screening scan's time (perf, bench/run.py screen rows).
 */
static Jsonb *
shared_empty_object(void)
{
	static Jsonb *empty = NULL;

	if (empty == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		empty = empty_object();
		MemoryContextSwitchTo(old);
	}
	return empty;
}

/* Facts given by the caller (the condition functions); NULL: {}. */
void
wf_facts_given(WfFacts *facts, Jsonb *candidate, Jsonb *application, Jsonb *job)
{
	memset(facts, 0, sizeof(*facts));
	facts->doc[WF_SOURCE_CANDIDATE] = candidate ? candidate : shared_empty_object();
	facts->doc[WF_SOURCE_APPLICATION] = application ? application : shared_empty_object();
	facts->doc[WF_SOURCE_JOB] = job ? job : shared_empty_object();
}

/* The document of one source, read now if it was not yet. */
Jsonb *
wf_facts_doc(WfFacts *facts, int source)
{
	if (facts->doc[source] != NULL)
		return facts->doc[source];
	if (!facts->has_row || facts->tenant == NULL)
		facts->doc[source] = empty_object();
	else if (source == WF_SOURCE_CANDIDATE)
		facts->doc[source] = wf_fetch_candidate_facts(facts->schema, facts->tenant, facts->candidate_id);
	else if (source == WF_SOURCE_JOB)
		facts->doc[source] = wf_fetch_job_facts(facts->schema, facts->tenant, facts->job_id);
	else
		facts->doc[source] = empty_object();
	return facts->doc[source];
}

/* All three, as one object: {"candidate": ..., "application": ..., "job": ...}. */
Jsonb *
wf_facts_all(WfFacts *facts)
{
	static const char *const names[WF_SOURCE_COUNT] = {"candidate", "application", "job"};
	JsonbParseState *state = NULL;
	JsonbValue	key;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int s = 0; s < WF_SOURCE_COUNT; s++)
	{
		Jsonb	   *doc = wf_facts_doc(facts, s);
		JsonbValue	v;

		key.type = jbvString;
		key.val.string.val = (char *) names[s];
		key.val.string.len = strlen(names[s]);
		pushJsonbValue(&state, WJB_KEY, &key);
		v.type = jbvBinary;
		v.val.binary.data = &doc->root;
		v.val.binary.len = VARSIZE(doc) - VARHDRSZ;
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

PG_FUNCTION_INFO_V1(wf_candidate_facts);
PG_FUNCTION_INFO_V1(wf_application_facts);

/* candidate_facts(candidate_id): the current tenant's facts of the candidate. */
Datum
wf_candidate_facts(PG_FUNCTION_ARGS)
{
	const char *tenant = wf_tenant();

	if (PG_ARGISNULL(0))
		wf_explain_null_argument("candidate_id");
	PG_RETURN_JSONB_P(wf_fetch_candidate_facts(get_func_namespace(fcinfo->flinfo->fn_oid),
											   tenant, PG_GETARG_INT64(0)));
}

/*
 * The facts a rule of the job's pipeline sees for the candidate, every source
 * read now; the application's facts from the pipeline row as the caller sees
 * it ({} when the candidate is not (yet) in the job).
 */
void
wf_facts_of_application(WfFacts *facts, Oid schema, const char *tenant, int64 candidate_id,
						int64 job_id)
{
	Datum		args[3] = {Int64GetDatum(job_id), Int64GetDatum(candidate_id), CStringGetTextDatum(tenant)};
	Oid			types[3] = {INT8OID, INT8OID, TEXTOID};
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *application = NULL;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT c.attributes FROM %s c WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
									   "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
									   "AND c.tenant OPERATOR(pg_catalog.=) $3",
									   wf_qualified(schema, "candidate_stage")),
							  3, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "workflow_ext: could not read candidate " INT64_FORMAT " in job " INT64_FORMAT,
			 candidate_id, job_id);
	application = first_jsonb(caller);
	SPI_finish();
	wf_facts_given(facts, wf_fetch_candidate_facts(schema, tenant, candidate_id), application,
				   wf_fetch_job_facts(schema, tenant, job_id));
}

/*
 * The facts the explain functions (candidate_facts(candidate_id, job_id),
 * evaluate_condition(condition, candidate_id, job_id)) show: those of a job
 * of the caller's own tenant, as its rules see them.  A job the caller cannot
 * see, or none, is P0002 job_not_found, as everywhere else.  Another tenant's
 * job shared with the caller is refused (42501 other_tenant_facts): its rules
 * read that tenant's facts, which a share never opens, and candidate ids are
 * the job's tenant's, so the caller's own facts of that id would be another
 * person's, explained as if they were the applicant's.
 */
void
wf_facts_to_explain(WfFacts *facts, Oid schema, int64 candidate_id, int64 job_id)
{
	const char *own = wf_tenant();
	const char *tenant = wf_visible_job_tenant(schema, job_id);

	if (strcmp(tenant, own) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the facts of candidate " INT64_FORMAT " in job " INT64_FORMAT
						" are another organization's", candidate_id, job_id),
				 errdetail_reason("other_tenant_facts", "\"candidate_id\": " INT64_FORMAT ", \"job_id\": " INT64_FORMAT,
								  candidate_id, job_id),
				 errhint("Job " INT64_FORMAT " is shared with you by its organization, whose facts its rules read: "
						 "a share never opens them. The DETAIL of a blocked move lists the failed leaves.", job_id)));
	wf_facts_of_application(facts, schema, own, candidate_id, job_id);
}

/*
 * A NULL id (or other required argument) given to an API function: 22023
 * null_argument naming it (the explain functions, the moves, transfer, removal).
 */
void
wf_explain_null_argument(const char *argument)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must not be NULL", argument),
			 errdetail_reason("null_argument", "\"argument\": %s", wf_json_string(argument))));
}

/* candidate_facts(candidate_id, job_id): {"candidate", "application", "job"}. */
Datum
wf_application_facts(PG_FUNCTION_ARGS)
{
	WfFacts		facts;

	(void) wf_tenant();			/* require_actor and require_tenant first */
	if (PG_ARGISNULL(0))
		wf_explain_null_argument("candidate_id");
	if (PG_ARGISNULL(1))
		wf_explain_null_argument("job_id");
	wf_facts_to_explain(&facts, get_func_namespace(fcinfo->flinfo->fn_oid),
						PG_GETARG_INT64(0), PG_GETARG_INT64(1));
	PG_RETURN_JSONB_P(wf_facts_all(&facts));
}
