/*
 * workflow_core.h - the C ABI between the PostgreSQL shim (src/pg) and the
 * C++17 condition engine (src/core).
 *
 * Every function is noexcept on the C++ side: failures come back through a
 * wf_status, never as an exception.  Nothing here allocates with palloc;
 * strings the core returns are malloc'd and released with wf_free().
 */
#ifndef WORKFLOW_CORE_H
#define WORKFLOW_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of the condition language (README: Conditions); exported so the shim can document them. */
#define WF_MAX_DEPTH 32
#define WF_MAX_NODES 1024
#define WF_MAX_PATTERN_BYTES 1024
#define WF_MAX_FIELD_BYTES 512
/* "matches" scans texts up to this many bytes; a longer text is not matched
 * (the leaf is false, explained as too long), like a type mismatch. */
#define WF_MAX_MATCH_TEXT_BYTES (256 * 1024)
/* All regular expressions of one condition share this much RE2 memory
 * (program and DFA cache), each at most WF_MAX_REGEX_BYTES and at least
 * WF_MIN_REGEX_BYTES; a pattern that does not fit its share is refused. */
#define WF_REGEX_BUDGET_BYTES (8 * 1024 * 1024)
#define WF_MAX_REGEX_BYTES (1024 * 1024)
#define WF_MIN_REGEX_BYTES (32 * 1024)

/*
 * Whose facts a field reads (0.3.0): a leaf, a fact operand ({"field": ...})
 * or a quantified group may say "source": "candidate" (the default: the
 * candidate's facts), "application" (this candidate in this job:
 * candidate_stage.attributes) or "job" (the job's facts).  Not inside a
 * quantified group's "where", whose fields are the element's.
 */
#define WF_SOURCE_CANDIDATE 0
#define WF_SOURCE_APPLICATION 1
#define WF_SOURCE_JOB 2

typedef enum wf_status_code
{
	WF_OK = 0,
	WF_INVALID = 1,				/* bad condition: sqlstate 22023, path set */
	WF_INTERNAL = 2,			/* a bug or resource failure: sqlstate XX000/53200 */
	WF_INTERRUPTED = 3,			/* the host's interrupt poll said stop: sqlstate 57014 */
} wf_status_code;

typedef struct wf_status
{
	int			code;			/* wf_status_code */
	char		sqlstate[6];	/* five characters and a NUL */
	char		message[256];	/* why, without the path */
	char		path[256];		/* JSON path of the offending node, "$" based */
} wf_status;

/* A fact as the shim found it in the facts document; the core never owns it. */
typedef enum wf_fact_kind
{
	WF_FACT_MISSING = 0,
	WF_FACT_NULL,
	WF_FACT_BOOL,
	WF_FACT_NUMBER,
	WF_FACT_STRING,
	WF_FACT_ARRAY,				/* items/n_items hold the elements */
	WF_FACT_OBJECT				/* present, but not comparable */
} wf_fact_kind;

typedef struct wf_fact
{
	int			kind;			/* wf_fact_kind */
	int			boolean;
	double		number;			/* +-inf beyond a double's range */
	const char *str;			/* WF_FACT_STRING: not NUL-terminated */
	size_t		len;
	const struct wf_fact *items;	/* WF_FACT_ARRAY: the elements, or NULL to ask
									 * the host's child() for element i */
	size_t		n_items;		/* WF_FACT_ARRAY: the number of elements */
	int			inexact;		/* WF_FACT_NUMBER: number is rounded; the host's
								 * number_text() gives the exact decimal */
	const void *node;			/* the host's handle (a container, a number) */
} wf_fact;

typedef struct wf_condition wf_condition;	/* opaque, compiled */

/*
 * What the core may ask of its host while it evaluates.  Callbacks must not
 * raise, longjmp or throw: they run inside C++ frames.
 */
