/*
 * auto_advance.c - stages that move their candidates on by themselves.
 *
 * An active candidate standing in a stage with auto_advance moves to the next
 * stage as soon as that stage's rule holds: evaluated when the candidate
 * enters the stage (or is reopened in it), by the AFTER trigger that recorded
 * the change, and when the candidate's, the application's or the job's facts
 * change, by the triggers that evaluate the visit's alerts again.  A next
 * stage without a rule is never entered by itself (there is nothing to wait
 * for: a missing rule must not sweep candidates through the pipeline), nor
 * an archived one; a 'warn' rule that fails does not advance: only a rule
 * that holds does.
 *
 * The move is a plain UPDATE of the row, as the actor whose change caused it,
 * under row-level security, through the candidate_stage triggers like any
 * other move (rule, archived stage, history, alerts, events), with its own
 * frame (move_context.c) saying the reason auto_advance and the visit it is
 * for: if that visit is over when the row is locked, nothing changes, so a
 * visit advances at most once.  The move's AFTER trigger evaluates the stage
 * it enters in turn, so a chain of auto_advance stages runs nested; it never
 * enters a stage twice (wf_change_auto_entered), and never twice in one
 * transaction for one candidate (a rolled-back subtransaction's moves do not
 * count: forget_aborted()), so it is bounded by the workflow's length
 * (and its nesting by MAX_CHAIN_DEPTH).
 */
#include "workflow_ext.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/hsearch.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "pipeline.h"

static SPIPlanPtr advance_plan = NULL;
static Oid	advance_plan_schema = InvalidOid;

/*
 * Bounds.  A chain runs nested (each move's trigger advances the next), at
 * most MAX_CHAIN_DEPTH stages in one go, well within the stack; the next
 * change of the candidate's facts carries it on.  And within one transaction
 * a candidate is moved into a stage by itself at most once, whatever the
 * application's triggers (deferred ones included) do in between: so at most
 * as many moves of its own as the workflow has stages, per transaction.
 */
#define MAX_CHAIN_DEPTH 32

typedef struct AutoEntry
{
	int64		job_id;
	int64		candidate_id;
	int64		stage_id;
} AutoEntry;

/* A move of its own, and the subtransaction that made it (hash entry). */
typedef struct AutoEntered
{
	AutoEntry	key;
	SubTransactionId subxid;
} AutoEntered;

static int	chain_depth = 0;
static HTAB *entered_this_xact = NULL;	/* of AutoEntered, in TopTransactionContext */
static LocalTransactionId entered_xact = InvalidLocalTransactionId;
static bool subxact_callback_registered = false;

/*
 * A subtransaction rolled back: its moves never happened, so they bound
 * nothing (a move redone after ROLLBACK TO SAVEPOINT, or by move_candidates()
 * after a batch it undid, advances as the first one did).  Subtransaction ids
 * grow: those of the aborted one and its children are >= its own.
 */
static void
forget_aborted(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS seq;
	AutoEntered *e;

	if (event != SUBXACT_EVENT_ABORT_SUB || entered_this_xact == NULL || entered_xact != MyProc->lxid)
		return;
	hash_seq_init(&seq, entered_this_xact);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->subxid >= mySubid)
			(void) hash_search(entered_this_xact, &e->key, HASH_REMOVE, NULL);
}

