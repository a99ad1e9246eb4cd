/*
 * pipeline.h - the pipeline row (candidate_stage) as the triggers see it, and
 * what a change of it evaluates and writes.
 */
#ifndef WORKFLOW_EXT_PIPELINE_H
#define WORKFLOW_EXT_PIPELINE_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/rel.h"

/* A pipeline row; every bigint is a valid id, absence is the has_ flag. */
typedef struct WfPipelineRow
{
	int64		job_id;
	int64		candidate_id;
	int64		workflow_id;
	int64		stage_id;
	int64		transition_id;		/* the latest change of the row */
	int64		visit_transition_id;	/* the change that entered the stage */
	bool		has_job;
	bool		has_candidate;
	bool		has_workflow;
	bool		has_stage;
	bool		has_transition;
	bool		has_visit;
	const char *status;			/* NULL when null */
	const char *tenant;			/* the job's organization; NULL when null */
	Jsonb	   *attributes;		/* the application's facts; NULL when null */
} WfPipelineRow;

/* Column numbers of candidate_stage, looked up by name. */
typedef struct WfPipelineColumns
{
	int			job_id,
				candidate_id,
				workflow_id,
				stage_id,
				status,
				entered_at,
				transition_id,
				visit_transition_id,
				added_by,
				tenant,
				attributes;
} WfPipelineColumns;

/* pipeline_row.c */
extern void wf_require_pipeline_table(Relation rel, Oid schema, const char *function);
extern WfPipelineColumns wf_pipeline_columns(TupleDesc desc);
extern WfPipelineRow wf_pipeline_read(HeapTuple tuple, TupleDesc desc, const WfPipelineColumns *c);
extern int64 wf_next_transition_id(Oid schema);
extern char *wf_resolve_tenant(Oid schema, int64 job_id, bool has_candidate, int64 candidate_id);
extern const char *wf_visible_job_tenant(Oid schema, int64 job_id);

/* pipeline_guard.c: does a change to status record a rejection_reason code? */
extern bool wf_status_takes_reason_code(const char *status);

/* facts_source.c: a pipeline row's facts, each source read when first needed */
extern void wf_facts_for_row(WfFacts *facts, Oid schema, const WfPipelineRow *row);

/* facts_changed_trigger.c: an open stage visit's alerts evaluated again (cause facts) */
extern void wf_reevaluate_visit(Oid schema, const WfPipelineRow *row, WfFacts *facts, bool batched);

/*
 * A change of facts (a row of candidate_profile, job_profile or the facts
 * source table), as its row trigger records it for its statement's frame.
 */
typedef struct WfFactsChange
{
	Oid			schema;
	int64		key;			/* the candidate, or the job */
	bool		by_job;
	char	   *tenant;			/* NULL: every tenant's pipelines of the candidate */
	Jsonb	   *given;			/* the new facts; NULL: read from the source */
} WfFactsChange;
extern int	wf_facts_evaluate(const WfFactsChange *changes, int n, bool batched);

/*
 * auto_advance.c: an active candidate standing in an auto_advance stage moves
 * on when the next stage's rule holds (facts: the row's, or NULL to read them)
 */
extern void wf_auto_advance(Oid schema, const WfPipelineRow *row, WfFacts *facts);

/* stage_alerts.c: which of a stage's alerts fire for these facts */
extern bool wf_rule_holds(const WfStage *stage, WfFacts *facts, char **failed_leaves);
extern Jsonb *wf_json_text_to_jsonb(const char *text);
extern Jsonb *wf_redact_leaves(Jsonb *leaves);
extern int	wf_firing_alerts(const WfStage *stage, WfFacts *facts, Jsonb *rule_failed_leaves,
							 bool *fires);

/* What a history row records besides the change itself. */
typedef struct WfTransitionNote
{
	const char *reason_code;	/* a rejection's or withdrawal's code; NULL: none */
	bool		has_related_job;	/* a transfer: */
	int64		related_job_id; /* the job it went to, or came from */
	Jsonb	   *on_enter;		/* an entry: the stage's on_enter; NULL: none */
} WfTransitionNote;

