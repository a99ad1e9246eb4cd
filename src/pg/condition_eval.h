/*
 * condition_eval.h - evaluation helpers of the shim beyond workflow_ext.h:
 * the host callbacks the core polls, and evaluate/explain calls that honour
 * interrupts (statement_timeout, pg_cancel_backend) during long evaluations.
 */
#ifndef WF_CONDITION_EVAL_H
#define WF_CONDITION_EVAL_H

#include "workflow_ext.h"

#include "datatype/timestamp.h"

/* Installs the shim's wf_host in the core (idempotent, cheap). */
extern void wf_core_host_install(void);

/*
 * wf_condition_evaluate / wf_condition_explain, but when the core stops for a
 * pending interrupt, CHECK_FOR_INTERRUPTS() runs (and raises 57014 for a
 * cancel or a statement_timeout); an interrupt that raises nothing lets the
 * evaluation start again.  Other failures raise naming object.
 */
extern bool wf_evaluate_checked(const wf_condition *cond, const wf_fact *facts,
								const char *object);
extern char *wf_explain_checked(const wf_condition *cond, const wf_fact *facts,
								bool only_failed, int *result, const char *object);

/* The same with relative time measured from at (a timestamptz), not from the
 * transaction's timestamp. */
extern bool wf_evaluate_checked_at(const wf_condition *cond, const wf_fact *facts,
								   TimestampTz at, const char *object);
extern char *wf_explain_checked_at(const wf_condition *cond, const wf_fact *facts,
								   bool only_failed, TimestampTz at, int *result,
								   const char *object);

#endif							/* WF_CONDITION_EVAL_H */