typedef struct wf_host
{
	/* Nonzero when evaluation should stop now (e.g. an interrupt is pending);
	 * the call then fails with WF_INTERRUPTED and the host handles it.  Polled
	 * every few thousand units of work.  May be NULL. */
	int			(*interrupted) (void);

	/* A child of a container fact (parent->node): the member named by key
	 * (key_len bytes) of an object when key is not NULL, else element index of
	 * an array.  Fills *out (kind WF_FACT_MISSING when there is none); returns
	 * 0 when it cannot look.  Used by quantified groups (elements' fields),
	 * arrays without items, and nested facts.  May be NULL. */
	int			(*child) (const wf_fact *parent, const char *key, size_t key_len,
						  size_t index, wf_fact *out);

	/* The exact decimal text (JSON number syntax) of an inexact number fact,
	 * written into buf; returns its length, or 0 when unknown or longer than
	 * cap.  Used only when two numbers are equal as doubles.  May be NULL. */
	size_t		(*number_text) (const wf_fact *number, char *buf, size_t cap);

	/* The reference instant of relative time (Unix epoch microseconds) for
	 * the calls without an explicit one (wf_condition_evaluate/explain): the
	 * transaction's timestamp in the shim.  Returns 0 when there is none.
	 * May be NULL. */
	int			(*now) (int64_t *at);
} wf_host;

/* Installs the host for every later call in this process (NULL: none). */
void		wf_core_set_host(const wf_host *host);

/* Parse, validate and compile condition JSON text.  NULL on failure. */
wf_condition *wf_condition_compile(const char *json, size_t len, wf_status *status);
/* Compile one alert definition: field, operator and value (JSON text, NULL
 * when absent), as a one-leaf condition.  Its field reads the candidate's
 * facts (a fact operand in value may still name its own "source"). */
wf_condition *wf_alert_compile(const char *field, const char *op,
							   const char *value_json, size_t value_len,
							   int ignore_case, wf_status *status);
/* The same, the field read from source: "candidate", "application" or "job"
 * (NULL: the candidate), as the leaf's "source" (wf_condition_leaves lists
 * it); anything else is WF_INVALID at path "$.source" ("$.some.source" and
 * so on for a quantified group). */
wf_condition *wf_alert_compile_source(const char *field, const char *source,
									  const char *op, const char *value_json,
									  size_t value_len, int ignore_case,
									  wf_status *status);
void		wf_condition_free(wf_condition *cond);

/*
 * The distinct fields a condition reads, as dot-separated segments, each
 * from one source (wf_condition_field_source): the same path read from two
 * sources is two fields.  The caller resolves them into wf_facts, in this
 * order: all of them into an array for evaluate/explain, or each on demand
 * through a wf_fact_source for the _lazy calls.
 */
size_t		wf_condition_field_count(const wf_condition *cond);
/* WF_SOURCE_CANDIDATE, _APPLICATION or _JOB: whose facts field is looked up
 * in; -1 when there is no such field.  A condition that names no source has
 * only WF_SOURCE_CANDIDATE fields. */
int			wf_condition_field_source(const wf_condition *cond, size_t field);
size_t		wf_condition_segment_count(const wf_condition *cond, size_t field);
const char *wf_condition_segment(const wf_condition *cond, size_t field,
								 size_t segment, size_t *len);

/*
 * A field path step may be an array index ("$.education[0]"): then
 * wf_condition_segment returns NULL and this returns 1 with *index set.
 */
int			wf_condition_segment_index(const wf_condition *cond, size_t field,
									   size_t segment, size_t *index);

/* Nonzero when the condition uses within_last / within_next / older_than. */
int			wf_condition_uses_relative_time(const wf_condition *cond);

/*
 * 1 = true, 0 = false, -1 = error (status set).  Allocates nothing for
 * literal operands.  Relative time is measured from the host's now();
 * without one it is an error (22023).
 */
int			wf_condition_evaluate(const wf_condition *cond, const wf_fact *facts,
								  wf_status *status);
/* The same, relative time measured from at (Unix epoch microseconds). */
int			wf_condition_evaluate_at(const wf_condition *cond, const wf_fact *facts,
									 int64_t at, wf_status *status);

