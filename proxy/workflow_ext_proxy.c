/*
 * workflow_ext_proxy.c - the front's call path and its bounds
 * (docs/scale-out.md: Layout, Failures, Capacity model).
 *
 * call_tenant(), job_candidates(), move_to_stage() and move_to_next_stage()
 * -- every call of the API (the other generated wrappers call call_tenant) --
 * reach the tenant's shard with this module's own libpq client, not PL/Proxy (issue 22: PL/Proxy parses and
 * plans an unnamed statement on the shard at every call, and a remote error
 * leaves its connection half-read, so the shard had to return errors as data
 * from a PL/pgSQL frame with an EXCEPTION block):
 *
 * - one connection per partition per front backend, opened at the first call
 *   and kept (shard_conns); its conninfo is PL/Proxy's: option pK of the
 *   SQL/MED server workflow_shards plus the user and password of the current
 *   user's user mapping of that server (USAGE on the server checked at every
 *   call).
 *   A change of pg_foreign_server or pg_user_mapping (syscache callbacks)
 *   marks every connection stale: the next call compares the conninfo and
 *   reconnects when it changed.  A non-superuser's connection must have used
 *   a password (postgres_fdw's rule: otherwise the front's own OS identity,
 *   trust or .pgpass would authenticate it).
 * - named prepared statements per connection (prepared on first use); a call
 *   is one pipeline and one round trip: wf_ctx (the search_path, the tenant,
 *   the actor and tenant_admin, set_config(..., true): local to the implicit
 *   transaction of the one Sync; no row back), then the operation's statement
 *   (the two moves: one statement that sets the context itself, CTX below).
 *   The read keeps wf_ctx as a statement of its own: its row-level security
 *   and job_tenant() read the context, and inside one SELECT of a table no
 *   order of evaluation puts the set_config()s first (a move's are the
 *   argument of the function it calls); and wf_ctx sets its plan_cache_mode
 *   before the read is bound, which is when PostgreSQL chooses its plan (see
 *   call_shard).  The rows
 *   of the read and of the moves come in binary, decoded here for fixed
 *   built-in types only (recv_value).  The frequent operations (move_to_stage, move_to_next_stage, add_candidate,
 *   the read of a job's pipeline) call workflow_ext's function or table
 *   directly -- the two moves as C functions of their own that send their
 *   arguments and return the shard's row as they are (no PL/pgSQL wrapper,
 *   no jsonb round trip): the shard's error arrives as a protocol error and is raised
 *   again with its SQLSTATE, message, DETAIL and HINT.  Every other operation
 *   goes through workflow_ext's shard_call (its dispatch by name, its error as
 *   data, parsed as a shard_answer).
 * - the wait for the shard is WaitEventSetWait on the connection's socket and
 *   the latch, bounded by workflow_ext_proxy.shard_timeout (connection start
 *   included), with CHECK_FOR_INTERRUPTS: a frozen shard is abandoned at the
 *   bound (08006 shard_timeout naming it; the connection closed, no blocking
 *   cancel request), a shard down is 08006 shard_unreachable, a shorter
 *   statement_timeout is 08006 shard_timeout too.  A connection interrupted
 *   mid-call (a cancel, statement_timeout, any error in the wait) is closed
 *   (at once, or by the (sub)transaction abort callbacks); the next call
 *   connects again.
 *
 * What stays on PL/Proxy (functions in the install script): the SLA sweep
 * (route_partition), shard_health (partition_status) and move_tenant's
 * partition_* steps: rare calls.  Their bound is the lock-timeout timer
 * below: PL/Proxy 2.10 waits for a shard in poll() for a second at a time
 * and checks its query_timeout only after a socket event, which a frozen
 * shard never sends, and answers statement_timeout with a blocking PQcancel()
 * to that frozen shard.  shard_deadline_arm() arms PostgreSQL's lock timeout
 * timer for shard_timeout around one PL/Proxy call; when it fires the wait
 * is interrupted with 55P03, which PL/Proxy does not treat as a cancel (no
 * cancel request), and shard_deadline_disarm() says it fired.
 *
 * shard_count(): the number of partitions of the server workflow_shards,
 * read from the syscache.  route(): route_tenant's common case in C.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>
#include <poll.h>

#include "libpq-fe.h"

#include "access/xact.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "pgstat.h"
#include "port/pg_bswap.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* workflow_ext_proxy.shard_timeout, in milliseconds (0: no bound) */
static int	shard_timeout_ms = 5000;

/* Whether shard_deadline_arm() armed the timer that is (or was) running. */
static bool deadline_armed = false;

/* The (sub)transaction level it was armed at. */
static int	deadline_level = 0;

/*
 * Whether the timer had fired when the (sub)transaction it was armed in
 * aborted (the disarm then runs in the caller's exception handler).
 */
static bool deadline_fired_at_abort = false;

/*
 * The timer never outlives the (sub)transaction that armed it: an error that
 * escapes a front call's handlers (a cancel passing a WHEN OTHERS, caught
 * further out by the caller's own handler) would otherwise leave it running,
 * to interrupt whatever runs next in that session -- a later statement, the
 * next transaction, another client's on a pooled connection -- with 55P03
 * "canceling statement due to lock timeout".
 */
static void
deadline_forget(bool at_abort)
{
	if (!deadline_armed)
		return;
	if (get_timeout_active(LOCK_TIMEOUT))
		disable_timeout(LOCK_TIMEOUT, false);
	else if (at_abort)
		deadline_fired_at_abort = true;
	deadline_armed = false;
}

static void shard_conns_abandon_busy(void);

static void
deadline_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		shard_conns_abandon_busy();
	deadline_forget(false);
	deadline_fired_at_abort = false;
}

static void
deadline_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	shard_conns_abandon_busy();
	if (GetCurrentTransactionNestLevel() <= deadline_level)
		deadline_forget(true);
}

static void shard_conns_invalidate(Datum arg, int cacheid, uint32 hashvalue);
static void shard_count_forget(Datum arg, int cacheid, uint32 hashvalue);

void
_PG_init(void)
{
	RegisterXactCallback(deadline_xact_callback, NULL);
	RegisterSubXactCallback(deadline_subxact_callback, NULL);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, shard_conns_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, shard_conns_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, shard_count_forget, (Datum) 0);

	DefineCustomIntVariable("workflow_ext_proxy.shard_timeout",
							"How long a front call waits for a shard's answer before it is abandoned (08006 shard_timeout).",
							"0 waits without bound. Bounds the connection start and the answer of every call (a frozen shard included).",
							&shard_timeout_ms,
							5000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(wf_proxy_shard_deadline_arm);

/* shard_deadline_arm(): the lock timeout timer for shard_timeout from now. */
Datum
wf_proxy_shard_deadline_arm(PG_FUNCTION_ARGS)
{
	deadline_armed = false;
	deadline_fired_at_abort = false;
	if (shard_timeout_ms > 0)
	{
		enable_timeout_after(LOCK_TIMEOUT, shard_timeout_ms);
		deadline_armed = true;
		deadline_level = GetCurrentTransactionNestLevel();
	}
	PG_RETURN_VOID();
}

/*
 * Stops the timer; true when it had fired (it was armed here and is no longer
 * running, or was not when the subtransaction it was armed in aborted).
 * take_interrupt: take a still pending interrupt of the bound here (see
 * below); false inside an error handler, which must not raise another error.
 */
static bool
deadline_stop(bool take_interrupt)
{
	bool		fired = deadline_fired_at_abort;

	deadline_fired_at_abort = false;

	if (deadline_armed)
	{
		bool		active = get_timeout_active(LOCK_TIMEOUT);

		/* (the indicator kept: it may fire between these two lines) */
		if (active)
			disable_timeout(LOCK_TIMEOUT, true);
		if (!active || get_timeout_indicator(LOCK_TIMEOUT, false))
		{
			/*
			 * It fired after the shard had answered, before this disarm: its
			 * interrupt may still be pending.  Take it here, inside the
			 * caller's block, so that it ends as shard_timeout naming the
			 * shard (the caller's handler finds the bound fired), rather than
			 * as a bare 55P03 "lock timeout" after the block -- which a
			 * client would take for tenant_moving and retry.
			 */
			if (take_interrupt)
				CHECK_FOR_INTERRUPTS();
			fired = true;
		}
		deadline_armed = false;
	}
	return fired;
}

PG_FUNCTION_INFO_V1(wf_proxy_shard_deadline_disarm);

/* shard_deadline_disarm(): deadline_stop(), taking a pending interrupt. */
Datum
wf_proxy_shard_deadline_disarm(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(deadline_stop(true));
}

PG_FUNCTION_INFO_V1(wf_proxy_shard_count);

/*
 * shard_count(): the options p0 .. pN-1 of the foreign server
 * workflow_shards (N; 0 when the server is missing).
 */
static int32 shard_count_cached = -1;	/* -1: not known (shard_count_forget) */

/* A change of pg_foreign_server: the count is read again. */
static void
shard_count_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	shard_count_cached = -1;
}

