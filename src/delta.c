/*-------------------------------------------------------------------------
 *
 * delta.c
 *	  The delta rules, as SQL: for one analyzed view, the statements that
 *	  create its storage table, fill it, apply a batch of changes to it and
 *	  check it.
 *
 * Every relation is a Z-set: rows with integer weights.  A batch of a base
 * table R is the rows of its delta table committed after the view's
 * watermark (and visible in the apply's snapshot), with weight +1 for an
 * inserted row and -1 for a deleted one.  For a join of R1 .. Rn the change
 * of the join is the telescoping sum
 *
 *	   dV = sum over i of  new_1 .. new_(i-1) x dR_i x old_(i+1) .. old_n
 *
 * where new_j is the base table as the apply's snapshot shows it and
 * old_j = new_j - dR_j (the base table UNION ALL its batch with weights
 * negated).  Weights multiply through the join; WHERE and projections
 * apply to weighted rows unchanged.
 *
 * Each term is the user's own query tree with its range table entries
 * replaced by subqueries over delta tables, and with a target list of the
 * expressions the view needs per input row (the "pre" relation: e1 .. eN
 * and a weight); ruleutils deparses it, so the user's expressions reach
 * the SQL exactly as PostgreSQL analyzed them.  On top of the pre relation
 * this file writes the aggregation itself: GROUP BY the row key, sum the
 * weights, fold each aggregate into the state the storage table keeps.
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
 *	  src/delta.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "capture.h"
#include "catalog.h"
#include "delta.h"

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
	COL_OUTPUT					/* FULL views: a column of the query */
} ColRole;

typedef struct StorageCol
{
	ColRole		role;
	char	   *name;
	Oid			type;
	int32		typmod;
	Oid			coll;
	int			keyno;			/* COL_KEY: 1-based pre column */
	IncrloadAgg *agg;
	struct StorageCol *partner; /* SUM: its COL_NN; AVG: its SUM; EXTREME: DX */
} StorageCol;

static List *storage_columns(IncrloadQuery *q);
static char *type_sql(Oid type, int32 typmod);
static char *qcol(const char *alias, const char *name);
static char *pre_col(int n);
static char *nonnull_test(const char *expr, Oid type);
static char *filter_clause(IncrloadAgg *agg, const char *extra);
static char *col_state(StorageCol *col, bool delta);
static char *col_combine(StorageCol *col, const char *o, const char *n);
static char *col_flag(StorageCol *col, const char *alias);
static char *batch_cond(const char *alias);
static char *batch_subquery_sql(Oid base, Oid delta, bool old, List **colnames);
static void substitute_rte(Query *pre, int rtindex, Oid base, bool old);
static char *pre_term_sql(IncrloadQuery *q, int delta_pos);
static char *pre_sql(IncrloadQuery *q, bool delta);
static char *storage_qualname(Oid storage);

static Oid	batch_param_types[INCRLOAD_BATCH_NPARAMS] = {PG_SNAPSHOTOID, XID8OID, INT8OID};

Oid *
il_delta_batch_param_types(void)
{
	return batch_param_types;
}

