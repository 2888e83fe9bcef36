/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  All access to incrload's catalog tables: incrload.view,
 *	  incrload.view_base and incrload.delta.
 *
 * Users have no privilege on these tables, and our functions are not
 * SECURITY DEFINER, so every statement here runs as the owner of the
 * catalog (the extension's owner) for exactly as long as the statement
 * runs.  Only fixed SQL with parameters is run that way; nothing the user
 * wrote ever is.  Statements are prepared once per backend and kept.
 *
 * The capture trigger must not use SPI, so it finds a base table's delta
 * table with an index scan of its own (il_catalog_lookup_delta).
 *
 * Callers must be connected to SPI, except for il_catalog_lookup_delta.
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "rewrite/prs2lock.h"
#include "rewrite/rewriteSupport.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "analyze.h"
#include "catalog.h"
#include "settings.h"
#include "guc.h"

typedef enum CatalogStmt
{
	STMT_READ_VIEW,
	STMT_LOCK_VIEW,
	STMT_INSERT_VIEW,
	STMT_INSERT_VIEW_BASE,
	STMT_SET_QUERY,
	STMT_DELETE_VIEW,
	STMT_RECORD_APPLY,
	STMT_RECORD_VERIFY,
	STMT_SET_STATE,
	STMT_ALTER_VIEW,
	STMT_SET_AUX_OF,
	STMT_AUXES,
	STMT_AUX_OF,
	STMT_VIEW_BASES,
	STMT_BASE_VIEWS,
	STMT_ALL_VIEWS,
	STMT_STORAGE_VIEW,
	STMT_DELTA_FOR,
	STMT_DELTA_BASE,
	STMT_ALL_CAPTURED,
	STMT_INSERT_DELTA,
	STMT_DELETE_DELTA,
	STMT_INSERT_PARTITION,
	STMT_DELETE_PARTITION,
	STMT_PARTITION_ROOT,
	STMT_PARTITIONS,
	NUM_CATALOG_STMTS
} CatalogStmt;

#define VIEW_COLUMNS \
	"storage_table, query, mode, state, owner, watermark, watermark_xid, " \
	"watermark_cid, watermark_system, watermark_view, query_tree, multiplicity, " \
	"query_tree_major, strategy, apply_model, recompute_cost, " \
	"statement_timeout, temp_file_limit, settings, full_refreshes"

static const char *const catalog_sql[NUM_CATALOG_STMTS] = {
	[STMT_READ_VIEW] =
	"SELECT " VIEW_COLUMNS " FROM incrload.view "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_LOCK_VIEW] =
	"SELECT " VIEW_COLUMNS " FROM incrload.view "
	"WHERE view_name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	[STMT_INSERT_VIEW] =
	"INSERT INTO incrload.view (view_name, storage_table, query, mode, "
	"refresh_interval, owner, query_tree, watermark_system, watermark_view, "
	"multiplicity, query_tree_major, settings) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1::pg_catalog.oid, $9, "
	PG_MAJORVERSION ", $10)",
	[STMT_SET_QUERY] =
	"UPDATE incrload.view SET query = $2, query_tree = $3, "
	"query_tree_major = " PG_MAJORVERSION " "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_INSERT_VIEW_BASE] =
	"INSERT INTO incrload.view_base (view_name, base_table) VALUES ($1, $2) "
	"ON CONFLICT DO NOTHING",
	[STMT_DELETE_VIEW] =
	"DELETE FROM incrload.view WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_RECORD_APPLY] =
	"UPDATE incrload.view SET watermark = $2, watermark_xid = $3, "
	"watermark_cid = $4, watermark_system = $5, watermark_view = $1::pg_catalog.oid, "
	"last_refresh = pg_catalog.clock_timestamp(), last_attempt = pg_catalog.clock_timestamp(), "
	"last_refresh_duration = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) $6, "
	"refreshes = refreshes OPERATOR(pg_catalog.+) 1, "
	"changes_applied = changes_applied OPERATOR(pg_catalog.+) $7, "
	"full_refreshes = full_refreshes OPERATOR(pg_catalog.+) $8, "
	"consecutive_failures = 0, last_error = NULL, "
	"state = CASE WHEN state OPERATOR(pg_catalog.=) 'paused' THEN state ELSE 'active' END, "
	"apply_model = COALESCE($10, apply_model), "
	"recompute_cost = COALESCE($11, recompute_cost), "
	"last_choice = $9 "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_RECORD_VERIFY] =
	"UPDATE incrload.view SET last_verify = pg_catalog.clock_timestamp(), "
	"last_verify_mismatches = $2 WHERE view_name OPERATOR(pg_catalog.=) $1",
	/*
	 * resume only ends a pause; a view that must be recomputed and is
	 * paused (either way round) stays paused and forgets its watermark, so
	 * that its first apply after the pause recomputes it
	 */
	[STMT_SET_STATE] =
	"UPDATE incrload.view SET "
	"state = CASE WHEN $2 OPERATOR(pg_catalog.=) 'active' AND state OPERATOR(pg_catalog.<>) 'paused' THEN state "
	"WHEN $2 OPERATOR(pg_catalog.=) 'needs_full_refresh' AND state OPERATOR(pg_catalog.=) 'paused' THEN state "
	"ELSE $2 END, "
	"watermark = CASE WHEN ($2 OPERATOR(pg_catalog.=) 'paused' AND state OPERATOR(pg_catalog.=) 'needs_full_refresh') "
	"OR ($2 OPERATOR(pg_catalog.=) 'needs_full_refresh' AND state OPERATOR(pg_catalog.=) 'paused') "
	"THEN NULL ELSE watermark END "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_ALTER_VIEW] =
	"UPDATE incrload.view SET "
	"refresh_interval = COALESCE($2, refresh_interval), "
	"verify_interval = CASE WHEN $3 IS NULL THEN verify_interval "
	"WHEN $3 OPERATOR(pg_catalog.=) '0'::pg_catalog.interval THEN NULL ELSE $3 END, "
	"repair = COALESCE($4, repair), "
	"strategy = COALESCE($5, strategy), "
	"statement_timeout = CASE WHEN $6 THEN $7 ELSE statement_timeout END, "
	"temp_file_limit = CASE WHEN $8 THEN $9 ELSE temp_file_limit END "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_SET_AUX_OF] =
	"UPDATE incrload.view SET aux_of = $2 WHERE view_name OPERATOR(pg_catalog.=) $1",
	[STMT_AUXES] =
	"SELECT view_name FROM incrload.view WHERE aux_of OPERATOR(pg_catalog.=) $1 "
	"ORDER BY view_name",
	[STMT_AUX_OF] =
	"SELECT aux_of FROM incrload.view WHERE view_name OPERATOR(pg_catalog.=) $1 "
	"AND aux_of IS NOT NULL",
	[STMT_VIEW_BASES] =
	"SELECT base_table FROM incrload.view_base "
	"WHERE view_name OPERATOR(pg_catalog.=) $1 ORDER BY base_table",
	[STMT_BASE_VIEWS] =
	"SELECT view_name FROM incrload.view_base "
	"WHERE base_table OPERATOR(pg_catalog.=) $1 ORDER BY view_name",
	[STMT_ALL_VIEWS] =
	"SELECT view_name FROM incrload.view ORDER BY view_name",
	[STMT_STORAGE_VIEW] =
	"SELECT view_name, multiplicity FROM incrload.view "
	"WHERE storage_table OPERATOR(pg_catalog.=) $1",
	[STMT_DELTA_FOR] =
	"SELECT delta_table FROM incrload.delta "
	"WHERE base_table OPERATOR(pg_catalog.=) $1",
	[STMT_DELTA_BASE] =
	"SELECT base_table FROM incrload.delta "
	"WHERE delta_table OPERATOR(pg_catalog.=) $1",
	[STMT_ALL_CAPTURED] =
	"SELECT base_table FROM incrload.delta ORDER BY base_table",
	[STMT_INSERT_DELTA] =
	"INSERT INTO incrload.delta (base_table, delta_table) VALUES ($1, $2)",
	[STMT_DELETE_DELTA] =
	"DELETE FROM incrload.delta WHERE base_table OPERATOR(pg_catalog.=) $1",
	[STMT_INSERT_PARTITION] =
	"INSERT INTO incrload.partition (partition, root) VALUES ($1, $2)",
	[STMT_DELETE_PARTITION] =
	"DELETE FROM incrload.partition WHERE partition OPERATOR(pg_catalog.=) $1",
	[STMT_PARTITION_ROOT] =
	"SELECT root FROM incrload.partition WHERE partition OPERATOR(pg_catalog.=) $1",
	[STMT_PARTITIONS] =
	"SELECT partition FROM incrload.partition WHERE root OPERATOR(pg_catalog.=) $1 "
	"ORDER BY partition",
};

