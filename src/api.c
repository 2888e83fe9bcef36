/*-------------------------------------------------------------------------
 *
 * api.c
 *	  The SQL-callable functions: check the arguments and the caller's
 *	  rights, then call into the files that do the work.
 *
 * Registration and unregistration are all-or-nothing: everything they do
 * (tables, triggers, grants, catalog rows) is transactional DDL in the
 * caller's transaction, so an error leaves nothing half-made.
 *
 * IDENTIFICATION
 *	  src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "analyze.h"
#include "apply.h"
#include "capture.h"
#include "catalog.h"
#include "delta.h"
#include "storage.h"
#include "incrload.h"

static void check_not_null(FunctionCallInfo fcinfo, int argno, const char *name);
static void check_writable(const char *what);
static void check_interval(const char *name, Datum value, bool zero_ok);
static void check_owner(Oid view);
static void run_sql(const char *sql, bool as_catalog_owner);
static char *qualified_relname(Oid relid);
static void unregister(IncrloadView *row, bool keep_data, bool dropped,
					   List *dropped_relids);

static void
check_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("argument \"%s\" must not be null", name));
}

/* A setting that must be positive (or, where zero_ok, zero: off). */
static void
check_interval(const char *name, Datum value, bool zero_ok)
{
	Interval	zero;
	int			cmp;

	memset(&zero, 0, sizeof(zero));
	cmp = DatumGetInt32(DirectFunctionCall2(interval_cmp, value,
											IntervalPGetDatum(&zero)));
	if (cmp < 0 && zero_ok)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must not be negative", name),
				errhint("Zero turns it off."));
	if (cmp <= 0 && !zero_ok)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must be greater than zero", name));
}

static void
check_writable(const char *what)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				errmsg("cannot %s during recovery", what),
				errhint("Run it on the primary server."));
}

static void
check_owner(Oid view)
{
	if (!pg_class_ownercheck(view, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_VIEW, get_rel_name(view));
}

static void
run_sql(const char *sql, bool as_catalog_owner)
{
	Oid			save_uid;
	int			save_sec;
	int			ret;

	if (as_catalog_owner)
		il_catalog_become_owner(&save_uid, &save_sec);
	ret = SPI_execute(sql, false, 0);
	if (as_catalog_owner)
		il_catalog_restore_user(save_uid, save_sec);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(ret));
}

static char *
qualified_relname(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/* Is a registered view (or one being registered) known by this backend? */
static bool
is_registered(Oid view, IncrloadView *row)
{
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	found = il_catalog_read_view(view, false, row);
	SPI_finish();
	return found;
}

static void
check_registered(Oid view)
{
	IncrloadView row;

	if (!is_registered(view, &row))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("relation \"%s\" is not a registered incrload view",
					   get_rel_name(view)),
				errhint("Register it with incrload_register_view()."));
}

PG_FUNCTION_INFO_V1(incrload_register_view);