static char *
type_sql(Oid type, int32 typmod)
{
	return format_type_extended(type, typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

static char *
qcol(const char *alias, const char *name)
{
	return psprintf("%s.%s", alias, quote_identifier(name));
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
il_delta_storage_ddl(IncrloadQuery *q, const char *qualname)
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
						 type_sql(col->type, col->typmod));
		first = false;
		if (OidIsValid(col->coll) && col->coll != get_typcollation(col->type))
			appendStringInfo(&buf, " COLLATE %s",
							 generate_collation_name(col->coll));
		if (col->role == COL_COUNT || col->role == COL_AGG_COUNT ||
			col->role == COL_NN)
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
il_delta_view_sql(IncrloadQuery *q, Oid storage)
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
						 qcol("s", col->name), quote_identifier(col->name));
		first = false;
	}
	appendStringInfo(&buf, " FROM %s s", qualname);
	if (q->kind == IL_VIEW_PROJECT)
		appendStringInfo(&buf,
						 " CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, %s) g",
						 qcol("s", INCRLOAD_COUNT_NAME));
	return buf.data;
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
		case COL_AGG_COUNT:
			return psprintf("COALESCE(pg_catalog.sum(p.__w)%s, 0)",
							filter_clause(agg, arg ? nonnull_test(arg, agg->argtype) : NULL));
		case COL_SUM:
			rtype = type_sql(agg->sumtype, -1);
			return psprintf("(pg_catalog.sum(CASE WHEN p.__w OPERATOR(pg_catalog.>) 0 "
							"THEN (%s)::%s ELSE ((%s)::%s OPERATOR(pg_catalog.*) (-1)) END)%s)::%s",
							arg, rtype, arg, rtype, filter_clause(agg, NULL), rtype);
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
				return psprintf("NULL::%s", type_sql(col->type, -1));
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
	char	   *oc = qcol(o, col->name);
	char	   *nc = qcol(n, col->name);

	switch (col->role)
	{
		case COL_COUNT:
		case COL_AGG_COUNT:
		case COL_NN:
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
	c = qcol(alias, col->name);
	dx = qcol(alias, col->partner->name);
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
 * Which delta rows belong to the batch: committed (MVCC shows us nothing
 * else), and not yet applied: not visible in the watermark ($1), except
 * the rows the last applying transaction ($2) wrote after it read ($3).
 * The first condition lets the xid index find the range.
 */
static char *
batch_cond(const char *alias)
{
	char	   *xid = qcol(alias, INCRLOAD_DELTA_XID_NAME);

	return psprintf("%s OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($1) "
					"AND CASE WHEN %s OPERATOR(pg_catalog.=) $2 "
					"THEN %s OPERATOR(pg_catalog.>=) $3 "
					"ELSE NOT pg_catalog.pg_visible_in_snapshot(%s, $1) END",
					xid, xid, qcol(alias, INCRLOAD_DELTA_CID_NAME), xid);
}

/*
 * A subquery with the base table's row type (attnos line up, so the
 * query's Vars need no change) plus a weight: the batch, or, for old,
 * the table as it was before the batch.
 */
static char *
batch_subquery_sql(Oid base, Oid delta, bool old, List **colnames)
{
	Relation	brel = table_open(base, AccessShareLock);
	Relation	drel = table_open(delta, AccessShareLock);
	TupleDesc	bdesc = RelationGetDescr(brel);
	StringInfoData dcols;
	StringInfoData bcols;
	char	   *dname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(drel)),
												   RelationGetRelationName(drel));
	char	   *sql;

	initStringInfo(&dcols);
	initStringInfo(&bcols);
	*colnames = NIL;
	for (int i = 0; i < bdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(bdesc, i);
		char	   *name;

		if (attr->attisdropped)
		{
			name = psprintf(INCRLOAD_HIDDEN_PREFIX "dropped_%d", i + 1);
			appendStringInfo(&dcols, "NULL::pg_catalog.int4 AS %s, ", name);
			appendStringInfo(&bcols, "NULL::pg_catalog.int4 AS %s, ", name);
		}
		else
		{
			name = NameStr(attr->attname);
			if (get_attnum(delta, name) == InvalidAttrNumber)
				appendStringInfo(&dcols, "NULL::%s AS %s, ",
								 type_sql(attr->atttypid, attr->atttypmod),
								 quote_identifier(name));
			else
				appendStringInfo(&dcols, "%s, ", qcol("d", name));
			appendStringInfo(&bcols, "%s, ", qcol("b", name));
		}
		*colnames = lappend(*colnames, makeString(pstrdup(name)));
	}
	*colnames = lappend(*colnames, makeString(INCRLOAD_DELTA_W_NAME));

	if (!old)
		sql = psprintf("SELECT %sd.%s FROM %s d WHERE d.%s OPERATOR(pg_catalog.<>) 0 AND %s",
					   dcols.data, INCRLOAD_DELTA_W_NAME, dname,
					   INCRLOAD_DELTA_W_NAME, batch_cond("d"));
	else
		sql = psprintf("SELECT %s1::pg_catalog.int2 AS %s FROM %s%s b "
					   "UNION ALL "
					   "SELECT %s(OPERATOR(pg_catalog.-) d.%s)::pg_catalog.int2 FROM %s d "
					   "WHERE d.%s OPERATOR(pg_catalog.<>) 0 AND %s",
					   bcols.data, INCRLOAD_DELTA_W_NAME,
					   brel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? "" : "ONLY ",
					   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(brel)),
												  RelationGetRelationName(brel)),
					   dcols.data, INCRLOAD_DELTA_W_NAME, dname,
					   INCRLOAD_DELTA_W_NAME, batch_cond("d"));
	table_close(drel, AccessShareLock);
	table_close(brel, AccessShareLock);
	return sql;
}

/* Replace a base table reference of the query by its batch (or old state). */
static void
substitute_rte(Query *pre, int rtindex, Oid base, bool old)
{
	RangeTblEntry *rte = rt_fetch(rtindex, pre->rtable);
	Oid			delta = il_catalog_delta_for(base);
	List	   *colnames;
	char	   *sql;
	List	   *raw;
	Query	   *sub;

	if (!OidIsValid(delta))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" has no incrload delta table",
					   get_rel_name(base)),
				errhint("Unregister the view and register it again."));

	sql = batch_subquery_sql(base, delta, old, &colnames);
	raw = pg_parse_query(sql);
	sub = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql,
									batch_param_types, INCRLOAD_BATCH_NPARAMS,
									NULL);

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->security_barrier = false;
	rte->relid = InvalidOid;
	rte->relkind = 0;
	rte->rellockmode = 0;
	rte->tablesample = NULL;
	rte->inh = false;
	rte->requiredPerms = 0;
	rte->checkAsUser = InvalidOid;
	rte->selectedCols = NULL;
	rte->insertedCols = NULL;
	rte->updatedCols = NULL;
	rte->extraUpdatedCols = NULL;
	if (rte->alias == NULL)
		rte->alias = makeAlias(rte->eref->aliasname, NIL);
	rte->eref = makeAlias(rte->eref->aliasname, colnames);
}