Datum
wf_proxy_shard_count(PG_FUNCTION_ARGS)
{
	ForeignServer *server;
	int32		n = 0;
	ListCell   *lc;

	/*
	 * Read once, then again after a change of the server reaches this backend
	 * (the syscache callback: as fresh as the syscache read it replaces).
	 * Every call routes by it.
	 */
	if (shard_count_cached >= 0)
		PG_RETURN_INT32(shard_count_cached);
	server = GetForeignServerByName("workflow_shards", true);
	if (server == NULL)
		PG_RETURN_INT32(0);
	foreach(lc, server->options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);
		const char *c = opt->defname;

		if (c[0] != 'p' || c[1] == '\0')
			continue;
		for (c++; isdigit((unsigned char) *c); c++)
			;
		if (*c == '\0')
			n++;
	}
	shard_count_cached = n;
	PG_RETURN_INT32(n);
}

/* ------------------------------------------------------------ call path */

static void raise_unreachable(int partition, const char *tenant, bool timeout, const char *message) pg_attribute_noreturn();

/* The functions and relations a front call uses, looked up once per call site. */
typedef struct CallCache
{
	FmgrInfo	route_tenant;	/* route_tenant(text) */
	Oid			placement;		/* tenant_placement */
	Oid			placement_pkey; /* its primary key (tenant) */
	Oid			answer;			/* shard_answer (call_tenant) */
	FmgrInfo	record_in;		/* its input (record_in keeps its state in fn_extra) */
	AttInMetadata *rows;		/* job_candidates: the input of its rows' columns */
	bool		rows_binary;	/* its rows come in binary (binary_row) */
	AttInMetadata *move_row;	/* the moves: of move_result's columns */
	bool		move_binary;
} CallCache;

/* A function of the extension's schema (the schema of the caller, self). */
static Oid
own_function(Oid self, const char *name, int nargs, const Oid *argtypes)
{
	List	   *names = list_make2(makeString(get_namespace_name(get_func_namespace(self))),
								   makeString(pstrdup(name)));

	return LookupFuncName(names, nargs, argtypes, false);
}

/*
 * The cache, one per backend (not per call site: a PL/pgSQL wrapper's
 * expression gets a new FmgrInfo every transaction, and the look-ups cost
 * the front 5-10 % of a call).  Emptied when a function, a type or a
 * relation changes (the extension dropped and made again in the session).
 */
static MemoryContext call_cache_cxt = NULL;
static CallCache *call_cache_entry = NULL;
static Oid	call_cache_nsp = InvalidOid;

static void
call_cache_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	call_cache_entry = NULL;
}

static void
call_cache_forget_rel(Datum arg, Oid relid)
{
	call_cache_entry = NULL;
}

static CallCache *
call_cache(FunctionCallInfo fcinfo)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	CallCache  *c;
	Oid			text_type = TEXTOID;

	if (call_cache_entry != NULL && call_cache_nsp == nsp)
		return call_cache_entry;
	if (call_cache_cxt == NULL)
	{
		call_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "workflow_ext_proxy call cache",
											   ALLOCSET_SMALL_SIZES);
		CacheRegisterSyscacheCallback(PROCOID, call_cache_forget, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, call_cache_forget, (Datum) 0);
		CacheRegisterRelcacheCallback(call_cache_forget_rel, (Datum) 0);
	}
	call_cache_entry = NULL;
	MemoryContextReset(call_cache_cxt);
	c = (CallCache *) MemoryContextAllocZero(call_cache_cxt, sizeof(CallCache));
	fmgr_info_cxt(own_function(fcinfo->flinfo->fn_oid, "route_tenant", 1, &text_type),
				  &c->route_tenant, call_cache_cxt);
	c->placement = get_relname_relid("tenant_placement", nsp);
	c->placement_pkey = get_relname_relid("tenant_placement_pkey", nsp);
	c->answer = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("shard_answer"),
								ObjectIdGetDatum(nsp));
	fmgr_info_cxt(F_RECORD_IN, &c->record_in, call_cache_cxt);
	call_cache_nsp = nsp;
	call_cache_entry = c;
	return c;
}

/* Argument i as a C string; NULL when SQL NULL or empty (nullif(x, '')). */
static char *
arg_text(FunctionCallInfo fcinfo, int i)
{
	char	   *s;

	if (PG_ARGISNULL(i))
		return NULL;
	s = text_to_cstring(PG_GETARG_TEXT_PP(i));
	return *s ? s : NULL;
}

/* A setting of the session; NULL when unset or empty. */
static const char *
setting(const char *name)
{
	const char *v = GetConfigOption(name, true, false);

	return (v != NULL && *v != '\0') ? v : NULL;
}

/*
 * The actor: the argument, else workflow_ext.actor, else the role; the
 * tenant: the argument, else workflow_ext.tenant, else the actor.
 */
static void
tenant_and_actor(FunctionCallInfo fcinfo, int tenant_arg, const char **tenant, const char **actor)
{
	const char *a = arg_text(fcinfo, tenant_arg + 1);
	const char *t = arg_text(fcinfo, tenant_arg);

	if (a == NULL)
		a = setting("workflow_ext.actor");
	if (a == NULL)
		a = GetUserNameFromId(GetUserId(), false);
	if (t == NULL)
		t = setting("workflow_ext.tenant");
	if (t == NULL)
		t = a;
	*tenant = t;
	*actor = a;
}

/* s as a JSON string. */
static char *
quote_json_text(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}

/*
 * The tenant's partition in tenant_placement, read now (the tenant's lock
 * held): its row's when active or cleanup, hashtext(tenant) mod
 * shard_count() when it has none; -1 when it is being moved (or there is no
 * partition).
 *
 * The snapshot is a new one, taken after the lock, whatever the isolation
 * level: the statement's may predate a move that committed before the lock
 * was free, and in REPEATABLE READ or SERIALIZABLE the transaction's may
 * predate a move that committed before the transaction's first call for the
 * tenant -- routed by it, the call would go to the shard the tenant left
 * (its write there lost, or deleted by the move's cleanup).
 */
