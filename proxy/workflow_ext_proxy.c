/*
 * workflow_ext_proxy.c - the front's bound on a call to a shard that does not
 * answer (docs/scale-out.md, Failures).
 *
 * PL/Proxy 2.10 waits for a shard in poll() for a second at a time and checks
 * its query_timeout and connect_timeout only after a socket event: a frozen
 * shard (SIGSTOP, a hung host whose kernel still acknowledges) sends none, so
 * neither ever fires.  statement_timeout does interrupt the wait, but as a
 * query cancel, and PL/Proxy answers a cancel by sending the shard a cancel
 * request with libpq's blocking PQcancel(), which waits for the frozen
 * postmaster to close that connection: the front backend stays pinned until
 * the shard thaws.
 *
 * shard_deadline_arm() arms PostgreSQL's lock timeout timer for
 * workflow_ext_proxy.shard_timeout around one PL/Proxy call.  When it fires,
 * the wait is interrupted with 55P03 "canceling statement due to lock
 * timeout", which PL/Proxy does not treat as a cancel: it sends no cancel
 * request and leaves the connection, which it drops and reopens at its next
 * use.  The front's PL/pgSQL (call_tenant) disarms the timer with
 * shard_deadline_disarm(), which says whether it fired, and raises 08006
 * shard_timeout naming the shard.
 *
 * shard_count(): the number of partitions of the server workflow_shards,
 * read from the syscache (every front call routes with it: the same count
 * by a query on pg_foreign_server cost 30-50 us a call).
 *
 * call_tenant() and job_candidates(): the front's call path in one C frame
 * (issue 22): the tenant and actor, route_tenant(), the PL/Proxy call under
 * the shard_timeout bound, PL/Proxy's own failures raised as 08006 naming
 * the shard, the shard's error (returned as data by shard_call) raised
 * again with its SQLSTATE, message, DETAIL and HINT.  The same steps in
 * PL/pgSQL cost a subtransaction (its EXCEPTION block) and five SPI
 * statements a call; here an error is caught only to be raised again, which
 * needs no subtransaction.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "access/xact.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
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

static void
deadline_xact_callback(XactEvent event, void *arg)
{
	deadline_forget(false);
	deadline_fired_at_abort = false;
}

static void
deadline_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && GetCurrentTransactionNestLevel() <= deadline_level)
		deadline_forget(true);
}

void
_PG_init(void)
{
	RegisterXactCallback(deadline_xact_callback, NULL);
	RegisterSubXactCallback(deadline_subxact_callback, NULL);

	DefineCustomIntVariable("workflow_ext_proxy.shard_timeout",
							"How long a front call waits for a shard's answer before it is abandoned (08006 shard_timeout).",
							"0 waits without bound. Bounds a frozen shard, which PL/Proxy's own query_timeout does not.",
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
Datum
wf_proxy_shard_count(PG_FUNCTION_ARGS)
{
	ForeignServer *server = GetForeignServerByName("workflow_shards", true);
	int32		n = 0;
	ListCell   *lc;

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
	PG_RETURN_INT32(n);
}

/* ------------------------------------------------------------ call path */

/* The functions a front call calls, looked up once per call site. */
typedef struct CallCache
{
	FmgrInfo	route_tenant;	/* route_tenant(text) */
	FmgrInfo	target;			/* the PL/Proxy function */
	Oid			placement;		/* tenant_placement */
	Oid			placement_pkey; /* its primary key (tenant) */
	Oid			answer;			/* shard_answer (call_tenant) */
	FmgrInfo	record_in;		/* its input (record_in keeps its state in fn_extra) */
} CallCache;

/* A function of the extension's schema (the schema of the caller, self). */
static Oid
own_function(Oid self, const char *name, int nargs, const Oid *argtypes)
{
	List	   *names = list_make2(makeString(get_namespace_name(get_func_namespace(self))),
								   makeString(pstrdup(name)));

	return LookupFuncName(names, nargs, argtypes, false);
}