/* pipeline_events.c: the rows a change writes, and its event */
extern int	wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires,
							const WfPipelineRow *row, WfFacts *facts, const char *cause);
extern int	wf_raise_entry_alerts(Oid schema, const WfStage *stage, const bool *fires,
								  const WfPipelineRow *row, WfFacts *facts);
extern bool wf_visit_has_events(int64 visit);

/* event_arbiters.c: whether a plain INSERT may write a new visit's entry events */
extern bool wf_event_arbiters_decide_nothing(Oid relid);
extern void wf_write_transition(Oid schema, const WfPipelineRow *row, bool has_from,
								int64 from_stage_id, const char *from_status,
								const char *actor, const char *reason,
								int alerts_raised, Jsonb *warnings,
								const WfTransitionNote *note);
extern int64 wf_raise_sla_event(Oid schema, const WfPipelineRow *row, const char *message,
								WfFacts *facts);
extern void wf_notify(const char *kind, int64 transition_id, int alert_events);

/* The columns of a history row and of an alert event, as the writes below take them. */
#define WF_TRANSITION_COLUMNS 16
#define WF_EVENT_COLUMNS 12
extern void wf_transition_args(const WfPipelineRow *row, bool has_from, int64 from_stage_id,
							   const char *from_status, const char *actor, const char *reason,
							   int alerts_raised, Jsonb *warnings, const WfTransitionNote *note,
							   Datum *args, char *nulls);
extern void wf_write_transitions(Oid schema, int n, const Datum *values, const char *nulls,
								 const int64 *ids);
extern int	wf_write_alert_events(Oid schema, int n, const Datum *values, const char *nulls,
								  const int64 *ids);
extern int	wf_write_new_visit_events(Oid schema, int n, const Datum *values, const char *nulls,
									  const int64 *ids);
extern int64 wf_next_alert_event_id(Oid schema);
extern Jsonb *wf_event_facts(Oid schema, int64 stage_id, WfFacts *facts);

/*
 * batched_writes.c: the history rows, alert events and wake-ups of the
 * changes of one statement on candidate_stage (or the alert events one
 * statement's changes of facts raise again), written set-wise.
 */
extern bool wf_batch_open(Relation rel);
extern void wf_batch_transition(Oid schema, const WfPipelineRow *row, bool has_from,
								int64 from_stage_id, const char *from_status,
								const char *actor, const char *reason,
								int alerts_raised, Jsonb *warnings,
								const WfTransitionNote *note);
extern int	wf_batch_alerts(Oid schema, const WfStage *stage, const bool *fires,
							const WfPipelineRow *row, WfFacts *facts, const char *cause);
extern int	wf_batch_alerts_except(Oid schema, const WfStage *stage, const bool *fires,
								   const bool *repeat, const WfPipelineRow *row, WfFacts *facts,
								   const char *cause);
extern void wf_batch_notify(const char *kind, int64 transition_id, int alert_events);
extern void wf_batch_notify_alerts(int64 visit_transition_id);
extern void wf_batch_flush(void);
extern void wf_batch_flush_pending(void);
extern void wf_batch_before_statement(void);
extern bool wf_batch_facts(Relation rel, const WfFactsChange *change);
extern uint64 wf_batch_writes;
extern int	wf_batch_room(void);

/*
 * erasure.c: the lock that orders erase_candidate() and the entries of the
 * same candidate (README, Erasing a candidate): an entry takes it shared
 * before the candidate's facts are read, the erasure alone (after locking the
 * candidate's rows) before it reads what it erases; both hold it to the
 * transaction's end.
 */
#define WF_ERASURE_LOCK_CLASS 2071118
#define WF_ERASURE_LOCK_SPACE 22342
#define WF_ERASURE_LOCK_STRIPES 256
extern void wf_lock_candidate_entry(const char *tenant, int64 candidate_id);

#endif
