/*-------------------------------------------------------------------------
 *
 * storage.c
 *	  A view's storage table: its columns (the row key, the hidden
 *	  multiplicity, each aggregate's state), its DDL, the user-facing view
 *	  over it, and the statements that fold a weighted pre relation (from
 *	  delta.c) into it.
 *
 * Storage rows are keyed by a unique index on the row key (NULLS NOT
 * DISTINCT), so a batch is applied with one INSERT ... ON CONFLICT DO
 * UPDATE: O(|batch| log N).  Groups whose count reaches zero are deleted
 * by ctid; groups that lost their extreme (min/max) or keep a float sum
 * are recomputed one by one from the base tables in the same snapshot.
 *
 * Nothing here runs SQL; apply.c prepares and runs what this builds.
 *
 * IDENTIFICATION
 *	  src/storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "delta.h"
#include "storage.h"

/* What a storage column holds. */
typedef enum ColRole
{
	COL_KEY,					/* part of the row key */
	COL_COUNT,					/* hidden multiplicity of the row or group */
	COL_AGG_COUNT,				/* count(*) or count(x) */
	COL_SUM,					/* running sum behind a sum or avg */
	COL_NN,						/* non-null inputs behind a sum or avg */
	COL_AVG,					/* generated: the visible sum or avg */
	COL_EXTREME,				/* min or max */
	COL_DELETED_EXTREME,		/* scratch: extreme of the batch's deleted rows */
	COL_RECOMPUTE,				/* recomputed per group */
	COL_LEAF_COUNT,				/* SETOP: the row's count in one arm */
	COL_OUTPUT					/* FULL views: a column of the query */
} ColRole;

typedef struct StorageCol
{
	ColRole		role;
	char	   *name;
	Oid			type;
	int32		typmod;
	Oid			coll;
	int			keyno;			/* COL_KEY: 1-based pre column; LEAF_COUNT: arm */
	int			armcol;			/* LEAF_COUNT: pre column of the arm's number */
	IncrloadAgg *agg;
	struct StorageCol *partner; /* SUM: its COL_NN; AVG: its SUM; EXTREME: DX */
} StorageCol;

static List *storage_columns(IncrloadQuery *q);
static char *pre_col(int n);
static char *nonnull_test(const char *expr, Oid type);
static char *filter_clause(IncrloadAgg *agg, const char *extra);
static char *col_state(StorageCol *col, bool delta);
static char *col_combine(StorageCol *col, const char *o, const char *n);
static char *col_flag(StorageCol *col, const char *alias);
static char *storage_qualname(Oid storage);
static char *setop_count(IncrloadQuery *q, Node *op);


/*
 * How an aggregate of the query is kept: which state its storage columns
 * hold.  One that cannot be kept incrementally is refused, naming it.
 */
