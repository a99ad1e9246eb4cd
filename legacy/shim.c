/*
 * shim.c - what lets the frozen earlier releases (legacy/<V>/src) run inside
 * the one library $libdir/workflow_ext beside the current sources
 * (legacy/README.md):
 *
 *  - wf_schema_generation(): which release's code serves a call, from the
 *    schema of the called function's extension;
 *  - the settings: a frozen release's DefineCustom*Variable calls are
 *    redirected here (legacy/symbols.sh), define nothing, and its variables
 *    then follow the current code's setting of the same name (set at once,
 *    then from assign hooks added to the current settings), so one backend
 *    has one workflow_ext.* setting of each name whatever code it runs;
 *  - its relcache callbacks share one of PostgreSQL's slots (ten in 15);
 *  - its WARNINGs while its _PG_init runs are dropped: they are the ones the
 *    current _PG_init gives right after (a superuser-only setting set by a
 *    non-superuser before the library loaded).
 */
#include "shim.h"

#include "access/attnum.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "storage/proc.h"
#include "storage/sinval.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc_tables.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* --- which code serves a call ------------------------------------------- */

#if PG_VERSION_NUM >= 170000
#define CURRENT_LXID (MyProc->vxid.lxid)
#else
#define CURRENT_LXID (MyProc->lxid)
#endif

static bool settings_attached = false;
static void attach_settings(void);

/*
 * While workflow_ext's own install or update script runs: the generation of
 * the version it installs or updates to (PostgreSQL sets extversion to each
 * step's target before it runs the step's script), so a script runs on the
 * code it was written for, whatever state its schema is in halfway; -1
 * otherwise.  A catalog scan, cached per command of the script.
 */
static int
script_generation(void)
{
	static Oid	cached_ext = InvalidOid;
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static CommandId cached_cid = InvalidCommandId;
	static int	cached_generation = -1;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	int			generation = -1;

	if (!creating_extension || !OidIsValid(CurrentExtensionObject))
		return -1;
	if (CurrentExtensionObject == cached_ext && CURRENT_LXID == cached_lxid &&
		GetCurrentCommandId(false) == cached_cid)
		return cached_generation;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(CurrentExtensionObject));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup) && strcmp(NameStr(((Form_pg_extension) GETSTRUCT(tup))->extname), "workflow_ext") == 0)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			char	   *version = text_to_cstring(DatumGetTextPP(d));

			for (int g = 1; g <= WF_GENERATION_CURRENT; g++)
				if (strcmp(version, wf_generation_version[g]) == 0)
					generation = g;
			pfree(version);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	cached_ext = CurrentExtensionObject;
	cached_lxid = CURRENT_LXID;
	cached_cid = GetCurrentCommandId(false);
	cached_generation = generation;
	return generation;
}

/*
 * Which code serves a call: during workflow_ext's own scripts, the version
 * they install or update to (above); else the generation of the schema that
 * holds the called function: 3 (0.3.0) when the extension's candidate_stage
 * has a tenant column, 2 (0.2.0) when it has visit_transition_id (which
 * 0.1.0--0.2.0 adds first of all), 1 (0.1.0) otherwise.  A function outside
 * an extension schema (no candidate_stage beside it) or called without its
 * pg_proc row is served by the current code.  Syscache lookups only: correct
 * across ALTER EXTENSION UPDATE in the same session, and cheap
 * (legacy/README.md gives the cost).
 *
 * Freezing the current version as generation 3 adds, above these, the test of
 * what only the next version has.
 */