/*
 * One term of the delta rule, as SQL with columns e1..eN and __w.
 * delta_pos is the position (in q->bases) of the reference that reads the
 * batch: references before it read the new state, after it the old one.
 * delta_pos < 0 reads every table in its new state (the full query).
 */
static char *
pre_term_sql(IncrloadQuery *q, int delta_pos)
{
	Query	   *pre = copyObject(q->query);
	List	   *tlist = NIL;
	List	   *weights = NIL;
	ListCell   *lc;
	int			resno = 0;
	StringInfoData buf;
	char	   *text;

	foreach(lc, q->pre_exprs)
	{
		resno++;
		tlist = lappend(tlist, makeTargetEntry(copyObject(lfirst(lc)), resno,
											   psprintf("e%d", resno), false));
	}
	if (delta_pos >= 0)
	{
		int			pos = 0;

		foreach(lc, q->bases)
		{
			IncrloadBaseRef *ref = lfirst(lc);
			int			natts;

			if (pos >= delta_pos)
			{
				Relation	rel = table_open(ref->relid, AccessShareLock);

				natts = RelationGetDescr(rel)->natts;
				table_close(rel, AccessShareLock);
				resno++;
				tlist = lappend(tlist,
								makeTargetEntry((Expr *) makeVar(ref->rtindex,
																 natts + 1,
																 INT2OID, -1,
																 InvalidOid, 0),
												resno,
												psprintf("w%d", resno), false));
				weights = lappend_int(weights, resno);
				substitute_rte(pre, ref->rtindex, ref->relid, pos > delta_pos);
			}
			pos++;
		}
	}

	pre->targetList = tlist;
	pre->groupClause = NIL;
	pre->groupingSets = NIL;
	pre->groupDistinct = false;
	pre->hasAggs = false;
	pre->havingQual = NULL;
	pre->sortClause = NIL;
	pre->distinctClause = NIL;
	pre->hasDistinctOn = false;
	pre->limitCount = NULL;
	pre->limitOffset = NULL;
	pre->windowClause = NIL;
	pre->rowMarks = NIL;
	text = pg_get_querydef(pre, false);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	for (int i = 1; i <= list_length(q->pre_exprs); i++)
		appendStringInfo(&buf, "t.e%d, ", i);
	if (weights == NIL)
		appendStringInfoString(&buf, "1");
	else
	{
		bool		first = true;

		foreach(lc, weights)
		{
			appendStringInfo(&buf, "%st.w%d::pg_catalog.int4",
							 first ? "" : " OPERATOR(pg_catalog.*) ",
							 lfirst_int(lc));
			first = false;
		}
	}
	appendStringInfo(&buf, " AS __w FROM (%s) t", text);
	return buf.data;
}

/* The pre relation: of the batch (every term, UNION ALL) or of the query. */
static char *
pre_sql(IncrloadQuery *q, bool delta)
{
	StringInfoData buf;

	if (!delta)
		return pre_term_sql(q, -1);
	initStringInfo(&buf);
	for (int i = 0; i < list_length(q->bases); i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? " UNION ALL " : "",
						 pre_term_sql(q, i));
	return buf.data;
}

/* count(*), whether it holds a TRUNCATE, and the oldest time, of a batch */
char *
il_delta_batch_info_sql(Oid delta)
{
	return psprintf("SELECT pg_catalog.count(*), "
					"COALESCE(pg_catalog.bool_or(d.%s OPERATOR(pg_catalog.=) 0), false), "
					"pg_catalog.min(d.%s) FROM %s d WHERE %s",
					INCRLOAD_DELTA_W_NAME, INCRLOAD_DELTA_TS_NAME,
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
											   get_rel_name(delta)),
					batch_cond("d"));
}

/*
 * Everything the apply runs for one view.
 */
IncrloadSql *
il_delta_build(IncrloadQuery *q, Oid view, Oid storage)
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
								pre_sql(q, false),
								groupby.len ? " GROUP BY " : "", groupby.data);

	if (q->kind == IL_VIEW_GLOBAL)
		sql->upsert = psprintf("UPDATE %s s SET %s FROM (SELECT %s FROM (%s) p) d "
							   "RETURNING s.ctid, s.%s, %s, false",
							   st, set.data, deltastate.data, pre_sql(q, true),
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
				appendStringInfo(&ret, ", %s", qcol("s", col->name));
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
							   st, names.data, deltastate.data, pre_sql(q, true),
							   groupby.data,
							   q->kind == IL_VIEW_AGG ? "" :
							   " HAVING pg_catalog.sum(p.__w) OPERATOR(pg_catalog.<>) 0",
							   keys.data, set.data, INCRLOAD_COUNT_NAME,
							   nflags ? flag.data : "false", ret.data);
	}

	sql->delete_rows = psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
								st);
	if (nrecompute > 0)
		sql->recompute = psprintf("UPDATE %s s SET (%s) = (SELECT %s FROM (%s) p WHERE true%s) "
								  "WHERE s.ctid OPERATOR(pg_catalog.=) $1",
								  st, rcols.data, rstate.data, pre_sql(q, false),
								  rmatch.data);
	return sql;
}
