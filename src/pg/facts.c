/*
 * facts.c - evaluates compiled conditions against a facts jsonb: the core
 * asks for a field (wf_fact_source) when a leaf first reads it, and the
 * lookup hands it over as a wf_fact.  Strings point into the jsonb itself;
 * nothing is looked up or converted that no evaluated leaf reads, and
 * nothing is allocated.
 */
#include "workflow_ext.h"
#include "condition_eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <limits.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#ifndef INTERRUPTS_CAN_BE_PROCESSED
#define INTERRUPTS_CAN_BE_PROCESSED() \
	(InterruptHoldoffCount == 0 && CritSectionCount == 0 && QueryCancelHoldoffCount == 0)
#endif

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define WF_UNIX_EPOCH_OFFSET_MICROS INT64CONST(946684800000000)

/*
 * numeric -> double without the text round trip of numeric_float8 (which
 * dominated screening).  Handles the short on-disk format (PostgreSQL keeps
 * it stable for pg_upgrade; see numeric.c): sign, weight and base-10000
 * digits.  Only when the digits fit in 53 bits and the scale is within 10^20
 * is the result exact or correctly rounded, as strtod's; anything else falls
 * back to numeric_to_double_safe.
 */
#define WF_NUMERIC_FORMAT_MASK 0xC000
#define WF_NUMERIC_SHORT 0x8000
#define WF_NUMERIC_SHORT_SIGN 0x2000
#define WF_NUMERIC_SHORT_WEIGHT_SIGN 0x0040
#define WF_NUMERIC_SHORT_WEIGHT_MASK 0x003F
#define WF_NUMERIC_SPECIAL_MASK 0xC000
#define WF_NUMERIC_SIGN_MASK 0xC000
#define WF_NUMERIC_NEG 0x4000
#define WF_NUMERIC_MAX_GROUPS 256
#define WF_NUMERIC_TEXT_BYTES (WF_NUMERIC_MAX_GROUPS * 4 + 40)

static bool
numeric_to_double_fast(Numeric num, double *out, bool *exact)
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
				return false;	/* would need rounding: let strtod do it */
		}
	}
	else if (exponent < 0)
	{
		static const double powers[] = {1.0, 1e4, 1e8, 1e12, 1e16, 1e20};

		if (-exponent >= (int) lengthof(powers))
			return false;
		value /= powers[-exponent];	/* exact / exact: correctly rounded */
	}
	*exact = exponent >= 0 || ndigits == 0;	/* an integer below 2^53 */
	*out = (header & WF_NUMERIC_SHORT_SIGN) ? -value : value;
	return true;
}

/*
 * The decimal of a numeric as "[-]DDDD...eN" (JSON number syntax) in buf
 * (cap >= WF_NUMERIC_TEXT_BYTES), from its base-10000 digits (short or long
 * on-disk format), without allocating or raising.  At most
 * WF_NUMERIC_MAX_GROUPS digit groups are written; *truncated says whether
 * more were dropped (the exponent accounts for them).  With sticky, a
 * truncated value gets one more group, 0001: numeric keeps no trailing zero
 * groups, so the dropped ones were not all zero and the value lies strictly
 * between the written prefix and the prefix plus one unit of its last group,
 * as the sticky text does; it compares like the value itself with every
 * number of at most 1,000 significant digits (all an index prefilter
 * writes, README: Screening through an index).  Returns the length, 0 for a
 * value that is not a number.  *nonzero: any written digit is nonzero.
 */
