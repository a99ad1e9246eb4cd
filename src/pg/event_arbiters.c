/*
 * event_arbiters.c - whether ON CONFLICT DO NOTHING could skip anything when
 * a write inserts the entry events of visits it began itself.  If no
 * arbiter of alert_event could decide anything, those events are written by
 * a plain INSERT (pipeline_events.c); otherwise by the statement with ON
 * CONFLICT DO NOTHING, as before.
 *
 * The verdict depends only on alert_event's rules, triggers and unique
 * indexes and on the trigger functions' pg_proc rows, so it is kept per
 * backend and dropped on a relcache invalidation of alert_event (CREATE or
 * DROP INDEX, CREATE/ALTER/DROP TRIGGER or RULE all send one, also when
 * rolled back) or a change of any function.  Reading the catalogs at every
 * single move cost ~7% of it (GetDefaultOpClass scans pg_opclass).
 */
#include "workflow_ext.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_index.h"
#include "catalog/pg_language.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "pipeline.h"

/* workflow_ext.control's module_pathname: the probin of the extension's C functions */
#define WF_MODULE_PATHNAME "$libdir/workflow_ext"

static Oid	verdict_relid = InvalidOid; /* InvalidOid: no verdict kept */
static bool verdict;
static uint64 forgotten = 0;	/* invalidations seen: one during a read voids it */
static bool callbacks_registered = false;

static void
forget_verdict_relcache(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == verdict_relid || !OidIsValid(verdict_relid))
	{
		verdict_relid = InvalidOid;
		forgotten++;
	}
}

static void
forget_verdict_syscache(Datum arg, int cacheid, uint32 hashvalue)
{
	verdict_relid = InvalidOid;
	forgotten++;
}

/*
 * True for a function of the extension's own C code (a C function of this
 * library: only a superuser creates one).  Decided from pg_proc, whose
 * changes drop the verdict, rather than from pg_depend's membership, whose
 * changes (ALTER EXTENSION ADD) send no invalidation.
 */
static bool
is_extension_code(Oid function)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	bool		result = false;

	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		probin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);

		result = ((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId && !isnull &&
			strcmp(TextDatumGetCString(probin), WF_MODULE_PATHNAME) == 0;
		ReleaseSysCache(tup);
	}
	return result;
}

/* True for a partial index WHERE cause = '<not entry>' (alert_event_sla_once_idx): no entry event enters it. */
static bool
excludes_entries(Oid index_id, AttrNumber cause_col)
{
	Relation	index = index_open(index_id, AccessShareLock);
	List	   *predicate = RelationGetIndexPredicate(index);
	bool		result = false;

	if (list_length(predicate) == 1 && IsA(linitial(predicate), OpExpr))
	{
		OpExpr	   *op = (OpExpr *) linitial(predicate);

		if (op->opno == TextEqualOperator && list_length(op->args) == 2 &&
			IsA(linitial(op->args), Var) && IsA(lsecond(op->args), Const))
		{
			Var		   *var = (Var *) linitial(op->args);
			Const	   *value = (Const *) lsecond(op->args);

			/* (under a nondeterministic collation 'ENTRY' may equal 'entry') */
			result = var->varattno == cause_col && !value->constisnull &&
				(!OidIsValid(op->inputcollid) || get_collation_isdeterministic(op->inputcollid)) &&
				strcmp(TextDatumGetCString(value->constvalue), "entry") != 0;
		}
	}
	index_close(index, AccessShareLock);
	return result;
}

/*
 * The verdict read from the catalogs: no rule, no BEFORE INSERT trigger (row
 * or statement) but the extension's, and each unique index or exclusion constraint
 * immediate and either the key id alone (ids drawn from the sequence), a
 * key among whose columns are transition_id and alert_id (a new visit's id
 * that no earlier event names, and distinct alerts within the visit), or a
 * partial index that no entry event enters (WHERE cause = 'sla').  The
 * extension's three are; a unique index of the owner's that is not (e.g. one
 * event per alert and candidate) keeps ON CONFLICT DO NOTHING, as before.
 */
static bool
read_verdict(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	AttrNumber	id_col = get_attnum(relid, "id");
	AttrNumber	transition_col = get_attnum(relid, "transition_id");
	AttrNumber	alert_col = get_attnum(relid, "alert_id");
	AttrNumber	cause_col = get_attnum(relid, "cause");
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		none = true;
	Oid			int8_ops = GetDefaultOpClass(INT8OID, BTREE_AM_OID);

	/*
	 * A rule (ON CONFLICT is refused with it: keep that error) or a BEFORE
	 * INSERT trigger that is not the extension's: a row trigger may change
	 * the row's alert, visit or cause into one an index holds already, and a
	 * statement trigger runs after this choice and before the rows go in (it
	 * may change the candidate's facts and raise the new visit's alerts
	 * first: test/repros/attack6/04): the statement as before.
	 */
	if (rel->rd_rules != NULL)
		none = false;
	for (int i = 0; none && rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
	{
		const Trigger *t = &rel->trigdesc->triggers[i];

		if (t->tgenabled != TRIGGER_DISABLED && !t->tgisinternal &&
			TRIGGER_FOR_BEFORE(t->tgtype) && TRIGGER_FOR_INSERT(t->tgtype) &&
			!is_extension_code(t->tgfoid))
			none = false;
	}
	foreach(lc, none ? indexes : NIL)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;
		bool		has_transition = false;
		bool		has_alert = false;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "workflow_ext: index %u of alert_event is missing", lfirst_oid(lc));
		index = (Form_pg_index) GETSTRUCT(tup);
		if (index->indisunique || index->indisexclusion)
		{
			bool		classes_null;
			oidvector  *classes = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tup,
																			 Anum_pg_index_indclass,
																			 &classes_null));

			/* (a column counts under bigint's own equality only: an owner's opclass may be coarser) */
			for (int k = 0; k < index->indnkeyatts; k++)
			{
				bool		plain = !classes_null && classes->values[k] == int8_ops;

				has_transition |= plain && index->indkey.values[k] == transition_col;
				has_alert |= plain && index->indkey.values[k] == alert_col;
			}
			if (index->indisexclusion || !index->indimmediate ||
				!((index->indnkeyatts == 1 && index->indkey.values[0] == id_col &&
				   !classes_null && classes->values[0] == int8_ops) ||
				  (has_transition && has_alert) || excludes_entries(index->indexrelid, cause_col)))
				none = false;
		}
		ReleaseSysCache(tup);
		if (!none)
			break;
	}
	list_free(indexes);
	return none;
}

/*
 * Whether no arbiter of alert_event (relid) could refuse an entry event of
 * a visit begun by the same write: then ON CONFLICT DO NOTHING would skip
 * nothing.  Takes the INSERT's own lock first, so that a concurrent CREATE
 * INDEX or CREATE TRIGGER either committed before (its invalidation is
 * read with the lock) or waits for this transaction.
 */
bool
wf_event_arbiters_decide_nothing(Oid relid)
{
	Relation	rel;
	uint64		before = forgotten;
	bool		result;

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(forget_verdict_relcache, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, forget_verdict_syscache, (Datum) 0);
		callbacks_registered = true;
	}
	LockRelationOid(relid, RowExclusiveLock);
	if (OidIsValid(relid) && relid == verdict_relid)
		return verdict;
	rel = table_open(relid, NoLock);
	result = read_verdict(rel);
	table_close(rel, NoLock);
	if (forgotten == before)
	{
		verdict = result;
		verdict_relid = relid;
	}
	return result;
}