/* The set of this transaction's own moves (a hash: move_candidates() makes many). */
static HTAB *
entered_set(void)
{
	if (entered_xact != MyProc->lxid || entered_this_xact == NULL)
	{
		HASHCTL		ctl;

		/* (the last one went with its transaction's memory) */
		if (!subxact_callback_registered)
		{
			RegisterSubXactCallback(forget_aborted, NULL);
			subxact_callback_registered = true;
		}
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(AutoEntry);
		ctl.entrysize = sizeof(AutoEntered);
		ctl.hcxt = TopTransactionContext;
		entered_this_xact = hash_create("workflow_ext auto_advance entries", 64, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		entered_xact = MyProc->lxid;
		chain_depth = 0;
	}
	return entered_this_xact;
}

static AutoEntry
entry_key(const WfPipelineRow *row, int64 stage_id)
{
	AutoEntry	key;

	memset(&key, 0, sizeof(key));
	key.job_id = row->job_id;
	key.candidate_id = row->candidate_id;
	key.stage_id = stage_id;
	return key;
}

static bool
entered_before(const WfPipelineRow *row, int64 stage_id)
{
	AutoEntry	key = entry_key(row, stage_id);

	return hash_search(entered_set(), &key, HASH_FIND, NULL) != NULL;
}

static void
remember_entry(const WfPipelineRow *row, int64 stage_id)
{
	AutoEntry	key = entry_key(row, stage_id);
	bool		found;
	AutoEntered *e = hash_search(entered_set(), &key, HASH_ENTER, &found);

	if (!found)
		e->subxid = GetCurrentSubTransactionId();
}

/* The UPDATE that lets the frame's request through the triggers; caller is in SPI. */
static SPIPlanPtr
advance_statement(Oid schema)
{
	Oid			types[3] = {INT8OID, INT8OID, TEXTOID};

	if (advance_plan == NULL || advance_plan_schema != schema)
	{
		if (advance_plan != NULL)
			SPI_freeplan(advance_plan);
		advance_plan = NULL;
		/* SET stage_id = stage_id: the BEFORE trigger applies the frame's request. */
		advance_plan = wf_keep_plan(psprintf("UPDATE %s c SET stage_id = c.stage_id "
											 "WHERE c.job_id OPERATOR(pg_catalog.=) $1 "
											 "AND c.candidate_id OPERATOR(pg_catalog.=) $2 "
											 "AND c.tenant OPERATOR(pg_catalog.=) $3",
											 wf_qualified(schema, "candidate_stage")),
									3, types);
		advance_plan_schema = schema;
	}
	return advance_plan;
}

/*
 * row stands (as its trigger knows it) in its current visit: if its stage
 * advances by itself and the next stage's rule holds for facts (NULL: read
 * them), move it there.
 */
void
wf_auto_advance(Oid schema, const WfPipelineRow *row, WfFacts *facts)
{
	const WfStage *stage;
	const WfStage *next;
	WfFacts		own;
	WfChangeFrame frame;
	Datum		args[3];
	int			ret;

	if (row->status == NULL || strcmp(row->status, "active") != 0 || !row->has_stage ||
		!row->has_visit || row->tenant == NULL)
		return;
	stage = wf_stage_lookup(schema, row->stage_id);
	if (stage == NULL || !stage->auto_advance || !stage->has_next)
		return;
	next = wf_stage_lookup(schema, stage->next_stage_id);
	if (next == NULL || next->archived || !next->has_rule)
		return;
	if (wf_change_auto_entered(row->job_id, row->candidate_id, next->id) ||
		entered_before(row, next->id) || chain_depth >= MAX_CHAIN_DEPTH)
		return;
	if (facts == NULL)
	{
		wf_facts_for_row(&own, schema, row);
		facts = &own;
	}
	if (!wf_rule_holds(next, facts, NULL))
		return;

	memset(&frame, 0, sizeof(frame));
	frame.job_id = row->job_id;
	frame.candidate_id = row->candidate_id;
	frame.kind = WF_CHANGE_STAGE;
	frame.stage_id = next->id;
	frame.auto_advance = true;
	frame.has_expected = true;
	frame.expected_stage_id = row->stage_id;
	frame.expected_visit_id = row->visit_transition_id;
	frame.reason = "auto_advance";
	frame.actor = wf_actor();
	frame.result_context = CurrentMemoryContext;
	args[0] = Int64GetDatum(row->job_id);
	args[1] = Int64GetDatum(row->candidate_id);
	args[2] = CStringGetTextDatum(row->tenant);

	remember_entry(row, next->id);
	SPI_connect();
	wf_change_push(&frame);
	chain_depth++;
	PG_TRY();
	{
		ret = wf_execute_kept(advance_statement(schema), args, NULL, false, 0);
	}
	PG_FINALLY();
	{
		chain_depth--;
		wf_change_pop(&frame);
	}
	PG_END_TRY();
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "workflow_ext: could not advance candidate " INT64_FORMAT " in job " INT64_FORMAT,
			 row->candidate_id, row->job_id);
	SPI_finish();
}