static size_t
numeric_decimal_text(Numeric num, char *buf, size_t cap, bool sticky, bool *nonzero,
					 bool *truncated)
{
	const char *data = VARDATA_ANY(num);
	size_t		len = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	const char *digit_bytes;
	int			ndigits;
	int			used;
	int			weight;
	bool		negative;
	size_t		n = 0;
	int			written;

	*nonzero = false;
	*truncated = false;
	if (len < sizeof(uint16) || cap < WF_NUMERIC_TEXT_BYTES)
		return 0;
	memcpy(&header, data, sizeof(uint16));
	if ((header & WF_NUMERIC_FORMAT_MASK) == WF_NUMERIC_SHORT)
	{
		negative = (header & WF_NUMERIC_SHORT_SIGN) != 0;
		weight = (header & WF_NUMERIC_SHORT_WEIGHT_SIGN) ? (int) (header | ~WF_NUMERIC_SHORT_WEIGHT_MASK)
			: (int) (header & WF_NUMERIC_SHORT_WEIGHT_MASK);
		digit_bytes = data + sizeof(uint16);
		ndigits = (int) ((len - sizeof(uint16)) / sizeof(uint16));
	}
	else if ((header & WF_NUMERIC_SIGN_MASK) == WF_NUMERIC_SPECIAL_MASK)
		return 0;				/* NaN or infinity: jsonb holds neither */
	else
	{
		int16		w;

		if (len < 2 * sizeof(uint16))
			return 0;
		negative = (header & WF_NUMERIC_SIGN_MASK) == WF_NUMERIC_NEG;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
		digit_bytes = data + 2 * sizeof(uint16);
		ndigits = (int) ((len - 2 * sizeof(uint16)) / sizeof(uint16));
	}
	used = Min(ndigits, WF_NUMERIC_MAX_GROUPS);
	*truncated = used < ndigits;
	if (negative)
		buf[n++] = '-';
	for (int i = 0; i < used; i++)
	{
		uint16		d;

		memcpy(&d, digit_bytes + i * sizeof(uint16), sizeof(uint16));
		if (d > 9999)
			d = 9999;			/* corrupt digit: stay in bounds */
		*nonzero |= d != 0;
		buf[n++] = (char) ('0' + d / 1000);
		buf[n++] = (char) ('0' + d / 100 % 10);
		buf[n++] = (char) ('0' + d / 10 % 10);
		buf[n++] = (char) ('0' + d % 10);
	}
	if (used == 0)
		buf[n++] = '0';
	if (sticky && *truncated)
	{
		memcpy(buf + n, "0001", 4);
		n += 4;
		used++;
	}
	written = snprintf(buf + n, cap - n, "e%d", (weight - (Max(used, 1) - 1)) * 4);
	if (written < 0 || (size_t) written >= cap - n)
		return 0;
	return n + (size_t) written;
}

/*
 * numeric -> double for any value, never raising (numeric_float8 raises 22003
 * for 1e400 and 1e-400, and a facts write must never be refused because it is
 * awkward to evaluate).  strtod rounds correctly and reports range errors
 * without raising: beyond a double's range the value is +-infinity (greater
 * than every finite operand of its sign), and a nonzero value too close to 0
 * becomes the smallest nonzero double of its sign.  Such facts are marked
 * inexact: the core compares their exact decimal when the doubles are equal.
 */
static double
numeric_to_double_safe(Numeric num)
{
	char		text[WF_NUMERIC_TEXT_BYTES];
	bool		nonzero;
	bool		truncated;
	double		value;

	if (numeric_decimal_text(num, text, sizeof(text), false, &nonzero, &truncated) == 0)
		return 0;
	errno = 0;
	value = strtod(text, NULL);
	if (value == 0 && nonzero)
		value = text[0] == '-' ? -4.9406564584124654e-324 : 4.9406564584124654e-324;
	return value;
}

/*
 * The host's number_text: the exact decimal of an inexact number fact; past
 * WF_NUMERIC_MAX_GROUPS digit groups, its sticky form (numeric_decimal_text).
 */
static size_t
host_number_text(const wf_fact *fact, char *buf, size_t cap)
{
	bool		nonzero;
	bool		truncated;
	size_t		n;

	if (fact->kind != WF_FACT_NUMBER || fact->node == NULL || cap < WF_NUMERIC_TEXT_BYTES)
		return 0;
	n = numeric_decimal_text((Numeric) fact->node, buf, cap, true, &nonzero, &truncated);
	return n;
}

/*
 * getJsonbOffset of PostgreSQL's jsonb.c (the same walk back to the last
 * entry stored as an end offset), inline, and getJsonbLength's arithmetic
 * where a length is read: a screening scan looks up a few keys and values of
 * every row, and the out-of-line calls (two or three per entry, through the
 * PLT) were 6-7% of a 5-leaf screen (perf, bench/results/screen_index.md).
 */
static inline uint32
entry_offset(const JsonbContainer *c, uint32 index)
{
	uint32		offset = 0;

	for (uint32 i = index; i-- > 0;)
	{
		offset += JBE_OFFLENFLD(c->children[i]);
		if (JBE_HAS_OFF(c->children[i]))
			break;
	}
	return offset;
}

/*
 * Child entry i of a container (an array's element i; an object's key i, or
 * with i + size its value i), as fillJsonbValue fills it but without
 * allocating: the host's callbacks run inside the core and must not raise.
 */