IncrloadAgg *
il_storage_describe_agg(IncrloadQuery *q, Aggref *aggref)
{
	IncrloadAgg *agg = palloc0(sizeof(IncrloadAgg));
	char	   *fname = get_func_name(aggref->aggfnoid);
	Oid			fnsp = get_func_namespace(aggref->aggfnoid);
	Oid			argtype = InvalidOid;

	agg->aggref = aggref;
	agg->restype = aggref->aggtype;
	agg->rescoll = aggref->aggcollid;

	if (aggref->aggkind != AGGKIND_NORMAL)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("ordered-set aggregate %s() is not supported in incremental mode", fname),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	if (aggref->aggdistinct != NIL)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("DISTINCT in aggregate %s() is not supported in incremental mode", fname),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	if (list_length(aggref->args) > 1)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("aggregate %s() with more than one argument is not supported in incremental mode", fname),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	if (aggref->args != NIL)
	{
		TargetEntry *arg = linitial_node(TargetEntry, aggref->args);

		argtype = exprType((Node *) arg->expr);
		agg->argtype = argtype;
		agg->argcol = il_analyze_add_pre_expr(q, (Node *) arg->expr);
	}
	if (aggref->aggfilter)
		agg->filtercol = il_analyze_add_pre_expr(q, (Node *) aggref->aggfilter);

	if (fnsp != PG_CATALOG_NAMESPACE)
		goto unsupported;
	if (strcmp(fname, "count") == 0)
		agg->kind = aggref->aggstar || aggref->args == NIL ?
			IL_AGG_COUNT_STAR : IL_AGG_COUNT;
	else if (strcmp(fname, "sum") == 0 || strcmp(fname, "avg") == 0)
	{
		bool		is_avg = fname[0] == 'a';

		switch (argtype)
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case NUMERICOID:
				agg->kind = is_avg ? IL_AGG_AVG : IL_AGG_SUM;
				agg->sumtype = is_avg ? NUMERICOID : aggref->aggtype;
				break;
			case INTERVALOID:
				agg->kind = is_avg ? IL_AGG_AVG : IL_AGG_SUM;
				agg->sumtype = INTERVALOID;
				break;
			case CASHOID:
				if (is_avg)
					goto unsupported;
				agg->kind = IL_AGG_SUM;
				agg->sumtype = CASHOID;
				break;
			case FLOAT4OID:
			case FLOAT8OID:

				/*
				 * Floating-point addition does not invert: adding and then
				 * subtracting a large value loses the small ones.  Changed
				 * groups are recomputed instead.
				 */
				agg->kind = IL_AGG_RECOMPUTE;
				break;
			default:
				goto unsupported;
		}
	}
	else if (strcmp(fname, "min") == 0 || strcmp(fname, "max") == 0)
	{
		TypeCacheEntry *tc = lookup_type_cache(argtype, TYPECACHE_LT_OPR);

		if (!OidIsValid(tc->lt_opr))
			goto unsupported;
		agg->kind = fname[1] == 'i' ? IL_AGG_MIN : IL_AGG_MAX;
	}
	else
		goto unsupported;
	return agg;

unsupported:
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("aggregate function %s(%s) is not supported in incremental mode",
				   fname, OidIsValid(argtype) ? format_type_be(argtype) : "*"),
			errdetail("Incremental mode maintains count, sum, avg, min and max."),
			errhint("Use mode => 'full' to maintain this view by recomputation."));
	return NULL;				/* keep compiler quiet */
}

static char *
pre_col(int n)
{
	return psprintf("p.e%d", n);
}

/* count(x) counts x unless it is the null value, also for a composite x */
static char *
nonnull_test(const char *expr, Oid type)
{
	if (type_is_rowtype(type))
		return psprintf("pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0", expr);
	return psprintf("%s IS NOT NULL", expr);
}

static StorageCol *
new_col(List **cols, ColRole role, const char *name, Oid type, int32 typmod,
		Oid coll, IncrloadAgg *agg)
{
	StorageCol *col = palloc0(sizeof(StorageCol));

	col->role = role;
	col->name = pstrdup(name);
	col->type = type;
	col->typmod = typmod;
	col->coll = coll;
	col->agg = agg;
	*cols = lappend(*cols, col);
	return col;
}

/*
 * The storage table's columns, in order.  Deterministic: registration
 * creates the table from this list, and every backend regenerates the
 * statements that read and write it from the same list.
 */