static CallCache *
call_cache(FunctionCallInfo fcinfo, const char *target, int nargs, const Oid *argtypes)
{
	CallCache  *c = (CallCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
		Oid			text_type = TEXTOID;

		c = (CallCache *) MemoryContextAllocZero(mcxt, sizeof(CallCache));
		fmgr_info_cxt(own_function(fcinfo->flinfo->fn_oid, "route_tenant", 1, &text_type),
					  &c->route_tenant, mcxt);
		fmgr_info_cxt(own_function(fcinfo->flinfo->fn_oid, target, nargs, argtypes), &c->target, mcxt);
		c->placement = get_relname_relid("tenant_placement", get_func_namespace(fcinfo->flinfo->fn_oid));
		c->placement_pkey = get_relname_relid("tenant_placement_pkey", get_func_namespace(fcinfo->flinfo->fn_oid));
		c->answer = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("shard_answer"),
									ObjectIdGetDatum(get_func_namespace(fcinfo->flinfo->fn_oid)));
		fmgr_info_cxt(F_RECORD_IN, &c->record_in, mcxt);
		fcinfo->flinfo->fn_extra = c;
	}
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

	if (OidIsValid(c->placement) && OidIsValid(c->placement_pkey) &&
		pg_class_aclcheck(c->placement, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_shared_int4,
										 Int32GetDatum(2001286144), Int32GetDatum(h))))
	{
		Relation	rel = table_open(c->placement, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		/*
		 * A snapshot taken now, after the lock (as route_tenant's SELECT
		 * takes one in READ COMMITTED): the statement's own snapshot may
		 * predate a move that committed before the lock was free.
		 */
		PushActiveSnapshot(GetTransactionSnapshot());
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
	}
	if (partition < 0)
		partition = DatumGetInt32(FunctionCall1(&c->route_tenant, t));
	return partition;
}

/* 08006 naming the shard: shard_timeout when message says timeout. */
static void
raise_unreachable(int partition, const char *tenant, const char *message)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfo(&detail, "{\"shard\": \"p%d\", \"reason\": \"%s\", \"tenant\": ", partition,
					 strstr(message, "timeout") ? "shard_timeout" : "shard_unreachable");
	escape_json(&detail, tenant);
	appendStringInfoChar(&detail, '}');
	ereport(ERROR,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("shard p%d (tenant %s) did not answer: %s", partition, tenant, message),
			 errdetail_internal("%s", detail.data),
			 errhint("The call's outcome on the shard is unknown when the connection was lost during it: look it up (candidate_history, or move again with expected_stage_id) once the shard is back (docs/scale-out.md, Failures).")));
}

/*
 * In PG_CATCH around a PL/Proxy call: disarms the bound; raises 08006 for
 * the bound firing, PL/Proxy's own failures (no connection, the connection
 * lost, its query_timeout) and statement_timeout; otherwise returns and the
 * caller raises the error again unchanged.
 */
