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
#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "access/htup.h"
#include "utils/relcache.h"

#include "../core/workflow_core.h"

/* The fact sources a condition reads (WF_SOURCE_CANDIDATE .. WF_SOURCE_JOB). */
#define WF_SOURCE_COUNT 3

/* GUCs (workflow_ext.c) */
extern char *wf_actor_setting;
extern bool wf_require_actor_setting;
extern char *wf_reason_setting;
extern char *wf_reason_code_setting;
extern char *wf_trusted_role_setting;
extern char *wf_tenant_setting;
extern bool wf_require_tenant_setting;
extern bool wf_tenant_admin_setting;
extern int	wf_stage_cache_size;

/* actor.c: the acting user; raises 42501 when one is required and unset */
extern const char *wf_actor(void);
extern const char *wf_tenant(void);
extern bool wf_tenant_admin(void);
extern const char *wf_reason(void);
extern const char *wf_reason_code(void);
extern char *wf_role_identity_of(Oid role);
extern void wf_require_actor_guard(void);
extern void wf_require_actor_show_forced(void);
extern bool wf_guc_set_by_non_superuser(const char *name);

/* commit_notify.c: NOTIFY workflow_events queued until commit (two-phase commit works) */
extern void wf_commit_notify_init(void);
extern void wf_batched_writes_init(void);
extern int	wf_history_batch_size;

/* feed_origin.c: the feed position of this transaction (generation << 48 | xid) */
extern uint64 wf_feed_position(Oid schema);

/* node_role.c: single, primary or shard (docs/scale-out.md) */
extern void wf_node_role_init(void);

/* error_detail.c: the JSON DETAIL of every error, {"reason": ..., members} */
extern int	errdetail_reason(const char *reason, const char *members_fmt,...) pg_attribute_printf(2, 3);
extern char *wf_json_string(const char *text);

/* core_status.c: a failed core call becomes an ereport with its SQLSTATE */
extern void wf_raise_status(const wf_status *status, const char *object) pg_attribute_noreturn();
extern wf_condition *wf_compile_jsonb(Jsonb *condition, const char *object);
extern void wf_raise_infinite_instant(void) pg_attribute_noreturn();
extern void wf_raise_instant_required(Oid fn) pg_attribute_noreturn();
extern Jsonb *wf_take_core_json(char *text);

/* facts.c: the facts a compiled condition reads, looked up in a jsonb */
typedef struct WfFieldPaths
{
	int			n_fields;
	int		   *first;			/* field f's segments are [first[f], first[f+1]) */
	char	  **segment;
	int		   *length;
	int		   *hint;			/* per segment: the member index it was found at
								 * in the last document (tried first) */
	int		   *source;			/* per field: WF_SOURCE_* */
	bool		uses[WF_SOURCE_COUNT];	/* some field reads this source */
} WfFieldPaths;

/*
 * The facts one evaluation reads, by source (WF_SOURCE_*): the candidate's,
 * the application's (this candidate in this job) and the job's.  For a
 * pipeline row each is read when a condition first needs it
 * (facts_source.c); NULL until then.
 */
typedef struct WfFacts
{
	Jsonb	   *doc[WF_SOURCE_COUNT];
	bool		has_row;		/* read from the row's tenant, candidate, job */
	Oid			schema;
	const char *tenant;
	int64		candidate_id;
	int64		job_id;
} WfFacts;

/*
 * A compiled condition with the field paths it reads, copied out of the core
 * once: evaluating it per row or per move looks up only the fields the
 * leaves it reaches read, and allocates nothing.
 */
typedef struct WfCompiled
{
	wf_condition *cond;			/* NULL: no condition */
	WfFieldPaths *paths;
} WfCompiled;

extern void wf_compiled_prepare(WfCompiled *c);
extern void wf_compiled_release(WfCompiled *c);
/*
 * Evaluate / explain c against a facts document.  at: the reference instant
 * of relative time, NULL for the transaction's timestamp.  Failures raise
 * naming kind (and id when not 0); an interrupt raises 57014.  Explain
 * returns the core's malloc'd JSON (see wf_condition_explain).
 */
extern bool wf_compiled_evaluate(const WfCompiled *c, WfFacts *facts, const TimestampTz *at,
								 const char *kind, int64 id);
extern char *wf_compiled_explain(const WfCompiled *c, WfFacts *facts, bool only_failed,
								 const TimestampTz *at, int *result, const char *kind, int64 id);
extern bool wf_compiled_holds(const WfCompiled *c, WfFacts *facts, const char *kind, int64 id);
extern char *wf_compiled_failed_paths(const WfCompiled *c, WfFacts *facts, const char *kind,
									  int64 id);