static int
placement_lookup(CallCache *c, Datum t, int32 h)
{
	Relation	rel = table_open(c->placement, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			partition = -1;

	PushActiveSnapshot(GetLatestSnapshot());
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, DEFAULT_COLLATION_OID,
						   F_TEXTEQ, t);
	scan = systable_beginscan(rel, c->placement_pkey, true, GetActiveSnapshot(), 1, &key);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
	{
		int32		n = DatumGetInt32(DirectFunctionCall1(wf_proxy_shard_count, (Datum) 0));

		if (n > 0)
			partition = (int) (((int64) h % n + n) % n);
	}
	else
	{
		TupleDesc	desc = RelationGetDescr(rel);
		Datum	   *values = (Datum *) palloc(desc->natts * sizeof(Datum));
		bool	   *nulls = (bool *) palloc(desc->natts * sizeof(bool));

		heap_deform_tuple(tuple, desc, values, nulls);
		/* (tenant, partition, state, other_partition, changed_at) */
		if (!nulls[1] && !nulls[2] && strcmp(TextDatumGetCString(values[2]), "moving") != 0)
			partition = DatumGetInt32(values[1]);
	}
	systable_endscan(scan);
	PopActiveSnapshot();
	table_close(rel, AccessShareLock);
	return partition;
}

/*
 * route_tenant(tenant), its common case in C: the tenant's lock taken in
 * share mode at once, its tenant_placement row active or cleanup (its
 * partition) or absent (hashtext(tenant) mod shard_count()).  Anything else
 * (the lock held by a move: the wait under move_wait; a tenant being moved;
 * no partition; tenant_placement not readable) is route_tenant's, which
 * raises what it raises.  The PL/pgSQL function cost 15 us a call.
 */
static int
route(CallCache *c, const char *tenant)
{
	Datum		t = CStringGetTextDatum(tenant);
	int32		h = DatumGetInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID, t));
	int			partition = -1;
	bool		readable = OidIsValid(c->placement) && OidIsValid(c->placement_pkey) &&
		pg_class_aclcheck(c->placement, GetUserId(), ACL_SELECT) == ACLCHECK_OK;

	if (readable &&
		DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_shared_int4,
										 Int32GetDatum(2001286144), Int32GetDatum(h))))
		partition = placement_lookup(c, t, h);
	if (partition < 0)
	{
		partition = DatumGetInt32(FunctionCall1(&c->route_tenant, t));

		/*
		 * route_tenant read the placement with the transaction's snapshot:
		 * in REPEATABLE READ or SERIALIZABLE, one that may predate the move
		 * it has just waited for.  Read it again now, under the lock it took.
		 */
		if (readable && IsolationUsesXactSnapshot())
		{
			partition = placement_lookup(c, t, h);
			if (partition < 0)
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("tenant %s is being moved to another shard", tenant),
						 errdetail_internal("{\"reason\": \"tenant_moving\", \"tenant\": %s}",
											quote_json_text(tenant)),
						 errhint("Retry the call in a moment: a move pauses the tenant's calls while it copies (docs/scale-out.md, Moving a tenant).")));
		}
	}
	return partition;
}

/* 08006 naming the shard: shard_timeout (no answer in time) or shard_unreachable. */
static void
raise_unreachable(int partition, const char *tenant, bool timeout, const char *message)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfo(&detail, "{\"shard\": \"p%d\", \"reason\": \"%s\", \"tenant\": ", partition,
					 timeout ? "shard_timeout" : "shard_unreachable");
	escape_json(&detail, tenant);
	appendStringInfoChar(&detail, '}');
	ereport(ERROR,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("shard p%d (tenant %s) did not answer: %s", partition, tenant, message),
			 errdetail_internal("%s", detail.data),
			 errhint("The call's outcome on the shard is unknown when the connection was lost during it: look it up (candidate_history, or move again with expected_stage_id) once the shard is back (docs/scale-out.md, Failures).")));
}


/* ------------------------------------------------------ shard connections */

/* The statements prepared on a shard connection (by name, on first use). */
enum
{
	ST_CTX,						/* the call's search_path, actor, tenant, tenant_admin */
	ST_MOVE_TO_STAGE,
	ST_MOVE_TO_NEXT_STAGE,
	ST_ADD_CANDIDATE,
	ST_SHARD_CALL,				/* any other operation: shard_call, error as data */
	ST_JOB_CANDIDATES,
	ST_MOVE_TO_STAGE_ROW,		/* the C wrappers: arguments and row as they are */
	ST_MOVE_TO_NEXT_STAGE_ROW,
	N_STATEMENTS
};

typedef struct Statement
{
	const char *name;
	const char *sql;			/* %1$s: workflow_ext's schema on the shard, quoted */
	int			nparams;		/* the operation's own (the context's after them, when ctx) */
	Oid			types[7];
	bool		ctx;			/* sets the call's context itself (CTX below): no wf_ctx */
} Statement;

/*
 * The call's context inside the operation's statement, for the frequent
 * operations (one statement a call on the shard instead of two): the
 * search_path, the actor, the tenant and tenant_admin, set_config(..., true)
 * (local to the shard's transaction, as wf_ctx), evaluated as the argument of
 * a CASE that is itself the argument of the operation -- a function's
 * arguments are evaluated before it runs, concat() evaluates all of its own,
 * and the planner folds neither (set_config is volatile).  $n, $n+1, $n+2:
 * the actor, the tenant, tenant_admin (the params after the operation's).
 */
#define CTX(a, t, m) \
	"pg_catalog.concat(pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)," \
	" pg_catalog.set_config('workflow_ext.actor', $" #a ", true)," \
	" pg_catalog.set_config('workflow_ext.tenant', $" #t ", true)," \
	" pg_catalog.set_config('workflow_ext.tenant_admin', $" #m ", true))"
#define WITH_CTX(x, a, t, m) "CASE WHEN " CTX(a, t, m) " IS NOT NULL THEN " x " END"

/*
 * The read's job_tenant($1) (the tenant whose job $1 names for the caller),
 * without its SECURITY DEFINER PL/pgSQL frame in the common case (a fifth of
 * the shard's time of a read): when the current tenant has job $1 in a
 * workflow the actor sees, job_tenant returns the current tenant; that is
 * exactly when job_workflow shows the caller a row (tenant = current_tenant(),
 * job_id = $1) under its policy job_workflow_read -- own_pipeline(workflow_id,
 * tenant) is "tenant = current_tenant() AND workflow_id = ANY
 * (visible_workflow_array())", job_tenant's own test, and shared_pipeline()
 * is false for the current tenant's rows.  Otherwise (an own job the actor
 * does not see: NULL; a job shared from another tenant; an ambiguous one:
 * 21000) job_tenant itself answers.  The visibility test is written out
 * (job_tenant's own), not left to the policy: a mapping to a shard role that
 * bypasses RLS (the operator's wf_admin, a BYPASSRLS role) would otherwise
 * see an own job the actor does not and read its rows, where job_tenant
 * answers NULL.
 */
#define JOB_TENANT \
	"CASE WHEN EXISTS (SELECT 1 FROM %1$s.job_workflow j WHERE j.tenant = %1$s.current_tenant() AND j.job_id = $1" \
	" AND j.workflow_id = ANY (%1$s.visible_workflow_array()))" \
	" THEN %1$s.current_tenant() ELSE %1$s.job_tenant($1) END"

/*
 * Every name qualified; and wf_ctx sets the search_path to pg_catalog,
 * pg_temp for the call's transaction (as shard_call's SET clause did), before
 * the operation's statement is parsed or run.  wf_ctx answers no row and no
 * column (its set_config()s are the one-time filter of a Result, evaluated
 * once; concat() never returns NULL): nothing to describe, send or read back.
 */