int
wf_schema_generation(FunctionCallInfo fcinfo)
{
	/*
	 * The answers for the last few functions called, kept for the rest of
	 * their command (as script_generation keeps its own): a screening scan
	 * calls a function per row, and three syscache lookups per row were a
	 * fifth of its time (perf of bench/run.py's screen rows).  Several, not
	 * one: under row-level security a row runs two of them in turn
	 * (condition_matches_leakproof, then the policy's current_tenant()),
	 * and with one slot each evicted the other on every row, the lookups
	 * then a sixth of a screen through the index (bench/results/
	 * screen_index.md).  A command of this session that changes the schema
	 * ends with a new command id, and another session's committed change
	 * reaches this one as invalidation messages (which
	 * SharedInvalidMessageCounter counts): either way every slot is
	 * forgotten and the next call asks again.  So does a new subtransaction:
	 * one rolled back after a catalog-only change (ALTER TABLE ... ADD
	 * COLUMN, no relation file, so no invalidation message sent) restores
	 * the catalogs under the same command id and count, and the answers
	 * kept inside it would outlive it (legacy check: a change of the schema rolled back to a savepoint).
	 */
#define GENERATION_SLOTS 8
	static Oid	cached_fn[GENERATION_SLOTS];
	static int	cached_generation[GENERATION_SLOTS];
	static int	n_cached = 0;
	static int	next_slot = 0;
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static CommandId cached_cid = InvalidCommandId;
	static uint64 cached_invalidations = 0;
	static SubTransactionId cached_subxid = InvalidSubTransactionId;
	int			generation = script_generation();
	Oid			fn = InvalidOid;
	Oid			nsp;
	Oid			rel;

	if (generation < 0 && fcinfo->flinfo != NULL && OidIsValid(fn = fcinfo->flinfo->fn_oid))
	{
		if (CURRENT_LXID != cached_lxid || GetCurrentCommandId(false) != cached_cid ||
			SharedInvalidMessageCounter != cached_invalidations ||
			GetCurrentSubTransactionId() != cached_subxid)
			n_cached = 0;
		for (int i = 0; i < n_cached; i++)
			if (cached_fn[i] == fn)
			{
				generation = cached_generation[i];
				break;
			}
	}
	if (generation < 0)
	{
		generation = WF_GENERATION_CURRENT;
		if (OidIsValid(fn) &&
			OidIsValid(nsp = get_func_namespace(fn)) &&
			OidIsValid(rel = get_relname_relid("candidate_stage", nsp)))
		{
			if (get_attnum(rel, "tenant") != InvalidAttrNumber)
				generation = 3;
			else if (get_attnum(rel, "visit_transition_id") != InvalidAttrNumber)
				generation = 2;
			else
				generation = 1;
		}
		if (OidIsValid(fn))
		{
			/* the stamp of the lookups' state, taken after them */
			if (n_cached == 0 || CURRENT_LXID != cached_lxid ||
				GetCurrentCommandId(false) != cached_cid ||
				SharedInvalidMessageCounter != cached_invalidations ||
				GetCurrentSubTransactionId() != cached_subxid)
			{
				n_cached = 0;
				next_slot = 0;
			}
			cached_lxid = CURRENT_LXID;
			cached_cid = GetCurrentCommandId(false);
			cached_invalidations = SharedInvalidMessageCounter;
			cached_subxid = GetCurrentSubTransactionId();
			if (n_cached < GENERATION_SLOTS)
				n_cached++;
			cached_fn[next_slot] = fn;
			cached_generation[next_slot] = generation;
			next_slot = (next_slot + 1) % GENERATION_SLOTS;
		}
	}
	if (generation != WF_GENERATION_CURRENT && !settings_attached)
		attach_settings();
	return generation;
}

void
wf_generation_lacks(FunctionCallInfo fcinfo, const char *symbol, const char *version)
{
	Oid			fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
	char	   *name = OidIsValid(fn) ? get_func_name(fn) : NULL;

	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("function %s is not available in workflow_ext %s",
					name ? name : symbol, version),
			 errdetail("The function's schema is at workflow_ext %s, whose code has no entry point \"%s\".",
					   version, symbol),
			 errhint("Run ALTER EXTENSION workflow_ext UPDATE.")));
}

/* --- the settings ---------------------------------------------------------- */

/* What a frozen release asked DefineCustom*Variable for. */
typedef struct LegacySetting
{
	const char *name;
	enum config_type type;
	void	   *variable;		/* the release's own variable */
	const struct config_enum_entry *options;	/* PGC_ENUM: the release's */
	/* to define it, should the current code no longer have it */
	const char *short_desc;
	const char *long_desc;
	GucContext	context;
	int			flags;
	int			boot_int;		/* bool, int, enum */
	const char *boot_string;
	int			min;
	int			max;
} LegacySetting;

#define MAX_LEGACY_SETTINGS 32
static LegacySetting legacy_settings[MAX_LEGACY_SETTINGS];
static int	n_legacy_settings = 0;

