/*
 * owner_transfer.c - the one way a workflow's owner changes.
 *
 * workflow.owner is immutable to every statement (touch_updated_at refuses a
 * change) except the UPDATE that transfer_workflow_ownership() announces
 * here first, for one workflow, in the current transaction.  The state is
 * explicit and short-lived: announced by the function, consumed by the
 * trigger, and void outside the transaction that announced it.
 * begin_owner_transfer() is not granted to PUBLIC.
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "storage/proc.h"

PG_FUNCTION_INFO_V1(wf_begin_owner_transfer);
PG_FUNCTION_INFO_V1(wf_owner_transfer_announced);

static int64 announced_workflow = 0;
static LocalTransactionId announced_in = InvalidLocalTransactionId;

Datum
wf_begin_owner_transfer(PG_FUNCTION_ARGS)
{
	announced_workflow = PG_GETARG_INT64(0);
	announced_in = MyProc->lxid;
	PG_RETURN_VOID();
}

/* True (once) when this transaction announced the transfer of this workflow. */
Datum
wf_owner_transfer_announced(PG_FUNCTION_ARGS)
{
	bool		announced = announced_in == MyProc->lxid &&
		announced_in != InvalidLocalTransactionId &&
		announced_workflow == PG_GETARG_INT64(0);

	if (announced)
		announced_in = InvalidLocalTransactionId;
	PG_RETURN_BOOL(announced);
}