static const Statement statements[N_STATEMENTS] = {
	{"wf_ctx",
		"SELECT WHERE pg_catalog.concat(" CTX(1, 2, 3) ","
		" CASE WHEN $4 IS NOT NULL THEN pg_catalog.set_config('plan_cache_mode', $4, true) END) IS NULL",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}},
	{"wf_move_to_stage",
		"SELECT pg_catalog.to_jsonb(m)::text FROM %1$s.move_to_stage(($1->>'candidate_id')::bigint,"
		" ($1->>'job_id')::bigint, ($1->>'stage_id')::bigint, $1->>'reason') m",
	1, {JSONBOID}},
	{"wf_move_to_next_stage",
		"SELECT pg_catalog.to_jsonb(m)::text FROM %1$s.move_to_next_stage(($1->>'candidate_id')::bigint,"
		" ($1->>'job_id')::bigint, ($1->>'expected_stage_id')::bigint) m",
	1, {JSONBOID}},
	{"wf_add_candidate",
		"SELECT pg_catalog.to_jsonb(c)::text FROM %1$s.add_candidate(($1->>'candidate_id')::bigint,"
		" ($1->>'job_id')::bigint) c",
	1, {JSONBOID}},
	{"wf_shard_call",
		"SELECT %1$s.shard_call($2, $3, $4, $1)::text",
	4, {JSONBOID, TEXTOID, TEXTOID, TEXTOID}},
	{"wf_job_candidates",
		"SELECT c.id, c.tenant, c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.status, c.entered_at,"
		" c.transition_id, c.visit_transition_id, c.added_by, c.attributes"
		" FROM %1$s.candidate_stage c"
		" WHERE c.job_id = $1 AND c.tenant = (SELECT " JOB_TENANT ") AND ($2 IS NULL OR c.status = $2)"
		" ORDER BY c.stage_id, c.candidate_id",
	2, {INT8OID, TEXTOID}},
	{"wf_move_to_stage_row",
		"SELECT m.job_id, m.candidate_id, m.from_stage_id, m.to_stage_id, m.to_stage_name, m.transition_id,"
		" m.alerts_raised, m.warnings FROM %1$s.move_to_stage(" WITH_CTX("$1", 5, 6, 7) ", $2, $3, $4) m",
	4, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}, true},
	{"wf_move_to_next_stage_row",
		"SELECT m.job_id, m.candidate_id, m.from_stage_id, m.to_stage_id, m.to_stage_name, m.transition_id,"
		" m.alerts_raised, m.warnings FROM %1$s.move_to_next_stage(" WITH_CTX("$1", 4, 5, 6) ", $2, $3) m",
	3, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID}, true},
};

/* A front backend's connection to one partition. */
typedef struct ShardConn
{
	PGconn	   *conn;			/* NULL: none */
	char	   *conninfo;		/* what it was opened with (TopMemoryContext) */
	char	   *schema;			/* workflow_ext's schema there, quoted */
	WaitEventSet *wait;			/* the latch, postmaster death, the socket */
	int			socket_event;	/* the socket's position in wait */
	uint32		socket_events;	/* what it waits for now */
	uint32		prepared;		/* bit n: statements[n] is prepared */
	Oid			userid;			/* the user it was opened for */
	Oid			serverid;		/* the server workflow_shards it was opened from */
	bool		stale;			/* the server or a user mapping changed since */
	bool		busy;			/* a call is in flight on it */
} ShardConn;

static ShardConn *shard_conns = NULL;	/* by partition */
static int	n_shard_conns = 0;

/* One call: the shard, for its errors and waits. */
typedef struct ShardCall
{
	ShardConn  *sc;
	int			partition;
	const char *tenant;
	TimestampTz deadline;		/* 0: none */
	bool		retried;		/* sent again once on a new connection (call_shard) */
} ShardCall;

static void
shard_conn_close(ShardConn *sc)
{
	if (sc->wait != NULL)
		FreeWaitEventSet(sc->wait);
	sc->wait = NULL;
	if (sc->conn != NULL)
		PQfinish(sc->conn);		/* (nonblocking: a Terminate if the socket takes it, no cancel) */
	sc->conn = NULL;
	if (sc->conninfo != NULL)
		pfree(sc->conninfo);
	sc->conninfo = NULL;
	if (sc->schema != NULL)
		pfree(sc->schema);
	sc->schema = NULL;
	sc->prepared = 0;
	sc->busy = false;
	sc->stale = false;
}

/* At a (sub)transaction abort: a call left mid-way leaves its connection unusable. */
static void
shard_conns_abandon_busy(void)
{
	for (int i = 0; i < n_shard_conns; i++)
		if (shard_conns[i].busy)
			shard_conn_close(&shard_conns[i]);
}

static void
shard_conns_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	for (int i = 0; i < n_shard_conns; i++)
		shard_conns[i].stale = true;
}

/* The connection is lost or abandoned: close it, 08006 naming the shard. */
static void call_failed(ShardCall *call, bool timeout, const char *message) pg_attribute_noreturn();

static void
call_failed(ShardCall *call, bool timeout, const char *message)
{
	char	   *m = pstrdup(message);
	int			len = strlen(m);

	while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
		m[--len] = '\0';
	shard_conn_close(call->sc);
	raise_unreachable(call->partition, call->tenant, timeout, m);
}

static void call_timed_out(ShardCall *call) pg_attribute_noreturn();

static void
call_timed_out(ShardCall *call)
{
	call_failed(call, true,
				psprintf("no answer within workflow_ext_proxy.shard_timeout (%s)",
						 GetConfigOptionByName("workflow_ext_proxy.shard_timeout", NULL, false)));
}

/* Milliseconds left before the call's deadline (-1: no bound); abandons it at 0. */
static long
call_remaining(ShardCall *call)
{
	long		ms;

	if (call->deadline == 0)
		return -1;
	ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), call->deadline);
	if (ms <= 0)
		call_timed_out(call);
	return ms;
}

/*
 * Waits until the connection's socket is ready for events (WL_SOCKET_*),
 * taking interrupts, within the call's deadline.  Returns the events ready.
 */
static uint32
call_wait(ShardCall *call, uint32 events)
{
	ShardConn  *sc = call->sc;

	for (;;)
	{
		long		timeout = call_remaining(call);
		int			rc;
		uint32		ready = 0;

		if (sc->wait != NULL)
		{
			WaitEvent	ev;

			if (sc->socket_events != events)
			{
				ModifyWaitEvent(sc->wait, sc->socket_event, events, NULL);
				sc->socket_events = events;
			}
			rc = WaitEventSetWait(sc->wait, timeout, &ev, 1, PG_WAIT_EXTENSION);
			if (rc > 0)
			{
				if (ev.events & WL_LATCH_SET)
				{
					ResetLatch(MyLatch);
					CHECK_FOR_INTERRUPTS();
				}
				ready = ev.events & events;
			}
		}
		else
		{
			/* (connecting: libpq may change the socket between polls) */
			rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | events |
								   (timeout >= 0 ? WL_TIMEOUT : 0),
								   PQsocket(sc->conn), timeout, PG_WAIT_EXTENSION);
			if (rc & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
			}
			ready = rc & events;
		}
		if (ready != 0)
			return ready;
	}
}

/*
 * The connection parameters of partition pK for the current user: the
 * server's option pK (a connection string, key=value or URI), then the user
 * mapping's user and password (PL/Proxy's validator admits no other option
 * in a mapping, and none other is used here: a role with USAGE on the server
 * may make its own mapping, and must not point the front's connections at
 * other hosts or at the front's files).  The user and the password are given
 * to libpq as parameters of their own after pK, never appended to its text:
 * appended to a URI they became part of its database name, and the shard's
 * "database ... does not exist" then showed the password to the caller and
 * in the shard's log.  Checks USAGE on the server.  Returns what identifies
 * the connection (compared with the open one's).
 */
