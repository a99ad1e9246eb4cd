/*
 * owner_writes.c - whether the extension may write one of its tables as the
 * tables' owner (wf_become_owner): stage_visit_row on every move,
 * stage_visit_summary when a folded visit is unfolded, feed_origin on a
 * cluster's first event, stage_transition and alert_event in
 * erase_candidate's step 3.
 *
 * Whatever a plain INSERT, UPDATE or DELETE runs besides the table's own
 * rows runs with the writer's rights, there the owner's (often a superuser):
 * the table's triggers (any enabled one, ENABLE ALWAYS and REPLICA, row and
 * statement, constraint triggers, their WHEN clauses), rules, the policies of
 * row-level security forced on the owner, the expressions of CHECK
 * constraints, of column defaults (ALTER COLUMN SET DEFAULT), of indexes and
 * their predicates, the support functions of their operator classes, the
 * operators of exclusion constraints and foreign keys, the constraint of a
 * partition, and the triggers of an inheritance child (an UPDATE or DELETE
 * without ONLY reaches it).  Something of anyone's but the extension's
 * there is code of another role run as the owner (attack13: the
 * application role made itself a superuser through a trigger function it
 * owned).  So the write is refused while any of it is there and calls
 * anything that is neither built in (a function, operator class or type
 * initdb made) nor a member of the extension; a forced row-level security,
 * a rule, a partition's parent, an inheritance child or a foreign key to or
 * from a table outside the extension is refused as such.
 *
 * The verdict depends only on the relation's relcache entry (triggers,
 * rules, policies, constraints, defaults, indexes, a new inheritance child:
 * every change of them sends a relcache invalidation, also when rolled back)
 * and on pg_proc (a function's change drops every verdict), so a write
 * allowed is kept per backend and table: a move pays a lock already held or
 * taken anyway and a comparison.
 * The table's RowExclusiveLock is taken first, as the write would: a
 * concurrent CREATE TRIGGER either committed before (its invalidation is
 * read with the lock) or waits for this transaction.
 */
#include "workflow_ext.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "pipeline.h"

/* The tables the extension writes as their owner, each with its verdict. */
typedef struct OwnerWriteVerdict
{
	const char *table;
	Oid			schema;			/* InvalidOid: relid not looked up */
	Oid			relid;
	bool		known;			/* verdict below is current */
	bool		allowed;
	char		kind[64];		/* what blocks it, when not allowed */
	char		name[NAMEDATALEN * 2 + 8];
} OwnerWriteVerdict;

static OwnerWriteVerdict verdicts[] = {
	[WF_OWNED_STAGE_VISIT_ROW] = {"stage_visit_row"},
	[WF_OWNED_STAGE_VISIT_SUMMARY] = {"stage_visit_summary"},
	[WF_OWNED_FEED_ORIGIN] = {"feed_origin"},
	[WF_OWNED_STAGE_TRANSITION] = {"stage_transition"},
	[WF_OWNED_ALERT_EVENT] = {"alert_event"},
};

#define N_VERDICTS lengthof(verdicts)

static uint64 forgotten = 0;	/* invalidations seen: one during a read voids it */
static bool callbacks_registered = false;

static void
forget_relcache(Datum arg, Oid relid)
{
	for (int i = 0; i < (int) N_VERDICTS; i++)
		if (relid == InvalidOid || verdicts[i].relid == relid)
		{
			verdicts[i].known = false;
			verdicts[i].schema = InvalidOid;	/* (dropped and created again: another relid) */
			forgotten++;
		}
}

static void
forget_syscache(Datum arg, int cacheid, uint32 hashvalue)
{
	for (int i = 0; i < (int) N_VERDICTS; i++)
		verdicts[i].known = false;
	forgotten++;
}

/* What a verdict read finds first. */
typedef struct Blocker
{
	Oid			extension;
	bool		found;
	const char *kind;
	char	   *name;
} Blocker;

static void
block(Blocker *b, const char *kind, const char *name)
{
	if (!b->found)
	{
		b->found = true;
		b->kind = kind;
		b->name = pstrdup(name);
	}
}

/* Made by initdb (pg_catalog's own) or a member of the extension. */
static bool
trusted(Oid classid, Oid object, Oid extension)
{
	return object < FirstNormalObjectId ||
		(OidIsValid(extension) && getExtensionOfObject(classid, object) == extension);
}

