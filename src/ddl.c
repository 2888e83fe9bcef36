/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  Keeps views right across DDL on their base tables: the
 *	  ddl_command_end event trigger.
 *
 * PostgreSQL itself refuses most DDL that would break a view: the view's
 * _RETURN rule depends on every table, column and function its query uses
 * (catalog.c records that), so DROP TABLE, DROP COLUMN and ALTER COLUMN
 * TYPE of what a query reads fail, naming the view, and CASCADE drops the
 * view, which unregisters it (api.c, sql_drop).  Queries are kept as trees
 * that name objects by OID, so renaming a table, a column or a schema
 * keeps every view working.
 *
 * What is left is capture, which PostgreSQL knows nothing about (at
 * ddl_command_end):
 *
 *	- a renamed column keeps its name in the delta table too (capture maps
 *	  columns by name);
 *	- a retyped column that no view reads leaves the delta table;
 *	- partitions attached, created or detached get or lose capture, and a
 *	  recompute marker tells every view over the tree that rows came or went
 *	  without any trigger firing;
 *	- what would make capture miss changes (or capture them twice) is
 *	  refused: disabling or changing the firing of the capture triggers,
 *	  SET UNLOGGED, row-level security, inheritance children;
 *	- the catalog's query text follows renames, so that dumps, and
 *	  incrload_stats readers, see the current names.
 *
 * And what incrload maintains, which nobody else may change (at
 * ddl_command_start, before the command runs): registered views, their
 * storage and set tables, delta tables, incrload's triggers.
 *
 * IDENTIFICATION
 *	  src/ddl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "analyze.h"
#include "capture.h"
#include "catalog.h"
#include "guard.h"
#include "normalize.h"


static Oid	captured_root(Oid relid);
static void rename_delta_column(Oid relid, const char *oldname,
								const char *newname);
static void check_capture_triggers(Oid relid);
static void check_captured(Oid base);
static void handle_create(CreateStmt *stmt);
static void handle_alter_table(AlterTableStmt *stmt);
static void refresh_query_texts(void);
static void check_replaced(Oid objid, bool is_view);

/* The captured table rows of relid are captured for, or InvalidOid. */
static Oid
captured_root(Oid relid)
{
	if (OidIsValid(il_catalog_delta_for(relid)))
		return relid;
	return il_catalog_partition_root(relid);
}

static void
rename_delta_column(Oid relid, const char *oldname, const char *newname)
{
	Oid			delta = il_catalog_delta_for(relid);

	if (!OidIsValid(delta) ||
		get_attnum(delta, oldname) == InvalidAttrNumber ||
		get_attnum(delta, newname) != InvalidAttrNumber)
		return;
	il_capture_run_ddl(psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s",
								quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
														   get_rel_name(delta)),
								quote_identifier(oldname),
								quote_identifier(newname)));
}

/*
 * Capture must see every change exactly once: each of its triggers fires
 * as capture.c made it (statement triggers on origin, the row trigger on
 * replica, TRUNCATE always), never disabled.
 */
static void
check_capture_triggers(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TriggerDesc *td = rel->trigdesc;

	/*
	 * A missing trigger is not for us to see here (sql_drop refuses dropping
	 * one); pg_restore creates them one at a time.
	 */
	for (int t = 0; td != NULL && t < td->numtriggers; t++)
	{
		const char *name = td->triggers[t].tgname;
		char		firing = il_capture_trigger_firing(name);

		if (firing != 0 && td->triggers[t].tgenabled != firing)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_IN_USE),
					errmsg("cannot disable or change trigger \"%s\" on table \"%s\"",
						   name, RelationGetRelationName(rel)),
					errdetail("incrload views read the table; a capture trigger that fires otherwise loses changes or captures them twice."),
					errhint("Unregister the views with incrload_unregister_view() first, or leave incrload's triggers as they are (ALTER TABLE ... %s TRIGGER %s).",
							il_capture_firing_clause(firing), name));
	}
	table_close(rel, AccessShareLock);
}

