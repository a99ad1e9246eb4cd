/*
 * facts.c - looks up, in a facts jsonb, only the paths a compiled condition
 * reads, and hands them to the core as wf_facts.  Strings point into the
 * jsonb itself; nothing is converted that the condition does not read.
 */
#include "workflow_ext.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

static void
scalar_fact(const JsonbValue *v, wf_fact *out)
{
	memset(out, 0, sizeof(*out));
	switch (v->type)
	{
		case jbvNull:
			out->kind = WF_FACT_NULL;
			break;
		case jbvBool:
			out->kind = WF_FACT_BOOL;
			out->boolean = v->val.boolean;
			break;
		case jbvNumeric:
			out->kind = WF_FACT_NUMBER;
			out->number = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															 NumericGetDatum(v->val.numeric)));
			break;
		case jbvString:
			out->kind = WF_FACT_STRING;
			out->str = v->val.string.val;
			out->len = v->val.string.len;
			break;
		default:
			out->kind = WF_FACT_OBJECT;	/* nested container: present, not comparable */
			break;
	}
}

static void
container_fact(JsonbContainer *c, wf_fact *out)
{
	memset(out, 0, sizeof(*out));
	if (JsonContainerIsScalar(c))
	{
		JsonbValue *v = getIthJsonbValueFromContainer(c, 0);

		scalar_fact(v, out);
	}
	else if (JsonContainerIsArray(c))
	{
		uint32		n = JsonContainerSize(c);
		wf_fact    *items = n > 0 ? palloc(sizeof(wf_fact) * n) : NULL;

		for (uint32 i = 0; i < n; i++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(c, i);

			scalar_fact(v, &items[i]);
		}
		out->kind = WF_FACT_ARRAY;
		out->items = items;
		out->n_items = n;
	}
	else
		out->kind = WF_FACT_OBJECT;
}

/* One wf_fact per field of cond, palloc'd in the current memory context. */
wf_fact *
wf_resolve_facts(const wf_condition *cond, Jsonb *facts)
{
	size_t		n = wf_condition_field_count(cond);
	wf_fact    *out = palloc0(sizeof(wf_fact) * (n > 0 ? n : 1));

	for (size_t f = 0; f < n; f++)
	{
		JsonbContainer *c = &facts->root;
		size_t		segments = wf_condition_segment_count(cond, f);
		bool		found = true;
		JsonbValue	v;

		for (size_t s = 0; s < segments; s++)
		{
			size_t		len;
			const char *key = wf_condition_segment(cond, f, s, &len);

			if (!JsonContainerIsObject(c) ||
				getKeyJsonValueFromContainer(c, key, (int) len, &v) == NULL)
			{
				found = false;
				break;
			}
			if (v.type == jbvBinary)
				c = v.val.binary.data;
			else if (s + 1 < segments)
			{
				found = false;	/* a scalar where the path goes on */
				break;
			}
		}
		if (!found)
			out[f].kind = WF_FACT_MISSING;
		else if (v.type == jbvBinary)
			container_fact(v.val.binary.data, &out[f]);
		else
			scalar_fact(&v, &out[f]);
	}
	return out;
}

/* Evaluates cond against facts; raises (naming object) if the core fails. */
bool
wf_condition_holds(const wf_condition *cond, Jsonb *facts, const char *object)
{
	wf_fact    *resolved = wf_resolve_facts(cond, facts);
	wf_status	status;
	int			result = wf_condition_evaluate(cond, resolved, &status);

	pfree(resolved);
	if (result < 0)
		wf_raise_status(&status, object);
	return result == 1;
}