/* check_functions_in_node's checker: true for a function neither built in nor the extension's */
static bool
untrusted_function(Oid function, void *context)
{
	switch (function)
	{
			/*
			 * built in, but they run a query given as text, a cursor's, or
			 * read a table or view by name (a view's functions run too), as
			 * whoever calls them: a function of anyone's there would run as
			 * the owner (attack15 01)
			 */
		case F_TABLE_TO_XML:
		case F_QUERY_TO_XML:
		case F_CURSOR_TO_XML:
		case F_TABLE_TO_XMLSCHEMA:
		case F_QUERY_TO_XMLSCHEMA:
		case F_CURSOR_TO_XMLSCHEMA:
		case F_TABLE_TO_XML_AND_XMLSCHEMA:
		case F_QUERY_TO_XML_AND_XMLSCHEMA:
		case F_SCHEMA_TO_XML:
		case F_SCHEMA_TO_XMLSCHEMA:
		case F_SCHEMA_TO_XML_AND_XMLSCHEMA:
		case F_DATABASE_TO_XML:
		case F_DATABASE_TO_XMLSCHEMA:
		case F_DATABASE_TO_XML_AND_XMLSCHEMA:
		case F_TS_REWRITE_TSQUERY_TEXT:
		case F_TS_STAT_TEXT:
		case F_TS_STAT_TEXT_TEXT:
			return true;
		default:
			return !trusted(ProcedureRelationId, function, *(Oid *) context);
	}
}

/*
 * True when the expression calls a function neither built in nor the
 * extension's (operators, casts and type I/O included:
 * check_functions_in_node), or coerces to a domain that is not (a domain's
 * CHECK calls functions of its own), or holds a subquery.
 */
static bool
untrusted_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, untrusted_function, context))
		return true;
	if (IsA(node, CoerceToDomain) &&
		!trusted(TypeRelationId, ((CoerceToDomain *) node)->resulttype, *(Oid *) context))
		return true;
	if (IsA(node, SubLink) || IsA(node, Query))
		return true;
	return expression_tree_walker(node, untrusted_walker, context);
}

static bool
untrusted_expression(Node *node, Oid extension)
{
	return untrusted_walker(node, &extension);
}

static bool
untrusted_text(const char *stored, Oid extension)
{
	return stored != NULL && untrusted_expression((Node *) stringToNode(stored), extension);
}

