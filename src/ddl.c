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
 * What is left is capture, which PostgreSQL knows nothing about:
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
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "analyze.h"
#include "capture.h"
#include "catalog.h"
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
	if (il_capture_in_own_ddl() ||
		!OidIsValid(get_extension_oid("incrload", true)) ||
		!OidIsValid(get_namespace_oid(INCRLOAD_SCHEMA, true)))
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
