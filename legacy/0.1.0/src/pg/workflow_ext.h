/*
 * workflow_ext.h - declarations shared by the C shim (src/pg).
 *
 * The shim owns every PostgreSQL call; the condition engine is reached only
 * through the C ABI of src/core/workflow_core.h.
 */
#ifndef WORKFLOW_EXT_H
#define WORKFLOW_EXT_H

#include "postgres.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif
#include "fmgr.h"
#include "utils/jsonb.h"

#include "../core/workflow_core.h"

/* GUCs (workflow_ext.c) */
extern char *wf_actor_setting;
extern bool wf_require_actor_setting;
extern char *wf_reason_setting;
extern int	wf_stage_cache_size;

/* actor.c: the acting user; raises 42501 when one is required and unset */
extern const char *wf_actor(void);

/* core_status.c: a failed core call becomes an ereport with its SQLSTATE */
extern void wf_raise_status(const wf_status *status, const char *object) pg_attribute_noreturn();
extern wf_condition *wf_compile_jsonb(Jsonb *condition, const char *object);
extern Jsonb *wf_take_core_json(char *text);

/* facts.c: the facts a compiled condition reads, looked up in a jsonb */
typedef struct WfFieldPaths
{
	int			n_fields;
	int		   *first;			/* field f's segments are [first[f], first[f+1]) */
	char	  **segment;
	int		   *length;
} WfFieldPaths;

/*
 * A compiled condition with the field paths it reads, copied out of the core
 * once, and a buffer for their values: evaluating it per row or per move
 * looks the fields up and allocates nothing but array items.
 */
typedef struct WfCompiled
{
	wf_condition *cond;			/* NULL: no condition */
	WfFieldPaths *paths;
	wf_fact    *facts;
} WfCompiled;

extern void wf_compiled_prepare(WfCompiled *c);
extern void wf_compiled_release(WfCompiled *c);
extern const wf_fact *wf_compiled_resolve(const WfCompiled *c, Jsonb *facts);
extern bool wf_compiled_holds(const WfCompiled *c, Jsonb *facts, const char *kind, int64 id);

/* stage_cache.c: compiled stages, rules and alerts, per backend */
typedef struct WfAlert
{
	int64		id;
	WfCompiled	check;			/* the alert as a one-leaf condition */
	bool		fires_on_match;
	char	   *severity;
	char	   *message;
} WfAlert;

typedef struct WfStage
{
	int64		id;				/* hash key */
	int64		workflow_id;
	int32		position;
	bool		hired;
	char	   *name;
	int64		rule_id;		/* 0 when the stage has no rule */
	char	   *rule_name;
	bool		rule_blocks;
	int64		next_stage_id;	/* the next stage by position, 0 at the last */
	WfCompiled	rule;			/* rule.cond NULL when the stage has no rule */
	int			n_alerts;
	WfAlert    *alerts;
} WfStage;

extern void wf_stage_cache_init(void);
extern const WfStage *wf_stage_lookup(Oid schema, int64 stage_id);

extern char *wf_qualified(Oid schema, const char *name);
extern struct _SPI_plan *wf_keep_plan(const char *sql, int nargs, Oid *types);

/* facts_source.c: the facts rules and alerts see */
extern void wf_facts_source_init(void);
extern Jsonb *wf_fetch_facts(Oid schema, int64 candidate_id);
extern bool wf_facts_are_profile(Oid schema);

/*
 * move_functions.c / pipeline_triggers.c: a move function asks the BEFORE
 * trigger of one pipeline row to move it (to the next stage, or to stage_id)
 * with an UPDATE that locks the row itself; the trigger checks the row as it
 * finds it, and the result comes back from what the triggers recorded.
 */
typedef struct WfMoveRequest
{
	bool		active;
	int64		job_id;
	int64		candidate_id;
	bool		next;			/* to the next stage, else to stage_id */
	int64		stage_id;
	bool		has_expected;
	int64		expected_stage_id;
	const char *reason;
	int64		from_stage_id;	/* out: the stage the row was in */
	bool		handled;		/* out: the trigger saw the row */
} WfMoveRequest;

extern WfMoveRequest wf_move_request;
extern bool wf_last_move(int64 transition_id, int *alerts_raised, Jsonb **warnings);

#endif							/* WORKFLOW_EXT_H */