/* The triggers: any enabled one (ALWAYS, REPLICA, constraint and statement triggers too) */
static void
read_triggers(Relation rel, Blocker *b)
{
	for (int i = 0; !b->found && rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
	{
		const Trigger *t = &rel->trigdesc->triggers[i];

		if (t->tgenabled == TRIGGER_DISABLED)
			continue;
		if (!trusted(ProcedureRelationId, t->tgfoid, b->extension) || untrusted_text(t->tgqual, b->extension))
			block(b, "trigger", t->tgname);
	}
}

/* Every constraint on the table, and the foreign keys that reference it. */
static void
read_constraints(Relation rel, Blocker *b)
{
	Oid			relid = RelationGetRelid(rel);
	Relation	pg_constraint = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	/* CHECK constraints (NOT VALID ones too: they check new rows) */
	for (int i = 0; !b->found && rel->rd_att->constr != NULL && i < rel->rd_att->constr->num_check; i++)
		if (untrusted_text(rel->rd_att->constr->check[i].ccbin, b->extension))
			block(b, "check constraint", rel->rd_att->constr->check[i].ccname);
	/* defaults (and generated columns) */
	for (int i = 0; !b->found && rel->rd_att->constr != NULL && i < rel->rd_att->constr->num_defval; i++)
		if (untrusted_text(rel->rd_att->constr->defval[i].adbin, b->extension))
			block(b, "default of column",
				  NameStr(TupleDescAttr(rel->rd_att, rel->rd_att->constr->defval[i].adnum - 1)->attname));

	/* foreign keys from the table: none but to a table of the extension, by built-in operators */
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_constraint, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (!b->found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (con->contype == CONSTRAINT_FOREIGN)
		{
			bool		ok = trusted(RelationRelationId, con->confrelid, b->extension) &&
				con->confrelid >= FirstNormalObjectId;
			static const AttrNumber ops[3] = {Anum_pg_constraint_conpfeqop, Anum_pg_constraint_conppeqop,
			Anum_pg_constraint_conffeqop};

			for (int k = 0; ok && k < 3; k++)
			{
				bool		isnull;
				Datum		d = heap_getattr(tup, ops[k], RelationGetDescr(pg_constraint), &isnull);

				if (!isnull)
				{
					ArrayType  *arr = DatumGetArrayTypeP(d);
					Oid		   *opers = (Oid *) ARR_DATA_PTR(arr);

					for (int j = 0; ok && j < ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)); j++)
						ok = trusted(ProcedureRelationId, get_opcode(opers[j]), b->extension);
				}
			}
			if (!ok)
				block(b, "foreign key", NameStr(con->conname));
		}
		else if (con->contype == CONSTRAINT_EXCLUSION)
		{
			/* (its operators: read with the index below) */
		}
	}
	systable_endscan(scan);

	/*
	 * foreign keys to the table: a referencing table's action (CASCADE, SET
	 * NULL or DEFAULT) writes it, firing its triggers; only a table of the
	 * extension's, with NO ACTION or RESTRICT, is left
	 */
	if (!b->found)
	{
		ScanKeyInit(&key, Anum_pg_constraint_confrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(pg_constraint, InvalidOid, false, NULL, 1, &key);
		while (!b->found && HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

			if (con->contype == CONSTRAINT_FOREIGN &&
				!(trusted(RelationRelationId, con->conrelid, b->extension) && con->conrelid >= FirstNormalObjectId &&
				  (con->confupdtype == FKCONSTR_ACTION_NOACTION || con->confupdtype == FKCONSTR_ACTION_RESTRICT) &&
				  (con->confdeltype == FKCONSTR_ACTION_NOACTION || con->confdeltype == FKCONSTR_ACTION_RESTRICT)))
				block(b, "foreign key", NameStr(con->conname));
		}
		systable_endscan(scan);
	}
	table_close(pg_constraint, AccessShareLock);
}

/* The indexes: their access method, operator classes, expressions, predicates, exclusion operators. */
static void
read_indexes(Relation rel, Blocker *b)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		bool		ok = index->rd_rel->relam < FirstNormalObjectId;
		bool		isnull;
		oidvector  *classes = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, index->rd_indextuple,
																		 Anum_pg_index_indclass, &isnull));

		for (int k = 0; ok && !isnull && k < IndexRelationGetNumberOfKeyAttributes(index); k++)
			ok = trusted(OperatorClassRelationId, classes->values[k], b->extension);
		if (ok)
			ok = !untrusted_expression((Node *) RelationGetIndexExpressions(index), b->extension) &&
				!untrusted_expression((Node *) RelationGetIndexPredicate(index), b->extension);
		if (ok && index->rd_index->indisexclusion)
		{
			Oid		   *operators;
			Oid		   *procs;
			uint16	   *strategies;

			RelationGetExclusionInfo(index, &operators, &procs, &strategies);
			for (int k = 0; ok && k < IndexRelationGetNumberOfKeyAttributes(index); k++)
				ok = trusted(ProcedureRelationId, get_opcode(operators[k]), b->extension);
		}
		if (!ok)
			block(b, index->rd_index->indisexclusion ? "exclusion constraint" : "index",
				  RelationGetRelationName(index));
		index_close(index, AccessShareLock);
		if (b->found)
			break;
	}
	list_free(indexes);
}