/*
 * After an ALTER TABLE of a captured table: what capture needs still
 * holds, and the delta table still fits the table.
 */
static void
check_captured(Oid base)
{
	Oid			delta = il_catalog_delta_for(base);
	Relation	brel;
	TupleDesc	bdesc;
	ListCell   *lc;

	brel = table_open(base, AccessShareLock);
	bdesc = RelationGetDescr(brel);
	if (brel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_IN_USE),
				errmsg("cannot make table \"%s\" unlogged while incrload views read it",
					   RelationGetRelationName(brel)),
				errdetail("A crash empties an unlogged table without running its triggers."),
				errhint("Unregister the views with incrload_unregister_view() first."));
	if (brel->rd_rel->relrowsecurity)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_IN_USE),
				errmsg("cannot enable row-level security on table \"%s\" while incrload views read it incrementally",
					   RelationGetRelationName(brel)),
				errdetail("Captured changes are not filtered by row security policies."),
				errhint("Unregister the views first, and register them again with mode => 'full'."));

	/*
	 * PostgreSQL refuses to retype a column a view's query uses; the check
	 * here is for a query whose dependencies are not recorded yet (restored
	 * and not applied since).
	 */
	foreach(lc, il_catalog_base_views(base))
	{
		IncrloadView row;
		Query	   *query;
		List	   *vars;
		ListCell   *lc2;

		if (!il_catalog_read_view(lfirst_oid(lc), false, &row) ||
			row.query_tree == NULL)
			continue;
		query = (Query *) stringToNode(row.query_tree);
		vars = pull_var_clause((Node *) query->targetList,
							   PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS |
							   PVC_RECURSE_PLACEHOLDERS);
		vars = list_concat(vars, pull_var_clause((Node *) query->jointree,
												 PVC_RECURSE_AGGREGATES |
												 PVC_RECURSE_WINDOWFUNCS |
												 PVC_RECURSE_PLACEHOLDERS));
		vars = list_concat(vars, pull_var_clause(query->havingQual,
												 PVC_RECURSE_AGGREGATES |
												 PVC_RECURSE_WINDOWFUNCS |
												 PVC_RECURSE_PLACEHOLDERS));
		foreach(lc2, vars)
		{
			Var		   *var = lfirst(lc2);
			RangeTblEntry *rte;
			Form_pg_attribute attr;

			if (var->varlevelsup != 0 || var->varattno <= 0)
				continue;
			rte = rt_fetch(var->varno, query->rtable);
			if (rte->rtekind != RTE_RELATION || rte->relid != base ||
				var->varattno > bdesc->natts)
				continue;
			attr = TupleDescAttr(bdesc, var->varattno - 1);
			if (attr->attisdropped || attr->atttypid != var->vartype ||
				attr->atttypmod != var->vartypmod ||
				attr->attcollation != var->varcollid)
				ereport(ERROR,
						errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
						errmsg("cannot change column %d of table \"%s\" because incrload view \"%s\" uses it",
							   var->varattno, RelationGetRelationName(brel),
							   get_rel_name(row.view)),
						errhint("Unregister the view with incrload_unregister_view() first, then register it again."));
		}
	}

	/* retyped columns no view reads: their delta columns go */
	for (int i = 0; OidIsValid(delta) && i < bdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(bdesc, i);
		AttrNumber	dattnum;
		Oid			dtype;
		int32		dtypmod;
		Oid			dcoll;

		if (attr->attisdropped)
			continue;
		dattnum = get_attnum(delta, NameStr(attr->attname));
		if (dattnum == InvalidAttrNumber)
			continue;
		get_atttypetypmodcoll(delta, dattnum, &dtype, &dtypmod, &dcoll);
		if (dtype != attr->atttypid || dtypmod != attr->atttypmod ||
			dcoll != attr->attcollation)
			il_capture_run_ddl(psprintf("ALTER TABLE %s DROP COLUMN %s",
										quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
																   get_rel_name(delta)),
										quote_identifier(NameStr(attr->attname))));
	}
	table_close(brel, AccessShareLock);

	check_capture_triggers(base);
	foreach(lc, il_catalog_partitions(base))
	{
		Relation	part = table_open(lfirst_oid(lc), AccessShareLock);

		if (part->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_IN_USE),
					errmsg("cannot make partition \"%s\" unlogged while incrload views read table \"%s\"",
						   RelationGetRelationName(part), get_rel_name(base)),
					errdetail("A crash empties an unlogged table without running its triggers."),
					errhint("Unregister the views with incrload_unregister_view() first."));
		table_close(part, AccessShareLock);
		check_capture_triggers(lfirst_oid(lc));
	}
}