static List *
storage_columns(IncrloadQuery *q)
{
	List	   *cols = NIL;
	ListCell   *lc;
	int			i;

	if (q->kind == IL_VIEW_FULL)
	{
		foreach(lc, q->outputs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			new_col(&cols, COL_OUTPUT, tle->resname, exprType((Node *) tle->expr),
					exprTypmod((Node *) tle->expr),
					exprCollation((Node *) tle->expr), NULL);
		}
		return cols;
	}

	i = 0;
	foreach(lc, q->pre_exprs)
	{
		Node	   *expr = lfirst(lc);
		StorageCol *col;

		if (++i > q->nkeys)
			break;
		col = new_col(&cols, COL_KEY, list_nth(q->key_names, i - 1),
					  exprType(expr), exprTypmod(expr), exprCollation(expr),
					  NULL);
		col->keyno = i;
	}
	new_col(&cols, COL_COUNT, INCRLOAD_COUNT_NAME, INT8OID, -1, InvalidOid,
			NULL);

	for (i = 1; i <= q->nleaves; i++)
	{
		StorageCol *c = new_col(&cols, COL_LEAF_COUNT,
								psprintf(INCRLOAD_HIDDEN_PREFIX "c%d", i),
								INT8OID, -1, InvalidOid, NULL);

		c->keyno = i;
		c->armcol = q->nkeys + 1;
	}

	i = 0;
	foreach(lc, q->aggs)
	{
		IncrloadAgg *agg = lfirst(lc);
		char	   *hidden = psprintf(INCRLOAD_HIDDEN_PREFIX "a%d", ++i);
		StorageCol *a;
		StorageCol *b;

		switch (agg->kind)
		{
			case IL_AGG_COUNT_STAR:
			case IL_AGG_COUNT:
				new_col(&cols, COL_AGG_COUNT, agg->name, INT8OID, -1,
						InvalidOid, agg);
				break;
			case IL_AGG_SUM:
			case IL_AGG_AVG:
				a = new_col(&cols, COL_SUM, psprintf("%s_sum", hidden),
							agg->sumtype, -1, InvalidOid, agg);
				b = new_col(&cols, COL_NN, psprintf("%s_nn", hidden), INT8OID,
							-1, InvalidOid, agg);
				a->partner = b;

				/*
				 * The visible value is generated from the two above: a sum
				 * of no non-null values is NULL, whatever the running sum
				 * holds after values came and went.
				 */
				b = new_col(&cols, COL_AVG, agg->name, agg->restype, -1,
							InvalidOid, agg);
				b->partner = a;
				break;
			case IL_AGG_MIN:
			case IL_AGG_MAX:
				a = new_col(&cols, COL_EXTREME, agg->name, agg->restype, -1,
							agg->rescoll, agg);
				b = new_col(&cols, COL_DELETED_EXTREME, psprintf("%s_dx", hidden),
							agg->restype, -1, agg->rescoll, agg);
				a->partner = b;
				break;
			case IL_AGG_RECOMPUTE:
				new_col(&cols, COL_RECOMPUTE, agg->name, agg->restype, -1,
						agg->rescoll, agg);
				break;
		}
	}
	return cols;
}

static char *
storage_qualname(Oid storage)
{
	char	   *relname = get_rel_name(storage);

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", storage);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(storage)),
									  relname);
}

/*
 * CREATE TABLE for the storage table, and its unique row-key index.
 */
char *
il_storage_ddl(IncrloadQuery *q, const char *qualname)
{
	StringInfoData buf;
	List	   *cols = storage_columns(q);
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TABLE %s (", qualname);
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		appendStringInfo(&buf, "%s%s %s", first ? "" : ", ",
						 quote_identifier(col->name),
						 il_sql_type(col->type, col->typmod));
		first = false;
		if (OidIsValid(col->coll) && col->coll != get_typcollation(col->type))
			appendStringInfo(&buf, " COLLATE %s",
							 generate_collation_name(col->coll));
		if (col->role == COL_COUNT || col->role == COL_AGG_COUNT ||
			col->role == COL_NN || col->role == COL_LEAF_COUNT)
			appendStringInfoString(&buf, " NOT NULL");
		if (col->role == COL_AVG)
		{
			StorageCol *sum = col->partner;
			StorageCol *nn = sum->partner;

			if (col->agg->kind == IL_AGG_SUM)
				appendStringInfo(&buf,
								 " GENERATED ALWAYS AS (CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
								 "ELSE %s END) STORED",
								 quote_identifier(nn->name),
								 quote_identifier(sum->name));
			else
				appendStringInfo(&buf,
								 " GENERATED ALWAYS AS (CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
								 "ELSE %s OPERATOR(pg_catalog./) %s::%s END) STORED",
								 quote_identifier(nn->name),
								 quote_identifier(sum->name),
								 quote_identifier(nn->name),
								 col->agg->sumtype == INTERVALOID ?
								 "pg_catalog.float8" : "pg_catalog.numeric");
		}
	}
	appendStringInfoString(&buf, ")");

	if (q->kind != IL_VIEW_FULL && q->kind != IL_VIEW_GLOBAL)
	{
		appendStringInfo(&buf, "; CREATE UNIQUE INDEX ON %s (", qualname);
		first = true;
		foreach(lc, cols)
		{
			StorageCol *col = lfirst(lc);

			if (col->role != COL_KEY)
				continue;
			appendStringInfo(&buf, "%s%s", first ? "" : ", ",
							 quote_identifier(col->name));
			first = false;
		}
		appendStringInfoString(&buf, ") NULLS NOT DISTINCT");
	}
	return buf.data;
}

