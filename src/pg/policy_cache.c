/*
 * policy_cache.c - what the row-level security policies ask about the
 * caller, computed once and kept while nothing it depends on can change.
 *
 * The policies ask which workflows the actor sees (it owns them, administers
 * the tenant, or an accepted share names it or its whole tenant), which it
 * may edit, which are shared with it, and whose pipelines a share from
 * another tenant opens.  The answers are read once by direct index probes
 * of workflow (workflow_tenant_owner_idx, workflow_pkey) and workflow_share
 * (workflow_share_accepted_idx) and kept as sorted arrays (0.2.0 ran
 * SECURITY DEFINER set-returning PL/pgSQL functions again in every
 * statement; test/sql/include/policy_reference.psql is that rule in SQL).
 *
 * The answer depends on, and is kept for, exactly:
 *  - the schema, the tenant, the actor and the tenant_admin claim (as
 *    current_tenant(), current_actor() and is_tenant_admin() give them: the
 *    same 42501 refusals, asked at every call);
 *  - the snapshot the calling statement runs under (what other transactions
 *    committed: xmin, xmax and the in-progress lists), in this transaction;
 *  - this transaction's own writes to workflow and workflow_share: their
 *    statement triggers (policy_cache_written) mark the transaction, whose
 *    answers from then on are kept per command id (what a statement sees of
 *    its own transaction), and a rolled back subtransaction starts anew.
 * So a statement sees exactly what a query of the two tables run under its
 * snapshot returns: a share accepted earlier in the same transaction, or
 * committed by another before the statement's snapshot, is seen; nothing
 * else is.
 *
 * Reading the two tables runs nothing a user can define: heap and btree
 * access with the built-in text and bigint equality, no SQL, no trigger, no
 * cast.  It reads them whatever the caller's rights (the policies of the two
 * tables would recurse otherwise); only roles the application grants EXECUTE
 * to may call the functions directly (README: Privileges).
 */
#include "workflow_ext.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(wf_visible_workflow_array);
PG_FUNCTION_INFO_V1(wf_editable_workflow_array);
PG_FUNCTION_INFO_V1(wf_shared_workflow_array);
PG_FUNCTION_INFO_V1(wf_shared_pipeline);
PG_FUNCTION_INFO_V1(wf_own_pipeline);
PG_FUNCTION_INFO_V1(wf_policy_cache_written);

/* An accepted share naming the caller or its tenant. */
typedef struct PolicyShare
{
	int64		workflow_id;
	bool		can_edit;		/* some accepted share of it has can_edit */
	char	   *workflow_tenant;	/* NULL: the workflow is gone */
} PolicyShare;

typedef struct PolicyCache
{
	bool		valid;
	/* the key */
	LocalTransactionId lxid;
	Oid			schema;
	char	   *tenant;
	char	   *actor;
	bool		admin;
	uint64		epoch;
	bool		by_command;		/* this transaction wrote the tables */
	CommandId	curcid;
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	TransactionId *xip;
	int32		subxcnt;
	TransactionId *subxip;
	bool		suboverflowed;
	/* the answers */
	int			n_own;
	int64	   *own;			/* owned, or every workflow of the tenant for an admin */
	int			n_shares;
	PolicyShare *shares;		/* sorted by workflow_id, one per workflow */
	ArrayType  *visible;
	ArrayType  *editable;
	ArrayType  *shared;
	ArrayType  *shared_edit;
} PolicyCache;

static PolicyCache cache;
static MemoryContext cache_context = NULL;

/* Bumped by the triggers and by every subtransaction rollback. */
static uint64 epoch = 0;
/* The transaction whose statements wrote workflow or workflow_share. */
static LocalTransactionId written_lxid = InvalidLocalTransactionId;
static bool callbacks_registered = false;

/*
 * The statements of this transaction writing workflow or workflow_share now
 * (BEFORE fired, AFTER not yet): the command id their rows get and the
 * subtransaction they run in.  A snapshot of a later command id (a volatile
 * function they call) sees their rows appear one by one under the same key:
 * its answers are not kept.
 */