/* CREATE TABLE ... PARTITION OF / INHERITS a captured table. */
static void
handle_create(CreateStmt *stmt)
{
	Oid			relid;
	ListCell   *lc;

	if (stmt->inhRelations == NIL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	foreach(lc, stmt->inhRelations)
	{
		Oid			parent = RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true);
		Oid			root;

		if (!OidIsValid(parent))
			continue;
		root = captured_root(parent);
		if (!OidIsValid(root))
			continue;
		if (stmt->partbound != NULL)
			il_capture_attach(root, relid, false);
		else
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_IN_USE),
					errmsg("cannot create table \"%s\" as an inheritance child of table \"%s\" while incrload views read it",
						   stmt->relation->relname, get_rel_name(parent)),
					errdetail("The views read the table with its children, but capture sees only the table's own changes."),
					errhint("Unregister the views first, or use a partitioned table."));
	}
}

static void
handle_alter_table(AlterTableStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid))
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		Oid			root;
		Oid			other;

		switch (cmd->subtype)
		{
			case AT_AttachPartition:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
				root = captured_root(relid);
				other = RangeVarGetRelid(((PartitionCmd *) cmd->def)->name,
										 NoLock, true);
				if (!OidIsValid(root) || !OidIsValid(other))
					break;
				if (cmd->subtype == AT_AttachPartition)
					il_capture_attach(root, other, true);
				else
					il_capture_detach(root, other, false);
				break;
			case AT_AddInherit:
				other = RangeVarGetRelid((RangeVar *) cmd->def, NoLock, true);
				if (OidIsValid(other) && OidIsValid(captured_root(other)))
					ereport(ERROR,
							errcode(ERRCODE_OBJECT_IN_USE),
							errmsg("cannot make table \"%s\" inherit from table \"%s\" while incrload views read it",
								   get_rel_name(relid), get_rel_name(other)),
							errdetail("The views read the table with its children, but capture sees only the table's own changes."),
							errhint("Unregister the views first, or use a partitioned table."));
				break;
			default:
				break;
		}
	}
}

/*
 * Deparse every view's tree again and keep the text when a rename changed
 * it.  A view whose tree is not usable here (restored, not applied yet)
 * keeps its text: that text is what the first apply reads.
 */
static void
refresh_query_texts(void)
{
	ListCell   *lc;

	foreach(lc, il_catalog_all_views())
	{
		IncrloadView row;
		char	   *def;

		if (!il_catalog_read_view(lfirst_oid(lc), false, &row) ||
			row.query_tree == NULL)
			continue;
		def = il_analyze_querydef((Query *) stringToNode(row.query_tree));
		if (strcmp(def, row.query) != 0)
			il_catalog_set_query_text(row.view, def, row.query_tree);
	}
}

/*
 * CREATE OR REPLACE of a view or function that a registered view reads,
 * directly or through other views.  A replaced view may read other tables
 * than capture watches: refused.  A replaced function may compute other
 * values than the storage table holds: the view is recomputed at its next
 * apply (needs_full_refresh), which this transaction commits with the new
 * definition.
 */