/* stage_cache.c: compiled stages, rules and alerts, per backend */
typedef struct WfAlert
{
	int64		id;
	WfCompiled	check;			/* the alert as a one-leaf condition */
	bool		fires_on_match;
	bool		from_rule;		/* generated from the stage's rule */
	char	   *rule_path;		/* its leaf's JSON path in the rule, when from_rule */
	char	   *severity;
	char	   *message;
} WfAlert;

typedef struct WfStage
{
	int64		id;				/* hash key */
	int64		workflow_id;
	bool		shared_across_tenants;	/* shared with another tenant (an
										 * accepted share): its pipelines'
										 * history and events record no fact
										 * values */
	int32		position;
	bool		hired;
	char	   *name;
	bool		has_rule;
	int64		rule_id;
	char	   *rule_name;
	char	   *rule_label;		/* rule "name": how an evaluation failure names it */
	bool		rule_blocks;
	bool		archived;		/* workflow_stage.archived_at is set: no new entrants */
	bool		workflow_archived;	/* so is workflow.archived_at */
	bool		has_next;		/* false at the last stage */
	int64		next_stage_id;	/* the next stage by position, when has_next */
	bool		auto_advance;	/* an active candidate here moves on by itself
								 * when the next stage's rule holds */
	Jsonb	   *on_enter;		/* the actions of an entry; NULL for none */
	WfCompiled	rule;			/* rule.cond NULL when the stage has no rule */
	int			n_alerts;
	WfAlert    *alerts;
} WfStage;

extern void wf_stage_cache_init(void);
extern const WfStage *wf_stage_lookup(Oid schema, int64 stage_id);
extern bool wf_schema_auto_advances(Oid schema);
extern bool wf_stage_in_snapshot(Oid schema, int64 stage_id);
/* Every SQL-callable entry point that looks stages up runs pinned (stage_cache.c). */
extern void wf_stage_pin(void);
extern Datum wf_stage_unpin(Datum result);
#define WF_STAGES_PINNED(call) (wf_stage_pin(), wf_stage_unpin(call))

extern char *wf_qualified(Oid schema, const char *name);

/* kept_plans.c: statements prepared once per backend, their generic plan made by index */
extern struct _SPI_plan *wf_keep_plan(const char *sql, int nargs, Oid *types);
extern int	wf_execute_kept(struct _SPI_plan *plan, Datum *values, const char *nulls, bool read_only, long count);

/* facts_source.c: the facts rules and alerts see */
extern void wf_facts_source_init(void);
extern Jsonb *wf_fetch_candidate_facts(Oid schema, const char *tenant, int64 candidate_id);
extern Jsonb *wf_fetch_job_facts(Oid schema, const char *tenant, int64 job_id);
extern bool wf_facts_are_profile(Oid schema);
extern void wf_facts_given(WfFacts *facts, Jsonb *candidate, Jsonb *application, Jsonb *job);
extern Jsonb *wf_facts_doc(WfFacts *facts, int source);
extern Jsonb *wf_facts_all(WfFacts *facts);
extern void wf_facts_of_application(WfFacts *facts, Oid schema, const char *tenant,
									int64 candidate_id, int64 job_id);
extern void wf_facts_to_explain(WfFacts *facts, Oid schema, int64 candidate_id, int64 job_id);
/* 22023 null_argument naming the argument: any API function's NULL id */
extern void wf_explain_null_argument(const char *argument) pg_attribute_noreturn();

/* rights.c: whose rights the extension's code runs with; history writes */
typedef struct WfSavedUser
{
	Oid			user;
	int			context;
	int			guc_level;
} WfSavedUser;

extern void wf_become_owner(Oid schema, WfSavedUser *saved);
extern Oid	wf_schema_owner(Oid schema);
extern void wf_restore_user(const WfSavedUser *saved);