typedef struct PolicyWriter
{
	CommandId	cid;
	SubTransactionId subid;
} PolicyWriter;

static PolicyWriter writers[64];
static int	n_writers = 0;
static int	lost_writers = 0;	/* past the 64: nothing kept until the transaction ends */
static LocalTransactionId writers_lxid = InvalidLocalTransactionId;

/* Is a statement writing the tables now whose rows a snapshot of curcid sees? */
static bool
writing_seen_by(CommandId curcid)
{
	if (writers_lxid != MyProc->lxid)
		return false;
	if (lost_writers > 0)
		return true;
	for (int i = 0; i < n_writers; i++)
		if (curcid > writers[i].cid)
			return true;
	return false;
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		epoch++;
		/* the statements begun in it are over (their AFTER never fires) */
		if (writers_lxid == MyProc->lxid)
			while (n_writers > 0 && writers[n_writers - 1].subid >= mySubid)
				n_writers--;
	}
}

static int
compare_share(const void *a, const void *b)
{
	return wf_compare_int64(&((const PolicyShare *) a)->workflow_id, &((const PolicyShare *) b)->workflow_id);
}

/*
 * The relations, indexes and columns read, looked up by name in the
 * extension's schema once per backend (again after a relcache invalidation
 * of any of them: DDL).
 */
typedef struct PolicyRelations
{
	bool		valid;
	Oid			schema;
	Oid			workflow;
	Oid			share;
	Oid			owner_idx;		/* workflow_tenant_owner_idx */
	Oid			accepted_idx;	/* workflow_share_accepted_idx */
	Oid			pkey;			/* workflow_pkey */
	AttrNumber	w_id;
	AttrNumber	w_tenant;
	AttrNumber	w_owner;
	AttrNumber	s_workflow;
	AttrNumber	s_grantee_tenant;
	AttrNumber	s_grantee;
	AttrNumber	s_can_edit;
	AttrNumber	s_accepted;
} PolicyRelations;

static PolicyRelations rels;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rels.workflow || relid == rels.share || relid == rels.owner_idx ||
		relid == rels.accepted_idx || relid == rels.pkey)
		rels.valid = false;
}

/* The relation of the extension's schema of that name and kind, or an error. */
static Oid
extension_relation(Oid schema, const char *name)
{
	Oid			relid = get_relname_relid(name, schema);

	if (!OidIsValid(relid))
		elog(ERROR, "workflow_ext: relation %s of the extension is missing", name);
	return relid;
}

static AttrNumber
column(Oid relid, const char *name)
{
	AttrNumber	attno = get_attnum(relid, name);

	if (attno == InvalidAttrNumber)
		elog(ERROR, "workflow_ext: column %s of relation %u is missing", name, relid);
	return attno;
}

/* An index of the extension's schema, checked to be relid's. */
static Oid
extension_index(Oid schema, const char *indexname, Oid relid)
{
	Oid			index = extension_relation(schema, indexname);

	if (IndexGetRelation(index, false) != relid)
		elog(ERROR, "workflow_ext: index %s is not an index of relation %u", indexname, relid);
	return index;
}

static void
look_up_relations(Oid schema)
{
	if (rels.valid && rels.schema == schema)
		return;
	if (!callbacks_registered)
	{
		RegisterSubXactCallback(subxact_callback, NULL);
		CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
		callbacks_registered = true;
	}
	rels.valid = false;
	rels.schema = schema;
	rels.workflow = extension_relation(schema, "workflow");
	rels.share = extension_relation(schema, "workflow_share");
	rels.owner_idx = extension_index(schema, "workflow_tenant_owner_idx", rels.workflow);
	rels.accepted_idx = extension_index(schema, "workflow_share_accepted_idx", rels.share);
	rels.pkey = extension_index(schema, "workflow_pkey", rels.workflow);
	rels.w_id = column(rels.workflow, "id");
	rels.w_tenant = column(rels.workflow, "tenant");
	rels.w_owner = column(rels.workflow, "owner");
	rels.s_workflow = column(rels.share, "workflow_id");
	rels.s_grantee_tenant = column(rels.share, "grantee_tenant");
	rels.s_grantee = column(rels.share, "grantee");
	rels.s_can_edit = column(rels.share, "can_edit");
	rels.s_accepted = column(rels.share, "accepted_at");
	rels.valid = true;
}