/* A current setting that frozen variables follow: one assign hook per slot. */
#define MAX_MIRRORS 16
typedef struct Mirror
{
	struct config_generic *ours;
	union
	{
		GucBoolAssignHook b;
		GucIntAssignHook i;
		GucStringAssignHook s;
		GucEnumAssignHook e;
	}			chained;		/* the hook it had, called first */
	int			n;
	LegacySetting *follow[MAX_LEGACY_SETTINGS];
} Mirror;
static Mirror mirrors[MAX_MIRRORS];
static int	n_mirrors = 0;

static LegacySetting *
record_setting(const char *name, enum config_type type, void *variable, const char *short_desc,
			   const char *long_desc, GucContext context, int flags, bool hooks)
{
	LegacySetting *s;

	if (n_legacy_settings >= MAX_LEGACY_SETTINGS)
		elog(ERROR, "workflow_ext: more than %d settings in the earlier releases", MAX_LEGACY_SETTINGS);
	if (hooks)
		elog(ERROR, "workflow_ext: an earlier release's setting %s has hooks, which the one library "
			 "does not carry over", name);
	s = &legacy_settings[n_legacy_settings++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->type = type;
	s->variable = variable;
	s->short_desc = short_desc;
	s->long_desc = long_desc;
	s->context = context;
	s->flags = flags;
	return s;
}

void
wf_legacy_define_bool(const char *name, const char *short_desc, const char *long_desc,
					  bool *valueAddr, bool bootValue, GucContext context, int flags,
					  GucBoolCheckHook check_hook, GucBoolAssignHook assign_hook, GucShowHook show_hook)
{
	LegacySetting *s = record_setting(name, PGC_BOOL, valueAddr, short_desc, long_desc, context, flags,
									  check_hook || assign_hook || show_hook);

	s->boot_int = bootValue;
	*valueAddr = bootValue;
}

void
wf_legacy_define_int(const char *name, const char *short_desc, const char *long_desc,
					 int *valueAddr, int bootValue, int minValue, int maxValue,
					 GucContext context, int flags, GucIntCheckHook check_hook,
					 GucIntAssignHook assign_hook, GucShowHook show_hook)
{
	LegacySetting *s = record_setting(name, PGC_INT, valueAddr, short_desc, long_desc, context, flags,
									  check_hook || assign_hook || show_hook);

	s->boot_int = bootValue;
	s->min = minValue;
	s->max = maxValue;
	*valueAddr = bootValue;
}

void
wf_legacy_define_string(const char *name, const char *short_desc, const char *long_desc,
						char **valueAddr, const char *bootValue, GucContext context, int flags,
						GucStringCheckHook check_hook, GucStringAssignHook assign_hook,
						GucShowHook show_hook)
{
	LegacySetting *s = record_setting(name, PGC_STRING, valueAddr, short_desc, long_desc, context, flags,
									  check_hook || assign_hook || show_hook);

	s->boot_string = bootValue;
	*valueAddr = unconstify(char *, bootValue);
}

void
wf_legacy_define_enum(const char *name, const char *short_desc, const char *long_desc,
					  int *valueAddr, int bootValue, const struct config_enum_entry *options,
					  GucContext context, int flags, GucEnumCheckHook check_hook,
					  GucEnumAssignHook assign_hook, GucShowHook show_hook)
{
	LegacySetting *s = record_setting(name, PGC_ENUM, valueAddr, short_desc, long_desc, context, flags,
									  check_hook || assign_hook || show_hook);

	s->boot_int = bootValue;
	s->options = options;
	*valueAddr = bootValue;
}

/* The current _PG_init reserves the prefix, after defining the settings. */
void
wf_legacy_mark_reserved(const char *className)
{
}

/* The current setting's value into a frozen variable. */
static void
mirror_value(Mirror *m, LegacySetting *s, int int_value, const char *string_value)
{
	switch (s->type)
	{
		case PGC_BOOL:
			*(bool *) s->variable = (bool) int_value;
			break;
		case PGC_INT:
			*(int *) s->variable = int_value;
			break;
		case PGC_STRING:
			/* GUC keeps the string while it is the value (assign hook, then set) */
			*(char **) s->variable = unconstify(char *, string_value);
			break;
		case PGC_ENUM:
			{
				/* by name: the release's own table may number them otherwise */
				const char *label = config_enum_lookup_by_value((struct config_enum *) m->ours, int_value);

				for (const struct config_enum_entry *e = s->options; e->name; e++)
					if (pg_strcasecmp(e->name, label) == 0)
					{
						*(int *) s->variable = e->val;
						break;
					}
				break;
			}
		default:
			break;
	}
}

static void
mirror_bool(int slot, bool newval, void *extra)
{
	Mirror	   *m = &mirrors[slot];

	if (m->chained.b)
		m->chained.b(newval, extra);
	for (int i = 0; i < m->n; i++)
		mirror_value(m, m->follow[i], newval, NULL);
}

static void
mirror_int(int slot, int newval, void *extra)
{
	Mirror	   *m = &mirrors[slot];

	if (m->chained.i)
		m->chained.i(newval, extra);
	for (int i = 0; i < m->n; i++)
		mirror_value(m, m->follow[i], newval, NULL);
}

static void
mirror_string(int slot, const char *newval, void *extra)
{
	Mirror	   *m = &mirrors[slot];

	if (m->chained.s)
		m->chained.s(newval, extra);
	for (int i = 0; i < m->n; i++)
		mirror_value(m, m->follow[i], 0, newval);
}

static void
mirror_enum(int slot, int newval, void *extra)
{
	Mirror	   *m = &mirrors[slot];

	if (m->chained.e)
		m->chained.e(newval, extra);
	for (int i = 0; i < m->n; i++)
		mirror_value(m, m->follow[i], newval, NULL);
}

/* An assign hook knows not which setting it serves: one set per slot. */
#define SLOT_HOOKS(i) \
static void mirror_bool_##i(bool v, void *x) { mirror_bool(i, v, x); } \
static void mirror_int_##i(int v, void *x) { mirror_int(i, v, x); } \
static void mirror_string_##i(const char *v, void *x) { mirror_string(i, v, x); } \
static void mirror_enum_##i(int v, void *x) { mirror_enum(i, v, x); }
SLOT_HOOKS(0) SLOT_HOOKS(1) SLOT_HOOKS(2) SLOT_HOOKS(3) SLOT_HOOKS(4) SLOT_HOOKS(5)
SLOT_HOOKS(6) SLOT_HOOKS(7) SLOT_HOOKS(8) SLOT_HOOKS(9) SLOT_HOOKS(10) SLOT_HOOKS(11)
SLOT_HOOKS(12) SLOT_HOOKS(13) SLOT_HOOKS(14) SLOT_HOOKS(15)
#define SLOT_ENTRY(i) {mirror_bool_##i, mirror_int_##i, mirror_string_##i, mirror_enum_##i}
static const struct
{
	GucBoolAssignHook b;
	GucIntAssignHook i;
	GucStringAssignHook s;
	GucEnumAssignHook e;
}			slot_hooks[MAX_MIRRORS] = {
	SLOT_ENTRY(0), SLOT_ENTRY(1), SLOT_ENTRY(2), SLOT_ENTRY(3), SLOT_ENTRY(4), SLOT_ENTRY(5),
	SLOT_ENTRY(6), SLOT_ENTRY(7), SLOT_ENTRY(8), SLOT_ENTRY(9), SLOT_ENTRY(10), SLOT_ENTRY(11),
	SLOT_ENTRY(12), SLOT_ENTRY(13), SLOT_ENTRY(14), SLOT_ENTRY(15)
};

static struct config_generic *
find_setting(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0 && !(vars[i]->flags & GUC_CUSTOM_PLACEHOLDER))
			return vars[i];
	return NULL;
}

