/*
 * workflow_ext.c - module entry: PG_MODULE_MAGIC, GUCs, cache callbacks.
 */
#include "workflow_ext.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

char	   *wf_actor_setting = NULL;
bool		wf_require_actor_setting = false;
char	   *wf_reason_setting = NULL;
char	   *wf_reason_code_setting = NULL;
char	   *wf_trusted_role_setting = NULL;
char	   *wf_tenant_setting = NULL;
bool		wf_require_tenant_setting = false;
bool		wf_tenant_admin_setting = false;
int			wf_stage_cache_size = 10000;

void		_PG_init(void);
extern void wf_legacy_init(void);

void
_PG_init(void)
{
	/* The earlier releases in this library, first (legacy/README.md). */
	wf_legacy_init();
	DefineCustomStringVariable("workflow_ext.actor",
							   "The application user acting in this session or transaction.",
							   "Set per request with SET LOCAL workflow_ext.actor = 'user:42'. "
							   "When empty, the current role is the actor (as role:<oid>).",
							   &wf_actor_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("workflow_ext.tenant",
							   "The organization the actor acts for in this session or transaction.",
							   "Set per request with SET LOCAL workflow_ext.tenant = 'org:acme'. "
							   "When empty, the actor is its own tenant.",
							   &wf_tenant_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("workflow_ext.tenant_admin",
							 "The application says the actor administers the tenant: sees and edits every workflow of it.",
							 "Set per request with SET LOCAL; only roles that may name an actor may turn it on.",
							 &wf_tenant_admin_setting, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	wf_require_actor_guard();
	wf_commit_notify_init();
	wf_batched_writes_init();
	DefineCustomBoolVariable("workflow_ext.require_actor",
							 "Refuse every function and write when workflow_ext.actor is not set.",
							 NULL, &wf_require_actor_setting, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("workflow_ext.require_tenant",
							 "Refuse every function and write when workflow_ext.tenant is not set.",
							 NULL, &wf_require_tenant_setting, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("workflow_ext.trusted_role",
							   "The role whose members (and superusers) may act as any actor.",
							   "When empty, every role may set workflow_ext.actor to anyone (a database "
							   "whose roles are all the application's). When set, other roles act as "
							   "their own role (role:<oid>), in their own tenant.",
							   &wf_trusted_role_setting, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	wf_require_actor_show_forced();
	DefineCustomStringVariable("workflow_ext.reason",
							   "Reason recorded in stage_transition for a plain UPDATE of candidate_stage.",
							   NULL, &wf_reason_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("workflow_ext.reason_code",
							   "Reason code (of the tenant's rejection_reason catalogue) recorded for a plain "
							   "UPDATE of candidate_stage that rejects or withdraws a candidate.",
							   NULL, &wf_reason_code_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("workflow_ext.history_batch_size",
							"Most changes of one statement whose history rows and alert events are written together.",
							"A statement changing many pipeline rows (or facts) writes their history and alert "
							"events with one multi-row INSERT per table every this many changes and at its end; "
							"1 writes each change at once.",
							&wf_history_batch_size, 1000, 1, 100000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("workflow_ext.stage_cache_size",
							"Most compiled stages a backend keeps; the cache is emptied when full.",
							NULL, &wf_stage_cache_size, 10000, 16, 1000000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	wf_node_role_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("workflow_ext");
#else
	EmitWarningsOnPlaceholders("workflow_ext");
#endif
	wf_stage_cache_init();
	wf_facts_source_init();
}