static void
check_replaced(Oid objid, bool is_view)
{
	ListCell   *lc;

	foreach(lc, il_catalog_all_views())
	{
		IncrloadView row;
		List	   *views;
		List	   *functions;

		if (!il_catalog_read_view(lfirst_oid(lc), false, &row) ||
			row.query_tree == NULL)
			continue;
		il_normalize_objects_read((Query *) stringToNode(row.query_tree),
								  &views, &functions);
		/* a plain view an auxiliary view was made of */
		views = list_concat_unique_oid(views,
									   il_catalog_views_depended_on(row.view));
		if (is_view && list_member_oid(views, objid))
			ereport(ERROR,
					errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					errmsg("cannot replace view \"%s\" because incrload view \"%s\" reads it",
						   get_rel_name(objid),
						   get_rel_name(il_catalog_top_view(row.view))),
					errdetail("The new definition may read tables whose changes are not captured."),
					errhint("Unregister the view with incrload_unregister_view(), replace the view, then register it again."));
		if (!is_view && list_member_oid(functions, objid) && !row.full_mode)
		{
			il_catalog_set_state(row.view, "needs_full_refresh");
			ereport(NOTICE,
					errmsg("incrload view \"%s\" will be recomputed at its next refresh",
						   get_rel_name(row.view)),
					errdetail("It calls function %s, which was replaced.",
							  format_procedure(objid)));
		}
	}
}

PG_FUNCTION_INFO_V1(incrload_on_ddl_end);

Datum
incrload_on_ddl_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *stmt;
	int			ret;
	List	   *altered = NIL;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_on_ddl_end\" was not called by event trigger manager"));
	trigdata = (EventTriggerData *) fcinfo->context;
	stmt = trigdata->parsetree;
	if (il_capture_ignore_event())
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (IsA(stmt, RenameStmt) &&
		((RenameStmt *) stmt)->renameType == OBJECT_COLUMN &&
		((RenameStmt *) stmt)->relation != NULL)
	{
		RenameStmt *rs = (RenameStmt *) stmt;
		Oid			relid = RangeVarGetRelid(rs->relation, NoLock, true);

		/* a column of a partitioned table is renamed in its partitions too */
		if (OidIsValid(relid))
			rename_delta_column(relid, rs->subname, rs->newname);
	}
	else if (IsA(stmt, CreateStmt))
		handle_create((CreateStmt *) stmt);
	else if (IsA(stmt, AlterTableStmt))
		handle_alter_table((AlterTableStmt *) stmt);

	if (trigdata->tag == CMDTAG_CREATE_VIEW || trigdata->tag == CMDTAG_CREATE_FUNCTION)
	{
		ret = SPI_execute("SELECT DISTINCT objid FROM pg_catalog.pg_event_trigger_ddl_commands()",
						  true, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read the DDL commands");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				altered = lappend_oid(altered, DatumGetObjectId(d));
		}
		foreach(lc, altered)
			check_replaced(lfirst_oid(lc), trigdata->tag == CMDTAG_CREATE_VIEW);
		SPI_finish();
		PG_RETURN_VOID();
	}

	ret = SPI_execute("SELECT DISTINCT objid FROM pg_catalog.pg_event_trigger_ddl_commands() "
					  "WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the DDL commands");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			altered = lappend_oid(altered, DatumGetObjectId(d));
	}
	foreach(lc, altered)
	{
		Oid			relid = lfirst_oid(lc);
		Oid			root;

		if (get_rel_name(relid) == NULL)
			continue;
		root = captured_root(relid);
		if (OidIsValid(root))
			check_captured(root);
	}

	if (!IsA(stmt, CreateStmt))
		refresh_query_texts();
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * ddl_command_start: what a registered view, its storage table and sets,
 * and delta tables must not become, refused before anything is done.
 *
 * A registered view shows the rows incrload maintains: replacing its
 * definition, adding rules or INSTEAD OF triggers, changing its options or
 * owner would make it show something else, or run its owner's code as
 * whoever reads it.  Its storage table and sets hold those rows: row
 * security, policies, rules, triggers, columns, constraints, an owner,
 * inheritance or a partition parent would make the applies (which run as
 * the owner) or the readers see or write something else.  A delta table
 * is capture's.  Indexes, storage parameters, statistics targets,
 * tablespaces, comments and privileges stay free, and a registered view
 * may be renamed or moved to another schema.
 *
 * Capture triggers (incrload_capture()) and guards (incrload_guard()) are
 * ours: a trigger calling either is refused unless it is exactly the one
 * incrload would create there, which is what pg_restore creates.
 */