static SPIPlanPtr catalog_plans[NUM_CATALOG_STMTS];

static SPIPlanPtr get_plan(CatalogStmt stmt, int nargs, Oid *argtypes);
static void run_stmt(CatalogStmt stmt, int nargs, Oid *argtypes,
					 Datum *values, const char *nulls, int expected);
static List *oid_column(void);
static void run_rels(CatalogStmt stmt, Oid rel1, Oid rel2, int expected);
static List *oids_by(CatalogStmt stmt, Oid rel);
static Oid	oid_by(CatalogStmt stmt, Oid rel);

Oid
il_catalog_namespace(void)
{
	return get_namespace_oid(INCRLOAD_SCHEMA, false);
}

/*
 * The owner of incrload.view: the role that created the extension.
 */
Oid
il_catalog_owner(void)
{
	Oid			relid;
	HeapTuple	tup;
	Oid			owner;

	relid = get_relname_relid("view", il_catalog_namespace());
	if (!OidIsValid(relid))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("incrload catalog table \"incrload.view\" is missing"),
				errhint("Recreate the extension with DROP EXTENSION incrload and CREATE EXTENSION incrload."));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

void
il_catalog_become_owner(Oid *save_uid, int *save_sec)
{
	Oid			owner = il_catalog_owner();

	GetUserIdAndSecContext(save_uid, save_sec);
	SetUserIdAndSecContext(owner, *save_sec | SECURITY_LOCAL_USERID_CHANGE);
}

