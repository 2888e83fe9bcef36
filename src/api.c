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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

#include "analyze.h"
#include "apply.h"
#include "capture.h"
#include "catalog.h"
#include "settings.h"
#include "compat.h"
#include "delta.h"
#include "explain.h"
#include "guard.h"
#include "guc.h"
#include "storage.h"
#include "top_n.h"
#include "incrload.h"
#include "register.h"

static void check_not_null(FunctionCallInfo fcinfo, int argno, const char *name);
static void check_writable(const char *what);
static void check_interval(const char *name, Datum value, bool zero_ok);
static void parse_limit(IncrloadLimit *limit, const char *name,
						const char *value, const char *setting, int current,
						int unit, int off);
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

/*
 * A view's own limit of its applies, written as the setting it overrides
 * takes it ('30s', '1GB'), or 'default' for that setting.  off is the
 * value that means no limit.  Only a superuser may loosen the server's
 * limit: it protects the server, not the view.
 */
static void
parse_limit(IncrloadLimit *limit, const char *name, const char *value,
			const char *setting, int current, int unit, int off)
{
	const char *hint = NULL;
	bool		looser;

	memset(limit, 0, sizeof(*limit));
	if (pg_strcasecmp(value, "default") == 0)
	{
		limit->server_default = true;
		return;
	}
	if (!parse_int(value, &limit->value, unit, &hint) || limit->value < off)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid value for %s: \"%s\"", name, value),
				hint ? errhint("%s", _(hint)) :
				errhint("Give a value as for %s (%d means no limit), or 'default'.",
						setting, off));
	looser = current != off && (limit->value == off || limit->value > current);
	if (looser && !superuser())
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to raise %s above %s", name, setting),
				errdetail("Only superusers can give a view a looser limit than the server's."));
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
	if (!il_owns_relation(view, GetUserId()))
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
	Oid			caller = GetUserId();
	Oid			view;

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

	/* the catalog (views read registered views) is read through SPI */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	view = il_register_view(nsp, rv->relname, il_analyze_parse(query_text),
							incremental, refresh_interval, caller, false, NULL);
	if (!PG_ARGISNULL(4))
	{
		Datum		verify_interval = PG_GETARG_DATUM(4);

		il_catalog_alter_view(view, NULL, &verify_interval, NULL, NULL, NULL, NULL);
	}

	SPI_finish();

	if (!incrload_preloaded)
		ereport(WARNING,
				errmsg("incrload is not in shared_preload_libraries, so nothing refreshes view \"%s\" in the background",
					   view_name),
				errhint("Call incrload_refresh() yourself, or add incrload to shared_preload_libraries and restart."));

	/* the worker schedules it at once (at commit) */
	il_incrload_wake_workers();
	PG_RETURN_OID(view);
}

/*
 * Apply a view as kind says, its auxiliary views first (register.c): an
 * auxiliary view's changes are the view's input.  A verify of a view
 * brings its auxiliary views up to date and then compares the view.
 */
static void
apply_with_auxes(Oid view, IncrloadApplyKind kind, IncrloadApplyResult *result)
{
	List	   *auxes;
	ListCell   *lc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	auxes = il_register_auxes(view);
	SPI_finish();
	foreach(lc, auxes)
	{
		IncrloadApplyResult r;

		il_apply_view(lfirst_oid(lc),
					  kind == IL_APPLY_VERIFY ? IL_APPLY_INCREMENTAL : kind, &r);
	}
	il_apply_view(view, kind, result);
}

/* How one aggregate of a view is kept, in words. */
static char *
describe_agg_upkeep(IncrloadAgg *agg)
{
	char	   *name = get_func_name(agg->aggref->aggfnoid);

	if (agg->distinct && agg->kind != IL_AGG_MIN && agg->kind != IL_AGG_MAX &&
		agg->kind != IL_AGG_RECOMPUTE)
		return psprintf("%s(DISTINCT): incremental (a count per group and value, in an auxiliary table)",
						name);
	switch (agg->kind)
	{
		case IL_AGG_COUNT_STAR:
		case IL_AGG_COUNT:
			return psprintf("%s: incremental (a running count)", name);
		case IL_AGG_BOOL_AND:
		case IL_AGG_BOOL_OR:
			return psprintf("%s: incremental (running counts of non-null and of %s values)",
							name, agg->kind == IL_AGG_BOOL_AND ? "false" : "true");
		case IL_AGG_VARIANCE:
			return psprintf("%s: incremental (a running count, sum and sum of squares)", name);
		case IL_AGG_SUM:
		case IL_AGG_AVG:
			return psprintf("%s: incremental (a running sum and a count of non-null values)", name);
		case IL_AGG_MIN:
		case IL_AGG_MAX:
			return psprintf("%s: incremental; a group whose %s value is deleted is recomputed from its rows",
							name, agg->kind == IL_AGG_MIN ? "smallest" : "largest");
		case IL_AGG_RECOMPUTE:
			return psprintf("%s: each changed group is recomputed from its rows", name);
		default:
			return psprintf("%s: incremental", name);
	}
}

