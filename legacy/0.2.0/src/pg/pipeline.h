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
				added_by;
} WfPipelineColumns;

/* pipeline_row.c */
extern void wf_require_pipeline_table(Relation rel, Oid schema, const char *function);
extern WfPipelineColumns wf_pipeline_columns(TupleDesc desc);
extern WfPipelineRow wf_pipeline_read(HeapTuple tuple, TupleDesc desc, const WfPipelineColumns *c);
extern int64 wf_next_transition_id(Oid schema);

/* stage_alerts.c: which of a stage's alerts fire for these facts */
extern bool wf_rule_holds(const WfStage *stage, Jsonb *facts, char **failed_leaves);
extern Jsonb *wf_json_text_to_jsonb(const char *text);
extern int	wf_firing_alerts(const WfStage *stage, Jsonb *facts, Jsonb *rule_failed_leaves,
							 bool *fires);

/* pipeline_events.c: the rows a change writes, and its event */
extern int	wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires,
							const WfPipelineRow *row, Jsonb *facts, const char *cause);
extern void wf_write_transition(Oid schema, const WfPipelineRow *row, bool has_from,
								int64 from_stage_id, const char *from_status,
								const char *actor, const char *reason,
								int alerts_raised, Jsonb *warnings);
extern int64 wf_raise_sla_event(Oid schema, const WfPipelineRow *row, const char *message,
								Jsonb *facts);
extern void wf_notify(const char *kind, int64 transition_id, int alert_events);

#endif