void
il_catalog_restore_user(Oid save_uid, int save_sec)
{
	SetUserIdAndSecContext(save_uid, save_sec);
}

static SPIPlanPtr
get_plan(CatalogStmt stmt, int nargs, Oid *argtypes)
{
	if (catalog_plans[stmt] == NULL)
	{
		MemoryContext cxt = CurrentMemoryContext;
		SPIPlanPtr	plan = SPI_prepare(catalog_sql[stmt], nargs, argtypes);

		MemoryContextSwitchTo(cxt);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 catalog_sql[stmt], SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		catalog_plans[stmt] = plan;
	}
	return catalog_plans[stmt];
}

/*
 * Run one catalog statement as the catalog's owner.  expected is the SPI
 * result code the statement must return.
 */
static void
run_stmt(CatalogStmt stmt, int nargs, Oid *argtypes, Datum *values,
		 const char *nulls, int expected)
{
	MemoryContext cxt = CurrentMemoryContext;
	SPIPlanPtr	plan = get_plan(stmt, nargs, argtypes);
	Oid			save_uid;
	int			save_sec;
	int			ret;

	il_catalog_become_owner(&save_uid, &save_sec);
	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	il_catalog_restore_user(save_uid, save_sec);

	/*
	 * SPI leaves us in its procedure context; what the caller reads from
	 * the result goes where the caller allocates (the apply keeps a view's
	 * analysis across transactions).
	 */
	MemoryContextSwitchTo(cxt);
	if (ret != expected)
		elog(ERROR, "incrload catalog statement \"%s\" failed: %s",
			 catalog_sql[stmt], SPI_result_code_string(ret));
}

/* Run a statement whose parameters are one or two relations. */
static void
run_rels(CatalogStmt stmt, Oid rel1, Oid rel2, int expected)
{
	Oid			argtypes[2] = {REGCLASSOID, REGCLASSOID};
	Datum		values[2] = {ObjectIdGetDatum(rel1), ObjectIdGetDatum(rel2)};

	run_stmt(stmt, OidIsValid(rel2) ? 2 : 1, argtypes, values, NULL, expected);
}