/* A setting the current code no longer defines: defined as the release did. */
static void
define_as_released(LegacySetting *s)
{
	switch (s->type)
	{
		case PGC_BOOL:
			DefineCustomBoolVariable(s->name, s->short_desc, s->long_desc, (bool *) s->variable,
									 (bool) s->boot_int, s->context, s->flags, NULL, NULL, NULL);
			break;
		case PGC_INT:
			DefineCustomIntVariable(s->name, s->short_desc, s->long_desc, (int *) s->variable,
									s->boot_int, s->min, s->max, s->context, s->flags, NULL, NULL, NULL);
			break;
		case PGC_STRING:
			DefineCustomStringVariable(s->name, s->short_desc, s->long_desc, (char **) s->variable,
									   s->boot_string, s->context, s->flags, NULL, NULL, NULL);
			break;
		case PGC_ENUM:
			DefineCustomEnumVariable(s->name, s->short_desc, s->long_desc, (int *) s->variable,
									 s->boot_int, s->options, s->context, s->flags, NULL, NULL, NULL);
			break;
		default:
			break;
	}
}

/*
 * Once, at the first call that an earlier release serves (the current
 * _PG_init has defined its settings by then): every frozen variable takes
 * the value of the current setting of its name, and follows it from then on.
 */
static void
attach_settings(void)
{
	settings_attached = true;
	for (int i = 0; i < n_legacy_settings; i++)
	{
		LegacySetting *s = &legacy_settings[i];
		struct config_generic *g = find_setting(s->name);
		Mirror	   *m = NULL;

		if (g == NULL)
		{
			define_as_released(s);
			continue;			/* its variable is the setting's; later ones follow it */
		}
		if (g->vartype != s->type)
			elog(ERROR, "workflow_ext: setting %s changed type since an earlier release", s->name);
		for (int j = 0; j < n_mirrors; j++)
			if (mirrors[j].ours == g)
				m = &mirrors[j];
		if (m == NULL)
		{
			if (n_mirrors >= MAX_MIRRORS)
				elog(ERROR, "workflow_ext: more than %d settings to mirror", MAX_MIRRORS);
			m = &mirrors[n_mirrors];
			m->ours = g;
			switch (g->vartype)
			{
				case PGC_BOOL:
					m->chained.b = ((struct config_bool *) g)->assign_hook;
					((struct config_bool *) g)->assign_hook = slot_hooks[n_mirrors].b;
					break;
				case PGC_INT:
					m->chained.i = ((struct config_int *) g)->assign_hook;
					((struct config_int *) g)->assign_hook = slot_hooks[n_mirrors].i;
					break;
				case PGC_STRING:
					m->chained.s = ((struct config_string *) g)->assign_hook;
					((struct config_string *) g)->assign_hook = slot_hooks[n_mirrors].s;
					break;
				case PGC_ENUM:
					m->chained.e = ((struct config_enum *) g)->assign_hook;
					((struct config_enum *) g)->assign_hook = slot_hooks[n_mirrors].e;
					break;
				default:
					elog(ERROR, "workflow_ext: setting %s has a type the one library does not mirror",
						 s->name);
			}
			n_mirrors++;
		}
		m->follow[m->n++] = s;
		/* at once */
		switch (g->vartype)
		{
			case PGC_BOOL:
				mirror_value(m, s, *((struct config_bool *) g)->variable, NULL);
				break;
			case PGC_INT:
				mirror_value(m, s, *((struct config_int *) g)->variable, NULL);
				break;
			case PGC_STRING:
				mirror_value(m, s, 0, *((struct config_string *) g)->variable);
				break;
			case PGC_ENUM:
				mirror_value(m, s, *((struct config_enum *) g)->variable, NULL);
				break;
			default:
				break;
		}
	}
}

