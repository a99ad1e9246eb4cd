/*
 * facts.c - looks up, in a facts jsonb, only the paths a compiled condition
 * reads, and hands them to the core as wf_facts.  Strings point into the
 * jsonb itself; nothing is converted that the condition does not read.
 */
#include "workflow_ext.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

/*
 * numeric -> double without the text round trip of numeric_float8 (which
 * dominated screening).  Handles the short on-disk format (PostgreSQL keeps
 * it stable for pg_upgrade; see numeric.c): sign, weight and base-10000
 * digits.  Only when the digits fit in 53 bits and the scale is within 10^20
 * is the result exact or correctly rounded, as strtod's; anything else falls
 * back to numeric_float8.
 */
#define WF_NUMERIC_FORMAT_MASK 0xC000
#define WF_NUMERIC_SHORT 0x8000
#define WF_NUMERIC_SHORT_SIGN 0x2000
#define WF_NUMERIC_SHORT_WEIGHT_SIGN 0x0040
#define WF_NUMERIC_SHORT_WEIGHT_MASK 0x003F

static bool
numeric_to_double_fast(Numeric num, double *out)
{
	const char *data = VARDATA_ANY(num);
	size_t		len = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	const uint16 *digits;
	int			ndigits;
	int			weight;
	int			exponent;
	uint64		acc = 0;
	double		value;

	if (len < sizeof(uint16))
		return false;
	memcpy(&header, data, sizeof(uint16));
	if ((header & WF_NUMERIC_FORMAT_MASK) != WF_NUMERIC_SHORT)
		return false;
	digits = (const uint16 *) (data + sizeof(uint16));
	ndigits = (int) ((len - sizeof(uint16)) / sizeof(uint16));
	weight = (header & WF_NUMERIC_SHORT_WEIGHT_SIGN) ? (int) (header | ~WF_NUMERIC_SHORT_WEIGHT_MASK)
		: (int) (header & WF_NUMERIC_SHORT_WEIGHT_MASK);
	for (int i = 0; i < ndigits; i++)
	{
		acc = acc * 10000 + digits[i];
		if (acc >= (UINT64CONST(1) << 53))
			return false;
	}
	exponent = weight - (ndigits - 1);	/* value = acc * 10000^exponent */
	value = (double) acc;
	if (ndigits == 0)
		value = 0;
	else if (exponent > 0)
	{
		for (int i = 0; i < exponent; i++)
		{
			value *= 10000.0;
			if (value >= 9007199254740992.0)
				return false;	/* would need rounding: let numeric_float8 do it */
		}
	}
	else if (exponent < 0)
	{
		static const double powers[] = {1.0, 1e4, 1e8, 1e12, 1e16, 1e20};

		if (-exponent >= (int) lengthof(powers))
			return false;
		value /= powers[-exponent];	/* exact / exact: correctly rounded */
	}
	*out = (header & WF_NUMERIC_SHORT_SIGN) ? -value : value;
	return true;
}

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
			if (!numeric_to_double_fast(v->val.numeric, &out->number))
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

/* Copies the dot paths c->cond reads and sizes its buffer, in the current context. */
void
wf_compiled_prepare(WfCompiled *c)
{
	WfFieldPaths *paths = palloc0(sizeof(WfFieldPaths));
	size_t		n = wf_condition_field_count(c->cond);

	paths->n_fields = (int) n;
	paths->first = palloc0(sizeof(int) * (n + 1));
	for (size_t f = 0; f < n; f++)
		paths->first[f + 1] = paths->first[f] + (int) wf_condition_segment_count(c->cond, f);
	paths->segment = palloc0(sizeof(char *) * Max(paths->first[n], 1));
	paths->length = palloc0(sizeof(int) * Max(paths->first[n], 1));
	for (size_t f = 0; f < n; f++)
		for (int s = paths->first[f]; s < paths->first[f + 1]; s++)
		{
			size_t		len;
			const char *seg = wf_condition_segment(c->cond, f, (size_t) (s - paths->first[f]), &len);

			paths->segment[s] = pnstrdup(seg, len);
			paths->length[s] = (int) len;
		}
	c->paths = paths;
	c->facts = palloc0(sizeof(wf_fact) * Max(n, 1));
}

/* Frees the core object and what wf_compiled_prepare allocated. */
void
wf_compiled_release(WfCompiled *c)
{
	wf_condition_free(c->cond);
	c->cond = NULL;
	if (c->paths)
	{
		for (int s = 0; s < c->paths->first[c->paths->n_fields]; s++)
			pfree(c->paths->segment[s]);
		pfree(c->paths->segment);
		pfree(c->paths->length);
		pfree(c->paths->first);
		pfree(c->paths);
		c->paths = NULL;
	}
	if (c->facts)
		pfree(c->facts);
	c->facts = NULL;
}

/* Looks c's fields up in the facts into its buffer; arrays' items are palloc'd. */
const wf_fact *
wf_compiled_resolve(const WfCompiled *c, Jsonb *facts)
{
	const WfFieldPaths *paths = c->paths;
	wf_fact    *out = c->facts;

	for (int f = 0; f < paths->n_fields; f++)
	{
		JsonbContainer *c = &facts->root;
		bool		found = true;
		JsonbValue	v;

		v.type = jbvNull;		/* (every field has at least one segment) */
		for (int s = paths->first[f]; s < paths->first[f + 1]; s++)
		{
			if (!JsonContainerIsObject(c) ||
				getKeyJsonValueFromContainer(c, paths->segment[s], paths->length[s], &v) == NULL)
			{
				found = false;
				break;
			}
			if (v.type == jbvBinary)
				c = v.val.binary.data;
			else if (s + 1 < paths->first[f + 1])
			{
				found = false;	/* a scalar where the path goes on */
				break;
			}
		}
		if (!found)
		{
			memset(&out[f], 0, sizeof(wf_fact));
			out[f].kind = WF_FACT_MISSING;
		}
		else if (v.type == jbvBinary)
			container_fact(v.val.binary.data, &out[f]);
		else
			scalar_fact(&v, &out[f]);
	}
	return out;
}

/* Evaluates c against facts; on a core failure raises naming kind and id. */
bool
wf_compiled_holds(const WfCompiled *c, Jsonb *facts, const char *kind, int64 id)
{
	wf_status	status;
	int			result = wf_condition_evaluate(c->cond, wf_compiled_resolve(c, facts), &status);

	if (result < 0)
		wf_raise_status(&status, id ? psprintf("%s " INT64_FORMAT, kind, id) : kind);
	return result == 1;
}