/* The OIDs a query by one relation returns; the first of them, or none. */
static List *
oids_by(CatalogStmt stmt, Oid rel)
{
	run_rels(stmt, rel, InvalidOid, SPI_OK_SELECT);
	return oid_column();
}

static Oid
oid_by(CatalogStmt stmt, Oid rel)
{
	List	   *l = oids_by(stmt, rel);

	return l == NIL ? InvalidOid : linitial_oid(l);
}

static List *
oid_column(void)
{
	List	   *result = NIL;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = lappend_oid(result, DatumGetObjectId(d));
	}
	return result;
}

/*
 * Read a view's catalog row, optionally locking it FOR UPDATE (the apply's
 * lock: two applies of one view never overlap).  Returns false if the view
 * is not registered.  The row lives in the current (SPI procedure) memory
 * context, so it is valid until SPI_finish.
 */
bool
il_catalog_read_view(Oid view, bool lock, IncrloadView *row)
{
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(view)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	run_stmt(lock ? STMT_LOCK_VIEW : STMT_READ_VIEW, 1, argtypes, values,
			 NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memset(row, 0, sizeof(*row));
	row->view = view;
	row->storage = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	row->query = SPI_getvalue(tup, desc, 2);
	row->full_mode = strcmp(SPI_getvalue(tup, desc, 3), "full") == 0;
	row->state = SPI_getvalue(tup, desc, 4);
	row->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 5, &isnull));
	d = SPI_getbinval(tup, desc, 6, &isnull);
	row->has_watermark = !isnull;
	if (!isnull)
		row->watermark = SPI_datumTransfer(d, false, -1);
	d = SPI_getbinval(tup, desc, 7, &isnull);
	row->has_watermark_xid = !isnull;
	if (!isnull)
		row->watermark_xid = d;		/* xid8 is pass-by-value */
	d = SPI_getbinval(tup, desc, 8, &isnull);
	row->watermark_cid = isnull ? 0 : DatumGetInt64(d);
	d = SPI_getbinval(tup, desc, 9, &isnull);
	row->watermark_foreign = !isnull &&
		DatumGetInt64(d) != (int64) GetSystemIdentifier();
	d = SPI_getbinval(tup, desc, 10, &isnull);
	if (!isnull && DatumGetObjectId(d) != view)
		row->watermark_foreign = true;
	/*
	 * A tree from another cluster or database names other objects; one
	 * that another major wrote (pg_upgrade keeps the catalog) is in a
	 * format this one may misread.
	 */
	d = SPI_getbinval(tup, desc, 13, &isnull);
	row->query_tree_stale = isnull || DatumGetInt32(d) != PG_MAJORVERSION_NUM;
	row->query_tree = row->watermark_foreign || row->query_tree_stale ? NULL :
		SPI_getvalue(tup, desc, 11);
	row->multiplicity = SPI_getvalue(tup, desc, 12);
	row->strategy = SPI_getvalue(tup, desc, 14);
	d = SPI_getbinval(tup, desc, 15, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(d), FLOAT8OID, sizeof(float8),
						  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, NULL, &n);
		row->has_apply_model = n == 4;
		for (int i = 0; i < n && i < 4; i++)
			row->apply_model[i] = DatumGetFloat8(elems[i]);
	}
	d = SPI_getbinval(tup, desc, 16, &isnull);
	row->recompute_cost = isnull ? -1 : DatumGetFloat8(d);
	d = SPI_getbinval(tup, desc, 17, &isnull);
	row->statement_timeout = isnull ? incrload_apply_statement_timeout :
		DatumGetInt32(d);
	d = SPI_getbinval(tup, desc, 18, &isnull);
	row->temp_file_limit = isnull ? incrload_apply_temp_file_limit :
		DatumGetInt32(d);
	d = SPI_getbinval(tup, desc, 19, &isnull);
	row->settings = isnull ? NIL : il_settings_from_array(d);
	row->full_refreshes = DatumGetInt64(SPI_getbinval(tup, desc, 20, &isnull));
	return true;
}