/*
 * An index scan of heap through index indexoid, keys naming heap columns.
 * Not systable_beginscan(): with ignore_system_indexes (which any role may
 * set when it connects) that falls back to a heap scan, where the key
 * "grantee IS NULL" (SK_SEARCHNULL) matches nothing: the shares with a whole
 * tenant would vanish.
 */
typedef struct PolicyScan
{
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
} PolicyScan;

static void
policy_beginscan(PolicyScan *ps, Relation heap, Oid indexoid, Snapshot snapshot, int nkeys, ScanKey keys)
{
	ps->index = index_open(indexoid, AccessShareLock);
	for (int i = 0; i < nkeys; i++)
	{
		int			j;

		for (j = 0; j < IndexRelationGetNumberOfKeyAttributes(ps->index); j++)
			if (keys[i].sk_attno == ps->index->rd_index->indkey.values[j])
				break;
		if (j == IndexRelationGetNumberOfKeyAttributes(ps->index))
			elog(ERROR, "workflow_ext: column %d is not a key of index %u", keys[i].sk_attno, indexoid);
		keys[i].sk_attno = j + 1;
	}
	ps->slot = table_slot_create(heap, NULL);
	ps->scan = index_beginscan(heap, ps->index, snapshot, nkeys, 0);
	index_rescan(ps->scan, keys, nkeys, NULL, 0);
}

/* The next tuple, or NULL; valid until the next call. */
static HeapTuple
policy_getnext(PolicyScan *ps)
{
	bool		should_free;

	if (!index_getnext_slot(ps->scan, ForwardScanDirection, ps->slot))
		return NULL;
	return ExecFetchSlotHeapTuple(ps->slot, false, &should_free);
}

static void
policy_endscan(PolicyScan *ps)
{
	index_endscan(ps->scan);
	ExecDropSingleTupleTableSlot(ps->slot);
	index_close(ps->index, AccessShareLock);
}

/* key: column attno of rel = text value, in the column's collation. */
static void
text_key(ScanKey key, Relation rel, AttrNumber attno, const char *value)
{
	ScanKeyInit(key, attno, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(value));
	key->sk_collation = TupleDescAttr(RelationGetDescr(rel), attno - 1)->attcollation;
}

