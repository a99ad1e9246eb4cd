/*
 * node_role.c - what this database is in a scale-out layout
 * (docs/scale-out.md): 'single' (the default, one database does
 * everything), 'primary' (definitions are written here and published to the
 * shards) or 'shard' (candidates live here; definitions arrive only by
 * logical replication).  sql/install/80_scale_out.sql acts on it.
 */
#include "workflow_ext.h"

#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(wf_node_role_sql);

enum
{
	WF_NODE_SINGLE,
	WF_NODE_PRIMARY,
	WF_NODE_SHARD
};

static const struct config_enum_entry node_role_options[] = {
	{"single", WF_NODE_SINGLE, false},
	{"primary", WF_NODE_PRIMARY, false},
	{"shard", WF_NODE_SHARD, false},
	{NULL, 0, false}
};

static int	node_role = WF_NODE_SINGLE;

/* Set when a non-superuser set the setting before the library loaded. */
static bool node_role_forced = false;

void
wf_node_role_init(void)
{
	/*
	 * A non-superuser's PGOPTIONS value for a superuser-only placeholder
	 * replaces the database's and is then dropped, leaving the boot default
	 * ('single'): a shard would accept definition writes.  Fail closed: such
	 * a session is a shard (definitions read-only).
	 */
	if (wf_guc_set_by_non_superuser("workflow_ext.node_role"))
	{
		node_role_forced = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workflow_ext.node_role can only be set by a superuser; "
						"this session writes no definitions")));
	}
	DefineCustomEnumVariable("workflow_ext.node_role",
							 "What this database is in a scale-out layout: single, primary or shard.",
							 "single: one database does everything (the default). primary: definitions "
							 "are written here and published to the shards; what may be in use on a "
							 "shard is not deleted. shard: candidates live here; definitions arrive only "
							 "by logical replication.",
							 &node_role, WF_NODE_SINGLE, node_role_options, PGC_SUSET, 0,
							 NULL, NULL, NULL);
}

Datum
wf_node_role_sql(PG_FUNCTION_ARGS)
{
	int			role = node_role_forced ? WF_NODE_SHARD : node_role;

	PG_RETURN_TEXT_P(cstring_to_text(node_role_options[role].name));
}