void
il_catalog_insert_view(Oid view, Oid storage, const char *query,
					   const char *tree, bool full_mode,
					   Datum refresh_interval, Oid owner, List *bases,
					   const char *multiplicity, Datum settings)
{
	Oid			argtypes[10] = {REGCLASSOID, REGCLASSOID, TEXTOID, TEXTOID,
	INTERVALOID, REGROLEOID, TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID};
	Datum		values[10];
	char		nulls[11] = "          ";
	ListCell   *lc;

	values[0] = ObjectIdGetDatum(view);
	values[1] = ObjectIdGetDatum(storage);
	values[2] = CStringGetTextDatum(query);
	values[3] = CStringGetTextDatum(full_mode ? "full" : "incremental");
	values[4] = refresh_interval;
	values[5] = ObjectIdGetDatum(owner);
	values[6] = CStringGetTextDatum(tree);
	values[7] = Int64GetDatum((int64) GetSystemIdentifier());
	if (multiplicity)
		values[8] = CStringGetTextDatum(multiplicity);
	else
		nulls[8] = 'n';
	values[9] = settings;
	if (settings == (Datum) 0)
		nulls[9] = 'n';
	run_stmt(STMT_INSERT_VIEW, 10, argtypes, values, nulls, SPI_OK_INSERT);

	foreach(lc, bases)
		run_rels(STMT_INSERT_VIEW_BASE, view, lfirst_oid(lc), SPI_OK_INSERT);
}

/*
 * Record what a view's query depends on.  The dependencies belong to the
 * view's _RETURN rule, as a plain view's do: PostgreSQL then refuses to
 * drop or retype a column, or to drop a table or function, that the query
 * uses (naming the view), and CASCADE drops the view, which unregisters
 * it.  pg_dump does not carry them: after a restore the first apply calls
 * il_catalog_set_query, which records them again.
 */
void
il_catalog_record_dependencies(Oid view, Query *query)
{
	ObjectAddress rule;

	ObjectAddressSet(rule, RewriteRelationId,
					 get_rewrite_oid(view, ViewSelectRuleName, false));
	recordDependencyOnExpr(&rule, (Node *) query, NIL, DEPENDENCY_NORMAL);
}

/*
 * An auxiliary view made of a plain view's definition depends on that view
 * as a rule reading it would: DROP VIEW is refused (CASCADE takes it along).
 */
void
il_catalog_record_view_dependency(Oid view, Oid plain_view)
{
	ObjectAddress rule;
	ObjectAddress referenced;

	ObjectAddressSet(rule, RewriteRelationId,
					 get_rewrite_oid(view, ViewSelectRuleName, false));
	ObjectAddressSet(referenced, RelationRelationId, plain_view);
	recordDependencyOn(&rule, &referenced, DEPENDENCY_NORMAL);
}

/* The view a user registered that view serves: itself or its top. */
Oid
il_catalog_top_view(Oid view)
{
	Oid			up;

	while (OidIsValid(up = oid_by(STMT_AUX_OF, view)))
		view = up;
	return view;
}

/* The plain views a registered view's rule depends on directly. */
List *
il_catalog_views_depended_on(Oid view)
{
	Oid			rule = get_rewrite_oid(view, ViewSelectRuleName, true);
	Relation	dep;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *result = NIL;

	if (!OidIsValid(rule))
		return NIL;
	dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RewriteRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(rule));
	scan = systable_beginscan(dep, DependDependerIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);

		if (d->refclassid == RelationRelationId && d->refobjsubid == 0 &&
			d->refobjid != view && get_rel_relkind(d->refobjid) == RELKIND_VIEW)
			result = list_append_unique_oid(result, d->refobjid);
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);
	return result;
}

/* Keep a view's query, re-analyzed from its text after a restore. */
void
il_catalog_set_query(Oid view, Query *query)
{
	il_catalog_set_query_text(view, il_analyze_querydef(query),
							  nodeToString(query));
	il_catalog_record_dependencies(view, query);
}