static ArrayType *
int64_array(int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* The sorted union of own and the shares (those with can_edit when for_edit), no duplicates. */
static ArrayType *
union_array(bool with_own, bool for_edit)
{
	int64	   *ids = palloc(sizeof(int64) * Max(cache.n_own + cache.n_shares, 1));
	int			n = 0;
	int			kept = 0;

	if (with_own)
		for (int i = 0; i < cache.n_own; i++)
			ids[n++] = cache.own[i];
	for (int i = 0; i < cache.n_shares; i++)
		if (cache.shares[i].can_edit || !for_edit)
			ids[n++] = cache.shares[i].workflow_id;
	qsort(ids, n, sizeof(int64), wf_compare_int64);
	for (int i = 0; i < n; i++)
		if (kept == 0 || ids[kept - 1] != ids[i])
			ids[kept++] = ids[i];
	return int64_array(ids, kept);
}

/* Reads the answers for the key just set (in cache_context). */
static void
compute(Snapshot snapshot)
{
	Relation	wrel;
	Relation	srel;
	AttrNumber	w_id,
				w_tenant,
				w_owner,
				s_workflow,
				s_grantee_tenant,
				s_grantee,
				s_can_edit,
				s_accepted;
	ScanKeyData keys[2];
	PolicyScan	scan;
	HeapTuple	tuple;
	int			size = 16;
	int			n;

	look_up_relations(cache.schema);
	wrel = table_open(rels.workflow, AccessShareLock);
	srel = table_open(rels.share, AccessShareLock);
	w_id = rels.w_id;
	w_tenant = rels.w_tenant;
	w_owner = rels.w_owner;
	s_workflow = rels.s_workflow;
	s_grantee_tenant = rels.s_grantee_tenant;
	s_grantee = rels.s_grantee;
	s_can_edit = rels.s_can_edit;
	s_accepted = rels.s_accepted;

	/* Owned: tenant = T AND (owner = A OR admin) */
	cache.own = palloc(sizeof(int64) * size);
	cache.n_own = 0;
	text_key(&keys[0], wrel, w_tenant, cache.tenant);
	text_key(&keys[1], wrel, w_owner, cache.actor);
	policy_beginscan(&scan, wrel, rels.owner_idx, snapshot, cache.admin ? 1 : 2, keys);
	while (HeapTupleIsValid(tuple = policy_getnext(&scan)))
	{
		bool		isnull;
		Datum		id = heap_getattr(tuple, w_id, RelationGetDescr(wrel), &isnull);

		if (isnull)
			continue;
		if (cache.n_own == size)
		{
			size *= 2;
			cache.own = repalloc(cache.own, sizeof(int64) * size);
		}
		cache.own[cache.n_own++] = DatumGetInt64(id);
	}
	policy_endscan(&scan);
	qsort(cache.own, cache.n_own, sizeof(int64), wf_compare_int64);

	/*
	 * Accepted shares: grantee_tenant = T AND (grantee IS NULL OR grantee =
	 * A) AND accepted_at IS NOT NULL, two probes of the accepted shares.
	 */
	size = 16;
	cache.shares = palloc(sizeof(PolicyShare) * size);
	cache.n_shares = 0;
	for (int probe = 0; probe < 2; probe++)
	{
		text_key(&keys[0], srel, s_grantee_tenant, cache.tenant);
		if (probe == 0)
			ScanKeyEntryInitialize(&keys[1], SK_ISNULL | SK_SEARCHNULL, s_grantee, InvalidStrategy,
								   InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
		else
			text_key(&keys[1], srel, s_grantee, cache.actor);
		policy_beginscan(&scan, srel, rels.accepted_idx, snapshot, 2, keys);
		while (HeapTupleIsValid(tuple = policy_getnext(&scan)))
		{
			TupleDesc	desc = RelationGetDescr(srel);
			bool		isnull;
			Datum		wf = heap_getattr(tuple, s_workflow, desc, &isnull);
			bool		edit;

			if (isnull)
				continue;
			(void) heap_getattr(tuple, s_accepted, desc, &isnull);
			if (isnull)
				continue;		/* (the index holds accepted shares only) */
			edit = DatumGetBool(heap_getattr(tuple, s_can_edit, desc, &isnull));
			if (cache.n_shares == size)
			{
				size *= 2;
				cache.shares = repalloc(cache.shares, sizeof(PolicyShare) * size);
			}
			cache.shares[cache.n_shares].workflow_id = DatumGetInt64(wf);
			cache.shares[cache.n_shares].can_edit = !isnull && edit;
			cache.shares[cache.n_shares].workflow_tenant = NULL;
			cache.n_shares++;
		}
		policy_endscan(&scan);
	}
	/* one entry per workflow, can_edit when any share of it has it */
	qsort(cache.shares, cache.n_shares, sizeof(PolicyShare), compare_share);
	n = 0;
	for (int i = 0; i < cache.n_shares; i++)
	{
		if (n > 0 && cache.shares[n - 1].workflow_id == cache.shares[i].workflow_id)
			cache.shares[n - 1].can_edit |= cache.shares[i].can_edit;
		else
			cache.shares[n++] = cache.shares[i];
	}
	cache.n_shares = n;

	/* The tenant of each shared workflow (whose pipelines a share opens). */
	for (int i = 0; i < cache.n_shares; i++)
	{
		ScanKeyInit(&keys[0], w_id, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(cache.shares[i].workflow_id));
		policy_beginscan(&scan, wrel, rels.pkey, snapshot, 1, keys);
		tuple = policy_getnext(&scan);
		if (HeapTupleIsValid(tuple))
		{
			bool		isnull;
			Datum		t = heap_getattr(tuple, w_tenant, RelationGetDescr(wrel), &isnull);

			if (!isnull)
				cache.shares[i].workflow_tenant = TextDatumGetCString(t);
		}
		policy_endscan(&scan);
	}

	table_close(srel, AccessShareLock);
	table_close(wrel, AccessShareLock);

	cache.visible = union_array(true, false);
	cache.editable = union_array(true, true);
	cache.shared = union_array(false, false);
	cache.shared_edit = union_array(false, true);
}

static bool
same_string(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Is the cache the answer for this key? */
static bool
cache_matches(Oid schema, const char *tenant, const char *actor, bool admin, Snapshot snapshot,
			  bool by_command)
{
	if (!cache.valid || cache.lxid != MyProc->lxid || cache.schema != schema || cache.admin != admin ||
		cache.epoch != epoch || cache.by_command != by_command ||
		(by_command && cache.curcid != snapshot->curcid) ||
		!same_string(cache.tenant, tenant) || !same_string(cache.actor, actor))
		return false;
	if (cache.xmin != snapshot->xmin || cache.xmax != snapshot->xmax ||
		cache.xcnt != snapshot->xcnt || cache.subxcnt != snapshot->subxcnt ||
		cache.suboverflowed != snapshot->suboverflowed)
		return false;
	if (snapshot->xcnt > 0 && memcmp(cache.xip, snapshot->xip, sizeof(TransactionId) * snapshot->xcnt) != 0)
		return false;
	if (snapshot->subxcnt > 0 &&
		memcmp(cache.subxip, snapshot->subxip, sizeof(TransactionId) * snapshot->subxcnt) != 0)
		return false;
	return true;
}

/* The answers for the caller, now. */
static PolicyCache *
policy_answers(FunctionCallInfo fcinfo)
{
	Oid		   *schema_extra = (Oid *) fcinfo->flinfo->fn_extra;
	Oid			schema;
	const char *tenant = wf_tenant();	/* (asks for the actor first) */
	const char *actor = wf_actor();
	bool		admin = wf_tenant_admin_setting ? wf_tenant_admin() : false;
	bool		cacheable = ActiveSnapshotSet();
	Snapshot	snapshot = cacheable ? GetActiveSnapshot() : GetTransactionSnapshot();
	bool		by_command = written_lxid == MyProc->lxid;
	MemoryContext old;

	if (schema_extra == NULL)
	{
		schema_extra = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*schema_extra = get_func_namespace(fcinfo->flinfo->fn_oid);
		fcinfo->flinfo->fn_extra = schema_extra;
	}
	schema = *schema_extra;
	if (snapshot->snapshot_type != SNAPSHOT_MVCC || writing_seen_by(snapshot->curcid))
		cacheable = false;
	if (cacheable && cache_matches(schema, tenant, actor, admin, snapshot, by_command))
		return &cache;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(TopMemoryContext, "workflow_ext policy cache",
											  ALLOCSET_SMALL_SIZES);
	cache.valid = false;
	MemoryContextReset(cache_context);
	old = MemoryContextSwitchTo(cache_context);
	cache.lxid = MyProc->lxid;
	cache.schema = schema;
	cache.tenant = pstrdup(tenant);
	cache.actor = pstrdup(actor);
	cache.admin = admin;
	cache.epoch = epoch;
	cache.by_command = by_command;
	cache.curcid = snapshot->curcid;
	cache.xmin = snapshot->xmin;
	cache.xmax = snapshot->xmax;
	cache.xcnt = snapshot->xcnt;
	cache.xip = palloc(sizeof(TransactionId) * Max(snapshot->xcnt, 1));
	if (snapshot->xcnt > 0)
		memcpy(cache.xip, snapshot->xip, sizeof(TransactionId) * snapshot->xcnt);
	cache.subxcnt = snapshot->subxcnt;
	cache.subxip = palloc(sizeof(TransactionId) * Max(snapshot->subxcnt, 1));
	if (snapshot->subxcnt > 0)
		memcpy(cache.subxip, snapshot->subxip, sizeof(TransactionId) * snapshot->subxcnt);
	cache.suboverflowed = snapshot->suboverflowed;
	compute(snapshot);
	MemoryContextSwitchTo(old);
	/* an error above leaves the cache invalid; a snapshot we cannot key, too */
	cache.valid = cacheable;
	return &cache;
}

/* A copy in the caller's memory: the caller may free what it is given. */
static Datum
array_copy(ArrayType *a)
{
	ArrayType  *copy = palloc(VARSIZE(a));

	memcpy(copy, a, VARSIZE(a));
	return PointerGetDatum(copy);
}

/* visible_workflow_array(): the workflows the caller sees, as a sorted array. */
Datum
wf_visible_workflow_array(PG_FUNCTION_ARGS)
{
	return array_copy(policy_answers(fcinfo)->visible);
}

/* editable_workflow_array(): the workflows the caller may edit. */
Datum
wf_editable_workflow_array(PG_FUNCTION_ARGS)
{
	return array_copy(policy_answers(fcinfo)->editable);
}

/*
 * shared_workflow_array(for_edit): the workflows an accepted share names
 * the caller or its tenant for (with for_edit: shares with can_edit).  A NULL
 * for_edit is what "can_edit OR NOT for_edit" makes of it: the shares with
 * can_edit only.
 */
Datum
wf_shared_workflow_array(PG_FUNCTION_ARGS)
{
	PolicyCache *c = policy_answers(fcinfo);

	return array_copy(PG_ARGISNULL(0) || PG_GETARG_BOOL(0) ? c->shared_edit : c->shared);
}

/*
 * shared_pipeline(workflow_id, tenant, for_edit): is (workflow_id, tenant) a
 * workflow of another tenant, with that tenant, shared with the caller (with
 * for_edit: with can_edit)?  A binary search of the shares.  NULLs answer as
 * (workflow_id, tenant) IN (SELECT ...) of that set does: a NULL for_edit
 * asks for the shares with can_edit; a NULL in the row gives NULL when a row
 * of the set could match it, false otherwise.
 */
Datum
wf_shared_pipeline(PG_FUNCTION_ARGS)
{
	int64		workflow_id;
	text	   *tenant;
	bool		for_edit = PG_ARGISNULL(2) || PG_GETARG_BOOL(2);
	PolicyCache *c = policy_answers(fcinfo);
	int			lo = 0;
	int			hi = c->n_shares - 1;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		for (int i = 0; i < c->n_shares; i++)
		{
			PolicyShare *s = &c->shares[i];

			if (s->workflow_tenant == NULL || !(s->can_edit || !for_edit) ||
				strcmp(s->workflow_tenant, c->tenant) == 0)
				continue;		/* not a row of the set */
			if (!PG_ARGISNULL(0) && s->workflow_id != PG_GETARG_INT64(0))
				continue;
			if (!PG_ARGISNULL(1) && strcmp(s->workflow_tenant, text_to_cstring(PG_GETARG_TEXT_PP(1))) != 0)
				continue;
			PG_RETURN_NULL();
		}
		PG_RETURN_BOOL(false);
	}
	workflow_id = PG_GETARG_INT64(0);
	tenant = PG_GETARG_TEXT_PP(1);
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		PolicyShare *s = &c->shares[mid];

		if (s->workflow_id < workflow_id)
			lo = mid + 1;
		else if (s->workflow_id > workflow_id)
			hi = mid - 1;
		else
		{
			size_t		len = VARSIZE_ANY_EXHDR(tenant);

			PG_RETURN_BOOL(s->workflow_tenant != NULL && (s->can_edit || !for_edit) &&
						   strcmp(s->workflow_tenant, c->tenant) != 0 &&
						   strlen(s->workflow_tenant) == len &&
						   memcmp(s->workflow_tenant, VARDATA_ANY(tenant), len) == 0);
		}
	}
	PG_RETURN_BOOL(false);
}

/*
 * own_pipeline(workflow_id, tenant, for_edit): tenant = current_tenant() AND
 * workflow_id = ANY (visible_workflow_array()) (editable_workflow_array()
 * with for_edit), by a binary search of the kept answer.  The policies of the
 * pipeline tables test it row by row (their other arm, shared_pipeline(), is
 * no index condition, so neither is this one): "= ANY (array)" there would
 * compare each row with every element, a tenant administrator's thousands.
 */
Datum
wf_own_pipeline(PG_FUNCTION_ARGS)
{
	int64		workflow_id = PG_GETARG_INT64(0);
	text	   *tenant = PG_GETARG_TEXT_PP(1);
	bool		for_edit = PG_GETARG_BOOL(2);
	PolicyCache *c = policy_answers(fcinfo);
	ArrayType  *a = for_edit ? c->editable : c->visible;
	const int64 *ids = (const int64 *) ARR_DATA_PTR(a);
	size_t		len = VARSIZE_ANY_EXHDR(tenant);
	int			lo = 0;
	int			hi = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) - 1;

	if (strlen(c->tenant) != len || memcmp(c->tenant, VARDATA_ANY(tenant), len) != 0)
		PG_RETURN_BOOL(false);
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ids[mid] < workflow_id)
			lo = mid + 1;
		else if (ids[mid] > workflow_id)
			hi = mid - 1;
		else
			PG_RETURN_BOOL(true);
	}
	PG_RETURN_BOOL(false);
}