Datum
incrload_register_view(PG_FUNCTION_ARGS)
{
	char	   *view_name;
	char	   *query_text;
	Datum		refresh_interval;
	char	   *mode;
	bool		incremental;
	List	   *names;
	RangeVar   *rv;
	Oid			nsp;
	IncrloadQuery *q;
	Oid			caller = GetUserId();
	Oid			storage;
	Oid			view;
	char	   *storage_name;
	ListCell   *lc;
	IncrloadApplyResult result;

	check_not_null(fcinfo, 0, "view_name");
	check_not_null(fcinfo, 1, "query");
	check_not_null(fcinfo, 2, "refresh_interval");
	check_not_null(fcinfo, 3, "mode");
	check_writable("register a view");
	view_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	query_text = text_to_cstring(PG_GETARG_TEXT_PP(1));
	refresh_interval = PG_GETARG_DATUM(2);
	mode = text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (strcmp(mode, "incremental") == 0)
		incremental = true;
	else if (strcmp(mode, "full") == 0)
		incremental = false;
	else
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid mode \"%s\"", mode),
				errhint("The mode is 'incremental' or 'full'."));
	check_interval("refresh_interval", refresh_interval, false);
	if (!PG_ARGISNULL(4))
		check_interval("verify_interval", PG_GETARG_DATUM(4), true);

	/*
	 * The fill below must see every change that was not captured: a
	 * transaction snapshot taken before the capture triggers' locks were
	 * granted would not.
	 */
	if (incremental && IsolationUsesXactSnapshot())
		ereport(ERROR,
				errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				errmsg("incrload_register_view() cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				errdetail("Changes committed while the capture triggers were being installed would be lost."),
				errhint("Register the view in a READ COMMITTED transaction."));

	names = textToQualifiedNameList(PG_GETARG_TEXT_PP(0));
	rv = makeRangeVarFromNameList(names);
	if (rv->relpersistence == RELPERSISTENCE_TEMP || (rv->schemaname &&
													  strcmp(rv->schemaname, "pg_temp") == 0))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("a registered view cannot be temporary"));
	nsp = RangeVarGetAndCheckCreationNamespace(rv, NoLock, NULL);
	if (isTempNamespace(nsp))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("a registered view cannot be temporary"));
	if (nsp == il_catalog_namespace())
		ereport(ERROR,
				errcode(ERRCODE_INVALID_SCHEMA_NAME),
				errmsg("a registered view cannot be created in schema \"%s\"",
					   INCRLOAD_SCHEMA),
				errhint("Schema \"%s\" is for incrload's internal tables.",
						INCRLOAD_SCHEMA));
	if (OidIsValid(get_relname_relid(rv->relname, nsp)))
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_TABLE),
				errmsg("relation \"%s\" already exists", view_name),
				errhint("Choose another name, or unregister the existing view with incrload_unregister_view()."));

	q = il_analyze_query(query_text, incremental);

	il_analyze_check_indexes(q, view_name);

	/* the registering role owns the view and must be able to read it all */
	foreach(lc, q->base_relids)
	{
		Oid			base = lfirst_oid(lc);

		if (pg_class_aclcheck(base, caller, ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("permission denied for table %s", get_rel_name(base)),
					errdetail("Registering a view needs SELECT on the whole table, not only on some columns."));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* capture on every base table, readable by the view's owner */
	foreach(lc, q->base_relids)
	{
		Oid			delta = il_capture_install(lfirst_oid(lc));

		run_sql(psprintf("GRANT SELECT ON %s TO %s", qualified_relname(delta),
						 quote_identifier(GetUserNameFromId(caller, false))),
				true);
	}

	/* the storage table, owned by the registering role */
	storage_name = ChooseRelationName(rv->relname, NULL, "storage",
									  il_catalog_namespace(), false);
	/* with the auxiliary tables of count(DISTINCT) and the like */
	run_sql(il_storage_ddl(q, storage_name, GetUserNameFromId(caller, false)),
			true);
	storage = get_relname_relid(storage_name, il_catalog_namespace());

	/* the view, created as the caller: its schema's privileges apply */
	{
		int			nest = NewGUCNestLevel();

		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		run_sql(psprintf("CREATE VIEW %s AS %s",
						 quote_qualified_identifier(get_namespace_name(nsp), rv->relname),
						 il_storage_view_sql(q, storage)), false);
		AtEOXact_GUC(true, nest);
	}
	view = get_relname_relid(rv->relname, nsp);

	/*
	 * What the query reads, as a plain view's rule records it: DROP TABLE
	 * of a base table, or DROP / ALTER TYPE of a column the query uses, is
	 * refused (naming the view) instead of pulling the rows out from under
	 * it.
	 */
	il_catalog_record_dependencies(view, q->query);
	il_catalog_insert_view(view, storage, q->querydef,
						   nodeToString(q->query), !incremental,
						   refresh_interval, caller, q->base_relids);
	if (!PG_ARGISNULL(4))
	{
		Datum		verify_interval = PG_GETARG_DATUM(4);

		il_catalog_alter_view(view, NULL, &verify_interval, NULL);
	}
	CommandCounterIncrement();

	/* fill it: a full apply, which also sets the first watermark */
	il_apply_view(view, IL_APPLY_FULL, &result);

	SPI_finish();

	if (!incrload_preloaded)
		ereport(WARNING,
				errmsg("incrload is not in shared_preload_libraries, so nothing refreshes view \"%s\" in the background",
					   view_name),
				errhint("Call incrload_refresh() yourself, or add incrload to shared_preload_libraries and restart."));

	PG_RETURN_OID(view);
}

PG_FUNCTION_INFO_V1(incrload_refresh);

Datum
incrload_refresh(PG_FUNCTION_ARGS)
{
	Oid			view;
	IncrloadApplyResult result;

	check_not_null(fcinfo, 0, "view");
	check_writable("refresh a view");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	il_apply_view(view, IL_APPLY_INCREMENTAL, &result);
	PG_RETURN_INT64(result.consumed);
}

PG_FUNCTION_INFO_V1(incrload_full_refresh);

Datum
incrload_full_refresh(PG_FUNCTION_ARGS)
{
	Oid			view;
	IncrloadApplyResult result;

	check_not_null(fcinfo, 0, "view");
	check_writable("refresh a view");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	il_apply_view(view, IL_APPLY_FULL, &result);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(incrload_verify);

Datum
incrload_verify(PG_FUNCTION_ARGS)
{
	Oid			view;
	IncrloadApplyResult result;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	check_not_null(fcinfo, 0, "view");
	check_writable("verify a view");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	il_apply_view(view, IL_APPLY_VERIFY, &result);
	values[0] = Int64GetDatum(result.missing);
	values[1] = Int64GetDatum(result.extra);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc),
													  values, nulls)));
}