static const char *
describe_kind(IncrloadQuery *q)
{
	switch (q->kind)
	{
		case IL_VIEW_PROJECT:
			if (q->recursion)
				return "recursive, UNION ALL (each row counted as often as the query derives it, the counts' change followed through the recursion)";
			return "rows (a count per distinct row)";
		case IL_VIEW_DISTINCT:
			if (q->recursion)
				return "recursive (the rows a WITH RECURSIVE query reaches: insertions followed semi-naively, deletions by delete and rederive)";
			return "DISTINCT rows";
		case IL_VIEW_AGG:
			return "GROUP BY (a row per group)";
		case IL_VIEW_GLOBAL:
			return "aggregates without GROUP BY (one row)";
		case IL_VIEW_SETOP:
			return "set operation (a count per arm per distinct row)";
		case IL_VIEW_FULL:
			return "full recomputation";
	}
	return "?";
}

/*
 * incrload_explain(query): could the query be maintained incrementally,
 * how, and if not, what stops it and what to do.  It goes through the
 * whole registration in a subtransaction it then rolls back, without the
 * first fill: nothing is registered, and no table is read.
 */
PG_FUNCTION_INFO_V1(incrload_explain);

Datum
incrload_explain(PG_FUNCTION_ARGS)
{
	char	   *query_text;
	TupleDesc	desc;
	Datum		values[9];
	bool		nulls[9];
	bool		show_sql = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	List	   *statements = NIL;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *edata = NULL;
	IncrloadQuery *q = NULL;
	List	   *bases = NIL;
	List	   *aggs = NIL;
	int			nauxes = 0;
	Interval	second;

	check_not_null(fcinfo, 0, "query");
	check_writable("explain a query");
	query_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(&second, 0, sizeof(second));
	second.time = USECS_PER_SEC;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		Oid			view;
		List	   *views;
		ListCell   *lc;
		ListCell   *lc2;

		view = il_register_view(il_catalog_namespace(),
								ChooseRelationName("incrload", NULL, "explain",
												   il_catalog_namespace(), false),
								il_analyze_parse(query_text), true,
								IntervalPGetDatum(&second), GetUserId(), true, &q);
		views = lappend_oid(il_register_auxes(view), view);
		nauxes = list_length(views) - 1;
		MemoryContextSwitchTo(oldcxt);
		foreach(lc, views)
			foreach(lc2, il_catalog_view_bases(lfirst_oid(lc)))
		{
			Oid			base = lfirst_oid(lc2);
			char	   *multiplicity;
			Oid			read_view = il_catalog_storage_view(base, &multiplicity);

			/* a registered view read is named, not its storage table */
			if (OidIsValid(read_view))
				base = read_view;
			if (get_rel_namespace(base) != il_catalog_namespace())
				bases = list_append_unique_oid(bases, base);
		}
		foreach(lc, q->aggs)
			aggs = lappend(aggs, describe_agg_upkeep(lfirst(lc)));
		{
			IncrloadView row;
			const char *kind = describe_kind(q);

			/* a top-N view's cut (top_n.c) */
			if (q->kind != IL_VIEW_FULL && il_top_n(q->query))
				kind = psprintf("%s, cut by its ORDER BY and LIMIT/OFFSET when read", kind);
			/* the settings it would keep, when its query reads some */
			if (il_catalog_read_view(view, false, &row) && row.settings != NIL)
				kind = psprintf("%s, with the settings it reads kept: %s", kind,
								il_settings_describe(row.settings));
			values[1] = CStringGetTextDatum(kind);
		}
		if (show_sql)
			foreach(lc, views)
				statements = list_concat(statements, il_apply_statements(lfirst_oid(lc)));
		MemoryContextSwitchTo(oldcxt);
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	SPI_finish();

	memset(nulls, true, sizeof(nulls));
	values[0] = BoolGetDatum(edata == NULL);
	nulls[0] = false;
	if (edata == NULL)
	{
		Datum	   *elems;
		ListCell   *lc;
		int			i = 0;

		nulls[1] = false;
		elems = palloc(sizeof(Datum) * Max(list_length(bases), 1));
		foreach(lc, bases)
			elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
		values[2] = PointerGetDatum(construct_array(elems, i, REGCLASSOID,
													sizeof(Oid), true, TYPALIGN_INT));
		nulls[2] = false;
		values[3] = Int32GetDatum(nauxes);
		nulls[3] = false;
		elems = palloc(sizeof(Datum) * Max(list_length(aggs), 1));
		i = 0;
		foreach(lc, aggs)
			elems[i++] = CStringGetTextDatum(lfirst(lc));
		values[4] = PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false,
													TYPALIGN_INT));
		nulls[4] = false;
		if (show_sql)
		{
			elems = palloc(sizeof(Datum) * Max(list_length(statements), 1));
			i = 0;
			foreach(lc, statements)
				elems[i++] = CStringGetTextDatum(lfirst(lc));
			values[8] = PointerGetDatum(construct_array(elems, i, TEXTOID, -1,
														false, TYPALIGN_INT));
			nulls[8] = false;
		}
	}
	else
	{
		values[5] = CStringGetTextDatum(edata->message);
		nulls[5] = false;
		if (edata->detail)
		{
			values[6] = CStringGetTextDatum(edata->detail);
			nulls[6] = false;
		}
		if (edata->hint)
		{
			values[7] = CStringGetTextDatum(edata->hint);
			nulls[7] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc),
													  values, nulls)));
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
	apply_with_auxes(view, IL_APPLY_INCREMENTAL, &result);
	PG_RETURN_INT64(result.consumed);
}

