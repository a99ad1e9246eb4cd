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
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "foreign/foreign.h"
#include "nodes/parsenodes.h"
#include "utils/guc.h"
#include "utils/timeout.h"

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

PG_FUNCTION_INFO_V1(wf_proxy_shard_deadline_disarm);

/*
 * shard_deadline_disarm(): stops the timer; true when it had fired (it was
 * armed here and is no longer running, or was not when the subtransaction
 * it was armed in aborted).
 */
Datum
wf_proxy_shard_deadline_disarm(PG_FUNCTION_ARGS)
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
			 * shard (the subtransaction's abort records that it fired),
			 * rather than as a bare 55P03 "lock timeout" after the block --
			 * which a client would take for tenant_moving and retry.
			 */
			CHECK_FOR_INTERRUPTS();
			fired = true;
		}
		deadline_armed = false;
	}
	PG_RETURN_BOOL(fired);
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