/*
 * The SELECT behind the user-facing view: exactly the query's columns,
 * computed from the storage table.
 */
char *
il_storage_view_sql(IncrloadQuery *q, Oid storage)
{
	StringInfoData buf;
	List	   *cols = storage_columns(q);
	ListCell   *lc;
	bool		first = true;
	char	   *qualname = storage_qualname(storage);

	initStringInfo(&buf);
	if (q->kind == IL_VIEW_AGG || q->kind == IL_VIEW_GLOBAL)
	{
		List	   *key_attnos = NIL;
		List	   *agg_attnos = NIL;
		List	   *dpcontext;
		int			attno = 0;
		ListCell   *lc2;

		foreach(lc, cols)
		{
			StorageCol *col = lfirst(lc);

			attno++;
			if (col->role == COL_KEY)
				key_attnos = lappend_int(key_attnos, attno);
		}
		foreach(lc2, q->aggs)
		{
			IncrloadAgg *agg = lfirst(lc2);

			attno = 0;
			foreach(lc, cols)
			{
				StorageCol *col = lfirst(lc);

				attno++;
				if (col->agg == agg && strcmp(col->name, agg->name) == 0)
				{
					agg_attnos = lappend_int(agg_attnos, attno);
					break;
				}
			}
		}

		dpcontext = deparse_context_for(get_rel_name(storage), storage);
		appendStringInfoString(&buf, q->distinct ? "SELECT DISTINCT " : "SELECT ");
		foreach(lc, q->outputs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			Node	   *expr;

			expr = il_analyze_view_expr(q, (Node *) tle->expr, key_attnos,
										agg_attnos);
			appendStringInfo(&buf, "%s%s AS %s", first ? "" : ", ",
							 deparse_expression(expr, dpcontext, false, false),
							 quote_identifier(tle->resname));
			first = false;
		}
		appendStringInfo(&buf, " FROM %s", qualname);

		/*
		 * HAVING filters the groups when the view is read: the storage table
		 * keeps every group, so one moving in or out of the condition needs
		 * nothing special.
		 */
		if (q->query->havingQual != NULL)
			appendStringInfo(&buf, " WHERE %s",
							 deparse_expression(il_analyze_view_expr(q, q->query->havingQual,
																	 key_attnos, agg_attnos),
												dpcontext, false, false));
		return buf.data;
	}

	appendStringInfoString(&buf, "SELECT ");
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		if (col->role != COL_KEY && col->role != COL_OUTPUT)
			continue;
		appendStringInfo(&buf, "%s%s AS %s", first ? "" : ", ",
						 il_sql_col("s", col->name), quote_identifier(col->name));
		first = false;
	}
	appendStringInfo(&buf, " FROM %s s", qualname);
	if (q->kind == IL_VIEW_PROJECT)
		appendStringInfo(&buf,
						 " CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, %s) g",
						 il_sql_col("s", INCRLOAD_COUNT_NAME));
	else if (q->kind == IL_VIEW_SETOP)
		appendStringInfo(&buf,
						 " CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, %s) g",
						 setop_count(q, q->setop));
	return buf.data;
}

/*
 * How often a row shows in the result of a set operation, from its count
 * in each arm, as PostgreSQL defines them: the ALL forms add, take the
 * smaller, or subtract (never below zero); the others show a row once or
 * not at all.
 */
static char *
setop_count(IncrloadQuery *q, Node *op)
{
	SetOperationStmt *s;
	char	   *l;
	char	   *r;
	char	   *n = NULL;

	if (IsA(op, RangeTblRef))
	{
		int			arm = ((RangeTblRef *) op)->rtindex;
		char	   *c = il_sql_col("s", psprintf(INCRLOAD_HIDDEN_PREFIX "c%d", arm));

		if (bms_is_member(arm, q->distinct_leaves))
			return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END)::pg_catalog.int8", c);
		return c;
	}
	s = castNode(SetOperationStmt, op);
	l = setop_count(q, s->larg);
	r = setop_count(q, s->rarg);
	switch (s->op)
	{
		case SETOP_UNION:
			n = psprintf("(%s OPERATOR(pg_catalog.+) %s)", l, r);
			break;
		case SETOP_INTERSECT:
			n = psprintf("LEAST(%s, %s)", l, r);
			break;
		case SETOP_EXCEPT:
			if (s->all)
				n = psprintf("GREATEST(%s OPERATOR(pg_catalog.-) %s, 0)", l, r);
			else
				return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 AND %s OPERATOR(pg_catalog.=) 0 "
								"THEN 1 ELSE 0 END)::pg_catalog.int8", l, r);
			break;
		default:
			elog(ERROR, "unrecognized set operation %d", (int) s->op);
	}
	if (s->all)
		return n;
	return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END)::pg_catalog.int8", n);
}

