/*
 * condition_eval.h - the host callbacks the core polls (interrupts, child
 * facts, exact decimals, the transaction's timestamp).  Evaluation itself
 * goes through wf_compiled_evaluate / wf_compiled_explain (workflow_ext.h),
 * which honour interrupts (statement_timeout, pg_cancel_backend).
 */
#ifndef WF_CONDITION_EVAL_H
#define WF_CONDITION_EVAL_H

#include "workflow_ext.h"

#include "datatype/timestamp.h"

/* Installs the shim's wf_host in the core (idempotent, cheap). */
extern void wf_core_host_install(void);

#endif							/* WF_CONDITION_EVAL_H */