/*
 * Forget a view: catalog rows, storage table, and the capture of base
 * tables no other view reads.  With keep_data the view's relation is
 * replaced by a plain table holding its rows; with dropped it is gone
 * already (sql_drop), and so may be anything in dropped_relids.
 */
static void
unregister(IncrloadView *row, bool keep_data, bool dropped,
		   List *dropped_relids)
{
	List	   *bases = il_catalog_view_bases(row->view);
	ListCell   *lc;

	il_catalog_delete_view(row->view);
	CommandCounterIncrement();

	if (!dropped)
	{
		char	   *qual = qualified_relname(row->view);

		if (keep_data)
		{
			Oid			nsp = get_rel_namespace(row->view);
			char	   *relname = get_rel_name(row->view);
			char	   *tmp = ChooseRelationName(relname, NULL, "unregistered",
												 nsp, false);
			char	   *tmpqual = quote_qualified_identifier(get_namespace_name(nsp), tmp);

			run_sql(psprintf("CREATE TABLE %s AS SELECT * FROM %s", tmpqual, qual),
					false);
			run_sql(psprintf("DROP VIEW %s", qual), false);
			run_sql(psprintf("ALTER TABLE %s RENAME TO %s", tmpqual,
							 quote_identifier(relname)), false);
		}
		else
			run_sql(psprintf("DROP VIEW %s", qual), false);
	}
	if (get_rel_name(row->storage) != NULL &&
		!list_member_oid(dropped_relids, row->storage))
		run_sql(il_storage_drop_sql(row->storage), true);

	foreach(lc, bases)
	{
		Oid			base = lfirst_oid(lc);

		if (il_catalog_base_views(base) == NIL)
			il_capture_remove(base, list_member_oid(dropped_relids, base) ||
							  get_rel_name(base) == NULL);
	}
}

PG_FUNCTION_INFO_V1(incrload_unregister_view);

Datum
incrload_unregister_view(PG_FUNCTION_ARGS)
{
	Oid			view;
	bool		drop_table;
	IncrloadView row;

	check_not_null(fcinfo, 0, "view");
	check_not_null(fcinfo, 1, "drop_table");
	check_writable("unregister a view");
	view = PG_GETARG_OID(0);
	drop_table = PG_GETARG_BOOL(1);
	check_registered(view);
	check_owner(view);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* wait for an apply in flight, and keep new ones out */
	if (!il_catalog_read_view(view, true, &row))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("relation \"%s\" is not a registered incrload view",
					   get_rel_name(view)));
	unregister(&row, !drop_table, false, NIL);
	SPI_finish();
	PG_RETURN_VOID();
}

static void
set_state(FunctionCallInfo fcinfo, const char *state)
{
	Oid			view;
	IncrloadView row;

	check_not_null(fcinfo, 0, "view");
	check_writable("change a view's state");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (il_catalog_read_view(view, true, &row))
		il_catalog_set_state(view, state);
	SPI_finish();
	il_incrload_wake_workers();
}

PG_FUNCTION_INFO_V1(incrload_alter_view);

