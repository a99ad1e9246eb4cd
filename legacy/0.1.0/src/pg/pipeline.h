/*
 * pipeline.h - the pipeline row as the candidate_stage triggers see it, and
 * the writers of pipeline_events.c.
 */
#ifndef WORKFLOW_EXT_PIPELINE_H
#define WORKFLOW_EXT_PIPELINE_H

#include "lib/stringinfo.h"

typedef struct WfPipelineRow
{
	int64		job_id;
	int64		candidate_id;
	int64		workflow_id;
	int64		stage_id;
	int64		transition_id;
	const char *status;
} WfPipelineRow;

extern int	wf_firing_alerts(const WfStage *stage, Jsonb *facts, bool *fires);
extern int	wf_raise_alerts(Oid schema, const WfStage *stage, const bool *fires,
							const WfPipelineRow *row, Jsonb *facts, const char *cause,
							StringInfo ids);
extern void wf_write_transition(Oid schema, const WfPipelineRow *row, int64 from_stage_id,
								const char *from_status, const char *actor,
								int alerts_raised, Jsonb *warnings);
extern void wf_notify(const char *event, const WfPipelineRow *row, int64 from_stage_id,
					  const char *from_status, const char *alert_event_ids);

#endif