static char *
shard_conninfo_for(ShardCall *call, Oid *serverid, const char **option, const char **user, const char **password)
{
	ForeignServer *server = GetForeignServerByName("workflow_shards", true);
	UserMapping *um;
	AclResult	acl;
	char		pname[16];
	const char *value = NULL;
	ListCell   *lc;

	if (server == NULL)
		raise_unreachable(call->partition, call->tenant, false, "the server workflow_shards does not exist");
	acl = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FOREIGN_SERVER, server->servername);
	snprintf(pname, sizeof(pname), "p%d", call->partition);
	foreach(lc, server->options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, pname) == 0)
			value = defGetString(opt);
	}
	if (value == NULL)
		raise_unreachable(call->partition, call->tenant, false,
						  psprintf("the server workflow_shards has no partition %s", pname));
	*serverid = server->serverid;
	*option = value;
	*user = NULL;
	*password = NULL;
	um = GetUserMapping(GetUserId(), server->serverid);
	foreach(lc, um->options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "user") == 0)
			*user = defGetString(opt);
		else if (strcmp(opt->defname, "password") == 0)
			*password = defGetString(opt);
	}
	/* (three NUL-free strings: \x01 separates them unambiguously) */
	return psprintf("%s\x01%s\x01%s", value, *user ? *user : "", *password ? *password : "");
}

/* Sends what libpq holds, reading meanwhile when the shard's answers fill the socket. */
static void
call_flush(ShardCall *call)
{
	PGconn	   *conn = call->sc->conn;
	int			r;

	while ((r = PQflush(conn)) == 1)
	{
		if (call_wait(call, WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE) & WL_SOCKET_READABLE)
			if (!PQconsumeInput(conn))
				call_failed(call, false, PQerrorMessage(conn));
	}
	if (r < 0)
		call_failed(call, false, PQerrorMessage(conn));
}

/* The next result (NULL: the end of a statement's results). */
static PGresult *
call_result(ShardCall *call)
{
	PGconn	   *conn = call->sc->conn;
	PGresult   *res;

	while (PQisBusy(conn))
	{
		call_wait(call, WL_SOCKET_READABLE);
		if (!PQconsumeInput(conn))
			call_failed(call, false, PQerrorMessage(conn));
	}
	res = PQgetResult(conn);
	if (PQstatus(conn) == CONNECTION_BAD)
	{
		char	   *m = pstrdup(res != NULL && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
								: PQerrorMessage(conn));

		PQclear(res);
		call_failed(call, false, m);
	}
	return res;
}

/*
 * A shard's NOTICE, WARNING or INFO: to the front's client, as the shard
 * raised it (libpq's default would print it to the front's server log).
 */
static void
forward_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *ss = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	int			level = DEBUG1;

	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		level = WARNING;
	else if (sev != NULL && strcmp(sev, "NOTICE") == 0)
		level = NOTICE;
	else if (sev != NULL && strcmp(sev, "INFO") == 0)
		level = INFO;
	if (ss == NULL || strlen(ss) != 5)
		ss = "01000";
	ereport(level,
			(errcode(MAKE_SQLSTATE(ss[0], ss[1], ss[2], ss[3], ss[4])),
			 errmsg_internal("%s", msg != NULL ? msg : ""),
			 detail != NULL ? errdetail_internal("%s", detail) : 0,
			 hint != NULL ? errhint("%s", hint) : 0));
}

/*
 * The connection to the call's partition: the cached one (reopened when the
 * server or the user mapping changed its connection string), or a new one
 * (workflow_ext's schema looked up, pipeline mode).
 */