/* FILTER (WHERE ...) for an aggregate, with extra conditions; "" if none */
static char *
filter_clause(IncrloadAgg *agg, const char *extra)
{
	if (agg == NULL || agg->filtercol == 0)
	{
		if (extra == NULL)
			return "";
		return psprintf(" FILTER (WHERE %s)", extra);
	}
	if (extra == NULL)
		return psprintf(" FILTER (WHERE %s)", pre_col(agg->filtercol));
	return psprintf(" FILTER (WHERE %s AND %s)", pre_col(agg->filtercol), extra);
}

/*
 * The column's value aggregated over the pre relation "p" (columns e1..eN
 * and the weight __w).  With delta = false the weights are all 1 and this
 * is the column's value for the whole query.
 */
static char *
col_state(StorageCol *col, bool delta)
{
	IncrloadAgg *agg = col->agg;
	char	   *arg = agg && agg->argcol ? pre_col(agg->argcol) : NULL;
	char	   *rtype;

	switch (col->role)
	{
		case COL_KEY:
			return pre_col(col->keyno);
		case COL_COUNT:
			return "COALESCE(pg_catalog.sum(p.__w), 0)";
		case COL_LEAF_COUNT:
			/* the arm's number is the pre column after the keys */
			return psprintf("COALESCE(pg_catalog.sum(p.__w) FILTER (WHERE %s OPERATOR(pg_catalog.=) %d), 0)",
							pre_col(col->armcol), col->keyno);
		case COL_AGG_COUNT:
			return psprintf("COALESCE(pg_catalog.sum(p.__w)%s, 0)",
							filter_clause(agg, arg ? nonnull_test(arg, agg->argtype) : NULL));
		case COL_SUM:
			rtype = il_sql_type(agg->sumtype, -1);
			/* a weight is not always 1 or -1: a row of a view read counts */
			return psprintf("(pg_catalog.sum((%s)::%s OPERATOR(pg_catalog.*) p.__w)%s)::%s",
							arg, rtype, filter_clause(agg, NULL), rtype);
		case COL_NN:
			return psprintf("COALESCE(pg_catalog.sum(p.__w)%s, 0)",
							filter_clause(agg, nonnull_test(arg, agg->argtype)));
		case COL_EXTREME:
			return psprintf("pg_catalog.%s(%s)%s",
							agg->kind == IL_AGG_MIN ? "min" : "max", arg,
							filter_clause(agg, "p.__w OPERATOR(pg_catalog.>) 0"));
		case COL_DELETED_EXTREME:
			return psprintf("pg_catalog.%s(%s)%s",
							agg->kind == IL_AGG_MIN ? "min" : "max", arg,
							filter_clause(agg, "p.__w OPERATOR(pg_catalog.<) 0"));
		case COL_RECOMPUTE:
			if (delta)
				return psprintf("NULL::%s", il_sql_type(col->type, -1));
			return psprintf("%s(%s)%s",
							quote_qualified_identifier(get_namespace_name(get_func_namespace(agg->aggref->aggfnoid)),
													   get_func_name(agg->aggref->aggfnoid)),
							arg, filter_clause(agg, NULL));
		case COL_AVG:
		case COL_OUTPUT:
			break;
	}
	elog(ERROR, "storage column \"%s\" has no state", col->name);
	return NULL;				/* keep compiler quiet */
}