static void
container_entry(JsonbContainer *c, uint32 i, JsonbValue *out)
{
	JEntry		entry = c->children[i];
	uint32		n_children = JsonContainerIsObject(c) ? JsonContainerSize(c) * 2 : JsonContainerSize(c);
	char	   *base = (char *) &c->children[n_children];
	uint32		offset = entry_offset(c, i);

	if (JBE_ISNULL(entry))
		out->type = jbvNull;
	else if (JBE_ISSTRING(entry))
	{
		out->type = jbvString;
		out->val.string.val = base + offset;
		out->val.string.len = (int) (JBE_HAS_OFF(entry) ? JBE_OFFLENFLD(entry) - offset
									 : JBE_OFFLENFLD(entry));
	}
	else if (JBE_ISNUMERIC(entry))
	{
		out->type = jbvNumeric;
		out->val.numeric = (Numeric) (base + INTALIGN(offset));
	}
	else if (JBE_ISBOOL_TRUE(entry) || JBE_ISBOOL_FALSE(entry))
	{
		out->type = jbvBool;
		out->val.boolean = JBE_ISBOOL_TRUE(entry);
	}
	else
	{
		out->type = jbvBinary;
		out->val.binary.data = (JsonbContainer *) (base + INTALIGN(offset));
		out->val.binary.len = (int) ((JBE_HAS_OFF(entry) ? JBE_OFFLENFLD(entry) - offset
									  : JBE_OFFLENFLD(entry)) - (INTALIGN(offset) - offset));
	}
}

static void
array_element(JsonbContainer *c, uint32 i, JsonbValue *out)
{
	container_entry(c, i, out);
}

/* Does key i of object c equal key (len bytes)?  -1, 0, 1 in jsonb's key order. */
static int
compare_key_at(JsonbContainer *c, uint32 i, const char *key, int len)
{
	char	   *base = (char *) &c->children[JsonContainerSize(c) * 2];
	JEntry		entry = c->children[i];
	bool		stored_offset = JBE_HAS_OFF(entry);
	uint32		offset = stored_offset ? entry_offset(c, i) : 0;
	int			have = (int) (stored_offset ? JBE_OFFLENFLD(entry) - offset : JBE_OFFLENFLD(entry));

	/* jsonb sorts an object's keys shorter first, then bytewise */
	if (have != len)
		return have < len ? -1 : 1;
	if (!stored_offset)
		offset = entry_offset(c, i);
	return memcmp(base + offset, key, len);
}

/*
 * The value of object c's member key, found as getKeyJsonValueFromContainer
 * finds it (binary search over the sorted keys), but trying *hint first: the
 * index where this path segment was found in the previous document.  The
 * documents of one column mostly share their keys, so one comparison usually
 * settles it.  Returns false when there is no such member.
 */
static bool
object_member(JsonbContainer *c, const char *key, int len, int *hint, JsonbValue *out)
{
	uint32		count = JsonContainerSize(c);
	uint32		low = 0;
	uint32		high = count;

	if (*hint >= 0 && (uint32) *hint < count && compare_key_at(c, (uint32) *hint, key, len) == 0)
	{
		container_entry(c, count + (uint32) *hint, out);
		return true;
	}
	while (low < high)
	{
		uint32		mid = low + (high - low) / 2;
		int			cmp = compare_key_at(c, mid, key, len);

		if (cmp == 0)
		{
			*hint = (int) mid;
			container_entry(c, count + mid, out);
			return true;
		}
		if (cmp < 0)
			low = mid + 1;
		else
			high = mid;
	}
	return false;
}

/* A value as a wf_fact; containers are handles the core navigates with child(). */
static void
value_fact(const JsonbValue *v, wf_fact *out)
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
			{
				bool		exact = false;

				out->kind = WF_FACT_NUMBER;
				out->node = v->val.numeric;
				if (!numeric_to_double_fast(v->val.numeric, &out->number, &exact))
					out->number = numeric_to_double_safe(v->val.numeric);
				out->inexact = !exact;
				break;
			}
		case jbvString:
			out->kind = WF_FACT_STRING;
			out->str = v->val.string.val;
			out->len = v->val.string.len;
			break;
		case jbvBinary:
			{
				JsonbContainer *c = v->val.binary.data;

				if (JsonContainerIsScalar(c))
				{
					JsonbValue	scalar;

					array_element(c, 0, &scalar);
					value_fact(&scalar, out);
				}
				else if (JsonContainerIsArray(c))
				{
					out->kind = WF_FACT_ARRAY;	/* elements through child() */
					out->n_items = JsonContainerSize(c);
					out->node = c;
				}
				else
				{
					out->kind = WF_FACT_OBJECT;
					out->node = c;
				}
				break;
			}
		default:
			out->kind = WF_FACT_OBJECT;
			break;
	}
}

