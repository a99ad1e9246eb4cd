/*
 * ddl_guard.c - refuses, up front, the changes to the extension's own
 * objects that would break it later.
 *
 * pg_dump writes an extension's tables as CREATE EXTENSION makes them, and
 * their rows with every column they have: a column added to an extension
 * table is not recreated on restore, so the COPY of its rows fails and the
 * table comes back empty (all of history).  Renaming the extension's schema,
 * one of its tables or one of their columns breaks every function that names
 * them (function bodies and policies are text, resolved when they run).  So
 * these are refused at ddl_command_start, before anything changes, with
 * 0A000 and what to do instead; the extension's own scripts (CREATE and ALTER
 * EXTENSION) are let through.  Indexes, constraints, triggers, policies,
 * comments and grants of one's own on the tables stay allowed.
 */
#include "workflow_ext.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(wf_ddl_guard);

static bool
extension_table(const RangeVar *rv, Oid extension)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);

	return OidIsValid(relid) && getExtensionOfObject(RelationRelationId, relid) == extension;
}

static void
refuse(const char *what, const char *object, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s %s is not supported: it is part of extension workflow_ext", what, object),
			 errdetail_reason("extension_object_change", "\"object\": %s", wf_json_string(object)),
			 errhint("%s", hint)));
}

Datum
wf_ddl_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			self = fcinfo->flinfo->fn_oid;
	Oid			extension;
	Oid			schema = get_func_namespace(self);

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ddl_guard() fires only as an event trigger"),
				 errdetail_reason("trigger_protocol", NULL)));
	if (creating_extension)
		PG_RETURN_VOID();
	trigdata = (EventTriggerData *) fcinfo->context;
	extension = getExtensionOfObject(ProcedureRelationId, self);

	if (IsA(trigdata->parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) trigdata->parsetree;
		ListCell   *lc;

		if (!extension_table(stmt->relation, extension))
			PG_RETURN_VOID();
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_AddColumn || cmd->subtype == AT_AddColumnRecurse)
				refuse("adding a column to table", stmt->relation->relname,
					   "pg_dump does not recreate it and its rows would fail to restore: keep "
					   "the application's data in a table of its own keyed by the row's id.");
			if (cmd->subtype == AT_DropColumn || cmd->subtype == AT_DropColumnRecurse ||
				cmd->subtype == AT_AlterColumnType)
				refuse("changing the columns of table", stmt->relation->relname,
					   "The extension's code reads these columns; they change only with ALTER EXTENSION UPDATE.");
		}
	}
	else if (IsA(trigdata->parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) trigdata->parsetree;

		if (stmt->renameType == OBJECT_SCHEMA && stmt->subname != NULL &&
			get_namespace_oid(stmt->subname, true) == schema)
			refuse("renaming schema", stmt->subname,
				   "Its functions, policies and triggers name the schema as it was created; to move "
				   "the extension, pg_dump it and restore it into a database where the schema has the new name.");
		if ((stmt->renameType == OBJECT_TABLE || stmt->renameType == OBJECT_COLUMN) &&
			stmt->relation != NULL && extension_table(stmt->relation, extension))
			refuse(stmt->renameType == OBJECT_TABLE ? "renaming table" : "renaming a column of table",
				   stmt->relation->relname,
				   "The extension's functions and policies name it; create a view with the name you need.");
	}
	else if (IsA(trigdata->parsetree, AlterObjectSchemaStmt))
	{
		AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) trigdata->parsetree;

		if (stmt->objectType == OBJECT_TABLE && stmt->relation != NULL &&
			extension_table(stmt->relation, extension))
			refuse("moving table", stmt->relation->relname,
				   "The extension's functions and policies name it in its schema.");
	}
	PG_RETURN_VOID();
}