/* The column's new value from its old value (o) and the batch's (n). */
static char *
col_combine(StorageCol *col, const char *o, const char *n)
{
	char	   *oc = il_sql_col(o, col->name);
	char	   *nc = il_sql_col(n, col->name);

	switch (col->role)
	{
		case COL_COUNT:
		case COL_AGG_COUNT:
		case COL_NN:
		case COL_LEAF_COUNT:
			return psprintf("%s OPERATOR(pg_catalog.+) %s", oc, nc);
		case COL_SUM:
			return psprintf("CASE WHEN %s IS NULL THEN %s WHEN %s IS NULL THEN %s "
							"ELSE %s OPERATOR(pg_catalog.+) %s END",
							oc, nc, nc, oc, oc, nc);
		case COL_EXTREME:
			return psprintf("%s(%s, %s)",
							col->agg->kind == IL_AGG_MIN ? "LEAST" : "GREATEST",
							oc, nc);
		case COL_DELETED_EXTREME:
			return nc;
		case COL_RECOMPUTE:
			return oc;
		default:
			break;
	}
	return NULL;
}

/*
 * True when the (new) row's value of this column cannot be known without
 * looking at the group's rows: its extreme was deleted, or it is a float
 * sum.  NULL when the column never needs that.
 */
static char *
col_flag(StorageCol *col, const char *alias)
{
	StringInfoData buf;
	TypeCacheEntry *tc;
	char	   *c;
	char	   *dx;

	if (col->role == COL_RECOMPUTE)
		return "true";
	if (col->role != COL_EXTREME)
		return NULL;

	tc = lookup_type_cache(col->type, TYPECACHE_LT_OPR);
	c = il_sql_col(alias, col->name);
	dx = il_sql_col(alias, col->partner->name);
	initStringInfo(&buf);
	appendStringInfo(&buf, "(%s IS NOT NULL AND (%s IS NULL OR NOT (", dx, c);
	if (col->agg->kind == IL_AGG_MIN)
		generate_operator_clause(&buf, c, col->type, tc->lt_opr, dx, col->type);
	else
		generate_operator_clause(&buf, dx, col->type, tc->lt_opr, c, col->type);
	appendStringInfoString(&buf, ")))");
	return buf.data;
}

/*
 * Everything the apply runs for one view.
 */