PG_FUNCTION_INFO_V1(incrload_refresh_explain);

/*
 * incrload_refresh(view, explain => true): an ordinary refresh that also
 * returns each statement it ran with its plan, as EXPLAIN (ANALYZE,
 * BUFFERS) shows it (explain.c); with explain => false, only the refresh.
 */
Datum
incrload_refresh_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			view;
	bool		explain;
	IncrloadApplyResult result;
	List	   *explained = NIL;
	ListCell   *lc;

	check_not_null(fcinfo, 0, "view");
	check_not_null(fcinfo, 1, "explain");
	check_writable("refresh a view");
	view = PG_GETARG_OID(0);
	explain = PG_GETARG_BOOL(1);
	check_registered(view);
	check_owner(view);
	InitMaterializedSRF(fcinfo, 0);
	if (explain)
		il_explain_start();
	PG_TRY();
	{
		apply_with_auxes(view, IL_APPLY_INCREMENTAL, &result);
		explained = il_explain_finish();
	}
	PG_CATCH();
	{
		il_explain_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	foreach(lc, explained)
	{
		IncrloadExplained *e = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ObjectIdGetDatum(e->view);
		values[1] = CStringGetTextDatum(e->statement);
		values[2] = CStringGetTextDatum(e->plan);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
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
	apply_with_auxes(view, IL_APPLY_FULL, &result);
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
	apply_with_auxes(view, IL_APPLY_VERIFY, &result);
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
	List	   *auxes = il_catalog_auxes(row->view);
	ListCell   *lc;

	/* registered views that read this one go first, or with it */
	foreach(lc, il_catalog_base_views(row->storage))
	{
		if (!list_member_oid(dropped_relids, lfirst_oid(lc)))
			ereport(ERROR,
					errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					errmsg("cannot unregister view \"%s\" because incrload view \"%s\" reads it",
						   get_rel_name(row->view), get_rel_name(lfirst_oid(lc))),
					errhint("Unregister the views that read it first (or DROP VIEW ... CASCADE)."));
	}

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

			Oid			save_uid;
			int			save_sec;
			int			nest;

			/*
			 * Reading the view runs its query's expressions (the owner's
			 * functions, in a HAVING, say): as the owner, restricted, as
			 * the applies do.  The table is hers, as the view was.
			 */
			GetUserIdAndSecContext(&save_uid, &save_sec);
			SetUserIdAndSecContext(row->owner, save_sec | SECURITY_RESTRICTED_OPERATION);
			nest = NewGUCNestLevel();
			(void) set_config_option("search_path", "pg_catalog, pg_temp",
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
			run_sql(psprintf("CREATE TABLE %s AS SELECT * FROM %s", tmpqual, qual),
					false);
			AtEOXact_GUC(false, nest);
			SetUserIdAndSecContext(save_uid, save_sec);
			run_sql(psprintf("DROP VIEW %s", qual), false);
			run_sql(psprintf("ALTER TABLE %s RENAME TO %s", tmpqual,
							 quote_identifier(relname)), false);
		}
		else
			run_sql(psprintf("DROP VIEW %s", qual), false);
	}
	if (get_rel_name(row->storage) != NULL &&
		!list_member_oid(dropped_relids, row->storage))
		/*
		 * CASCADE: anybody can make a view (or a function) that names the
		 * storage table (USAGE on schema incrload is PUBLIC's), which must
		 * not keep its owner from unregistering; registered readers were
		 * refused above.
		 */
		run_sql(psprintf("%s CASCADE", il_storage_drop_sql(row->storage)), true);

	foreach(lc, bases)
	{
		Oid			base = lfirst_oid(lc);

		if (il_catalog_base_views(base) == NIL)
			il_capture_remove(base, list_member_oid(dropped_relids, base) ||
							  get_rel_name(base) == NULL);
		else if (get_rel_name(base) != NULL)
			il_capture_lock_down(base);
	}

	/* the auxiliary views go with the view they serve */
	foreach(lc, auxes)
	{
		IncrloadView aux;

		if (il_catalog_read_view(lfirst_oid(lc), true, &aux))
			unregister(&aux, false, list_member_oid(dropped_relids, aux.view),
					   dropped_relids);
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
	char	   *strategy = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	IncrloadLimit timeout;
	IncrloadLimit tfl;

	check_not_null(fcinfo, 0, "view");
	check_writable("alter a view");
	view = PG_GETARG_OID(0);
	check_registered(view);
	check_owner(view);
	if (!PG_ARGISNULL(1))
		check_interval("refresh_interval", refresh_interval, false);
	if (!PG_ARGISNULL(2))
		check_interval("verify_interval", verify_interval, true);
	if (strategy && strcmp(strategy, "auto") != 0 &&
		strcmp(strategy, "incremental") != 0 && strcmp(strategy, "full") != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid strategy \"%s\" for view \"%s\"", strategy,
					   get_rel_name(view)),
				errhint("Valid strategies are \"auto\", \"incremental\" and \"full\"."));
	if (!PG_ARGISNULL(5))
		parse_limit(&timeout, "statement_timeout", text_to_cstring(PG_GETARG_TEXT_PP(5)),
					"incrload.apply_statement_timeout",
					incrload_apply_statement_timeout, GUC_UNIT_MS, 0);
	if (!PG_ARGISNULL(6))
		parse_limit(&tfl, "temp_file_limit", text_to_cstring(PG_GETARG_TEXT_PP(6)),
					"incrload.apply_temp_file_limit",
					incrload_apply_temp_file_limit, GUC_UNIT_KB, -1);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* after an apply in flight, which holds the row */
	if (il_catalog_read_view(view, true, &row))
	{
		ListCell   *lc;

		il_catalog_alter_view(view,
							  PG_ARGISNULL(1) ? NULL : &refresh_interval,
							  PG_ARGISNULL(2) ? NULL : &verify_interval,
							  PG_ARGISNULL(3) ? NULL : &repair, strategy,
							  PG_ARGISNULL(5) ? NULL : &timeout,
							  PG_ARGISNULL(6) ? NULL : &tfl);
		/* auxiliary views keep pace with their view */
		foreach(lc, il_register_auxes(view))
			il_catalog_alter_view(lfirst_oid(lc),
								  PG_ARGISNULL(1) ? NULL : &refresh_interval,
								  NULL, NULL, NULL,
								  PG_ARGISNULL(5) ? NULL : &timeout,
								  PG_ARGISNULL(6) ? NULL : &tfl);
	}
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
	if (il_capture_ignore_event())
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT objid, object_type, address_names[1], address_names[2], "
					  "address_names[3] "
					  "FROM pg_catalog.pg_event_trigger_dropped_objects() "
					  "WHERE (classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
					  "AND objsubid OPERATOR(pg_catalog.=) 0) "
					  "OR (object_type OPERATOR(pg_catalog.=) 'trigger' "
					  "AND address_names[3] OPERATOR(pg_catalog.~) '^incrload_(capture_|guard$)')",
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
		Oid			owner;

		if (strcmp(strVal(lsecond(lfirst(lc))), INCRLOAD_GUARD_TRIGGER) == 0)
		{
			if (il_guard_classify(relid, &owner) != IL_REL_OTHER)
				ereport(ERROR,
						errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
						errmsg("cannot drop trigger \"%s\" on table \"%s\", which incrload maintains",
							   INCRLOAD_GUARD_TRIGGER, get_rel_name(relid)),
						errdetail("It keeps changes other than incrload's out of the table."),
						errhint("Unregister the views with incrload_unregister_view() first."));
			continue;
		}
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