/* owner_writes.c: whether a table may be written as its owner (nothing of anyone else's would run) */
typedef enum WfOwnedTable
{
	WF_OWNED_STAGE_VISIT_ROW,
	WF_OWNED_STAGE_VISIT_SUMMARY,
	WF_OWNED_FEED_ORIGIN,
	WF_OWNED_STAGE_TRANSITION,
	WF_OWNED_ALERT_EVENT
} WfOwnedTable;
extern bool wf_owner_write_allowed(Oid schema, WfOwnedTable table, const char **kind, const char **name);
extern void wf_require_owner_write(Oid schema, WfOwnedTable table);
extern const char *wf_owned_table_name(WfOwnedTable table);
extern int	wf_pin_search_path(void);
extern void wf_unpin_search_path(int level);
extern bool wf_restoring(void);
extern void wf_history_expect(Oid relid, int64 id);
extern void wf_history_expect_rows(Oid relid, const int64 *ids, int count);
extern void wf_history_clear(void);
typedef struct WfVisitBuffer WfVisitBuffer;
extern void wf_history_expect_visits(WfVisitBuffer *visits);
typedef struct WfHistoryExpectation
{
	Oid			relid;
	const int64 *ids;
	int			count;
	int			next;
	int64		one;
	WfVisitBuffer *visits;
} WfHistoryExpectation;
extern void wf_history_save(WfHistoryExpectation *saved);
extern void wf_history_restore(const WfHistoryExpectation *saved);
extern bool wf_is_extension_table(Oid relid, Oid schema, const char *name);

/*
 * stage_visits.c: the stage visit rows a history row closes and begins; for
 * a history INSERT of many rows, buffered and written set-wise
 */
struct QueryDesc;
extern void wf_stage_visit_record(Oid schema, Relation rel, HeapTuple tuple, WfVisitBuffer *visits);
extern WfVisitBuffer *wf_stage_visits_begin(Oid schema);
extern void wf_stage_visits_end(WfVisitBuffer *buffer);
extern void wf_stage_visits_flush(WfVisitBuffer *buffer);
extern void wf_stage_visits_at_start(struct QueryDesc *queryDesc);
extern void wf_stage_visits_at_finish(struct QueryDesc *queryDesc);
extern void wf_stage_visits_reset(void);

/*
 * move_context.c: what a move or status function asked of one pipeline row,
 * and what the triggers did with it (see the file's comment).
 */
typedef enum WfChangeKind
{
	WF_CHANGE_NEXT,				/* to the next stage */
	WF_CHANGE_STAGE,			/* to stage_id */
	WF_CHANGE_STATUS,			/* to status */
	WF_CHANGE_TRANSFER_OUT,		/* status transferred, to related_job_id */
	WF_CHANGE_ENTER,			/* an insert: entry from related_job_id */
	WF_CHANGE_REMOVE			/* a delete */
} WfChangeKind;

typedef struct WfChangeFrame
{
	/* the request */
	int64		job_id;
	int64		candidate_id;
	WfChangeKind kind;
	int64		stage_id;
	bool		has_expected;
	int64		expected_stage_id;
	const char *status;
	const char *reason;			/* NULL: none */
	const char *reason_code;	/* NULL: none (rejection_reason.code) */
	const char *actor;
	bool		has_related_job;	/* a transfer: the other job */
	int64		related_job_id;
	int64		related_workflow_id;	/* and its workflow (0: unknown) */
	bool		auto_advance;	/* the stage moves the candidate by itself
								 * (auto_advance.c): only from expected_stage_id
								 * in the visit expected_visit_id, else no change */
	int64		expected_visit_id;
	bool		batch_writes;	/* one of a call's many (move_candidates' batch
								 * UPDATE): its writes go with the statement's
								 * others (batched_writes.c); alerts_raised
								 * counts the events buffered */
	/* what the triggers did */
	bool		claimed;		/* a BEFORE trigger took the request */
	int64		from_stage_id;
	bool		has_to_stage;	/* the stage the request resolved to (set */
	int64		to_stage_id;	/* before its checks: a refusal names it) */
	bool		has_transition;
	int64		transition_id;
	bool		recorded;		/* the AFTER trigger wrote the history */
	int			alerts_raised;
	Jsonb	   *warnings;		/* in result_context, or NULL */
	MemoryContext result_context;
	struct WfChangeFrame *outer;
} WfChangeFrame;

extern void wf_change_push(WfChangeFrame *frame);
extern void wf_change_pop(WfChangeFrame *frame);
extern WfChangeFrame *wf_change_claim(int64 job_id, int64 candidate_id);
extern WfChangeFrame *wf_change_claim_as(int64 job_id, int64 candidate_id, WfChangeKind kind);
extern WfChangeFrame *wf_change_for_transition(int64 transition_id);
extern bool wf_change_auto_entered(int64 job_id, int64 candidate_id, int64 stage_id);

/* move_functions.c: the single move's path (move_candidates() runs it per candidate) */
extern int64 wf_move_candidate(Oid schema, WfChangeFrame *frame, bool has_candidate, bool has_job);

/* qsort/bsearch order of int64 ids (policy_cache.c, batched_writes.c) */
static inline int
wf_compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

#endif							/* WORKFLOW_EXT_H */