static bool
is_incrload_trigger_name(const char *name)
{
	return strcmp(name, INCRLOAD_GUARD_TRIGGER) == 0 ||
		il_capture_trigger_firing(name) != 0;
}

/* relid, if the command names one of our relations; else InvalidOid. */
static Oid
ours(RangeVar *rv, IncrloadRelKind *kind, Oid *view)
{
	Oid			relid;

	*kind = IL_REL_OTHER;
	*view = InvalidOid;
	if (rv == NULL)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	*kind = il_guard_classify(relid, view);
	return *kind == IL_REL_OTHER ? InvalidOid : relid;
}

static void refuse_ddl(const char *what, IncrloadRelKind kind, Oid relid, Oid view);

/* Refuse what (a verb phrase) when rv names one of our relations. */
static void
refuse_if_ours(RangeVar *rv, const char *what)
{
	IncrloadRelKind kind;
	Oid			view;
	Oid			relid = ours(rv, &kind, &view);

	if (OidIsValid(relid))
		refuse_ddl(what, kind, relid, view);
}

static void
refuse_ddl(const char *what, IncrloadRelKind kind, Oid relid, Oid view)
{
	switch (kind)
	{
		case IL_REL_VIEW:
			ereport(ERROR,
					errcode(ERRCODE_WRONG_OBJECT_TYPE),
					errmsg("cannot %s incrload view \"%s\"", what, get_rel_name(relid)),
					errdetail("incrload maintains the view; only its name, schema, comment and privileges may change."),
					errhint("Unregister it with incrload_unregister_view() first."));
			break;
		case IL_REL_STORAGE:
		case IL_REL_SET:
			ereport(ERROR,
					errcode(ERRCODE_WRONG_OBJECT_TYPE),
					errmsg("cannot %s table \"%s\" of incrload view \"%s\"",
						   what, get_rel_name(relid), get_rel_name(view)),
					errdetail("It holds the view's rows, which incrload maintains; only indexes, storage parameters, comments and privileges may change."),
					errhint("Unregister the view with incrload_unregister_view() first."));
			break;
		case IL_REL_DELTA:
			ereport(ERROR,
					errcode(ERRCODE_WRONG_OBJECT_TYPE),
					errmsg("cannot %s incrload's delta table \"%s\"", what, get_rel_name(relid)),
					errdetail("Capture writes the changes of table \"%s\" into it, and the views that read that table rely on them.",
							  get_rel_name(view)),
					errhint("Unregister those views first."));
			break;
		case IL_REL_OTHER:
			break;
	}
}

/* The ALTER TABLE subcommands that change nothing a view's rows depend on. */
static bool
harmless_subcommand(AlterTableCmd *cmd)
{
	switch (cmd->subtype)
	{
		case AT_SetRelOptions:
		case AT_ResetRelOptions:
		case AT_ReplaceRelOptions:
		case AT_SetStatistics:
		case AT_SetOptions:
		case AT_ResetOptions:
		case AT_SetStorage:
		case AT_SetCompression:
		case AT_ClusterOn:
		case AT_DropCluster:
		case AT_SetTableSpace:
		case AT_ReplicaIdentity:
			return true;
		case AT_EnableTrig:
		case AT_EnableAlwaysTrig:
		case AT_EnableReplicaTrig:
			/*
			 * pg_restore makes our triggers fire as they did (ENABLE REPLICA
			 * for the row trigger, also on a storage table another view
			 * reads); ddl_command_end checks that it is how they must
			 */
			return cmd->name != NULL && is_incrload_trigger_name(cmd->name);
		default:
			return false;
	}
}

