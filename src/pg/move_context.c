/*
 * move_context.c - the explicit state of the changes a function asked for.
 *
 * A move or status function pushes a frame naming the pipeline row and what
 * it wants, then runs one UPDATE of that row.  The BEFORE trigger claims the
 * innermost unclaimed frame for its row and resolves the request against the
 * row as it finds it locked; the AFTER trigger finds the frame by the
 * transition id the BEFORE trigger stamped and leaves the result there.  A
 * change started inside another (an application trigger that moves another
 * candidate while the first move is recorded) pushes its own frame, so each
 * transition is recorded with its own actor, reason and result.  Frames live
 * on the C stack of the function that pushed them and are popped on error too.
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(wf_is_auto_advance);

static WfChangeFrame *top = NULL;
static bool callback_registered = false;

static void
forget_frames(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		top = NULL;				/* popped already by PG_FINALLY; belt and braces */
}

void
wf_change_push(WfChangeFrame *frame)
{
	if (!callback_registered)
	{
		RegisterXactCallback(forget_frames, NULL);
		callback_registered = true;
	}
	frame->outer = top;
	top = frame;
}

void
wf_change_pop(WfChangeFrame *frame)
{
	/* Pop down to frame: an inner frame left behind by an error goes too. */
	for (WfChangeFrame *f = top; f != NULL; f = f->outer)
		if (f == frame)
		{
			top = frame->outer;
			return;
		}
}

/* Is f a request the trigger of kind (WF_CHANGE_STATUS: any UPDATE) takes? */
static bool
takes(const WfChangeFrame *f, WfChangeKind kind)
{
	if (kind == WF_CHANGE_ENTER || kind == WF_CHANGE_REMOVE)
		return f->kind == kind;
	return f->kind != WF_CHANGE_ENTER && f->kind != WF_CHANGE_REMOVE;
}

/*
 * The innermost frame for this row that no trigger has claimed yet, of a
 * kind the statement carries out: an UPDATE a move, status change or
 * transfer (wf_change_claim), an INSERT a transfer's entry, a DELETE a
 * removal (wf_change_claim_as).
 */
WfChangeFrame *
wf_change_claim_as(int64 job_id, int64 candidate_id, WfChangeKind kind)
{
	for (WfChangeFrame *f = top; f != NULL; f = f->outer)
		if (!f->claimed && f->job_id == job_id && f->candidate_id == candidate_id && takes(f, kind))
		{
			f->claimed = true;
			return f;
		}
	return NULL;
}

/* The innermost unclaimed request to UPDATE this row (move, status, transfer). */
WfChangeFrame *
wf_change_claim(int64 job_id, int64 candidate_id)
{
	return wf_change_claim_as(job_id, candidate_id, WF_CHANGE_STATUS);
}

/* The frame whose row the BEFORE trigger stamped with transition_id. */
WfChangeFrame *
wf_change_for_transition(int64 transition_id)
{
	for (WfChangeFrame *f = top; f != NULL; f = f->outer)
		if (f->claimed && f->has_transition && f->transition_id == transition_id)
			return f;
	return NULL;
}

/*
 * Has a stage's auto-advance already brought this row into stage_id in the
 * chain of changes now running (auto_advance.c)?  A chain enters each stage
 * by itself at most once, so it is bounded by the workflow's length, whatever
 * an application's trigger does in between.
 */
bool
wf_change_auto_entered(int64 job_id, int64 candidate_id, int64 stage_id)
{
	for (WfChangeFrame *f = top; f != NULL; f = f->outer)
		if (f->auto_advance && f->job_id == job_id && f->candidate_id == candidate_id &&
			f->stage_id == stage_id)
			return true;
	return false;
}

/*
 * is_auto_advance(transition_id): is the change that the BEFORE trigger
 * stamped with transition_id a stage's own move (auto_advance.c), running
 * now?  For an application's trigger on candidate_stage, given
 * NEW.transition_id: in a BEFORE UPDATE trigger that fires after
 * candidate_stage_guard (its name sorts after it) or an AFTER trigger.  The
 * answer is this backend's frames, which only the engine's C code pushes:
 * no setting, argument or row value makes a change of anyone's the engine's
 * (the guard stamps a fresh id on every change, the only id a frame takes).
 * false for NULL, for an id no running change has, and outside triggers.
 */
Datum
wf_is_auto_advance(PG_FUNCTION_ARGS)
{
	WfChangeFrame *f;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	f = wf_change_for_transition(PG_GETARG_INT64(0));
	PG_RETURN_BOOL(f != NULL && f->auto_advance);
}