static void
call_connect(ShardCall *call)
{
	ShardConn  *sc;
	PGconn	   *conn;
	PGresult   *res;
	char	   *ci = NULL;
	Oid			serverid;
	PostgresPollingStatusType st;
	/* (values arrive as text in the front's encoding: its input functions read them) */
	const char *option;
	const char *user;
	const char *password;
	/* (later parameters override the expanded pK; a NULL value is skipped) */
	const char *keys[] = {"dbname", "user", "password", "fallback_application_name", "client_encoding", NULL};
	const char *vals[] = {NULL, NULL, NULL, "workflow_ext_proxy", GetDatabaseEncodingName(), NULL};

	if (call->partition >= n_shard_conns)
	{
		int			n = Max(call->partition + 1, 8);

		if (shard_conns == NULL)
			shard_conns = MemoryContextAllocZero(TopMemoryContext, n * sizeof(ShardConn));
		else
		{
			shard_conns = repalloc(shard_conns, n * sizeof(ShardConn));
			memset(shard_conns + n_shard_conns, 0, (n - n_shard_conns) * sizeof(ShardConn));
		}
		n_shard_conns = n;
	}
	sc = call->sc = &shard_conns[call->partition];
	if (sc->conn != NULL && sc->busy)
		shard_conn_close(sc);	/* (left mid-call without an abort: never reused) */
	if (sc->conn != NULL)
	{
		/*
		 * Idle, it has nothing to read: if it has, the shard closed it (a
		 * restart, a terminated backend: EOF, or its FATAL message).  Connect
		 * again rather than send a call into it.
		 */
		struct pollfd pfd;

		pfd.fd = PQsocket(sc->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 0)
			shard_conn_close(sc);
	}
	if (sc->conn != NULL && !superuser() && !PQconnectionUsedPassword(sc->conn))
	{
		/*
		 * Opened without a password for a superuser (trust, peer, the
		 * front's .pgpass), it is not a non-superuser's: after SET ROLE or
		 * SET SESSION AUTHORIZATION to one (the same user mapping, so the
		 * same connection string), or once the role lost SUPERUSER, connect
		 * again, under the password rule below.
		 */
		shard_conn_close(sc);
	}
	if (sc->conn != NULL && !sc->stale && sc->userid == GetUserId())
	{
		/* the common case: USAGE checked again, nothing else looked up */
		AclResult	acl = pg_foreign_server_aclcheck(sc->serverid, GetUserId(), ACL_USAGE);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_FOREIGN_SERVER, "workflow_shards");
		return;
	}
	ci = shard_conninfo_for(call, &serverid, &option, &user, &password);
	if (sc->conn != NULL)
	{
		if (strcmp(ci, sc->conninfo) == 0)
		{
			sc->stale = false;
			sc->userid = GetUserId();
			sc->serverid = serverid;
			pfree(ci);
			return;
		}
		shard_conn_close(sc);
	}

	vals[0] = option;
	vals[1] = user;
	vals[2] = password;
	sc->conninfo = MemoryContextStrdup(TopMemoryContext, ci);
	sc->userid = GetUserId();
	sc->serverid = serverid;
	sc->busy = true;
	conn = sc->conn = PQconnectStartParams(keys, vals, 1);
	if (conn == NULL)
		call_failed(call, false, "out of memory");
	if (PQstatus(conn) == CONNECTION_BAD)
		call_failed(call, false, PQerrorMessage(conn));
	for (st = PGRES_POLLING_WRITING; st != PGRES_POLLING_OK; st = PQconnectPoll(conn))
	{
		if (st == PGRES_POLLING_FAILED)
			call_failed(call, false, PQerrorMessage(conn));
		call_wait(call, st == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE);
	}
	if (!superuser() && !PQconnectionUsedPassword(conn))
	{
		shard_conn_close(sc);
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("shard p%d: a non-superuser's connection must use a password", call->partition),
				 errdetail_internal("{\"reason\": \"password_required\", \"shard\": \"p%d\"}", call->partition),
				 errhint("Give the user mapping of the server workflow_shards a password, and make the shard ask for it (pg_hba.conf).")));
	}
	PQsetNoticeReceiver(conn, forward_notice, NULL);
	if (PQsetnonblocking(conn, 1) != 0)
		call_failed(call, false, PQerrorMessage(conn));
	sc->wait = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(sc->wait, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(sc->wait, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	sc->socket_event = AddWaitEventToSet(sc->wait, WL_SOCKET_READABLE, PQsocket(conn), NULL, NULL);
	sc->socket_events = WL_SOCKET_READABLE;

	/*
	 * What comes back as text (shard_call's answers, a row type with a
	 * column of a type recv_value does not decode) is read with the front's
	 * input functions: the output formats of the connection are pinned (as
	 * postgres_fdw does), whatever the shard's settings for the mapping's
	 * role or database (a DateStyle of 'SQL, DMY' there: 07/12/2026 read as
	 * July 12 by the front).
	 */
	if (!PQsendQueryParams(conn, "SELECT pg_catalog.quote_ident(n.nspname),"
						   " pg_catalog.set_config('datestyle', 'ISO', false),"
						   " pg_catalog.set_config('intervalstyle', 'postgres', false),"
						   " pg_catalog.set_config('extra_float_digits', '3', false)"
						   " FROM pg_catalog.pg_extension e"
						   " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'workflow_ext'",
						   0, NULL, NULL, NULL, NULL, 0))
		call_failed(call, false, PQerrorMessage(conn));
	call_flush(call);
	while ((res = call_result(call)) != NULL)
	{
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && sc->schema == NULL)
			sc->schema = MemoryContextStrdup(TopMemoryContext, PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (sc->schema == NULL)
		call_failed(call, false, "workflow_ext is not installed in the shard's database");
	if (!PQenterPipelineMode(conn))
		call_failed(call, false, PQerrorMessage(conn));
	sc->busy = false;
	pfree(ci);
}

/* The shard's error, as it came. */
typedef struct ShardError
{
	char	   *sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;
} ShardError;

static char *
error_field(const PGresult *res, int field)
{
	const char *v = PQresultErrorField(res, field);

	return (v != NULL && *v != '\0') ? pstrdup(v) : NULL;
}

/* Raises a shard's error again: its SQLSTATE, message, DETAIL and HINT. */
static void raise_shard_error(const char *sqlstate, const char *message, const char *detail, const char *hint) pg_attribute_noreturn();

static void
raise_shard_error(const char *sqlstate, const char *message, const char *detail, const char *hint)
{
	const char *ss = sqlstate;

	if (ss == NULL || strlen(ss) != 5 || strspn(ss, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5)
		ss = "XX000";
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE(ss[0], ss[1], ss[2], ss[3], ss[4])),
			 errmsg_internal("%s", message != NULL ? message : ""),
			 detail != NULL ? errdetail_internal("%s", detail) : 0,
			 hint != NULL ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * One call on the shard, one round trip: wf_ctx, then statement op with
 * params (text) -- or op alone, the context's params after its own, when it
 * sets the context itself (statements[op].ctx) -- in one pipeline and one
 * Sync (one implicit transaction on the shard); op's rows in format (0 text,
 * 1 binary).  Returns op's result (PGRES_TUPLES_OK; the caller PQclears it),
 * or raises: the shard's error again, or 08006.
 */
static PGresult *
call_shard(ShardCall *call, const char *actor, const char *admin, int op, const char *const *params, int format)
{
	ShardConn  *sc = call->sc;
	PGconn	   *conn = sc->conn;
	/*
	 * plan_cache_mode: the read's statement is planned once (generic), set
	 * by wf_ctx before the read's Bind (where the plan is chosen).  Left to
	 * "auto", PostgreSQL compares the generic plan's cost with the first
	 * five custom plans': after five reads of job 100 (19 rows) it went
	 * generic, after five of an empty job it kept custom plans, planned again
	 * at every call for the connection's life (22 % of the shard's time of a
	 * read).  Other operations leave plan_cache_mode as it is ($4 NULL).
	 */
	const char *ctx[4] = {actor, call->tenant, admin != NULL ? admin : "off",
	op == ST_JOB_CANDIDATES ? "force_generic_plan" : NULL};
	int			steps[4];		/* >= 0: a prepare of statements[n]; < 0: an execute of statements[-n - 1] */
	int			n = 0;
	PGresult   *answer = NULL;
	ShardError	err = {NULL, NULL, NULL, NULL};
	/* wf_ctx then the operation, or the operation alone when it sets the context itself */
	bool		inline_ctx = statements[op].ctx;
	int			sts[2] = {inline_ctx ? op : ST_CTX, op};
	int			first = inline_ctx ? 1 : 0;
	const char *values[7];

	sc->busy = true;
	for (int i = first; i < 2; i++)
	{
		const Statement *s = &statements[sts[i]];
		const char *const *v = i == 0 ? ctx : params;
		int			nparams = s->nparams;

		if (i == 1 && inline_ctx)
		{
			/* the operation's params, then the actor, the tenant, tenant_admin */
			memcpy(values, params, nparams * sizeof(char *));
			memcpy(values + nparams, ctx, 3 * sizeof(char *));
			nparams += 3;
			v = values;
		}
		if (!(sc->prepared & (1u << sts[i])))
		{
			if (!PQsendPrepare(conn, s->name, psprintf(s->sql, sc->schema), nparams, s->types))
				call_failed(call, false, PQerrorMessage(conn));
			steps[n++] = sts[i];
		}
		if (!PQsendQueryPrepared(conn, s->name, nparams, v, NULL, NULL, i == 1 ? format : 0))
			call_failed(call, false, PQerrorMessage(conn));
		steps[n++] = -sts[i] - 1;
	}
	if (!PQpipelineSync(conn))
		call_failed(call, false, PQerrorMessage(conn));
	call_flush(call);

	for (int i = 0; i < n; i++)
	{
		PGresult   *res;

		while ((res = call_result(call)) != NULL)
		{
			ExecStatusType status = PQresultStatus(res);

			if (status == PGRES_FATAL_ERROR && err.sqlstate == NULL)
			{
				err.sqlstate = error_field(res, PG_DIAG_SQLSTATE);
				err.message = error_field(res, PG_DIAG_MESSAGE_PRIMARY);
				err.detail = error_field(res, PG_DIAG_MESSAGE_DETAIL);
				err.hint = error_field(res, PG_DIAG_MESSAGE_HINT);
				if (err.sqlstate == NULL)
					err.sqlstate = pstrdup("XX000");
			}
			else if (status == PGRES_COMMAND_OK && steps[i] >= 0)
				sc->prepared |= 1u << steps[i];
			else if (status == PGRES_TUPLES_OK && steps[i] == -op - 1 && answer == NULL)
			{
				answer = res;
				continue;
			}
			PQclear(res);
		}
	}
	/* the Sync's: the shard's transaction ended (committed, or rolled back on an error) */
	{
		PGresult   *res = call_result(call);
		bool		synced = res != NULL && PQresultStatus(res) == PGRES_PIPELINE_SYNC;

		PQclear(res);
		if (!synced || PQtransactionStatus(conn) != PQTRANS_IDLE)
		{
			PQclear(answer);
			call_failed(call, false, "the shard's answer did not end as expected");
		}
	}
	sc->busy = false;
	if (err.sqlstate != NULL && !call->retried && err.message != NULL && strstr(err.message, "\"wf_") != NULL &&
		(strcmp(err.sqlstate, "26000") == 0 || strcmp(err.sqlstate, "42P05") == 0))
	{
		/*
		 * The shard's session lost (or has) one of this connection's named
		 * statements: a DEALLOCATE ALL or DISCARD ALL there (a trigger of the
		 * shard's, a pooler between front and shard).  Kept, the connection
		 * would fail every later call.  Nothing of the call ran (the Bind or
		 * the Parse failed, at most wf_ctx's set_config ran, and the Sync
		 * rolled the shard's transaction back): connect again and send it
		 * once more.
		 */
		PQclear(answer);
		shard_conn_close(sc);
		call->retried = true;
		call_connect(call);
		return call_shard(call, actor, admin, op, params, format);
	}
	if (err.sqlstate != NULL)
	{
		PQclear(answer);
		raise_shard_error(err.sqlstate, err.message, err.detail, err.hint);
	}
	if (answer == NULL)
		call_failed(call, false, "the shard sent no result");
	return answer;
}

/*
 * Runs fn(call, arg) -- connection and call -- so that whatever interrupts it
 * closes the connection if it was left mid-call, and a statement_timeout
 * becomes 08006 shard_timeout naming the shard.
 */
static void
call_guarded(ShardCall *call, void (*fn) (ShardCall *, void *), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		fn(call, arg);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		if (call->sc != NULL && call->sc->busy)
			shard_conn_close(call->sc);
		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode == ERRCODE_QUERY_CANCELED && e->message != NULL && strstr(e->message, "statement timeout"))
		{
			FlushErrorState();
			raise_unreachable(call->partition, call->tenant, true, e->message);
		}
		FreeErrorData(e);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

static void
call_start(ShardCall *call, int partition, const char *tenant)
{
	call->sc = NULL;
	call->retried = false;
	call->partition = partition;
	call->tenant = tenant;
	call->deadline = shard_timeout_ms > 0
		? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), shard_timeout_ms) : 0;
}