/* The host's child(): a member of an object or an element of an array. */
static int
host_child(const wf_fact *parent, const char *key, size_t key_len, size_t index, wf_fact *out)
{
	JsonbContainer *c = (JsonbContainer *) parent->node;
	JsonbValue	v;

	memset(out, 0, sizeof(*out));
	out->kind = WF_FACT_MISSING;
	if (c == NULL)
		return 0;
	if (key != NULL)
	{
		if (parent->kind != WF_FACT_OBJECT || !JsonContainerIsObject(c) || key_len > INT_MAX ||
			getKeyJsonValueFromContainer(c, key, (int) key_len, &v) == NULL)
			return 1;
	}
	else
	{
		if (parent->kind != WF_FACT_ARRAY || !JsonContainerIsArray(c) ||
			index >= JsonContainerSize(c))
			return 1;
		array_element(c, (uint32) index, &v);
	}
	value_fact(&v, out);
	return 1;
}

/* The host's now(): the transaction's timestamp, as Unix epoch microseconds. */
static int
host_now(int64_t *at)
{
	*at = (int64_t) GetCurrentTransactionStartTimestamp() + WF_UNIX_EPOCH_OFFSET_MICROS;
	return 1;
}

/*
 * The host the core polls.  Reading the interrupt flags never raises; the
 * interrupt itself is processed by CHECK_FOR_INTERRUPTS() once the core has
 * returned (no longjmp through C++ frames).
 */
static int
host_interrupted(void)
{
	return InterruptPending && INTERRUPTS_CAN_BE_PROCESSED();
}

static const wf_host shim_host = {host_interrupted, host_child, host_number_text, host_now};

void
wf_core_host_install(void)
{
	static bool installed = false;

	if (!installed)
	{
		wf_core_set_host(&shim_host);
		installed = true;
	}
}

/*
 * An evaluation that failed: an interrupt is processed (a cancel or
 * statement_timeout raises 57014) and the caller tries again; anything else
 * raises, naming the object (kind, and id when not 0).
 */
static void
after_failure(const wf_status *status, int attempt, const char *kind, int64 id)
{
	if (status->code == WF_INTERRUPTED && attempt < 100)
	{
		CHECK_FOR_INTERRUPTS();
		return;
	}
	wf_raise_status(status, id ? psprintf("%s " INT64_FORMAT, kind, id) : kind);
}

/*
 * Copies the field paths c->cond reads and sizes its buffer, in the current
 * context.  A key segment is its bytes and length; an array index segment
 * ("$.education[0]") is a NULL segment whose length holds the index.
 */
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
	paths->hint = palloc0(sizeof(int) * Max(paths->first[n], 1));
	paths->source = palloc0(sizeof(int) * Max(n, 1));
	for (size_t f = 0; f < n; f++)
	{
		int			source = wf_condition_field_source(c->cond, f);

		paths->source[f] = source >= 0 && source < WF_SOURCE_COUNT ? source : WF_SOURCE_CANDIDATE;
		paths->uses[paths->source[f]] = true;
	}
	for (size_t f = 0; f < n; f++)
		for (int s = paths->first[f]; s < paths->first[f + 1]; s++)
		{
			size_t		len;
			size_t		index;
			const char *seg;

			if (wf_condition_segment_index(c->cond, f, (size_t) (s - paths->first[f]), &index))
			{
				paths->segment[s] = NULL;
				paths->length[s] = (int) index;
				continue;
			}
			seg = wf_condition_segment(c->cond, f, (size_t) (s - paths->first[f]), &len);
			paths->segment[s] = pnstrdup(seg, len);
			paths->length[s] = (int) len;
		}
	c->paths = paths;
	wf_core_host_install();
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
			if (c->paths->segment[s] != NULL)
				pfree(c->paths->segment[s]);
		pfree(c->paths->segment);
		pfree(c->paths->length);
		pfree(c->paths->hint);
		pfree(c->paths->source);
		pfree(c->paths->first);
		pfree(c->paths);
		c->paths = NULL;
	}
}

/*
 * Looks field f of paths up in facts, without allocating or raising (the
 * core calls it from inside C++ frames).  Arrays leave items NULL: the core
 * reaches their elements, and anything deeper, through the host's child().
 */
