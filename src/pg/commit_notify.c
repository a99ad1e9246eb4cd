/*
 * commit_notify.c - NOTIFY workflow_events, sent when the transaction commits.
 *
 * A change queues its wake-up here; a pre-commit callback hands the queue to
 * Async_Notify, just before PostgreSQL's own PreCommit_Notify sends it.  So a
 * transaction that moves candidates has executed no NOTIFY until it commits,
 * and can be PREPAREd for two-phase commit: its events reach consumers
 * through the feed (workflow_events_since, which carries every event) but
 * without a wake-up, since PostgreSQL cannot notify from a prepared
 * transaction.  Wake-ups of a rolled-back subtransaction are dropped, as
 * NOTIFY drops them.
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "commands/async.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "pipeline.h"

typedef struct PendingWakeUp
{
	SubTransactionId subxact;	/* the subtransaction that queued it */
	char		payload[128];
} PendingWakeUp;

static List *pending = NIL;		/* in TopTransactionContext */

/*
 * Queues the one payload every event's wake-up has: at most about 100 bytes
 * whatever the data.  LISTEN has no access control in PostgreSQL and any
 * session may NOTIFY, so the payload is a wake-up that names a transition and
 * nothing of a tenant's; listeners read the rows (or workflow_events_since)
 * through row-level security.
 */
void
wf_notify(const char *kind, int64 transition_id, int alert_events)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	PendingWakeUp *w = palloc(sizeof(PendingWakeUp));

	w->subxact = GetCurrentSubTransactionId();
	snprintf(w->payload, sizeof(w->payload),
			 "{\"kind\": \"%s\", \"transition_id\": " INT64_FORMAT ", \"alert_events\": %d}",
			 kind, transition_id, alert_events);
	pending = lappend(pending, w);
	MemoryContextSwitchTo(old);
}

static void
at_xact_event(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			foreach(lc, pending)
				Async_Notify("workflow_events", ((PendingWakeUp *) lfirst(lc))->payload);
			pending = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:	/* the feed has the events; no wake-up */
		case XACT_EVENT_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_ABORT:
			pending = NIL;				/* (its memory goes with the transaction) */
			break;
		default:
			break;
	}
}

/*
 * The queue is in order of subtransaction id: a wake-up is queued by the
 * innermost open subtransaction, and those of closed ones have moved to an
 * open ancestor, whose id is lower.  So a closing subtransaction's wake-ups
 * are the queue's tail: constant work per subtransaction, however many
 * (move_candidates() runs one per candidate).
 */
static void
at_subxact_event(SubXactEvent event, SubTransactionId mine, SubTransactionId parent, void *arg)
{
	int			n;

	if (event != SUBXACT_EVENT_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)
		return;
	n = list_length(pending);
	while (n > 0)
	{
		PendingWakeUp *w = list_nth(pending, n - 1);

		if (w->subxact != mine)
			break;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			w->subxact = parent;
		n--;
	}
	if (event == SUBXACT_EVENT_ABORT_SUB)
		pending = list_truncate(pending, n);
}

void
wf_commit_notify_init(void)
{
	RegisterXactCallback(at_xact_event, NULL);
	RegisterSubXactCallback(at_subxact_event, NULL);
}