/* Only the text: a rename changed how the tree deparses. */
void
il_catalog_set_query_text(Oid view, const char *querydef, const char *tree)
{
	Oid			argtypes[3] = {REGCLASSOID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = ObjectIdGetDatum(view);
	values[1] = CStringGetTextDatum(querydef);
	values[2] = CStringGetTextDatum(tree);
	run_stmt(STMT_SET_QUERY, 3, argtypes, values, NULL, SPI_OK_UPDATE);
}

void
il_catalog_delete_view(Oid view)
{
	run_rels(STMT_DELETE_VIEW, view, InvalidOid, SPI_OK_DELETE);
}

void
il_catalog_record_apply(Oid view, Datum watermark, Datum watermark_xid,
						bool has_xid, int64 watermark_cid, bool full,
						int64 consumed, TimestampTz started, const char *choice,
						const double *apply_model, double recompute_cost)
{
	Oid			argtypes[11] = {REGCLASSOID, PG_SNAPSHOTOID, XID8OID, INT8OID,
		INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID, TEXTOID, FLOAT8ARRAYOID,
	FLOAT8OID};
	Datum		values[11];
	char		nulls[12] = "           ";

	values[0] = ObjectIdGetDatum(view);
	values[1] = watermark;
	values[2] = watermark_xid;
	if (!has_xid)
		nulls[2] = 'n';
	values[3] = Int64GetDatum(watermark_cid);
	values[4] = Int64GetDatum((int64) GetSystemIdentifier());
	values[5] = TimestampTzGetDatum(started);
	values[6] = Int64GetDatum(consumed);
	values[7] = Int64GetDatum(full ? 1 : 0);
	values[8] = CStringGetTextDatum(choice ? choice : "");
	if (choice == NULL)
		nulls[8] = 'n';
	if (apply_model)
	{
		Datum		elems[4];

		for (int i = 0; i < 4; i++)
			elems[i] = Float8GetDatum(apply_model[i]);
		values[9] = PointerGetDatum(construct_array(elems, 4, FLOAT8OID, sizeof(float8),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	else
		nulls[9] = 'n';
	values[10] = Float8GetDatum(recompute_cost);
	if (recompute_cost < 0)
		nulls[10] = 'n';
	run_stmt(STMT_RECORD_APPLY, 11, argtypes, values, nulls, SPI_OK_UPDATE);
}

void
il_catalog_record_verify(Oid view, int64 mismatches)
{
	Oid			argtypes[2] = {REGCLASSOID, INT8OID};
	Datum		values[2] = {ObjectIdGetDatum(view), Int64GetDatum(mismatches)};

	run_stmt(STMT_RECORD_VERIFY, 2, argtypes, values, NULL, SPI_OK_UPDATE);
}

void
il_catalog_set_state(Oid view, const char *state)
{
	Oid			argtypes[2] = {REGCLASSOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(view), CStringGetTextDatum(state)};

	run_stmt(STMT_SET_STATE, 2, argtypes, values, NULL, SPI_OK_UPDATE);
}

/*
 * Change a view's settings; a NULL one stays.  A verify_interval of zero
 * turns scheduled verification off.  A limit (statement_timeout,
 * temp_file_limit) is changed when limits says so: to *limit, or with
 * limit NULL back to the server's setting.
 */
void
il_catalog_alter_view(Oid view, const Datum *refresh_interval,
					  const Datum *verify_interval, const bool *repair,
					  const char *strategy,
					  const IncrloadLimit *statement_timeout,
					  const IncrloadLimit *temp_file_limit)
{
	Oid			argtypes[9] = {REGCLASSOID, INTERVALOID, INTERVALOID, BOOLOID,
	TEXTOID, BOOLOID, INT4OID, BOOLOID, INT4OID};
	Datum		values[9] = {ObjectIdGetDatum(view), 0, 0, 0, 0,
	BoolGetDatum(false), 0, BoolGetDatum(false), 0};
	char		nulls[10] = " nnnn n n";
	const IncrloadLimit *limits[2] = {statement_timeout, temp_file_limit};

	for (int i = 0; i < 2; i++)
	{
		if (limits[i] == NULL)
			continue;
		values[5 + 2 * i] = BoolGetDatum(true);
		if (!limits[i]->server_default)
		{
			values[6 + 2 * i] = Int32GetDatum(limits[i]->value);
			nulls[6 + 2 * i] = ' ';
		}
	}
	if (refresh_interval)
	{
		values[1] = *refresh_interval;
		nulls[1] = ' ';
	}
	if (verify_interval)
	{
		values[2] = *verify_interval;
		nulls[2] = ' ';
	}
	if (repair)
	{
		values[3] = BoolGetDatum(*repair);
		nulls[3] = ' ';
	}
	if (strategy)
	{
		values[4] = CStringGetTextDatum(strategy);
		nulls[4] = ' ';
	}
	run_stmt(STMT_ALTER_VIEW, 9, argtypes, values, nulls, SPI_OK_UPDATE);
}

void
il_catalog_set_aux_of(Oid aux, Oid view)
{
	run_rels(STMT_SET_AUX_OF, aux, view, SPI_OK_UPDATE);
}

/* The auxiliary views of a view (not theirs). */
List *
il_catalog_auxes(Oid view)
{
	return oids_by(STMT_AUXES, view);
}

List *
il_catalog_view_bases(Oid view)
{
	return oids_by(STMT_VIEW_BASES, view);
}

List *
il_catalog_base_views(Oid base)
{
	return oids_by(STMT_BASE_VIEWS, base);
}

List *
il_catalog_all_views(void)
{
	run_stmt(STMT_ALL_VIEWS, 0, NULL, NULL, NULL, SPI_OK_SELECT);
	return oid_column();
}

/* The delta table serving base, or InvalidOid. */
Oid
il_catalog_delta_for(Oid base)
{
	return oid_by(STMT_DELTA_FOR, base);
}

/* The base table a delta table serves, or InvalidOid. */
Oid
il_catalog_delta_base(Oid delta)
{
	return oid_by(STMT_DELTA_BASE, delta);
}

/*
 * The registered view whose storage table relid is, or InvalidOid; its
 * multiplicity expression (NULL: each row shows once) in *multiplicity.
 */
Oid
il_catalog_storage_view(Oid relid, char **multiplicity)
{
	Oid			view = InvalidOid;

	run_rels(STMT_STORAGE_VIEW, relid, InvalidOid, SPI_OK_SELECT);
	*multiplicity = NULL;
	if (SPI_processed > 0)
	{
		bool		isnull;

		view = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
		*multiplicity = SPI_getvalue(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 2);
	}
	return view;
}

/* Every captured base table. */
List *
il_catalog_all_captured(void)
{
	run_stmt(STMT_ALL_CAPTURED, 0, NULL, NULL, NULL, SPI_OK_SELECT);
	return oid_column();
}

void
il_catalog_insert_delta(Oid base, Oid delta)
{
	run_rels(STMT_INSERT_DELTA, base, delta, SPI_OK_INSERT);
}

void
il_catalog_delete_delta(Oid base)
{
	run_rels(STMT_DELETE_DELTA, base, InvalidOid, SPI_OK_DELETE);
}

/*
 * The capture trigger's lookup, without SPI: an index scan of
 * incrload.delta by base table.  Runs with whatever privileges the writer
 * has, which is fine: it reads the table directly, not through a query.
 */
Oid
il_catalog_lookup_delta(Oid base)
{
	Oid			nsp = il_catalog_namespace();
	Oid			relid = get_relname_relid("delta", nsp);
	Oid			indexid = get_relname_relid("delta_pkey", nsp);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	Oid			result = InvalidOid;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return InvalidOid;

	rel = table_open(relid, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(base));
	scan = systable_beginscan(rel, indexid, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		if (!isnull)
			result = DatumGetObjectId(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

void
il_catalog_insert_partition(Oid partition, Oid root)
{
	run_rels(STMT_INSERT_PARTITION, partition, root, SPI_OK_INSERT);
}

void
il_catalog_delete_partition(Oid partition)
{
	run_rels(STMT_DELETE_PARTITION, partition, InvalidOid, SPI_OK_DELETE);
}

/* The captured root a partition's rows go to, or InvalidOid. */
Oid
il_catalog_partition_root(Oid partition)
{
	return oid_by(STMT_PARTITION_ROOT, partition);
}

List *
il_catalog_partitions(Oid root)
{
	return oids_by(STMT_PARTITIONS, root);
}

/*
 * The schema CREATE EXTENSION put our functions in (get_extension_schema
 * is static in PostgreSQL 15).
 */
char *
il_catalog_extension_schema(void)
{
	Oid			extoid = get_extension_oid("incrload", false);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "cache lookup failed for extension %u", extoid);
	return get_namespace_name(nsp);
}