static void
start_alter_table(AlterTableStmt *stmt)
{
	IncrloadRelKind kind;
	Oid			view;
	Oid			relid = ours(stmt->relation, &kind, &view);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		/* one of ours as the child of another table */
		if (cmd->subtype == AT_AttachPartition)
			refuse_if_ours(((PartitionCmd *) cmd->def)->name, "attach as a partition");
		if (cmd->subtype == AT_AddInherit)
			refuse_if_ours((RangeVar *) cmd->def, "inherit from");
		if (OidIsValid(relid) && (kind == IL_REL_VIEW || !harmless_subcommand(cmd)))
			refuse_ddl("alter", kind, relid, view);
	}
}

/*
 * A trigger calling incrload_capture() or incrload_guard(): only the one
 * incrload would create, where it would create it.
 */
static bool
own_trigger(CreateTrigStmt *stmt, Oid relid, IncrloadRelKind kind, bool guard)
{
	bool		old_table = false;
	bool		new_table = false;
	ListCell   *lc;

	if (stmt->replace || stmt->isconstraint ||
		stmt->columns != NIL || stmt->whenClause != NULL || stmt->args != NIL)
		return false;
	foreach(lc, stmt->transitionRels)
	{
		TriggerTransition *tt = lfirst_node(TriggerTransition, lc);

		if (tt->isNew)
			new_table = true;
		else
			old_table = true;
	}
	if (guard)
		return strcmp(stmt->trigname, INCRLOAD_GUARD_TRIGGER) == 0 && !stmt->row &&
			(kind == IL_REL_STORAGE || kind == IL_REL_SET || kind == IL_REL_DELTA) &&
			stmt->timing == TRIGGER_TYPE_BEFORE && !old_table && !new_table &&
			stmt->events == (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
							 TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE);
	if (!OidIsValid(captured_root(relid)) ||
		stmt->timing != TRIGGER_TYPE_AFTER)
		return false;
	return il_capture_trigger_shape(stmt->trigname, stmt->events, stmt->row,
									old_table, new_table);
}

static void
start_create_trigger(CreateTrigStmt *stmt)
{
	IncrloadRelKind kind;
	Oid			view;
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid			func = LookupFuncName(stmt->funcname, 0, NULL, true);
	char	   *fname = OidIsValid(func) ? get_func_name(func) : NULL;
	bool		our_func;

	if (!OidIsValid(relid))
		return;
	kind = il_guard_classify(relid, &view);
	our_func = OidIsValid(func) &&
		get_func_namespace(func) == get_namespace_oid(il_catalog_extension_schema(), false) &&
		(strcmp(fname, "incrload_capture") == 0 || strcmp(fname, "incrload_guard") == 0);
	if (our_func && own_trigger(stmt, relid, kind, strcmp(fname, "incrload_guard") == 0))
		return;
	if (our_func)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				errmsg("cannot create trigger \"%s\" on table \"%s\" calling function %s()",
					   stmt->trigname, get_rel_name(relid), fname),
				errdetail("Only incrload installs its triggers, one of each per table: another would capture changes twice, or none."),
				errhint("Register a view over the table with incrload_register_view()."));
	if (kind != IL_REL_OTHER)
		refuse_ddl("create a trigger on", kind, relid, view);

	/* replacing one of ours (CREATE OR REPLACE TRIGGER) */
	if (stmt->replace && is_incrload_trigger_name(stmt->trigname) &&
		OidIsValid(captured_root(relid)))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_IN_USE),
				errmsg("cannot replace trigger \"%s\" on table \"%s\"",
					   stmt->trigname, get_rel_name(relid)),
				errdetail("incrload views read the table; without the trigger their changes would be lost."),
				errhint("Unregister the views with incrload_unregister_view() first."));
}