/*
 * Statement trigger on workflow and workflow_share: this transaction changes
 * what the policies read, so from now on its answers are kept per command id
 * (a change is seen by the next statement, not by the one that made it).
 * It fires BEFORE the statement too: while the statement runs, a volatile
 * function it calls (in RETURNING, a row trigger, a default) takes a newer
 * command id and sees the rows written so far, as a query of the tables would.
 */
Datum
wf_policy_cache_written(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo) || TRIGGER_FIRED_INSTEAD(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("policy_cache_written() must be a BEFORE or AFTER statement trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	relid = RelationGetRelid(td->tg_relation);
	if (!wf_is_extension_table(relid, schema, "workflow") && !wf_is_extension_table(relid, schema, "workflow_share"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("policy_cache_written() fires only on workflow_ext's workflow and workflow_share, not on \"%s\"",
						RelationGetRelationName(td->tg_relation)),
				 errdetail_reason("trigger_protocol", NULL)));
	written_lxid = MyProc->lxid;
	epoch++;
	if (writers_lxid != MyProc->lxid)
	{
		writers_lxid = MyProc->lxid;
		n_writers = 0;
		lost_writers = 0;
	}
	if (TRIGGER_FIRED_BEFORE(td->tg_event))
	{
		if (n_writers < lengthof(writers))
		{
			/*
			 * Its rows get the command id of its snapshot (not a later one a
			 * volatile function of the same query may have moved on to).
			 */
			CommandId	cid = GetCurrentCommandId(false);

			if (ActiveSnapshotSet() && GetActiveSnapshot()->curcid < cid)
				cid = GetActiveSnapshot()->curcid;
			writers[n_writers].cid = cid;
			writers[n_writers].subid = GetCurrentSubTransactionId();
			n_writers++;
		}
		else
			lost_writers++;
	}
	else if (lost_writers > 0)
		lost_writers--;
	else if (n_writers > 0)
		n_writers--;
	return PointerGetDatum(NULL);
}
