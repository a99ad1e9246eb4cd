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

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of DESIGN.md section 4; exported so the shim can document them. */
#define WF_MAX_DEPTH 32
#define WF_MAX_NODES 1024
#define WF_MAX_PATTERN_BYTES 1024
#define WF_MAX_FIELD_BYTES 512

typedef enum wf_status_code
{
	WF_OK = 0,
	WF_INVALID = 1,				/* bad condition: sqlstate 22023, path set */
	WF_INTERNAL = 2,			/* a bug or resource failure: sqlstate XX000/53200 */
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
	double		number;
	const char *str;			/* WF_FACT_STRING: not NUL-terminated */
	size_t		len;
	const struct wf_fact *items;	/* WF_FACT_ARRAY */
	size_t		n_items;
} wf_fact;

typedef struct wf_condition wf_condition;	/* opaque, compiled */

/* Parse, validate and compile condition JSON text.  NULL on failure. */
wf_condition *wf_condition_compile(const char *json, size_t len, wf_status *status);
/* Compile one alert definition: field, operator and value (JSON text, NULL
 * when absent), as a one-leaf condition. */
wf_condition *wf_alert_compile(const char *field, const char *op,
							   const char *value_json, size_t value_len,
							   int ignore_case, wf_status *status);
void		wf_condition_free(wf_condition *cond);

/*
 * The distinct field paths a condition reads, as dot-separated segments.
 * The caller resolves each into a wf_fact, in this order, and passes the
 * array to evaluate/explain.
 */
size_t		wf_condition_field_count(const wf_condition *cond);
size_t		wf_condition_segment_count(const wf_condition *cond, size_t field);
const char *wf_condition_segment(const wf_condition *cond, size_t field,
								 size_t segment, size_t *len);

/* 1 = true, 0 = false, -1 = error (status set).  Allocates nothing. */
int			wf_condition_evaluate(const wf_condition *cond, const wf_fact *facts,
								  wf_status *status);

/*
 * Evaluate and explain: a malloc'd JSON object
 *   {"result": bool, "leaves": [{path, field, op, expected, actual, result,
 *                                negated, passed, reason}...]}
 * With only_failed, just the array of the leaves that made the condition
 * fail (passed = false).  NULL on error.
 */
char	   *wf_condition_explain(const wf_condition *cond, const wf_fact *facts,
								 int only_failed, int *result, wf_status *status);

/*
 * The leaves of a condition as a malloc'd JSON array:
 *   [{"path", "field", "op", "value", "ignore_case", "negated"}...]
 * "op" is the canonical operator name; "value" is absent for exists/not_exists.
 */
char	   *wf_condition_leaves(const wf_condition *cond, wf_status *status);

/* Canonical name of an operator or alias, or NULL when unknown. */
const char *wf_operator_canonical(const char *op);

void		wf_free(void *p);

#ifdef __cplusplus
}
#endif

#endif							/* WORKFLOW_CORE_H */
