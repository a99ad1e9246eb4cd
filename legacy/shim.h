/*
 * shim.h - the earlier releases inside $libdir/workflow_ext (legacy/README.md).
 *
 * Called by the generated dispatcher (build/one/dispatch.c) and by _PG_init;
 * the wf_legacy_* redirect targets are what the frozen trees' references to
 * PostgreSQL's GUC and relcache-callback functions were renamed to.
 */
#ifndef WF_LEGACY_SHIM_H
#define WF_LEGACY_SHIM_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"

/* The generation of the current sources (src/): the newest schema. */
#define WF_GENERATION_CURRENT 3

/* The version of each generation, 1 to WF_GENERATION_CURRENT (generated). */
extern const char *const wf_generation_version[WF_GENERATION_CURRENT + 1];

/* _PG_init, before it defines the settings: every frozen release's _PG_init (generated). */
extern void wf_legacy_init(void);

/* The schema generation of the database that the called function belongs to. */
extern int	wf_schema_generation(FunctionCallInfo fcinfo);

/* A generation without the called entry point: 0A000. */
extern pg_attribute_noreturn() void wf_generation_lacks(FunctionCallInfo fcinfo, const char *symbol,
														const char *version);

/* Around the frozen releases' _PG_init: their WARNINGs are the current code's too. */
extern void wf_legacy_quiet(bool quiet);

/* The redirect targets (legacy/symbols.sh: REDIRECTS). */
extern void wf_legacy_define_bool(const char *name, const char *short_desc, const char *long_desc,
								  bool *valueAddr, bool bootValue, GucContext context, int flags,
								  GucBoolCheckHook check_hook, GucBoolAssignHook assign_hook,
								  GucShowHook show_hook);
extern void wf_legacy_define_int(const char *name, const char *short_desc, const char *long_desc,
								 int *valueAddr, int bootValue, int minValue, int maxValue,
								 GucContext context, int flags, GucIntCheckHook check_hook,
								 GucIntAssignHook assign_hook, GucShowHook show_hook);
extern void wf_legacy_define_string(const char *name, const char *short_desc, const char *long_desc,
									char **valueAddr, const char *bootValue, GucContext context, int flags,
									GucStringCheckHook check_hook, GucStringAssignHook assign_hook,
									GucShowHook show_hook);
extern void wf_legacy_define_enum(const char *name, const char *short_desc, const char *long_desc,
								  int *valueAddr, int bootValue, const struct config_enum_entry *options,
								  GucContext context, int flags, GucEnumCheckHook check_hook,
								  GucEnumAssignHook assign_hook, GucShowHook show_hook);
extern void wf_legacy_mark_reserved(const char *className);
extern void wf_legacy_register_relcache(RelcacheCallbackFunction func, Datum arg);
extern bool wf_legacy_errstart(int elevel, const char *domain);

#endif							/* WF_LEGACY_SHIM_H */