static void
shard_failure(int partition, const char *tenant, MemoryContext cxt)
{
	bool		fired = deadline_stop(false);
	ErrorData  *e;
	const char *message = NULL;

	MemoryContextSwitchTo(cxt);
	e = CopyErrorData();
	if (e->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && fired)
		message = psprintf("no answer within workflow_ext_proxy.shard_timeout (%s)",
						   GetConfigOptionByName("workflow_ext_proxy.shard_timeout", NULL, false));
	else if (e->message != NULL &&
			 (ERRCODE_TO_CATEGORY(e->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION ||
			  (ERRCODE_TO_CATEGORY(e->sqlerrcode) == ERRCODE_INTERNAL_ERROR && strstr(e->message, "PL/Proxy")) ||
			  (e->sqlerrcode == ERRCODE_QUERY_CANCELED && strstr(e->message, "statement timeout"))))
		message = e->message;
	if (message == NULL)
		return;
	FlushErrorState();
	raise_unreachable(partition, tenant, message);
}

/*
 * call_tenant(tenant, actor, operation, args): shard_call on the tenant's
 * shard (route_call: shard_call's row as text, parsed as a shard_answer);
 * its result, or its error raised again.
 */
PG_FUNCTION_INFO_V1(wf_proxy_call_tenant);

Datum
wf_proxy_call_tenant(PG_FUNCTION_ARGS)
{
	static const Oid target_types[] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	CallCache  *c = call_cache(fcinfo, "route_call", 5, target_types);
	MemoryContext cxt = CurrentMemoryContext;
	const char *tenant;
	const char *actor;
	const char *admin = setting("workflow_ext.tenant_admin");
	Datum		args = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	int			partition;
	Datum		result;
	HeapTupleHeader th;
	HeapTupleData tuple;
	TupleDesc	td;
	Datum		values[5];
	bool		nulls[5];
	LOCAL_FCINFO(call, 5);

	tenant_and_actor(fcinfo, 0, &tenant, &actor);
	if (admin != NULL && args != (Datum) 0)
	{
		StringInfoData a;

		initStringInfo(&a);
		appendStringInfoString(&a, "{\"$tenant_admin\": ");
		escape_json(&a, admin);
		appendStringInfoChar(&a, '}');
		args = DirectFunctionCall2(jsonb_concat, args, DirectFunctionCall1(jsonb_in, CStringGetDatum(a.data)));
	}
	partition = route(c, tenant);

	InitFunctionCallInfoData(*call, &c->target, 5, InvalidOid, NULL, NULL);
	call->args[0].value = Int32GetDatum(partition);
	call->args[0].isnull = false;
	call->args[1].value = CStringGetTextDatum(tenant);
	call->args[1].isnull = false;
	call->args[2].value = CStringGetTextDatum(actor);
	call->args[2].isnull = false;
	call->args[3].value = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	call->args[3].isnull = PG_ARGISNULL(2);
	call->args[4].value = args;
	call->args[4].isnull = args == (Datum) 0;
	PG_TRY();
	{
		DirectFunctionCall1(wf_proxy_shard_deadline_arm, (Datum) 0);
		result = FunctionCallInvoke(call);
		(void) deadline_stop(true);
	}
	PG_CATCH();
	{
		shard_failure(partition, tenant, cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (call->isnull)
		PG_RETURN_NULL();

	/* (error_sqlstate, error_message, error_detail, error_hint, result) */
	th = DatumGetHeapTupleHeader(InputFunctionCall(&c->record_in, TextDatumGetCString(result), c->answer, -1));
	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, td, values, nulls);
	ReleaseTupleDesc(td);
	if (!nulls[0])
	{
		const char *ss = TextDatumGetCString(values[0]);

		if (strlen(ss) != 5 || strspn(ss, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5)
			ss = "XX000";
		ereport(ERROR,
				(errcode(MAKE_SQLSTATE(ss[0], ss[1], ss[2], ss[3], ss[4])),
				 errmsg_internal("%s", nulls[1] ? "" : TextDatumGetCString(values[1])),
				 nulls[2] ? 0 : errdetail_internal("%s", TextDatumGetCString(values[2])),
				 nulls[3] ? 0 : errhint("%s", TextDatumGetCString(values[3]))));
	}
	if (nulls[4])
		PG_RETURN_NULL();
	PG_RETURN_DATUM(values[4]);
}

/*
 * job_candidates(job_id, status, tenant, actor): the rows of
 * route_job_candidates on the tenant's shard.
 */
PG_FUNCTION_INFO_V1(wf_proxy_job_candidates);

Datum
wf_proxy_job_candidates(PG_FUNCTION_ARGS)
{
	static const Oid target_types[] = {INT4OID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
	CallCache  *c = call_cache(fcinfo, "route_job_candidates", 5, target_types);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = CurrentMemoryContext;
	const char *tenant;
	const char *actor;
	int			partition;
	FmgrInfo	target;
	ExprContext *econtext;
	ReturnSetInfo rsi;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	LOCAL_FCINFO(call, 5);

	tenant_and_actor(fcinfo, 2, &tenant, &actor);
	partition = route(c, tenant);
	InitMaterializedSRF(fcinfo, 0);
	desc = rsinfo->setDesc;
	values = (Datum *) palloc(desc->natts * sizeof(Datum));
	nulls = (bool *) palloc(desc->natts * sizeof(bool));

	/* PL/Proxy's function returns its rows one per call (ValuePerCall). */
	fmgr_info_copy(&target, &c->target, cxt);
	econtext = CreateStandaloneExprContext();
	memset(&rsi, 0, sizeof(rsi));
	rsi.type = T_ReturnSetInfo;
	rsi.econtext = econtext;
	rsi.expectedDesc = desc;
	rsi.allowedModes = (int) SFRM_ValuePerCall;
	rsi.returnMode = SFRM_ValuePerCall;
	InitFunctionCallInfoData(*call, &target, 5, InvalidOid, NULL, (Node *) &rsi);
	call->args[0].value = Int32GetDatum(partition);
	call->args[0].isnull = false;
	call->args[1].value = CStringGetTextDatum(tenant);
	call->args[1].isnull = false;
	call->args[2].value = CStringGetTextDatum(actor);
	call->args[2].isnull = false;
	call->args[3].value = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	call->args[3].isnull = PG_ARGISNULL(0);
	call->args[4].value = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	call->args[4].isnull = PG_ARGISNULL(1);
	PG_TRY();
	{
		DirectFunctionCall1(wf_proxy_shard_deadline_arm, (Datum) 0);
		for (;;)
		{
			Datum		row;

			rsi.isDone = ExprSingleResult;
			call->isnull = false;
			row = FunctionCallInvoke(call);
			if (rsi.isDone == ExprEndResult)
				break;
			if (call->isnull)
				memset(nulls, true, desc->natts * sizeof(bool));
			else
			{
				HeapTupleHeader th = DatumGetHeapTupleHeader(row);
				HeapTupleData tuple;

				tuple.t_len = HeapTupleHeaderGetDatumLength(th);
				ItemPointerSetInvalid(&tuple.t_self);
				tuple.t_tableOid = InvalidOid;
				tuple.t_data = th;
				heap_deform_tuple(&tuple, desc, values, nulls);
			}
			tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
		}
		(void) deadline_stop(true);
	}
	PG_CATCH();
	{
		shard_failure(partition, tenant, cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	FreeExprContext(econtext, true);
	return (Datum) 0;
}