Datum
incrload_alter_view(PG_FUNCTION_ARGS)
{
	Oid			view;
	IncrloadView row;
	Datum		refresh_interval = PG_GETARG_DATUM(1);
	Datum		verify_interval = PG_GETARG_DATUM(2);
	bool		repair = PG_GETARG_BOOL(3);

	check_not_null(fcinfo, 0, "view");
	check_writable("alter a view");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	if (!PG_ARGISNULL(1))
		check_interval("refresh_interval", refresh_interval, false);
	if (!PG_ARGISNULL(2))
		check_interval("verify_interval", verify_interval, true);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* after an apply in flight, which holds the row */
	if (il_catalog_read_view(view, true, &row))
		il_catalog_alter_view(view,
							  PG_ARGISNULL(1) ? NULL : &refresh_interval,
							  PG_ARGISNULL(2) ? NULL : &verify_interval,
							  PG_ARGISNULL(3) ? NULL : &repair);
	SPI_finish();
	il_incrload_wake_workers();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(incrload_pause);

Datum
incrload_pause(PG_FUNCTION_ARGS)
{
	set_state(fcinfo, "paused");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(incrload_resume);

Datum
incrload_resume(PG_FUNCTION_ARGS)
{
	set_state(fcinfo, "active");
	PG_RETURN_VOID();
}

/*
 * sql_drop: a registered view's relation was dropped (directly, or with
 * CASCADE from a base table): unregister it.  A captured base table was
 * dropped: remove its delta table.
 */
PG_FUNCTION_INFO_V1(incrload_on_sql_drop);

/*
 * sql_drop: a registered view's relation was dropped (directly, or with
 * CASCADE from what its query reads): unregister it.  A captured base
 * table was dropped: remove its delta table.  A partition of a captured
 * table was dropped: its rows left the views' base table without any
 * trigger firing, so the views recompute.  Dropping capture itself (a
 * delta table or a capture trigger) while views need it is refused.
 */
Datum
incrload_on_sql_drop(PG_FUNCTION_ARGS)
{
	List	   *dropped = NIL;
	List	   *triggers = NIL;
	ListCell   *lc;
	int			ret;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_on_sql_drop\" was not called by event trigger manager"));
	if (il_capture_in_own_ddl() ||
		!OidIsValid(get_extension_oid("incrload", true)) ||
		!OidIsValid(get_namespace_oid(INCRLOAD_SCHEMA, true)) ||
		!OidIsValid(get_relname_relid("view", il_catalog_namespace())))
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT objid, object_type, address_names[1], address_names[2], "
					  "address_names[3] "
					  "FROM pg_catalog.pg_event_trigger_dropped_objects() "
					  "WHERE (classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
					  "AND objsubid OPERATOR(pg_catalog.=) 0) "
					  "OR (object_type OPERATOR(pg_catalog.=) 'trigger' "
					  "AND address_names[3] OPERATOR(pg_catalog.~) '^incrload_capture_')",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the dropped objects");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d = SPI_getbinval(tup, desc, 1, &isnull);

		if (strcmp(SPI_getvalue(tup, desc, 2), "trigger") == 0)
		{
			/* address_names of a trigger: schema, table, trigger */
			Oid			nsp = get_namespace_oid(SPI_getvalue(tup, desc, 3), true);
			Oid			relid = OidIsValid(nsp) ?
				get_relname_relid(SPI_getvalue(tup, desc, 4), nsp) : InvalidOid;

			if (OidIsValid(relid))
				triggers = lappend(triggers,
								   list_make2(makeInteger((int) relid),
											  makeString(SPI_getvalue(tup, desc, 5))));
		}
		else
			dropped = lappend_oid(dropped, DatumGetObjectId(d));
	}

	/* capture that views still need: its triggers, its delta tables */
	foreach(lc, triggers)
	{
		Oid			relid = (Oid) intVal(linitial(lfirst(lc)));

		if (OidIsValid(il_catalog_delta_for(relid)) ||
			OidIsValid(il_catalog_partition_root(relid)))
			ereport(ERROR,
					errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					errmsg("cannot drop trigger \"%s\" on table \"%s\" while incrload views read the table",
						   strVal(lsecond(lfirst(lc))), get_rel_name(relid)),
					errhint("Unregister the views with incrload_unregister_view() first."));
	}

	foreach(lc, dropped)
	{
		Oid			relid = lfirst_oid(lc);
		IncrloadView row;

		if (il_catalog_read_view(relid, true, &row))
			unregister(&row, false, true, dropped);
	}
	foreach(lc, dropped)
	{
		Oid			relid = lfirst_oid(lc);
		Oid			root;

		if (OidIsValid(il_catalog_delta_for(relid)))
			il_capture_remove(relid, true);
		else if (OidIsValid(root = il_catalog_partition_root(relid)))
			il_capture_detach(root, relid, true);
	}

	/* a delta table dropped by hand, while its base table stays */
	foreach(lc, il_catalog_all_captured())
	{
		Oid			base = lfirst_oid(lc);

		if (list_member_oid(dropped, il_catalog_delta_for(base)))
			ereport(ERROR,
					errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					errmsg("cannot drop incrload's delta table of table \"%s\" while views read it",
						   get_rel_name(base)),
					errhint("Unregister the views over \"%s\" with incrload_unregister_view() first.",
							get_rel_name(base)));
	}
	SPI_finish();
	PG_RETURN_VOID();
}