static void
lookup_field(const WfFieldPaths *paths, WfFacts *facts, int f, wf_fact *out)
{
	JsonbContainer *container = &facts->doc[paths->source[f]]->root;
	bool		in_container = true;
	JsonbValue	v;

	v.type = jbvNull;			/* (every field has at least one segment) */
	for (int s = paths->first[f]; s < paths->first[f + 1]; s++)
	{
		if (!in_container)
			goto missing;		/* a scalar where the path goes on */
		if (paths->segment[s] == NULL)
		{
			uint32		index = (uint32) paths->length[s];

			if (!JsonContainerIsArray(container) || JsonContainerIsScalar(container) ||
				index >= JsonContainerSize(container))
				goto missing;
			array_element(container, index, &v);
		}
		else if (!JsonContainerIsObject(container) ||
				 !object_member(container, paths->segment[s], paths->length[s], &paths->hint[s], &v))
			goto missing;
		in_container = v.type == jbvBinary;
		if (in_container)
			container = v.val.binary.data;
	}
	value_fact(&v, out);
	return;

missing:
	memset(out, 0, sizeof(*out));
	out->kind = WF_FACT_MISSING;
}

/* One evaluation's facts, for the core's wf_fact_source. */
typedef struct FactLookup
{
	const WfFieldPaths *paths;
	WfFacts    *facts;
} FactLookup;

static int
source_resolve(void *arg, size_t field, wf_fact *out)
{
	FactLookup *lookup = (FactLookup *) arg;

	if (field >= (size_t) lookup->paths->n_fields)
		return 0;
	lookup_field(lookup->paths, lookup->facts, (int) field, out);
	return 1;
}

/*
 * One evaluation (explain false: *result set, NULL returned) or explanation
 * (the core's JSON returned) of c against facts; the core asks for a field
 * only when a leaf reads it.  Interrupts are processed between attempts.
 */
static char *
evaluate_lazily(const WfCompiled *c, WfFacts *facts, const TimestampTz *at, bool explain,
				bool only_failed, int *result, const char *kind, int64 id, bool paths)
{
	FactLookup	lookup = {c->paths, facts};
	wf_fact_source source = {source_resolve, &lookup};
	int64		unix_at = at ? (int64) *at + WF_UNIX_EPOCH_OFFSET_MICROS : 0;
	wf_status	status;

	/* Read here, not from the core's callback, which must not raise. */
	for (int s = 0; s < WF_SOURCE_COUNT; s++)
		if (c->paths->uses[s])
			(void) wf_facts_doc(facts, s);

	wf_core_host_install();
	for (int attempt = 0;; attempt++)
	{
		if (paths)
		{
			char	   *text = wf_condition_failed_paths_lazy(c->cond, &source,
															  at ? &unix_at : NULL, result,
															  &status);

			if (text != NULL)
				return text;
		}
		else if (explain)
		{
			char	   *text = wf_condition_explain_lazy(c->cond, &source, only_failed ? 1 : 0,
														 at ? &unix_at : NULL, result, &status);

			if (text != NULL)
				return text;
		}
		else if ((*result = wf_condition_evaluate_lazy(c->cond, &source, at ? &unix_at : NULL,
													   &status)) >= 0)
			return NULL;
		after_failure(&status, attempt, kind, id);
	}
}

bool
wf_compiled_evaluate(const WfCompiled *c, WfFacts *facts, const TimestampTz *at,
					 const char *kind, int64 id)
{
	int			result;

	(void) evaluate_lazily(c, facts, at, false, false, &result, kind, id, false);
	return result == 1;
}

char *
wf_compiled_explain(const WfCompiled *c, WfFacts *facts, bool only_failed, const TimestampTz *at,
					int *result, const char *kind, int64 id)
{
	return evaluate_lazily(c, facts, at, true, only_failed, result, kind, id, false);
}

/*
 * The JSON paths (the core's malloc'd JSON array of strings) of every leaf
 * that made c fail, however many: what generated alerts fire for when the
 * bounded explanation did not list them all.
 */
char *
wf_compiled_failed_paths(const WfCompiled *c, WfFacts *facts, const char *kind, int64 id)
{
	int			result;

	return evaluate_lazily(c, facts, NULL, false, false, &result, kind, id, true);
}

/* Evaluates c against facts (a stage's alert or rule, named by kind and id). */
bool
wf_compiled_holds(const WfCompiled *c, WfFacts *facts, const char *kind, int64 id)
{
	return wf_compiled_evaluate(c, facts, NULL, kind, id);
}