/* ------------------------------------------------------------ call_tenant */

typedef struct TenantCall
{
	const char *actor;
	const char *admin;
	int			op;
	const char *params[4];
	char	   *value;			/* out: the answer's one value (NULL: SQL NULL or no row) */
} TenantCall;

static void
tenant_call(ShardCall *call, void *arg)
{
	TenantCall *tc = (TenantCall *) arg;
	PGresult   *res;

	call_connect(call);
	res = call_shard(call, tc->actor, tc->admin, tc->op, tc->params, 0);
	tc->value = (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		? pstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
}

/*
 * call_tenant(tenant, actor, operation, args): the operation on the tenant's
 * shard; its result as JSON, or its error raised again.
 */
PG_FUNCTION_INFO_V1(wf_proxy_call_tenant);

Datum
wf_proxy_call_tenant(PG_FUNCTION_ARGS)
{
	CallCache  *c = call_cache(fcinfo);
	const char *tenant;
	const char *operation = arg_text(fcinfo, 2);
	Datum		args = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	TenantCall	tc;
	ShardCall	call;
	HeapTupleHeader th;
	HeapTupleData tuple;
	TupleDesc	td;
	Datum		values[5];
	bool		nulls[5];

	memset(&tc, 0, sizeof(tc));
	tenant_and_actor(fcinfo, 0, &tenant, &tc.actor);
	tc.admin = setting("workflow_ext.tenant_admin");
	tc.op = ST_SHARD_CALL;
	if (operation != NULL && args != (Datum) 0)
	{
		if (strcmp(operation, "move_to_stage") == 0)
			tc.op = ST_MOVE_TO_STAGE;
		else if (strcmp(operation, "move_to_next_stage") == 0)
			tc.op = ST_MOVE_TO_NEXT_STAGE;
		else if (strcmp(operation, "add_candidate") == 0)
			tc.op = ST_ADD_CANDIDATE;
	}
	if (tc.op == ST_SHARD_CALL && tc.admin != NULL && args != (Datum) 0)
	{
		/* (shard_call takes tenant_admin from its args) */
		StringInfoData a;

		initStringInfo(&a);
		appendStringInfoString(&a, "{\"$tenant_admin\": ");
		escape_json(&a, tc.admin);
		appendStringInfoChar(&a, '}');
		args = DirectFunctionCall2(jsonb_concat, args, DirectFunctionCall1(jsonb_in, CStringGetDatum(a.data)));
	}
	tc.params[0] = args == (Datum) 0 ? NULL : JsonbToCString(NULL, &DatumGetJsonbP(args)->root, VARSIZE(DatumGetJsonbP(args)));
	tc.params[1] = tenant;
	tc.params[2] = tc.actor;
	tc.params[3] = operation;

	call_start(&call, route(c, tenant), tenant);
	call_guarded(&call, tenant_call, &tc);
	if (tc.value == NULL)
		PG_RETURN_NULL();
	if (tc.op != ST_SHARD_CALL)
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(tc.value)));

	/* shard_call's row: (error_sqlstate, error_message, error_detail, error_hint, result) */
	th = DatumGetHeapTupleHeader(InputFunctionCall(&c->record_in, tc.value, c->answer, -1));
	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, td, values, nulls);
	ReleaseTupleDesc(td);
	if (!nulls[0])
		raise_shard_error(TextDatumGetCString(values[0]), nulls[1] ? NULL : TextDatumGetCString(values[1]),
						  nulls[2] ? NULL : TextDatumGetCString(values[2]),
						  nulls[3] ? NULL : TextDatumGetCString(values[3]));
	if (nulls[4])
		PG_RETURN_NULL();
	PG_RETURN_DATUM(values[4]);
}

/* ------------------------------------------------------------ rows */

/*
 * The built-in types whose values a shard sends in binary to the front
 * (recv_value decodes them here, with no type's I/O function but jsonb_in:
 * fixed OIDs, the same on every cluster).  A row type with a column of any
 * other type comes as text and is read with its input functions.
 */
static bool
binary_type(Oid type)
{
	switch (type)
	{
		case BOOLOID:
		case INT4OID:
		case INT8OID:
		case TEXTOID:
		case TIMESTAMPTZOID:
		case JSONBOID:
			return true;
		default:
			return false;
	}
}

/* Whether every column of desc is of a binary_type (its rows then come in binary). */
static bool
binary_row(TupleDesc desc)
{
	for (int i = 0; i < desc->natts; i++)
		if (TupleDescAttr(desc, i)->attisdropped || !binary_type(TupleDescAttr(desc, i)->atttypid))
			return false;
	return true;
}

/* The result has desc's columns: their number, and their types when binary. */
static void
check_columns(ShardCall *call, const PGresult *res, TupleDesc desc, bool binary, const char *what)
{
	if (PQnfields(res) != desc->natts)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("shard p%d sent rows of %d columns for %s, not %d",
						call->partition, PQnfields(res), what, desc->natts)));
	if (!binary)
		return;
	for (int i = 0; i < desc->natts; i++)
		if (PQftype(res, i) != TupleDescAttr(desc, i)->atttypid || PQfformat(res, i) != 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("shard p%d sent column %d of %s as type %u, not %u",
							call->partition, i + 1, what, PQftype(res, i), TupleDescAttr(desc, i)->atttypid)));
}

static void malformed(ShardCall *call, int col) pg_attribute_noreturn();

static void
malformed(ShardCall *call, int col)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("shard p%d sent a malformed binary value in column %d", call->partition, col + 1)));
}

/*
 * A binary value of a binary_type, as the type's receive function reads it
 * (the same checks), but from libpq's bytes: text and jsonb are in the
 * front's database encoding already (the connection's client_encoding), where
 * textrecv and jsonb_recv would convert them from the front session's
 * client_encoding.
 */