/*
 * Where an evaluation finds its root facts when it needs them.  The core
 * calls resolve(arg, field, out) the first time a leaf reads root field
 * `field` (wf_condition_field_count order) and keeps the answer for the rest
 * of the call, so a field no evaluated leaf reads is never looked up.
 * resolve runs inside C++ frames: it must not raise, longjmp or throw, and
 * must not evaluate conditions itself.  It returns 0 when it cannot look;
 * the fact then counts as missing.  When it returns 1 it has filled *out
 * (WF_FACT_MISSING for a field the facts do not have).  Arrays may leave items NULL (elements
 * come through the host's child()).
 */
typedef struct wf_fact_source
{
	int			(*resolve) (void *arg, size_t field, wf_fact *out);
	void	   *arg;
} wf_fact_source;

/*
 * wf_condition_evaluate / wf_condition_explain with facts looked up on
 * demand.  at: the reference instant of relative time (Unix epoch
 * microseconds), or NULL for the host's now().  A condition with relative
 * time and no instant fails up front (22023), whichever leaves would run.
 */
int			wf_condition_evaluate_lazy(const wf_condition *cond, const wf_fact_source *source,
									   const int64_t *at, wf_status *status);
char	   *wf_condition_explain_lazy(const wf_condition *cond, const wf_fact_source *source,
									  int only_failed, const int64_t *at, int *result,
									  wf_status *status);

/*
 * The JSON paths of the leaves (and quantified groups) that made the
 * condition fail, as a malloc'd JSON array of strings, every one however
 * many (an explanation lists them bounded); [] when it holds (*result 1).
 * What a rule's generated alerts fire for.  NULL on error.
 */
char	   *wf_condition_failed_paths_lazy(const wf_condition *cond, const wf_fact_source *source,
										   const int64_t *at, int *result, wf_status *status);

/*
 * Evaluate and explain: a malloc'd JSON object
 *   {"result": bool, "leaves": [{path, field, op, expected, actual, result,
 *                                negated, passed, reason}...]}
 * passed is false for the leaves that made the condition fail (a member of
 * an "any" another member satisfied never did; README "Explaining").  With
 * only_failed, just the array of those leaves.  At most 64 KB of JSON: past
 * 32 KB entries are abridged, past 64 KB the rest only counted by a last
 * element {"truncated": true, "not_listed": n}; operands copied into
 * "expected" and "reason" are bounded ({"truncated": true, ...}).  NULL on
 * error.  A leaf or group whose field is not
 * the candidate's has "source" ("application" or "job") after "field"; a
 * fact operand's source is in "expected" as written; a reason names such a
 * field as 'field "x" of the job'.  Candidate leaves are explained as in 0.2.
 */
char	   *wf_condition_explain(const wf_condition *cond, const wf_fact *facts,
								 int only_failed, int *result, wf_status *status);
char	   *wf_condition_explain_at(const wf_condition *cond, const wf_fact *facts,
									int only_failed, int64_t at, int *result,
									wf_status *status);

/*
 * The leaves of a condition as a malloc'd JSON array:
 *   [{"path", "field", "op", "value", "ignore_case", "negated", "source"}...]
 * "op" is the canonical operator name; "value" is absent for exists/not_exists;
 * "source" only when the field is not the candidate's (wf_alert_compile_source
 * takes it back).
 */
char	   *wf_condition_leaves(const wf_condition *cond, wf_status *status);

/*
 * The index prefilter of a condition (README: Screening through an index):
 * malloc'd jsonpath text "$ ? (...)" that every document satisfying the
 * condition satisfies, for a GIN jsonb index on the facts; NULL with
 * status->code WF_OK when no part of the condition can be looked up.
 * flags: WF_PREFILTER_KEYS when the index has key entries (jsonb_ops: field
 * existence and numeric ranges too), WF_PREFILTER_UTF8 when keys may be
 * written as UTF-8 (else a path with a non-ASCII key is left out).
 */
#define WF_PREFILTER_KEYS 1
#define WF_PREFILTER_UTF8 2
char	   *wf_condition_index_prefilter(const wf_condition *cond, int flags, wf_status *status);

/* Canonical name of an operator or alias, or NULL when unknown. */
const char *wf_operator_canonical(const char *op);

void		wf_free(void *p);

#ifdef __cplusplus
}
#endif

#endif							/* WORKFLOW_CORE_H */