/* --- relcache callbacks: one slot for all the earlier releases ------------ */

#define MAX_LEGACY_RELCACHE_CALLBACKS 16
static struct
{
	RelcacheCallbackFunction func;
	Datum		arg;
}			legacy_relcache[MAX_LEGACY_RELCACHE_CALLBACKS];
static int	n_legacy_relcache = 0;

static void
legacy_relcache_callback(Datum arg, Oid relid)
{
	for (int i = 0; i < n_legacy_relcache; i++)
		legacy_relcache[i].func(legacy_relcache[i].arg, relid);
}

void
wf_legacy_register_relcache(RelcacheCallbackFunction func, Datum arg)
{
	if (n_legacy_relcache >= MAX_LEGACY_RELCACHE_CALLBACKS)
		elog(FATAL, "workflow_ext: out of relcache callback slots for the earlier releases");
	if (n_legacy_relcache == 0)
		CacheRegisterRelcacheCallback(legacy_relcache_callback, (Datum) 0);
	legacy_relcache[n_legacy_relcache].func = func;
	legacy_relcache[n_legacy_relcache].arg = arg;
	n_legacy_relcache++;
}

/* --- their _PG_init ---------------------------------------------------------- */

static bool legacy_quiet = false;

void
wf_legacy_quiet(bool quiet)
{
	legacy_quiet = quiet;
}

bool
wf_legacy_errstart(int elevel, const char *domain)
{
	if (legacy_quiet && elevel < ERROR)
		return false;
	return errstart(elevel, domain);
}