/* The name of the table's first rule (by name). */
static char *
first_rule_name(Oid relid)
{
	Relation	pg_rewrite = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *name = "?";

	ScanKeyInit(&key, Anum_pg_rewrite_ev_class, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_rewrite, RewriteRelRulenameIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
		name = pstrdup(NameStr(((Form_pg_rewrite) GETSTRUCT(tup))->rulename));
	systable_endscan(scan);
	table_close(pg_rewrite, AccessShareLock);
	return name;
}

static void
read_verdict(Relation rel, Blocker *b)
{
	Oid			relid = RelationGetRelid(rel);

	if (rel->rd_rules != NULL && rel->rd_rules->numLocks > 0)
		block(b, "rule", first_rule_name(relid));
	if (!b->found && rel->rd_rel->relforcerowsecurity)
		block(b, "forced row-level security", RelationGetRelationName(rel));
	if (!b->found && rel->rd_rel->relispartition)
		block(b, "partition of", get_rel_name(get_partition_parent(relid, false)));
	if (!b->found && rel->rd_rel->relhassubclass)
	{
		List	   *children = find_inheritance_children(relid, NoLock);

		if (children != NIL)
			block(b, "inheritance child", get_rel_name(linitial_oid(children)));
	}
	/*
	 * a column of a type neither built in nor the extension's: a domain's
	 * CHECK runs on every value written to it (attack15 02), and an
	 * ALTER DOMAIN ... ADD CONSTRAINT sends the table no invalidation
	 */
	for (int i = 0; !b->found && i < RelationGetDescr(rel)->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);
		Oid			type = att->atttypid;

		if (att->attisdropped)
			continue;
		if (OidIsValid(get_element_type(type)))
			type = get_element_type(type);
		if (!trusted(TypeRelationId, type, b->extension))
			block(b, "column of a user-defined type", NameStr(att->attname));
	}
	if (!b->found)
		read_triggers(rel, b);
	if (!b->found)
		read_constraints(rel, b);
	if (!b->found)
		read_indexes(rel, b);
}

/*
 * Whether the extension may write the table as its owner: true, or false
 * with what blocks it (kind: "trigger", "rule", "index", ...; name: its
 * name).  Takes the table's RowExclusiveLock first.
 */
bool
wf_owner_write_allowed(Oid schema, WfOwnedTable table, const char **kind, const char **name)
{
	OwnerWriteVerdict *v = &verdicts[table];
	uint64		before;
	Relation	rel;
	Blocker		b = {InvalidOid, false, NULL, NULL};

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(forget_relcache, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, forget_syscache, (Datum) 0);
		callbacks_registered = true;
	}
	if (v->schema == schema)
	{
		/* the lock processes the invalidations that came before it */
		LockRelationOid(v->relid, RowExclusiveLock);
		if (v->known && v->schema == schema)
		{
			*kind = v->kind;
			*name = v->name;
			return v->allowed;
		}
	}
	v->known = false;
	elog(DEBUG2, "workflow_ext: reading whether %s may be written as its owner", v->table);
	v->relid = get_relname_relid(v->table, schema);
	if (!OidIsValid(v->relid))
		elog(ERROR, "workflow_ext: table %s is missing", v->table);
	v->schema = schema;
	LockRelationOid(v->relid, RowExclusiveLock);
	before = forgotten;
	b.extension = get_extension_oid("workflow_ext", true);
	rel = table_open(v->relid, NoLock);
	read_verdict(rel, &b);
	table_close(rel, NoLock);
	v->allowed = !b.found;
	strlcpy(v->kind, b.found ? b.kind : "", sizeof(v->kind));
	strlcpy(v->name, b.found ? b.name : "", sizeof(v->name));
	*kind = v->kind;
	*name = v->name;
	/*
	 * Only a write allowed is kept: dropping an inheritance child, for one,
	 * sends its parent no invalidation (relhassubclass is cleared lazily),
	 * and a refusal may read the catalogs again at no cost to a move.
	 */
	if (forgotten == before && v->schema == schema && v->allowed)
		v->known = true;
	return v->allowed;
}

/*
 * Refuses the owner's write of the table while anything of anyone else's
 * would run in it: 55000 owner_write_blocked, naming the table and the object.
 */
void
wf_require_owner_write(Oid schema, WfOwnedTable table)
{
	const char *kind;
	const char *name;

	if (wf_owner_write_allowed(schema, table, &kind, &name))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("workflow_ext does not write %s while it has the %s \"%s\": it writes the table as its owner, and that would run there with the owner's rights",
					verdicts[table].table, kind, name),
			 errdetail_reason("owner_write_blocked", "\"table\": %s, \"kind\": %s, \"name\": %s",
							  wf_json_string(verdicts[table].table), wf_json_string(kind), wf_json_string(name)),
			 errhint("Drop it or disable it (ALTER TABLE ... DISABLE TRIGGER), or build it only from built-in functions and the extension's (README: Changing the extension's tables).")));
}

/* The table's name, for messages. */
const char *
wf_owned_table_name(WfOwnedTable table)
{
	return verdicts[table].table;
}