IncrloadSql *
il_storage_build(IncrloadQuery *q, Oid view, Oid storage)
{
	IncrloadSql *sql = palloc0(sizeof(IncrloadSql));
	List	   *cols = storage_columns(q);
	char	   *st = storage_qualname(storage);
	char	   *viewname;
	StringInfoData names;
	StringInfoData fullstate;
	StringInfoData deltastate;
	StringInfoData groupby;
	StringInfoData keys;
	StringInfoData set;
	StringInfoData flag;
	StringInfoData rcols;
	StringInfoData rstate;
	StringInfoData rmatch;
	ListCell   *lc;
	int			nflags = 0;
	int			nrecompute = 0;

	viewname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(view)),
										  get_rel_name(view));
	sql->full_delete = psprintf("DELETE FROM %s", st);
	sql->verify = psprintf("SELECT (SELECT pg_catalog.count(*) FROM "
						   "(SELECT * FROM (%s) q EXCEPT ALL SELECT * FROM %s) m), "
						   "(SELECT pg_catalog.count(*) FROM "
						   "(SELECT * FROM %s EXCEPT ALL SELECT * FROM (%s) q) e)",
						   q->querydef, viewname, viewname, q->querydef);

	foreach(lc, q->base_relids)
		sql->batch_info = lappend(sql->batch_info,
								  il_delta_batch_info_sql(il_catalog_delta_for(lfirst_oid(lc))));

	if (q->kind == IL_VIEW_FULL)
	{
		sql->full_insert = psprintf("INSERT INTO %s SELECT * FROM (%s) q", st,
									q->querydef);
		return sql;
	}

	initStringInfo(&names);
	initStringInfo(&fullstate);
	initStringInfo(&deltastate);
	initStringInfo(&groupby);
	initStringInfo(&keys);
	initStringInfo(&set);
	initStringInfo(&flag);
	initStringInfo(&rcols);
	initStringInfo(&rstate);
	initStringInfo(&rmatch);

	sql->nkeys = q->nkeys;
	sql->key_types = palloc0(sizeof(Oid) * (q->nkeys + 1));
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);
		const char *qname = quote_identifier(col->name);
		char	   *f;

		if (col->role == COL_AVG)
			continue;
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", qname);
		appendStringInfo(&fullstate, "%s%s", fullstate.len ? ", " : "",
						 col_state(col, false));
		appendStringInfo(&deltastate, "%s%s AS %s", deltastate.len ? ", " : "",
						 col_state(col, true), qname);
		if (col->role == COL_KEY)
		{
			TypeCacheEntry *tc = lookup_type_cache(col->type, TYPECACHE_EQ_OPR);
			char	   *param = psprintf("$%d", col->keyno + 1);

			sql->key_types[col->keyno - 1] = col->type;
			appendStringInfo(&groupby, "%s%s", groupby.len ? ", " : "",
							 pre_col(col->keyno));
			appendStringInfo(&keys, "%s%s", keys.len ? ", " : "", qname);
			appendStringInfo(&rmatch, " AND (");
			generate_operator_clause(&rmatch, pre_col(col->keyno), col->type,
									 tc->eq_opr, param, col->type);
			appendStringInfo(&rmatch, " OR (%s IS NULL AND %s IS NULL))",
							 pre_col(col->keyno), param);
			continue;
		}
		appendStringInfo(&set, "%s%s = %s", set.len ? ", " : "", qname,
						 col_combine(col, "s", q->kind == IL_VIEW_GLOBAL ? "d" : "excluded"));
		f = col_flag(col, "s");
		if (f)
		{
			appendStringInfo(&flag, "%s%s", nflags++ ? " OR " : "", f);
			appendStringInfo(&rcols, "%s%s", nrecompute ? ", " : "", qname);
			appendStringInfo(&rstate, "%s%s", nrecompute ? ", " : "",
							 col_state(col, false));
			nrecompute++;
		}
	}

	sql->full_insert = psprintf("INSERT INTO %s (%s) SELECT %s FROM (%s) p%s%s",
								st, names.data, fullstate.data,
								il_delta_pre_sql(q, false),
								groupby.len ? " GROUP BY " : "", groupby.data);

	if (q->kind == IL_VIEW_GLOBAL)
		sql->upsert = psprintf("UPDATE %s s SET %s FROM (SELECT %s FROM (%s) p) d "
							   "RETURNING s.ctid, s.%s, %s, false",
							   st, set.data, deltastate.data, il_delta_pre_sql(q, true),
							   INCRLOAD_COUNT_NAME,
							   nflags ? flag.data : "false");
	else
	{
		StringInfoData ret;

		initStringInfo(&ret);
		foreach(lc, cols)
		{
			StorageCol *col = lfirst(lc);

			if (col->role == COL_KEY)
				appendStringInfo(&ret, ", %s", il_sql_col("s", col->name));
		}
		/*
		 * The last column tells inserted rows from updated ones: a row that
		 * ON CONFLICT updated carries our lock in xmax, a new one none.
		 */
		sql->upsert = psprintf("INSERT INTO %s AS s (%s) SELECT %s FROM (%s) p "
							   "GROUP BY %s%s "
							   "ON CONFLICT (%s) DO UPDATE SET %s "
							   "RETURNING s.ctid, s.%s, %s%s, "
							   "s.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid",
							   st, names.data, deltastate.data, il_delta_pre_sql(q, true),
							   groupby.data,
							   q->kind == IL_VIEW_AGG || q->kind == IL_VIEW_SETOP ? "" :
							   " HAVING pg_catalog.sum(p.__w) OPERATOR(pg_catalog.<>) 0",
							   keys.data, set.data, INCRLOAD_COUNT_NAME,
							   nflags ? flag.data : "false", ret.data);
	}

	sql->delete_rows = psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
								st);
	if (nrecompute > 0)
		sql->recompute = psprintf("UPDATE %s s SET (%s) = (SELECT %s FROM (%s) p WHERE true%s) "
								  "WHERE s.ctid OPERATOR(pg_catalog.=) $1",
								  st, rcols.data, rstate.data, il_delta_pre_sql(q, false),
								  rmatch.data);
	return sql;
}

/*
 * How often a storage row shows in the view, over the storage row as "s";
 * NULL when each row shows once.  A view that reads this one as a base
 * table counts its rows so.
 */
char *
il_storage_multiplicity(IncrloadQuery *q)
{
	if (q->kind == IL_VIEW_PROJECT)
		return il_sql_col("s", INCRLOAD_COUNT_NAME);
	if (q->kind == IL_VIEW_SETOP)
		return setop_count(q, q->setop);
	return NULL;
}