static Datum
recv_value(ShardCall *call, const char *v, int len, Oid type, int col)
{
	switch (type)
	{
		case BOOLOID:
			if (len != 1)
				malformed(call, col);
			return BoolGetDatum(*v != 0);
		case INT4OID:
			{
				uint32		x;

				if (len != 4)
					malformed(call, col);
				memcpy(&x, v, 4);
				return Int32GetDatum((int32) pg_ntoh32(x));
			}
		case INT8OID:
		case TIMESTAMPTZOID:
			{
				uint64		x;
				int64		i;

				if (len != 8)
					malformed(call, col);
				memcpy(&x, v, 8);
				i = (int64) pg_ntoh64(x);
				if (type == TIMESTAMPTZOID && !TIMESTAMP_NOT_FINITE(i) && !IS_VALID_TIMESTAMP(i))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("timestamp out of range")));
				return Int64GetDatum(i);
			}
		case TEXTOID:
			return PointerGetDatum(cstring_to_text_with_len(v, len));
		case JSONBOID:
			/* (version 1, then the text; libpq ends every value with a NUL) */
			if (len < 1 || v[0] != 1 || (int) strlen(v + 1) != len - 1)
				malformed(call, col);
			return DirectFunctionCall1(jsonb_in, CStringGetDatum(v + 1));
		default:
			elog(ERROR, "no binary transfer for type %u", type);
	}
	pg_unreachable();
}

/* Row r of a shard's result as values and nulls of meta's row type. */
static void
shard_row(ShardCall *call, const PGresult *res, int r, AttInMetadata *meta, bool binary, Datum *values, bool *nulls)
{
	TupleDesc	desc = meta->tupdesc;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *v = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);

		nulls[i] = v == NULL;
		if (binary)
			values[i] = v == NULL ? (Datum) 0 : recv_value(call, v, PQgetlength(res, r, i), att->atttypid, i);
		else
			values[i] = InputFunctionCall(&meta->attinfuncs[i], v, meta->attioparams[i], meta->atttypmods[i]);
	}
}

/* ------------------------------------------------------------ job_candidates */

typedef struct RowsCall
{
	const char *actor;
	const char *admin;			/* the session's workflow_ext.tenant_admin, as a move sends it */
	const char *params[2];
	ReturnSetInfo *rsinfo;
	AttInMetadata *meta;
	bool		binary;
} RowsCall;

static void
rows_call(ShardCall *call, void *arg)
{
	RowsCall   *rc = (RowsCall *) arg;
	PGresult   *res;
	TupleDesc	desc = rc->meta->tupdesc;

	call_connect(call);
	res = call_shard(call, rc->actor, rc->admin, ST_JOB_CANDIDATES, rc->params, rc->binary);
	PG_TRY();
	{
		Datum	   *values = (Datum *) palloc(desc->natts * sizeof(Datum));
		bool	   *nulls = (bool *) palloc(desc->natts * sizeof(bool));
		MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "job_candidates row",
													  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old;

		check_columns(call, res, desc, rc->binary, "job_candidates");
		for (int r = 0; r < PQntuples(res); r++)
		{
			old = MemoryContextSwitchTo(row_cxt);
			shard_row(call, res, r, rc->meta, rc->binary, values, nulls);
			MemoryContextSwitchTo(old);
			tuplestore_putvalues(rc->rsinfo->setResult, rc->rsinfo->setDesc, values, nulls);
			MemoryContextReset(row_cxt);
		}
		MemoryContextDelete(row_cxt);
	}
	PG_FINALLY();
	{
		PQclear(res);
	}
	PG_END_TRY();
}

/*
 * job_candidates(job_id, status, tenant, actor): the job's pipeline rows on
 * the tenant's shard (read from candidate_stage), by
 * stage and candidate.
 */
PG_FUNCTION_INFO_V1(wf_proxy_job_candidates);

Datum
wf_proxy_job_candidates(PG_FUNCTION_ARGS)
{
	CallCache  *c = call_cache(fcinfo);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *tenant;
	RowsCall	rc;
	ShardCall	call;

	tenant_and_actor(fcinfo, 2, &tenant, &rc.actor);
	rc.admin = setting("workflow_ext.tenant_admin");
	rc.params[0] = PG_ARGISNULL(0) ? NULL : psprintf(INT64_FORMAT, PG_GETARG_INT64(0));
	rc.params[1] = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	call_start(&call, route(c, tenant), tenant);
	InitMaterializedSRF(fcinfo, 0);
	if (c->rows == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(call_cache_cxt);

		c->rows = TupleDescGetAttInMetadata(CreateTupleDescCopy(rsinfo->setDesc));
		c->rows_binary = binary_row(c->rows->tupdesc);
		MemoryContextSwitchTo(old);
	}
	rc.rsinfo = rsinfo;
	rc.meta = c->rows;
	rc.binary = c->rows_binary;
	call_guarded(&call, rows_call, &rc);
	return (Datum) 0;
}

/* ------------------------------------------------------------ the moves */

typedef struct RowCall
{
	const char *actor;
	const char *admin;
	int			op;
	const char *params[4];
	AttInMetadata *meta;
	bool		binary;
	HeapTuple	tuple;			/* out: the row (NULL: none) */
} RowCall;

static void
row_call(ShardCall *call, void *arg)
{
	RowCall    *rc = (RowCall *) arg;
	PGresult   *res;

	call_connect(call);
	res = call_shard(call, rc->actor, rc->admin, rc->op, rc->params, rc->binary);
	PG_TRY();
	{
		TupleDesc	desc = rc->meta->tupdesc;

		check_columns(call, res, desc, rc->binary, statements[rc->op].name);
		if (PQntuples(res) > 0)
		{
			Datum	   *values = (Datum *) palloc(desc->natts * sizeof(Datum));
			bool	   *nulls = (bool *) palloc(desc->natts * sizeof(bool));

			shard_row(call, res, 0, rc->meta, rc->binary, values, nulls);
			rc->tuple = heap_form_tuple(desc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		PQclear(res);
	}
	PG_END_TRY();
}

/*
 * move_to_stage(candidate_id, job_id, stage_id, reason, tenant, actor) and
 * move_to_next_stage(candidate_id, job_id, expected_stage_id, tenant,
 * actor): workflow_ext's function on the tenant's shard, its arguments sent
 * as they are, its move_result row returned as it came.
 */
static Datum
move_in_c(FunctionCallInfo fcinfo, int op, int nargs)
{
	CallCache  *c = call_cache(fcinfo);
	const char *tenant;
	RowCall		rc;
	ShardCall	call;

	memset(&rc, 0, sizeof(rc));
	tenant_and_actor(fcinfo, nargs, &tenant, &rc.actor);
	rc.admin = setting("workflow_ext.tenant_admin");
	rc.op = op;
	for (int i = 0; i < nargs; i++)
		rc.params[i] = PG_ARGISNULL(i) ? NULL
			: (i < 3 ? psprintf(INT64_FORMAT, PG_GETARG_INT64(i)) : text_to_cstring(PG_GETARG_TEXT_PP(i)));
	if (c->move_row == NULL)
	{
		TupleDesc	desc;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "a move's result must be a row type");
		old = MemoryContextSwitchTo(call_cache_cxt);
		c->move_row = TupleDescGetAttInMetadata(CreateTupleDescCopy(desc));
		c->move_binary = binary_row(c->move_row->tupdesc);
		MemoryContextSwitchTo(old);
	}
	rc.meta = c->move_row;
	rc.binary = c->move_binary;
	call_start(&call, route(c, tenant), tenant);
	call_guarded(&call, row_call, &rc);
	if (rc.tuple == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(HeapTupleGetDatum(rc.tuple));
}

PG_FUNCTION_INFO_V1(wf_proxy_move_to_stage);

Datum
wf_proxy_move_to_stage(PG_FUNCTION_ARGS)
{
	return move_in_c(fcinfo, ST_MOVE_TO_STAGE_ROW, 4);
}

PG_FUNCTION_INFO_V1(wf_proxy_move_to_next_stage);

Datum
wf_proxy_move_to_next_stage(PG_FUNCTION_ARGS)
{
	return move_in_c(fcinfo, ST_MOVE_TO_NEXT_STAGE_ROW, 3);
}
