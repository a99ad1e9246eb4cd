/*
 * workflow_ext.c - module entry: PG_MODULE_MAGIC, GUCs, cache callbacks.
 */
#include "workflow_ext.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

char	   *wf_actor_setting = NULL;
bool		wf_require_actor_setting = false;
char	   *wf_reason_setting = NULL;
int			wf_stage_cache_size = 10000;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("workflow_ext.actor",
							   "The application user acting in this session or transaction.",
							   "Set per request with SET LOCAL workflow_ext.actor = 'user:42'. "
							   "When empty, the current role is the actor.",
							   &wf_actor_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("workflow_ext.require_actor",
							 "Refuse every function and write when workflow_ext.actor is not set.",
							 NULL, &wf_require_actor_setting, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("workflow_ext.reason",
							   "Reason recorded in stage_transition for a plain UPDATE of candidate_stage.",
							   NULL, &wf_reason_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("workflow_ext.stage_cache_size",
							"Most compiled stages a backend keeps; the cache is emptied when full.",
							NULL, &wf_stage_cache_size, 10000, 16, 1000000, PGC_USERSET, 0,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("workflow_ext");
#else
	EmitWarningsOnPlaceholders("workflow_ext");
#endif
	wf_stage_cache_init();
	wf_facts_source_init();
}