static void
start_rename(RenameStmt *stmt)
{
	IncrloadRelKind kind;
	Oid			view;
	Oid			relid = ours(stmt->relation, &kind, &view);

	switch (stmt->renameType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_FOREIGN_TABLE:
			/* a registered view may change its name; the tables are found by theirs */
			if (OidIsValid(relid) && kind != IL_REL_VIEW)
				refuse_ddl("rename", kind, relid, view);
			break;
		case OBJECT_COLUMN:
			if (OidIsValid(relid))
				refuse_ddl("rename a column of", kind, relid, view);
			break;
		case OBJECT_TRIGGER:
			if (OidIsValid(relid))
				refuse_ddl("rename a trigger of", kind, relid, view);
			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
			if (OidIsValid(relid) && is_incrload_trigger_name(stmt->subname) &&
				OidIsValid(captured_root(relid)))
				ereport(ERROR,
						errcode(ERRCODE_OBJECT_IN_USE),
						errmsg("cannot rename trigger \"%s\" on table \"%s\"",
							   stmt->subname, get_rel_name(relid)),
						errdetail("incrload finds its triggers by name."),
						errhint("Unregister the views with incrload_unregister_view() first."));
			break;
		default:
			break;
	}
}

static void
start_set_schema(AlterObjectSchemaStmt *stmt)
{
	IncrloadRelKind kind;
	Oid			view;
	Oid			relid;

	if (stmt->objectType != OBJECT_TABLE && stmt->objectType != OBJECT_VIEW &&
		stmt->objectType != OBJECT_FOREIGN_TABLE)
		return;
	relid = ours(stmt->relation, &kind, &view);
	/* an auxiliary view stays with the tables in schema incrload */
	if (OidIsValid(relid) &&
		(kind != IL_REL_VIEW || get_rel_namespace(relid) == il_catalog_namespace()))
		refuse_ddl("move", kind, relid, view);
}

PG_FUNCTION_INFO_V1(incrload_on_ddl_start);

Datum
incrload_on_ddl_start(PG_FUNCTION_ARGS)
{
	Node	   *stmt;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_on_ddl_start\" was not called by event trigger manager"));
	stmt = ((EventTriggerData *) fcinfo->context)->parsetree;
	if (il_capture_ignore_event())
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	switch (nodeTag(stmt))
	{
		case T_ViewStmt:
			if (((ViewStmt *) stmt)->replace)
				refuse_if_ours(((ViewStmt *) stmt)->view, "replace");
			break;
		case T_AlterTableStmt:
			start_alter_table((AlterTableStmt *) stmt);
			break;
		case T_CreateTrigStmt:
			start_create_trigger((CreateTrigStmt *) stmt);
			break;
		case T_RuleStmt:
			refuse_if_ours(((RuleStmt *) stmt)->relation, "create a rule on");
			break;
		case T_CreatePolicyStmt:
			refuse_if_ours(((CreatePolicyStmt *) stmt)->table, "create a policy on");
			break;
		case T_AlterPolicyStmt:
			refuse_if_ours(((AlterPolicyStmt *) stmt)->table, "alter a policy on");
			break;
		case T_RenameStmt:
			start_rename((RenameStmt *) stmt);
			break;
		case T_AlterObjectSchemaStmt:
			start_set_schema((AlterObjectSchemaStmt *) stmt);
			break;
		case T_CreateStmt:
		case T_CreateForeignTableStmt:
			foreach(lc, ((CreateStmt *) stmt)->inhRelations)
				refuse_if_ours(lfirst_node(RangeVar, lc), "inherit from");
			break;
		default:
			break;
	}
	SPI_finish();
	PG_RETURN_VOID();
}
