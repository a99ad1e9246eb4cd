/*
 * stage_alerts.c - which of a stage's alerts fire for a candidate's facts.
 *
 * A hand-made alert fires when its leaf is true (fires_on 'match') or false
 * ('mismatch').  An alert generated from the stage's rule speaks for the
 * rule: it fires only when the rule as a whole fails, and only for a leaf
 * that made it fail (the leaves evaluate_condition reports as not passed).
 * The same on entering the stage and on a change of facts.
 */
#include "workflow_ext.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "pipeline.h"

/*
 * Evaluates the stage's rule.  When it fails and failed_leaves is not NULL,
 * *failed_leaves is the JSON array (text, as the core writes it: path first)
 * of the leaves that made it fail.
 */
bool
wf_rule_holds(const WfStage *stage, WfFacts *facts, char **failed_leaves)
{
	int			result;
	char	   *failed;

	if (failed_leaves)
		*failed_leaves = NULL;
	if (!stage->has_rule)
		return true;
	/* (the label is the cache's: a move allocates nothing to name the rule) */
	if (wf_compiled_evaluate(&stage->rule, facts, NULL, stage->rule_label, 0))
		return true;
	if (failed_leaves == NULL)
		return false;
	failed = wf_compiled_explain(&stage->rule, facts, true, NULL, &result, stage->rule_label, 0);
	*failed_leaves = pstrdup(failed);
	wf_free(failed);
	return false;
}

Jsonb *
wf_json_text_to_jsonb(const char *text)
{
	return text ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))) : NULL;
}

/* Is path the "path" of one of the failed leaves? */
static bool
leaf_failed(Jsonb *failed_leaves, const char *path)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		in_path = false;

	if (failed_leaves == NULL || path == NULL)
		return false;
	it = JsonbIteratorInit(&failed_leaves->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			in_path = v.val.string.len == 4 && memcmp(v.val.string.val, "path", 4) == 0;
		else
		{
			if (tok == WJB_VALUE && in_path && v.type == jbvString &&
				(size_t) v.val.string.len == strlen(path) &&
				memcmp(v.val.string.val, path, v.val.string.len) == 0)
				return true;
			in_path = false;
		}
	}
	return false;
}

/*
 * Did the bounded explanation leave failed leaves out (its last element
 * {"truncated": true, "not_listed": n})?
 */
static bool
leaves_not_listed(Jsonb *failed_leaves)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (failed_leaves == NULL || JB_ROOT_IS_SCALAR(failed_leaves))
		return false;
	it = JsonbIteratorInit(&failed_leaves->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		if (tok == WJB_KEY && v.val.string.len == 10 &&
			memcmp(v.val.string.val, "not_listed", 10) == 0)
			return true;
	return false;
}

/* Is path one of the strings of paths (a JSON array)? */
static bool
path_listed(Jsonb *paths, const char *path)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (paths == NULL || path == NULL)
		return false;
	it = JsonbIteratorInit(&paths->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM && v.type == jbvString &&
			(size_t) v.val.string.len == strlen(path) &&
			memcmp(v.val.string.val, path, v.val.string.len) == 0)
			return true;
	return false;
}

/*
 * fires[i] says whether alert i fires; returns how many do.  rule_failed_leaves
 * is what wf_rule_holds reported (NULL when the rule holds or there is none).
 */
int
wf_firing_alerts(const WfStage *stage, WfFacts *facts, Jsonb *rule_failed_leaves, bool *fires)
{
	int			firing = 0;
	Jsonb	   *all_paths = NULL;

	/* Past 64 KB the explanation counts the rest: ask the core for every path. */
	if (stage->has_rule && leaves_not_listed(rule_failed_leaves))
	{
		char	   *paths = wf_compiled_failed_paths(&stage->rule, facts, stage->rule_label, 0);

		all_paths = wf_json_text_to_jsonb(paths);
		wf_free(paths);
	}
	for (int i = 0; i < stage->n_alerts; i++)
	{
		const WfAlert *alert = &stage->alerts[i];

		CHECK_FOR_INTERRUPTS();
		if (alert->from_rule && all_paths != NULL)
			fires[i] = path_listed(all_paths, alert->rule_path);
		else if (alert->from_rule)
			fires[i] = leaf_failed(rule_failed_leaves, alert->rule_path);
		else
			fires[i] = wf_compiled_holds(&alert->check, facts, "alert", alert->id)
				== alert->fires_on_match;
		if (fires[i])
			firing++;
	}
	return firing;
}

/*
 * Facts of one tenant never reach another's actors.  An explanation of
 * failed leaves keeps only what the rule itself says and each leaf's result:
 * path, field, source, operator, expected operand (the rule's, bounded),
 * result, negation, case; everything else (what a leaf saw, the reason
 * naming it, a quantified group's elements and their inner leaves, whether
 * the field is on file, whether details were abridged for size) is dropped.
 * A list of what stays, not of what goes: a key the evaluator adds later is
 * dropped until someone decides it is safe (attack10 D2: elements_explained
 * was missing from the list of what goes).  For the history and events of a
 * workflow shared across tenants, and for the error a mover of another
 * tenant gets.
 */
typedef enum
{
	KEY_DROPPED,				/* copies facts, or not known to be safe */
	KEY_KEPT,					/* kept; what it holds is filtered too */
	KEY_KEPT_WHOLE				/* the rule's own operand: kept as it is */
} RedactedKey;

static RedactedKey
redacted_key(const char *key, int len)
{
	/*
	 * "truncated", "not_listed": the cap on listed leaves (counts of failed
	 * leaves, as "passed" says).  "expected" is the rule's operand (bounded,
	 * a quantified group's inner condition): the rule's, never the facts'.
	 */
	static const char *const kept[] = {"leaves", "path", "field", "source", "op", "result",
	"negated", "passed", "ignore_case", "truncated", "not_listed"};

	if (len == 8 && memcmp(key, "expected", 8) == 0)
		return KEY_KEPT_WHOLE;
	for (size_t i = 0; i < lengthof(kept); i++)
		if ((size_t) len == strlen(kept[i]) && memcmp(key, kept[i], len) == 0)
			return KEY_KEPT;
	return KEY_DROPPED;
}

Jsonb *
wf_redact_leaves(Jsonb *leaves)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *result = NULL;

	if (leaves == NULL || JB_ROOT_IS_SCALAR(leaves))
		return leaves;
	it = JsonbIteratorInit(&leaves->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		/* at any depth: a quantified group explains its elements' leaves inside */
		RedactedKey kind = tok == WJB_KEY ? redacted_key(v.val.string.val, v.val.string.len) : KEY_KEPT;

		if (kind != KEY_KEPT)
		{
			int			depth = 0;

			if (kind == KEY_KEPT_WHOLE)
				result = pushJsonbValue(&state, tok, &v);
			do
			{
				tok = JsonbIteratorNext(&it, &v, false);
				if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
					depth++;
				else if (tok == WJB_END_ARRAY || tok == WJB_END_OBJECT)
					depth--;
				if (kind == KEY_KEPT_WHOLE)
					result = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
			} while (depth > 0);
			continue;
		}
		result = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(result);
}
