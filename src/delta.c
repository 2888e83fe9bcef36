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
 * replaced by subqueries over delta tables (same attribute numbers as the
 * base table, so the user's expressions are untouched, plus a weight
 * column), and with a target list of the expressions the view needs per
 * input row (the "pre" relation: e1 .. eN and a weight __w); ruleutils
 * deparses it, so the user's expressions reach the SQL exactly as
 * PostgreSQL analyzed them.  storage.c folds the pre relation into the
 * storage table.
 *
 * Nothing here runs SQL; apply.c prepares and runs what storage.c builds.
 *
 * IDENTIFICATION
 *	  src/delta.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "tcop/tcopprot.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "capture.h"
#include "catalog.h"
#include "compat.h"
#include "delta.h"
#include "normalize.h"

static bool only_inner_joins(Node *node);

static Oid	batch_param_types[INCRLOAD_BATCH_NPARAMS] = {PG_SNAPSHOTOID, XID8OID, INT8OID};

Oid *
il_delta_batch_param_types(void)
{
	return batch_param_types;
}

char *
il_sql_type(Oid type, int32 typmod)
{
	return format_type_extended(type, typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

char *
il_sql_col(const char *alias, const char *name)
{
	return psprintf("%s.%s", alias, quote_identifier(name));
}

/*
 * The direction of an ORDER BY item sorting a value of the type with
 * sortop: " ASC" or " DESC" for the type's own order, else " USING
 * OPERATOR(schema.op)"; then NULLS FIRST or LAST, always written.
 */
void
il_sql_sort_order(StringInfo buf, Oid type, Oid sortop, bool nulls_first)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);

	if (sortop == tc->lt_opr)
		appendStringInfoString(buf, " ASC");
	else if (sortop == tc->gt_opr)
		appendStringInfoString(buf, " DESC");
	else
	{
		HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(sortop));
		Form_pg_operator op;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for operator %u", sortop);
		op = (Form_pg_operator) GETSTRUCT(tup);
		appendStringInfo(buf, " USING OPERATOR(%s.%s)",
						 quote_identifier(get_namespace_name(op->oprnamespace)),
						 NameStr(op->oprname));
		ReleaseSysCache(tup);
	}
	appendStringInfoString(buf, nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

/*
 * Which delta rows belong to the batch: committed (MVCC shows us nothing
 * else), and not yet applied: not visible in the watermark ($1), except
 * the rows the last applying transaction ($2) wrote after it read ($3)
 * (batch.c).  The first condition lets the xid index find the range.
 */
char *
il_delta_batch_cond(const char *alias)
{
	char	   *xid = il_sql_col(alias, INCRLOAD_DELTA_XID_NAME);

	return psprintf("%s OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($1) "
					"AND %s.in_batch(%s, %s, $1, $2, $3)",
					xid, INCRLOAD_SCHEMA, xid,
					il_sql_col(alias, INCRLOAD_DELTA_CID_NAME));
}

/*
 * What a base table reference reads in one term of the delta rule.  A
 * reference in the view's own FROM reads weighted rows (the delta rule is
 * linear in it); one inside a subquery in an expression (EXISTS, IN, a
 * scalar subquery) reads a relation PostgreSQL evaluates the subquery on,
 * so its old state must be the rows themselves, not rows with weights.
 */
typedef enum InputState
{
	IN_NEW,						/* the table as the apply's snapshot shows it */
	IN_DELTA,					/* its batch, weights +1/-1 */
	IN_OLD,						/* as before the batch, as weighted rows */
	IN_OLD_ROWS,				/* as before the batch, as rows */
	IN_NEW_ROWS					/* as the apply's snapshot shows it, as rows
								 * (another view's storage: each row as often
								 * as it counts) */
} InputState;

/*
 * One term of the delta rule of a branch: what each input reads (its FROM
 * list's inputs, then those of each subquery in its expressions), the
 * sign, and, for a term about a change inside a subquery, which input's
 * batch picks the outer rows it may affect (else -1).
 */
typedef struct Term
{
	int			sign;
	int			affected;
	InputState *states;
} Term;

/*
 * Which arms of IN_OLD_ROWS (see batch_subquery_sql): the table's rows the
 * batch left, the rows only the old state has, or both.
 */
#define OLD_ARM_KEPT	0x1
#define OLD_ARM_GONE	0x2
#define OLD_ARMS_ALL	(OLD_ARM_KEPT | OLD_ARM_GONE)
/*
 * With OLD_ARM_KEPT: the kept rows unfiltered, their test against the net
 * insertions returned apart, for the caller to put where it is cheaper
 * (see keyed_columns).
 */
#define OLD_ARM_BARE	0x4
/*
 * IN_DELTA, IN_OLD of a FROM input: the netted batch is one of the
 * statement's batches, a MATERIALIZED CTE computed once (see batch_cte).
 */
#define BATCH_SHARED	0x8

/*
 * Whether two values of the type that are equal (by its default equality,
 * under the collation) are always the same value.  Not so for numeric
 * (1.0 = 1.00), floats (0 = -0), interval ('1 day' = '24 hours'), char(n),
 * nondeterministic collations, and most types we know nothing of.
 */
bool
il_equality_is_identity(Oid type, Oid collation)
{
	switch (type)
	{
		case BOOLOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMESTAMPOID:
		case UUIDOID:
			return true;
		case TEXTOID:
		case VARCHAROID:
		case NAMEOID:
			return !OidIsValid(collation) || get_collation_isdeterministic(collation);
		default:
			return false;
	}
}

/*
 * A table's batch, each row with its weight times sign; with group (the
 * select list's positions, and the text of values whose equality is not
 * identity), the same rows summed: a row updated a thousand times in a
 * batch is one deletion and one insertion, not a thousand of each, before
 * anything joins it.
 */
static char *
batch_sql(const char *cols, const char *w, const char *dname, const char *da,
		  const char *group, int sign)
{
	const char *neg = sign < 0 ? "OPERATOR(pg_catalog.-) " : "";

	if (group == NULL)
		return psprintf("SELECT %s%s(%s) AS %s FROM %s %s WHERE %s.%s OPERATOR(pg_catalog.<>) 0 AND %s",
						cols, neg, w, INCRLOAD_DELTA_W_NAME, dname, da,
						da, INCRLOAD_DELTA_W_NAME, il_delta_batch_cond(da));
	/* no column read: the rows' count, one row */
	return psprintf("SELECT %s%s(pg_catalog.sum(%s))::pg_catalog.int4 AS %s FROM %s %s "
					"WHERE %s.%s OPERATOR(pg_catalog.<>) 0 AND %s%s%s "
					"HAVING pg_catalog.sum(%s) OPERATOR(pg_catalog.<>) 0",
					cols, neg, w, INCRLOAD_DELTA_W_NAME, dname, da,
					da, INCRLOAD_DELTA_W_NAME, il_delta_batch_cond(da),
					group[0] ? " GROUP BY " : "", group, w);
}

/*
 * The netted batches the statement being built reads in its FROM terms,
 * each computed once: a MATERIALIZED CTE named __incrload_b<n> at the top
 * of the statement (il_delta_batch_ctes), which every term of every branch
 * that reads that batch (the same SQL) shares.  Left in the terms, each
 * term would scan and net the batch again, and a nested loop that rescans
 * a term's batch would net it again for every outer row.  (sql, name)
 * pairs.
 */
static List *batch_ctes = NIL;

static const char *
batch_cte(const char *sql)
{
	ListCell   *lc;
	char	   *name;

	foreach(lc, batch_ctes)
	{
		List	   *pair = lfirst(lc);

		if (strcmp(linitial(pair), sql) == 0)
			return lsecond(pair);
	}
	name = psprintf(INCRLOAD_HIDDEN_PREFIX "b%d", list_length(batch_ctes) + 1);
	batch_ctes = lappend(batch_ctes, list_make2(pstrdup(sql), name));
	return name;
}

/*
 * SQL from batch_subquery_sql names its shared CTEs in a WITH of its own,
 * so that it parses alone; once parsed, those definitions go, wherever
 * they sit in the query: the statement's WITH defines them
 * (il_delta_batch_ctes), and the deparsed query reads them from there.
 */
static bool
shared_cte(const char *name)
{
	ListCell   *lc;

	foreach(lc, batch_ctes)
	{
		if (strcmp(lsecond((List *) lfirst(lc)), name) == 0)
			return true;
	}
	return false;
}

static bool
strip_shared_ctes_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		List	   *kept = NIL;
		ListCell   *lc;

		foreach(lc, q->cteList)
		{
			CommonTableExpr *cte = lfirst(lc);

			if (!shared_cte(cte->ctename))
				kept = lappend(kept, cte);
		}
		q->cteList = kept;
		return query_tree_walker(q, strip_shared_ctes_walker, context, 0);
	}
	return expression_tree_walker(node, strip_shared_ctes_walker, context);
}

static void
strip_shared_ctes(Query *q)
{
	(void) strip_shared_ctes_walker((Node *) q, NULL);
}

/*
 * The WITH list items of the batches the last il_delta_pre_sql read
 * ("name AS MATERIALIZED (sql), ..."), or NULL.
 */
char *
il_delta_batch_ctes(void)
{
	StringInfoData buf;
	ListCell   *lc;

	if (batch_ctes == NIL)
		return NULL;
	initStringInfo(&buf);
	foreach(lc, batch_ctes)
	{
		List	   *pair = lfirst(lc);

		appendStringInfo(&buf, "%s%s AS MATERIALIZED (%s)", buf.len ? ", " : "",
						 (char *) lsecond(pair), (char *) linitial(pair));
	}
	return buf.data;
}

/*
 * A subquery with the base table's row type (attnos line up, so the
 * query's Vars need no change) plus a weight (not for IN_OLD_ROWS).
 * used: the columns the reference reads (IN_OLD_ROWS only; others are
 * NULL there).  netcols (IN_DELTA, IN_OLD): the columns a term reads of a
 * batch (with 0, so that it is not empty), NULL for all: the batch's other
 * columns are NULL, and rows equal
 * in these are netted, so that a change of a column the view does not
 * read (an UPDATE of c_acctbal under a view of c_mktsegment) nets to
 * nothing before it joins anything.  With OLD_ARM_BARE, *kept_filter is set
 * to a query over the table as r whose WHERE is the kept rows' test.
 */
static char *
batch_subquery_sql(Oid base, Oid delta, InputState state, Bitmapset *used,
				   Bitmapset *netcols, const char *mult, int arms,
				   const char *filter, List **colnames, char **kept_filter)
{
	Relation	brel = table_open(base, AccessShareLock);
	Relation	drel = table_open(delta, AccessShareLock);
	TupleDesc	bdesc = RelationGetDescr(brel);
	StringInfoData dcols;
	StringInfoData bcols;
	StringInfoData ucols_d;		/* IN_OLD_ROWS: the used columns, as c1.. */
	StringInfoData ucols_r;
	StringInfoData ucols_n;
	StringInfoData ren_in;		/* ... c<n> AS name, for a filter */
	StringInfoData ren_out;		/* ... and back */
	StringInfoData groupby;
	StringInfoData match_eq;	/* IN_OLD_ROWS: a row equals a net insertion, whose values are not NULL */
	StringInfoData match_null;	/* ... equals one */
	StringInfoData nonnull;		/* ... whose values are not NULL */
	StringInfoData kept_lhs;	/* ... a row's values, as the net change's */
	StringInfoData kept_rhs;	/* ... which are these columns of it */
	StringInfoData kept_cond;	/* ... where these hold */
	StringInfoData keys_d;		/* ... t<n>, z<n>, see below */
	int			nkeys = 0;
	bool		identity;
	char	   *col;
	StringInfoData outcols;
	StringInfoData outcols_all;	/* IN_NEW_ROWS: every column, from s */
	StringInfoData netgroup;	/* IN_DELTA, IN_OLD: what rows are the same */
	StringInfoData names;		/* every column's name */
	StringInfoData ucols_s;		/* counted IN_OLD_ROWS: the used columns of s */
	StringInfoData cgroup;		/* ... what rows are the same */
	StringInfoData csel;		/* ... and their columns */
	bool		nettable = true;
	int			ncols = 0;
	char	   *dname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(drel)),
												   RelationGetRelationName(drel));
	char	   *bname = psprintf("%s%s",
								 brel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? "" : "ONLY ",
								 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(brel)),
															RelationGetRelationName(brel)));
	char	   *sql;

	/*
	 * Rows of another view's storage table count as often as that view
	 * shows them; its multiplicity is an expression over alias s, which
	 * every arm below then uses.
	 */
	const char *ba = mult ? "s" : "b";
	const char *da = mult ? "s" : "d";
	char	   *wnew = mult ? psprintf("(%s)::pg_catalog.int4", mult) : "1::pg_catalog.int4";
	char	   *wdelta = mult ?
		psprintf("(s.%s::pg_catalog.int4 OPERATOR(pg_catalog.*) (%s)::pg_catalog.int4)",
				 INCRLOAD_DELTA_W_NAME, mult) :
		psprintf("d.%s::pg_catalog.int4", INCRLOAD_DELTA_W_NAME);

	initStringInfo(&dcols);
	initStringInfo(&bcols);
	initStringInfo(&ucols_d);
	initStringInfo(&ucols_r);
	initStringInfo(&ucols_n);
	initStringInfo(&ren_in);
	initStringInfo(&ren_out);
	initStringInfo(&groupby);
	initStringInfo(&match_eq);
	initStringInfo(&match_null);
	initStringInfo(&nonnull);
	initStringInfo(&kept_lhs);
	initStringInfo(&kept_rhs);
	initStringInfo(&kept_cond);
	initStringInfo(&keys_d);
	initStringInfo(&outcols);
	initStringInfo(&outcols_all);
	initStringInfo(&netgroup);
	initStringInfo(&names);
	initStringInfo(&ucols_s);
	initStringInfo(&cgroup);
	initStringInfo(&csel);
	*colnames = NIL;
	for (int i = 0; i < bdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(bdesc, i);
		char	   *name;
		bool		in_delta;

		if (attr->attisdropped)
		{
			name = psprintf(INCRLOAD_HIDDEN_PREFIX "dropped_%d", i + 1);
			appendStringInfo(&names, "%s, ", name);
			appendStringInfo(&dcols, "NULL::pg_catalog.int4 AS %s, ", name);
			appendStringInfo(&bcols, "NULL::pg_catalog.int4 AS %s, ", name);
			appendStringInfo(&outcols, "%sNULL::pg_catalog.int4 AS %s",
							 outcols.len ? ", " : "", name);
			appendStringInfo(&outcols_all, "%sNULL::pg_catalog.int4 AS %s",
							 outcols_all.len ? ", " : "", name);
			*colnames = lappend(*colnames, makeString(pstrdup(name)));
			continue;
		}
		name = NameStr(attr->attname);
		appendStringInfo(&names, "%s, ", quote_identifier(name));
		in_delta = get_attnum(delta, name) != InvalidAttrNumber;
		if (!in_delta || (netcols != NULL && !bms_is_member(i + 1, netcols)))
			appendStringInfo(&dcols, "NULL::%s AS %s, ",
							 il_sql_type(attr->atttypid, attr->atttypmod),
							 quote_identifier(name));
		else
		{
			TypeCacheEntry *tc = lookup_type_cache(attr->atttypid,
												   TYPECACHE_EQ_OPR | TYPECACHE_LT_OPR |
												   TYPECACHE_HASH_PROC);

			appendStringInfo(&dcols, "%s, ", il_sql_col(da, name));
			/* rows the same in every column that is not NULL here */
			appendStringInfo(&netgroup, "%s%d", netgroup.len ? ", " : "", i + 1);
			if (!OidIsValid(tc->eq_opr) ||
				(!OidIsValid(tc->lt_opr) && !OidIsValid(tc->hash_proc)))
				nettable = false;
			else if (!il_equality_is_identity(attr->atttypid, attr->attcollation))
				appendStringInfo(&netgroup, ", (%s)::pg_catalog.text",
								 il_sql_col(da, name));
		}
		appendStringInfo(&bcols, "%s, ", il_sql_col(ba, name));
		appendStringInfo(&outcols_all, "%s%s", outcols_all.len ? ", " : "",
						 il_sql_col("s", name));

		if (state == IN_OLD_ROWS && bms_is_member(i + 1, used))
		{
			TypeCacheEntry *tc = lookup_type_cache(attr->atttypid, TYPECACHE_EQ_OPR);

			if (!OidIsValid(tc->eq_opr))
				ereport(ERROR,
						errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("column \"%s\" of type %s cannot be read by a subquery in an expression in incremental mode",
							   name, format_type_be(attr->atttypid)),
						errdetail("Type %s has no equality operator.",
								  format_type_be(attr->atttypid)),
						errhint("Use mode => 'full' to maintain this view by recomputation."));
			if (!in_delta)
				elog(ERROR, "incrload: delta table of \"%s\" lacks column \"%s\"",
					 RelationGetRelationName(brel), name);
			ncols++;
			appendStringInfo(&ucols_d, "%s%s AS c%d", ncols > 1 ? ", " : "",
							 il_sql_col("d", name), ncols);
			appendStringInfo(&ucols_r, "%s%s AS c%d", ncols > 1 ? ", " : "",
							 il_sql_col("r", name), ncols);
			appendStringInfo(&ucols_n, "%sn.c%d", ncols > 1 ? ", " : "", ncols);
			appendStringInfo(&ren_in, "%sg.c%d AS %s", ncols > 1 ? ", " : "", ncols,
							 quote_identifier(name));
			appendStringInfo(&ren_out, "%s%s AS c%d", ncols > 1 ? ", " : "",
							 il_sql_col("x", name), ncols);
			appendStringInfo(&ucols_s, "%s AS c%d, ", il_sql_col("s", name), ncols);
			appendStringInfo(&cgroup, "%sx.c%d", ncols > 1 ? ", " : "", ncols);
			appendStringInfo(&csel, "x.c%d, ", ncols);
			appendStringInfo(&groupby, "%s%d", ncols > 1 ? ", " : "", ncols);
			appendStringInfo(&outcols, "%su.c%d AS %s", outcols.len ? ", " : "",
							 ncols, quote_identifier(name));

			/*
			 * Rows are told apart by identity, not equality (an UPDATE of
			 * 1.0 to 1.00 must not cancel out), and NULLs are values here.
			 * A column that can be NULL, or whose type's equality is not
			 * identity, is matched on its text and NULL-ness, which both
			 * hash: the net change carries them as t<n> and z<n>.
			 */
			identity = il_equality_is_identity(attr->atttypid, attr->attcollation);
			if (!identity)
				appendStringInfo(&cgroup, ", (x.c%d)::pg_catalog.text", ncols);
			col = il_sql_col("r", name);
			if (attr->attnotnull && identity)
			{
				appendStringInfo(&kept_lhs, "%s%s", kept_lhs.len ? ", " : "", col);
				appendStringInfo(&kept_rhs, "%sn.c%d", kept_rhs.len ? ", " : "", ncols);
				/* a delta row from before a SET NOT NULL */
				appendStringInfo(&kept_cond, " AND n.c%d IS NOT NULL", ncols);
			}
			else
			{
				appendStringInfo(&kept_lhs, "%sCOALESCE((%s)::pg_catalog.text, ''), (%s IS NULL)",
								 kept_lhs.len ? ", " : "", col, col);
				appendStringInfo(&kept_rhs, "%sn.t%d, n.z%d", kept_rhs.len ? ", " : "",
								 ncols, ncols);
				appendStringInfo(&keys_d, ", COALESCE((%s)::pg_catalog.text, '') AS t%d, "
								 "(%s IS NULL) AS z%d",
								 il_sql_col("d", name), ncols, il_sql_col("d", name), ncols);
				nkeys += 2;
			}

			/*
			 * Counting a net insertion's copies in the table: by plain
			 * equality (an index scan) when its values are not NULL, else
			 * with an OR that finds the NULLs.
			 */
			{
				/*
				 * The type's own equality, wherever it lives (hstore's
				 * is in the schema of its extension); a type without one
				 * is matched on its text alone.
				 */
				TypeCacheEntry *tce = lookup_type_cache(attr->atttypid, TYPECACHE_EQ_OPR);
				StringInfoData eq;

				initStringInfo(&eq);
				if (OidIsValid(tce->eq_opr))
					generate_operator_clause(&eq, psprintf("n.c%d", ncols), attr->atttypid,
											 tce->eq_opr, col, attr->atttypid);
				if (eq.len > 0)
				{
					appendStringInfo(&match_eq, " AND %s", eq.data);
					if (attr->attnotnull)
						appendStringInfo(&match_null, " AND %s", eq.data);
					else
						appendStringInfo(&match_null, " AND (%s OR (n.c%d IS NULL AND %s IS NULL))",
										 eq.data, ncols, col);
				}
				if (!attr->attnotnull)
					appendStringInfo(&nonnull, "%sn.c%d IS NOT NULL",
									 nonnull.len > 0 ? " AND " : "", ncols);
			}
			if (!identity)
			{
				appendStringInfo(&match_eq, " AND n.t%d OPERATOR(pg_catalog.=) (%s)::pg_catalog.text",
								 ncols, col);
				appendStringInfo(&match_null, " AND n.t%d OPERATOR(pg_catalog.=) COALESCE((%s)::pg_catalog.text, '')"
								 " AND n.z%d OPERATOR(pg_catalog.=) (%s IS NULL)",
								 ncols, col, ncols, col);
			}
		}
		else
			appendStringInfo(&outcols, "%sNULL::%s AS %s", outcols.len ? ", " : "",
							 il_sql_type(attr->atttypid, attr->atttypmod),
							 quote_identifier(name));
		*colnames = lappend(*colnames, makeString(pstrdup(name)));
	}
	if (state != IN_OLD_ROWS && state != IN_NEW_ROWS)
		*colnames = lappend(*colnames, makeString(INCRLOAD_DELTA_W_NAME));

	switch (state)
	{
		case IN_NEW:
			/* only counted rows need this: others read the table itself */
			sql = psprintf("SELECT %s%s AS %s FROM %s %s",
						   bcols.data, wnew, INCRLOAD_DELTA_W_NAME, bname, ba);
			break;
		case IN_DELTA:
			sql = batch_sql(dcols.data, wdelta, dname, da, nettable ? netgroup.data : NULL, 1);
			if (filter)
				sql = psprintf("SELECT * FROM (%s) x WHERE %s", sql, filter);
			if (arms & BATCH_SHARED)
			{
				const char *cte = batch_cte(sql);

				sql = psprintf("WITH %s AS (%s) SELECT * FROM %s", cte, sql, cte);
			}
			break;
		case IN_OLD:
			if (arms & BATCH_SHARED)
			{
				char	   *batch = batch_sql(dcols.data, wdelta, dname, da,
											  nettable ? netgroup.data : NULL, 1);
				const char *cte;

				if (filter)
					batch = psprintf("SELECT * FROM (%s) x WHERE %s", batch, filter);
				cte = batch_cte(batch);

				sql = psprintf("WITH %s AS (%s) SELECT %s%s AS %s FROM %s %s "
							   "UNION ALL SELECT %sOPERATOR(pg_catalog.-) %s.%s FROM %s",
							   cte, batch, bcols.data, wnew, INCRLOAD_DELTA_W_NAME,
							   bname, ba, names.data, cte, INCRLOAD_DELTA_W_NAME, cte);
			}
			else
				sql = psprintf("SELECT %s%s AS %s FROM %s %s UNION ALL %s",
							   bcols.data, wnew, INCRLOAD_DELTA_W_NAME, bname, ba,
							   batch_sql(dcols.data, wdelta, dname, da,
										 nettable ? netgroup.data : NULL, -1));
			break;
		case IN_NEW_ROWS:
			/* inside a subquery: the rows themselves, each as often as it counts */
			sql = psprintf("SELECT %s FROM %s s CROSS JOIN LATERAL "
						   "pg_catalog.generate_series(1::pg_catalog.int8, (%s)::pg_catalog.int8) g",
						   outcols_all.data, bname, mult);
			break;
		case IN_OLD_ROWS:
			if (mult)
			{
				/*
				 * Another view's rows, each as often as that view shows it:
				 * old = new - batch as weighted rows, the same rows (by
				 * identity, as in netting) summed, each repeated as often
				 * as it counts.  A correlated condition on the columns
				 * read reaches both arms through the grouping.
				 */
				if (ncols == 0)
				{
					appendStringInfoString(&ucols_s, "NULL::pg_catalog.int4 AS c0, ");
					appendStringInfoString(&cgroup, "x.c0");
					appendStringInfoString(&csel, "x.c0, ");
				}
				sql = psprintf("SELECT %s FROM (SELECT %spg_catalog.sum(x.k) AS k FROM ("
							   "SELECT %s(%s)::pg_catalog.int4 AS k FROM %s s "
							   "UNION ALL "
							   "SELECT %sOPERATOR(pg_catalog.-) %s AS k FROM %s s "
							   "WHERE s.%s OPERATOR(pg_catalog.<>) 0 AND %s) x "
							   "GROUP BY %s) u CROSS JOIN LATERAL "
							   "pg_catalog.generate_series(1::pg_catalog.int8, u.k) g "
							   "WHERE u.k OPERATOR(pg_catalog.>) 0",
							   outcols.data, csel.data,
							   ucols_s.data, mult, bname,
							   ucols_s.data, wdelta, dname,
							   INCRLOAD_DELTA_W_NAME, il_delta_batch_cond("s"),
							   cgroup.data);
				break;
			}
			{
				/*
				 * old = new - inserted + deleted, as a multiset, on the
				 * columns read: the rows of the table that no net insertion
				 * names, the copies of those it names that the insertions
				 * leave, and the net deletions.  Correlated conditions on
				 * the table's columns reach each arm (UNION ALL), so this
				 * reads what an index finds, not the whole table.
				 */
				char	   *net;
				char	   *copies;
				char	   *kept;
				char	   *gone;
				const char *limit;

				if (ncols == 0)
				{
					/* the subquery reads no column: only how many rows */
					appendStringInfoString(&ucols_d, "NULL::pg_catalog.int4 AS c0");
					appendStringInfoString(&ucols_r, "NULL::pg_catalog.int4 AS c0");
					appendStringInfoString(&ucols_n, "n.c0");
					appendStringInfoString(&groupby, "1");
				}
				for (int k = 1; k <= nkeys; k++)
					appendStringInfo(&groupby, ", %d", ncols + k);
				appendStringInfoString(&ucols_d, keys_d.data);

				/*
				 * Only read under EXISTS, the old-only rows need no
				 * multiplicity: one of each, and a net insertion's copies
				 * are counted no further than one past it.
				 */
				limit = arms == OLD_ARM_GONE ?
					" LIMIT n.__incrload_k OPERATOR(pg_catalog.+) 1" : "";
				copies = psprintf("(SELECT pg_catalog.count(*) FROM (SELECT FROM %s r WHERE true%s%s) c)",
								  bname, match_eq.data, limit);
				if (nonnull.len > 0)
					copies = psprintf("CASE WHEN %s THEN %s ELSE (SELECT pg_catalog.count(*) FROM "
									  "(SELECT FROM %s r WHERE true%s%s) c) END",
									  nonnull.data, copies, bname, match_null.data, limit);
				net = psprintf("(SELECT %s, pg_catalog.sum(d.%s)::pg_catalog.int8 AS __incrload_k "
							   "FROM %s d WHERE d.%s OPERATOR(pg_catalog.<>) 0 AND %s GROUP BY %s)",
							   ucols_d.data, INCRLOAD_DELTA_W_NAME, dname,
							   INCRLOAD_DELTA_W_NAME, il_delta_batch_cond("d"), groupby.data);

				/*
				 * The rows no net insertion names: the net insertions are
				 * tested as one hashed NOT IN over non-NULL values, built
				 * once per statement however often an outer row reads
				 * this.  (A NOT EXISTS would be joined to each outer row's
				 * share of the batch, a scan of the batch every time.)
				 */
				if (ncols == 0)
					kept = psprintf("SELECT %s FROM %s r WHERE NOT EXISTS "
									"(SELECT FROM %s n WHERE n.__incrload_k OPERATOR(pg_catalog.>) 0)",
									ucols_r.data, bname, net);
				else
					kept = psprintf("SELECT %s FROM %s r WHERE (%s) NOT IN "
									"(SELECT %s FROM %s n WHERE n.__incrload_k OPERATOR(pg_catalog.>) 0%s)",
									ucols_r.data, bname, kept_lhs.data,
									kept_rhs.data, net, kept_cond.data);
				if (arms & OLD_ARM_BARE)
				{
					*kept_filter = kept;
					kept = psprintf("SELECT %s FROM %s r", ucols_r.data, bname);
				}
				if (arms == OLD_ARM_GONE)
					gone = psprintf("SELECT %s FROM %s n "
									"WHERE n.__incrload_k OPERATOR(pg_catalog.>) 0 "
									"AND %s OPERATOR(pg_catalog.>) n.__incrload_k "
									"UNION ALL "
									"SELECT %s FROM %s n WHERE n.__incrload_k OPERATOR(pg_catalog.<) 0",
									ucols_n.data, net, copies, ucols_n.data, net);
				else
					gone = psprintf("SELECT %s FROM %s n CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, "
									"(%s) OPERATOR(pg_catalog.-) n.__incrload_k) g "
									"WHERE n.__incrload_k OPERATOR(pg_catalog.>) 0 "
									"UNION ALL "
									"SELECT %s FROM %s n CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, "
									"OPERATOR(pg_catalog.-) n.__incrload_k) g "
									"WHERE n.__incrload_k OPERATOR(pg_catalog.<) 0",
									ucols_n.data, net, copies, ucols_n.data, net);
				/*
				 * The old-only rows depend on the batch only: computed once
				 * per statement (one of its shared CTEs, see batch_cte),
				 * not again each time a join or subplan rescans them,
				 * which, with a batch taken to be small (batch.c), a
				 * nested loop does for every outer row, nor again in
				 * every term and subquery that reads the table's old
				 * state (q21 reads lineitem's in ten places).
				 */
				if (arms & OLD_ARM_GONE)
				{
					const char *cte;

					/*
					 * The subquery's conditions on this table alone, over
					 * the old-only rows once (filter names the columns;
					 * they are c1.. here): rescanned by a nested loop,
					 * the CTE was tested again for every outer row (q13:
					 * o_comment NOT LIKE, 112 rows times 294).
					 */
					if (filter)
						gone = psprintf("SELECT %s FROM (SELECT %s FROM (%s) g) x WHERE %s",
										ren_out.data, ren_in.data, gone, filter);
					cte = batch_cte(gone);

					/*
					 * With both arms, the kept rows stay a plain subquery
					 * so that an outer row's correlated condition reaches
					 * the table's index, while the old-only rows are read
					 * from the shared CTE (pushed into them, the condition
					 * would net the whole batch again for every outer row:
					 * q20's storage of an aggregated subquery).
					 */
					if (arms == OLD_ARM_GONE)
						sql = psprintf("WITH %s AS (%s) SELECT %s FROM %s u",
									   cte, gone, outcols.data, cte);
					else
						sql = psprintf("WITH %s AS (%s) SELECT %s FROM (%s UNION ALL "
									   "SELECT * FROM %s) u",
									   cte, gone, outcols.data, kept, cte);
				}
				else
					sql = psprintf("SELECT %s FROM (%s) u", outcols.data, kept);
				break;
			}
		default:
			elog(ERROR, "incrload: unknown input state %d", (int) state);
			sql = NULL;
	}
	table_close(drel, AccessShareLock);
	table_close(brel, AccessShareLock);
	return sql;
}

/*
 * Replace a base table reference of a query by its batch or old state.
 * used: the columns the reference reads (for IN_OLD_ROWS).
 */
static char *substitute_rte_arms(Query *pre, IncrloadBaseRef *ref,
								 InputState state, int arms);
static const char *shared_batch_name(Query *pre, IncrloadBaseRef *ref);

static void
substitute_rte(Query *pre, IncrloadBaseRef *ref, InputState state)
{
	substitute_rte_arms(pre, ref, state, OLD_ARMS_ALL);
}

/*
 * The columns (attribute numbers) of range table entry rtindex a query
 * reads; *other (if given) tells whether it also reads system columns or
 * the whole row.
 */
static Bitmapset *
used_columns(Query *q, int rtindex, bool *other)
{
	Bitmapset  *raw = NULL;
	Bitmapset  *used = NULL;
	int			x = -1;
	ListCell   *lc;

	pull_varattnos((Node *) q->targetList, rtindex, &raw);
	pull_varattnos((Node *) q->jointree, rtindex, &raw);
	pull_varattnos(q->havingQual, rtindex, &raw);
	/* and what functions in FROM expand (FROM t, unnest(t.tags)) */
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_FUNCTION)
			pull_varattnos((Node *) rte->functions, rtindex, &raw);
	}
	if (other)
		*other = false;
	/* pull_varattnos offsets attribute numbers by this */
	while ((x = bms_next_member(raw, x)) >= 0)
		if (x + FirstLowInvalidHeapAttributeNumber > 0)
			used = bms_add_member(used, x + FirstLowInvalidHeapAttributeNumber);
		else if (other)
			*other = true;
	return used;
}

typedef struct DeepColumns
{
	int			rtindex;
	int			depth;
	Bitmapset  *cols;
	bool		whole;
} DeepColumns;

static bool
deep_columns_walker(Node *node, DeepColumns *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == ctx->rtindex && var->varlevelsup == ctx->depth)
		{
			if (var->varattno > 0)
				ctx->cols = bms_add_member(ctx->cols, var->varattno);
			else
				ctx->whole = true;
		}
		return false;
	}
	if (IsA(node, Query))
	{
		bool		result;

		ctx->depth++;
		result = query_tree_walker((Query *) node, deep_columns_walker, ctx,
								   QTW_IGNORE_RANGE_TABLE);
		ctx->depth--;
		return result;
	}
	return expression_tree_walker(node, deep_columns_walker, ctx);
}

/*
 * The columns of range table entry rtindex (table relid) that a query
 * reads anywhere, its subqueries in expressions too; *all when it reads
 * the whole row.  Columns beyond the table's (a term's weight) do not
 * count.
 */
static Bitmapset *
read_columns(Query *q, int rtindex, Oid relid, bool *all)
{
	Relation	rel = table_open(relid, AccessShareLock);
	int			natts = RelationGetNumberOfAttributes(rel);
	DeepColumns ctx;
	Bitmapset  *cols = NULL;
	int			x = -1;
	ListCell   *lc;

	table_close(rel, AccessShareLock);
	ctx.rtindex = rtindex;
	ctx.depth = 0;
	ctx.cols = NULL;
	ctx.whole = false;
	(void) query_tree_walker(q, deep_columns_walker, &ctx, QTW_IGNORE_RANGE_TABLE);
	/* what functions in FROM expand (FROM t, unnest(t.tags)) */
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_FUNCTION)
			(void) deep_columns_walker((Node *) rte->functions, &ctx);
	}
	*all = ctx.whole;
	while ((x = bms_next_member(ctx.cols, x)) >= 0)
		if (x <= natts)
			cols = bms_add_member(cols, x);
	return cols;
}


/*
 * The conditions of a term's (or its subquery's) WHERE that read input
 * rtindex alone, as SQL over alias x (the input's batch, or the old-only
 * rows of its old state), or NULL.  A shared batch applies them
 * once, where it is netted, so that the terms read only the rows that
 * pass: else a nested loop that rescans the batch (two batches joined,
 * each taken to be a row or two) tests every row of it again for each
 * outer row (TPC-H q12: 304 changed orders times 1,252 changed lineitems
 * tested against the shipping conditions, 52 of the apply's 57 ms).  The
 * terms keep the conditions too: applied twice, they pass the same rows.
 * Only what reads no other input, no subquery, no volatile function and
 * no whole row or system column (the batch has a weight and no ctid).
 */
static char *
batch_filter(Query *pre, int rtindex, Oid base)
{
	List	   *mine = NIL;
	ListCell   *lc;
	Node	   *expr;

	foreach(lc, make_ands_implicit((Expr *) pre->jointree->quals))
	{
		Node	   *cond = lfirst(lc);
		Bitmapset  *attrs = NULL;
		Bitmapset  *rels;
		bool		plain = true;
		int			x = -1;

		if (checkExprHasSubLink(cond) || contain_volatile_functions(cond) ||
			il_analyze_reads_outer(cond, NULL))
			continue;
		rels = pull_varnos(NULL, cond);
		if (bms_membership(rels) != BMS_SINGLETON || !bms_is_member(rtindex, rels))
			continue;
		pull_varattnos(cond, rtindex, &attrs);
		while ((x = bms_next_member(attrs, x)) >= 0)
			plain &= x + FirstLowInvalidHeapAttributeNumber > 0;
		if (plain)
			mine = lappend(mine, cond);
	}
	if (mine == NIL)
		return NULL;
	expr = (Node *) copyObject(make_ands_explicit(mine));
	ChangeVarNodes(expr, rtindex, 1, 0);
	return deparse_expression(expr, deparse_context_for("x", base), true, false);
}

/*
 * The same, for IN_OLD_ROWS with only some of its arms; with OLD_ARM_BARE,
 * returns the SQL of the kept rows' test (see batch_subquery_sql).
 */
static char *
substitute_rte_arms(Query *pre, IncrloadBaseRef *ref, InputState state, int arms)
{
	int			rtindex = ref->rtindex;
	Oid			base = ref->relid;
	RangeTblEntry *rte = rt_fetch(rtindex, pre->rtable);
	Oid			delta = il_catalog_delta_for(base);
	Bitmapset  *used = NULL;
	Bitmapset  *netcols = NULL;
	List	   *colnames;
	char	   *sql;
	char	   *kept_filter = NULL;
	char	   *filter = NULL;
	List	   *raw;
	Query	   *sub;

	/* a table in its new state is the table, unless its rows count */
	if ((state == IN_NEW || state == IN_NEW_ROWS) && ref->mult == NULL)
		return NULL;
	if (!OidIsValid(delta))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" has no incrload delta table",
					   get_rel_name(base)),
				errhint("Unregister the view and register it again."));
	if (state == IN_OLD_ROWS)
		used = used_columns(pre, rtindex, NULL);
	if (state == IN_DELTA || state == IN_OLD)
	{
		bool		all;

		netcols = read_columns(pre, rtindex, base, &all);
		/* no column read: every row nets with every other (one count) */
		if (!all)
			netcols = bms_add_member(netcols, 0);
		else
			netcols = NULL;
	}

	if (ref->mult == NULL &&
		(((state == IN_DELTA || state == IN_OLD) && (arms & BATCH_SHARED)) ||
		 (state == IN_OLD_ROWS && (arms & OLD_ARM_GONE))))
		filter = batch_filter(pre, rtindex, base);
	sql = batch_subquery_sql(base, delta, state, used, netcols, ref->mult, arms, filter, &colnames,
							 &kept_filter);
	raw = pg_parse_query(sql);
	sub = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql,
									batch_param_types, INCRLOAD_BATCH_NPARAMS,
									NULL);
	/* a shared batch is defined at the top of the statement, not here */
	strip_shared_ctes(sub);

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->security_barrier = false;
	rte->relid = InvalidOid;
	rte->relkind = 0;
	rte->rellockmode = 0;
	rte->tablesample = NULL;
	rte->inh = false;
	il_rte_drop_permissions(rte);
	/*
	 * The query's column aliases for the table go: Vars name columns by
	 * number, and the subquery's own names are what the SQL reads.
	 */
	rte->alias = makeAlias(rte->eref->aliasname, NIL);
	rte->eref = makeAlias(rte->eref->aliasname, colnames);
	return kept_filter;
}

/* The subqueries of a branch's expressions, in il_normalize_sublinks order. */
static List *
branch_sublinks(Query *q)
{
	return il_normalize_sublinks(q);
}

/* EXISTS (SELECT FROM sub WHERE its conditions AND qual), sub stripped */
static Node *
exists_in(Query *sub, Node *qual)
{
	SubLink    *ex = makeNode(SubLink);

	sub = copyObject(sub);
	if (qual)
		sub->jointree->quals = (Node *) make_and_qual(sub->jointree->quals,
													  copyObject(qual));
	ex->subLinkType = EXISTS_SUBLINK;
	ex->subLinkId = 0;
	ex->testexpr = NULL;
	ex->operName = NIL;
	ex->subselect = (Node *) sub;
	ex->location = -1;
	return (Node *) ex;
}

Node *
il_null_test(Node *arg, NullTestType type)
{
	NullTest   *nt = makeNode(NullTest);

	nt->arg = (Expr *) copyObject(arg);
	nt->nulltesttype = type;
	nt->argisrow = false;
	nt->location = -1;
	return (Node *) nt;
}

static Node *
bool_test(Node *arg, BoolTestType type)
{
	BooleanTest *bt = makeNode(BooleanTest);

	bt->arg = (Expr *) arg;
	bt->booltesttype = type;
	bt->location = -1;
	return (Node *) bt;
}

static Node *
not_expr(Node *arg)
{
	return (Node *) makeBoolExpr(NOT_EXPR, list_make1(arg), -1);
}

/*
 * Whether an outer-row expression can be NULL: only a column declared NOT
 * NULL of a table of the FROM list is known not to be.
 */
bool
il_may_be_null(Node *expr, Query *outer)
{
	Var		   *var;
	RangeTblEntry *rte;

	if (!IsA(expr, Var))
		return true;
	var = (Var *) expr;
	if (var->varlevelsup != 0 || var->varattno <= 0)
		return true;
	rte = rt_fetch(var->varno, outer->rtable);
	if (rte->rtekind != RTE_RELATION)
		return true;
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(rte->relid),
										  Int16GetDatum(var->varattno));
		bool		notnull;

		if (!HeapTupleIsValid(tup))
			return true;
		notnull = ((Form_pg_attribute) GETSTRUCT(tup))->attnotnull;
		ReleaseSysCache(tup);
		return !notnull;
	}
}

/*
 * Whether conjunct c of a subquery's WHERE equates an expression of the
 * subquery's own rows with one of the outer row's, by an operator a join
 * can hash or merge: l2.l_orderkey = l1.l_orderkey.
 */
static bool
correlating_equality(Node *c)
{
	OpExpr	   *op = (OpExpr *) c;
	Node	   *l;
	Node	   *r;
	Oid			ltype;

	if (!IsA(c, OpExpr) || list_length(op->args) != 2)
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	ltype = exprType(l);
	if (!op_mergejoinable(op->opno, ltype) && !op_hashjoinable(op->opno, ltype))
		return false;
	return (contain_vars_of_level(l, 0) && !contain_vars_of_level(l, 1) &&
			contain_vars_of_level(r, 1) && !contain_vars_of_level(r, 0)) ||
		(contain_vars_of_level(r, 0) && !contain_vars_of_level(r, 1) &&
		 contain_vars_of_level(l, 1) && !contain_vars_of_level(l, 0));
}

/*
 * EXISTS over sub (its input in its batch) keeping, of its WHERE, only the
 * equalities with the outer row and what does not refer to it; or NULL
 * when that is all its WHERE has, or it has no such equality.  Implied by
 * EXISTS over sub, it changes no result, but the planner can join the
 * batch to the outer rows through it: a semi join whose conditions are
 * all equalities can be made unique on the batch's side and drive the
 * join (index probes of the outer tables from the changed rows), where one
 * with another correlated condition (q21's l2.l_suppkey <> l1.l_suppkey)
 * must read every outer row and probe the batch for each.
 */
static Node *
equality_prefilter(Query *sub)
{
	List	   *kept = NIL;
	bool		dropped = false;
	bool		keyed = false;
	ListCell   *lc;
	Query	   *eq;

	if (sub->setOperations != NULL || sub->limitCount != NULL ||
		sub->limitOffset != NULL || !only_inner_joins((Node *) sub->jointree))
		return NULL;
	foreach(lc, make_ands_implicit((Expr *) copyObject(sub->jointree->quals)))
	{
		Node	   *c = lfirst(lc);

		if (checkExprHasSubLink(c) || contain_volatile_functions(c))
			dropped = true;
		else if (!contain_vars_of_level(c, 1))
			kept = lappend(kept, c);
		else if (correlating_equality(c))
		{
			kept = lappend(kept, c);
			keyed = true;
		}
		else
			dropped = true;
	}
	if (!dropped || !keyed)
		return NULL;
	/* (hasSubLinks stays: a JOIN's ON in the FROM may still hold one) */
	eq = copyObject(sub);
	eq->jointree->quals = (Node *) make_ands_explicit(kept);
	return exists_in(eq, NULL);
}

/* EXISTS over sub, after its equality_prefilter when it has one */
static Node *
exists_prefiltered(Query *sub, Node *qual)
{
	Node	   *pre = equality_prefilter(sub);
	Node	   *ex = exists_in(sub, qual);

	return pre ? (Node *) make_and_qual(pre, ex) : ex;
}

/*
 * The rows of the outer query whose subquery value a change of input
 * (sublink sl, reference rtindex) may alter, as alternatives that exclude
 * each other, each a condition to add to the outer query's WHERE.  In
 * general one: EXISTS over the subquery's FROM and WHERE with that input
 * reading its batch (the others in states) and, for IN / ANY / ALL, with
 * the comparison not known to be what it is without the change.
 *
 * For x op ANY (SELECT y ...) with a strict op (ALL: its negator) that
 * comparison, "x op y IS NOT FALSE", can only be tested row by row; split
 * instead into rows with a changed y equal to x (a join on x op y, which
 * hashes or finds x through an index), other rows if a changed y is NULL,
 * and rows whose x is NULL if anything changed.  Built from the branch's
 * own (unsubstituted) subquery.
 */
static List *
affected_quals(SubLink *sl, List *bases, const Term *term, int first, Query *outer)
{
	Query	   *sub = copyObject(castNode(Query, sl->subselect));
	ListCell   *lc;
	int			g = first;
	bool		plain = !sub->hasAggs && sub->groupClause == NIL;
	List	   *tlist = sub->targetList;
	Node	   *test = NULL;

	foreach(lc, bases)
	{
		IncrloadBaseRef *ref = lfirst(lc);

		/* the others as in the term; the input the term is about, its batch */
		substitute_rte(sub, ref, g == term->affected ? IN_DELTA :
					   g < term->affected ? IN_NEW_ROWS : term->states[g]);
		g++;
	}
	sub->targetList = NIL;
	sub->hasAggs = false;
	sub->groupClause = NIL;
	sub->groupDistinct = false;
	sub->havingQual = NULL;
	sub->distinctClause = NIL;
	sub->hasDistinctOn = false;
	sub->sortClause = NIL;

	if ((sl->subLinkType != ANY_SUBLINK && sl->subLinkType != ALL_SUBLINK) ||
		!plain || sl->testexpr == NULL)
		return list_make1(exists_prefiltered(sub, NULL));

	/* the comparison, inside the subquery: outer columns one level up */
	test = copyObject(sl->testexpr);
	if (IsA(test, OpExpr) && list_length(((OpExpr *) test)->args) == 2 &&
		list_length(tlist) == 1)
	{
		OpExpr	   *op = (OpExpr *) test;
		Node	   *l = linitial(op->args);
		Node	   *r = lsecond(op->args);
		bool		param_right = IsA(r, Param) && ((Param *) r)->paramkind == PARAM_SUBLINK;
		Node	   *x = param_right ? l : r;
		Oid			opno = sl->subLinkType == ANY_SUBLINK ? op->opno : get_negator(op->opno);

		if ((param_right || (IsA(l, Param) && ((Param *) l)->paramkind == PARAM_SUBLINK)) &&
			!checkExprHasSubLink(x) && OidIsValid(opno) && op_strict(opno) &&
			!contain_volatile_functions(x))
		{
			Node	   *y = (Node *) ((TargetEntry *) linitial(tlist))->expr;
			OpExpr	   *match = copyObject(op);
			Node	   *e_match;
			Node	   *e_null;
			List	   *alts;

			Node	   *xin = copyObject(x);

			/* x is the outer row's: inside the subquery, one level up */
			IncrementVarSublevelsUp(xin, 1, 0);
			match->opno = opno;
			match->opfuncid = InvalidOid;
			match->args = param_right ? list_make2(xin, copyObject(y)) :
				list_make2(copyObject(y), xin);
			e_match = exists_in(sub, (Node *) match);
			e_null = exists_in(sub, il_null_test(y, IS_NULL));
			alts = list_make2(e_match,
							  make_and_qual(not_expr(copyObject(e_match)), e_null));
			if (il_may_be_null(x, outer))
				alts = lappend(alts,
							   make_and_qual(make_and_qual(not_expr(copyObject(e_match)),
														   not_expr(copyObject(e_null))),
											 make_and_qual(il_null_test(x, IS_NULL),
														   exists_in(sub, NULL))));
			return alts;
		}
	}

	IncrementVarSublevelsUp(test, 1, 0);
	test = il_normalize_replace_params(test, tlist);
	return list_make1(exists_prefiltered(sub, bool_test(test, sl->subLinkType == ANY_SUBLINK ?
													   IS_NOT_FALSE : IS_NOT_TRUE)));
}

/* Whether a join tree joins only inner: no row is there for lack of another. */
static bool
only_inner_joins(Node *node)
{
	ListCell   *lc;

	if (node == NULL || IsA(node, RangeTblRef))
		return true;
	if (IsA(node, FromExpr))
	{
		foreach(lc, ((FromExpr *) node)->fromlist)
			if (!only_inner_joins(lfirst(lc)))
				return false;
		return true;
	}
	if (IsA(node, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) node;

		return j->jointype == JOIN_INNER && only_inner_joins(j->larg) &&
			only_inner_joins(j->rarg);
	}
	return false;
}

/*
 * Whether EXISTS over a union is the OR of EXISTS over its parts: not if the
 * subquery aggregates, limits, or outer-joins (a row NULL-extended against
 * one part may be matched in the other).
 */
static bool
exists_distributes(Query *sub)
{
	return !sub->hasAggs && sub->groupClause == NIL && sub->groupingSets == NIL &&
		sub->havingQual == NULL && !sub->hasWindowFuncs && !sub->hasTargetSRFs &&
		sub->setOperations == NULL && sub->limitCount == NULL &&
		sub->limitOffset == NULL && only_inner_joins((Node *) sub->jointree);
}

/*
 * Whether the kept rows of input ref inside subquery sub can be told apart
 * by the outer row alone: when sub's WHERE equates every column it reads
 * of the input with an expression of outer rows only, by an equality that
 * is identity (under the comparison's collation too, which an explicit
 * COLLATE may make nondeterministic), each row the subquery sees has
 * exactly those values, so the kept rows' test (no net insertion has the
 * row's values) holds for all of them or for none.  Tested once, on the
 * outer values, it is a gate before the input is read instead of a filter
 * that rejects, one by one, every row of a key the batch inserted into (all
 * the rows of a join key, for a NOT EXISTS of an outer join).  Returns the
 * expressions by attribute number, or NULL.  With partial, the columns that
 * are equated so, if any.
 */
static Node **
keyed_columns(Query *sub, IncrloadBaseRef *ref, bool partial)
{
	Relation	rel = table_open(ref->relid, AccessShareLock);
	int			natts = RelationGetDescr(rel)->natts;
	Node	  **keys = palloc0(sizeof(Node *) * (natts + 1));
	bool		other;
	Bitmapset  *used = used_columns(sub, ref->rtindex, &other);
	ListCell   *lc;
	int			x = -1;

	table_close(rel, AccessShareLock);
	if (other)
		return NULL;
	foreach(lc, make_ands_implicit((Expr *) sub->jointree->quals))
	{
		OpExpr	   *op = lfirst(lc);

		if (!IsA(op, OpExpr) || list_length(op->args) != 2)
			continue;
		for (int side = 0; side < 2; side++)
		{
			Var		   *v = list_nth(op->args, side);
			Node	   *e = list_nth(op->args, 1 - side);

			if (IsA(v, Var) && v->varno == ref->rtindex && v->varlevelsup == 0 &&
				v->varattno > 0 && v->varattno <= natts && keys[v->varattno] == NULL &&
				exprType(e) == v->vartype &&
				op->opno == lookup_type_cache(v->vartype, TYPECACHE_EQ_OPR)->eq_opr &&
				il_equality_is_identity(v->vartype, v->varcollid) &&
				il_equality_is_identity(v->vartype, op->inputcollid) &&
				!contain_vars_of_level(e, 0) && !checkExprHasSubLink(e) &&
				!contain_volatile_functions(e))
				keys[v->varattno] = e;
		}
	}
	if (partial)
	{
		/* some: those used */
		bool		any = false;

		for (int i = 1; i <= natts; i++)
		{
			if (keys[i] && !bms_is_member(i, used))
				keys[i] = NULL;
			any |= keys[i] != NULL;
		}
		return any ? keys : NULL;
	}
	while ((x = bms_next_member(used, x)) >= 0)
		if (keys[x] == NULL)
			return NULL;
	return keys;
}

/* a column of the kept rows' test: the outer expression it equals */
static Node *
keyed_var(IncrloadCallbackVar *var, replace_rte_variables_context *context)
{
	Node	  **keys = context->callback_arg;
	Node	   *e;

	if (var->varattno <= 0 || keys[var->varattno] == NULL)
		elog(ERROR, "incrload: kept rows tested on column %d, not equated with the outer row",
			 var->varattno);
	e = copyObject(keys[var->varattno]);
	if (context->sublevels_up > 0)
		IncrementVarSublevelsUp(e, context->sublevels_up, 0);
	return e;
}

/* Add the kept rows' test (SQL over the table as r) on keys to sub's WHERE. */
static void
gate_kept_rows(Query *sub, const char *sql, Node **keys)
{
	List	   *raw = pg_parse_query(sql);
	Query	   *fq = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql,
											   batch_param_types,
											   INCRLOAD_BATCH_NPARAMS, NULL);
	Node	   *qual = replace_rte_variables(fq->jointree->quals, 1, 0, keyed_var,
											 keys, &sub->hasSubLinks);

	sub->jointree->quals = (Node *) make_and_qual(sub->jointree->quals, qual);
	sub->hasSubLinks = true;
}

/*
 * When a keyed subquery reads nothing but its input, its old-only rows can
 * be tested the same way: EXISTS over them is whether the outer values are
 * among them (a hashed IN over the few rows of the batch, built once per
 * statement) and the subquery's conditions hold of those values.  As an
 * EXISTS the planner would join them to the outer rows, which, when it
 * misjudges the batch as one row, is a scan of them per outer row.
 * Returns that condition, at the level of the outer query, or NULL.
 */
static Node *
keyed_gone(Query *sub, IncrloadBaseRef *ref, Node **keys)
{
	Bitmapset  *used = used_columns(sub, ref->rtindex, NULL);
	List	   *colnames;
	StringInfoData lhs;
	StringInfoData rhs;
	StringInfoData nonnull;
	char	   *gone;
	char	   *sql;
	List	   *raw;
	Query	   *fq;
	Node	   *test;
	Node	   *quals;
	bool		dummy = false;
	int			x = -1;

	if (bms_is_empty(used) || list_length(sub->jointree->fromlist) != 1 ||
		!IsA(linitial(sub->jointree->fromlist), RangeTblRef) ||
		linitial_node(RangeTblRef, sub->jointree->fromlist)->rtindex != ref->rtindex ||
		checkExprHasSubLink(sub->jointree->quals))
		return NULL;

	initStringInfo(&lhs);
	initStringInfo(&rhs);
	initStringInfo(&nonnull);
	while ((x = bms_next_member(used, x)) >= 0)
	{
		char	   *name = get_attname(ref->relid, x, false);

		appendStringInfo(&lhs, "%s%s", lhs.len ? ", " : "", il_sql_col("r", name));
		appendStringInfo(&rhs, "%s%s", rhs.len ? ", " : "", il_sql_col("s", name));
		appendStringInfo(&nonnull, "%s%s IS NOT NULL", nonnull.len ? " AND " : "",
						 il_sql_col("s", name));
	}
	gone = batch_subquery_sql(ref->relid, il_catalog_delta_for(ref->relid), IN_OLD_ROWS,
							  used, NULL, NULL, OLD_ARM_GONE, NULL, &colnames, NULL);
	sql = psprintf("SELECT FROM %s r WHERE (%s) IN (SELECT %s FROM (%s) s WHERE %s)",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(ref->relid)),
											  get_rel_name(ref->relid)),
				   lhs.data, rhs.data, gone, nonnull.data);
	raw = pg_parse_query(sql);
	fq = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql, batch_param_types,
								   INCRLOAD_BATCH_NPARAMS, NULL);
	strip_shared_ctes(fq);
	test = replace_rte_variables(fq->jointree->quals, 1, 0, keyed_var, keys, &dummy);
	quals = replace_rte_variables(copyObject(sub->jointree->quals), ref->rtindex, 0,
								  keyed_var, keys, &dummy);
	if (contain_vars_of_level(quals, 0))
		return NULL;

	/*
	 * Stands for an EXISTS, which is never NULL: with a condition NULL for
	 * the outer row (an outer-only column), NOT of it must still be true.
	 */
	test = bool_test((Node *) make_and_qual(quals, test), IS_TRUE);
	/* from inside the subquery to the outer query */
	IncrementVarSublevelsUp(test, -1, 1);
	return test;
}

/*
 * When some columns of the input are equated with the outer row (keys),
 * but not all it reads: a test of the outer values that every row for
 * which EXISTS over the old-only rows holds passes, (outer keys) IN (the
 * old-only rows' keys), hashed once per statement.  Before an EXISTS
 * over the old-only rows, which then runs once per outer row (a positive
 * one cannot be pulled up, it is one arm of an OR; a negated one is kept
 * from being pulled up by the prefilter beside it), it lets that run only
 * for the few outer rows whose keys the batch took away.  At the outer
 * query's level.
 */
static Node *
gone_prefilter(Query *sub, IncrloadBaseRef *ref, Node **keys)
{
	Bitmapset  *used = used_columns(sub, ref->rtindex, NULL);
	List	   *colnames;
	StringInfoData lhs;
	StringInfoData rhs;
	StringInfoData nonnull;
	char	   *sql;
	List	   *raw;
	Query	   *fq;
	Node	   *test;
	bool		dummy = false;
	int			x = -1;

	initStringInfo(&lhs);
	initStringInfo(&rhs);
	initStringInfo(&nonnull);
	while ((x = bms_next_member(used, x)) >= 0)
	{
		char	   *name;

		if (keys[x] == NULL)
			continue;
		name = get_attname(ref->relid, x, false);
		appendStringInfo(&lhs, "%s%s", lhs.len ? ", " : "", il_sql_col("r", name));
		appendStringInfo(&rhs, "%s%s", rhs.len ? ", " : "", il_sql_col("s", name));
		appendStringInfo(&nonnull, "%s%s IS NOT NULL", nonnull.len ? " AND " : "",
						 il_sql_col("s", name));
	}
	sql = psprintf("SELECT FROM %s r WHERE (%s) IN (SELECT %s FROM (%s) s WHERE %s)",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(ref->relid)),
											  get_rel_name(ref->relid)),
				   lhs.data, rhs.data,
				   batch_subquery_sql(ref->relid, il_catalog_delta_for(ref->relid),
									  IN_OLD_ROWS, used, NULL, NULL, OLD_ARM_GONE,
									  NULL, &colnames, NULL),
				   nonnull.data);
	raw = pg_parse_query(sql);
	fq = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql, batch_param_types,
								   INCRLOAD_BATCH_NPARAMS, NULL);
	strip_shared_ctes(fq);
	test = bool_test(replace_rte_variables(fq->jointree->quals, 1, 0, keyed_var,
										   keys, &dummy), IS_TRUE);
	/* from inside the subquery to the outer query */
	IncrementVarSublevelsUp(test, -1, 1);
	return test;
}

/*
 * Replace each split EXISTS by (EXISTS kept OR EXISTS gone), and NOT of one
 * by (NOT EXISTS kept AND NOT EXISTS gone), which the planner can pull up;
 * EXISTS gone may be keyed_gone's test instead, or, the positive one, have
 * gone_prefilter's test before it.  A split is (the EXISTS, its positive
 * second arm, its negated one).
 */
static Node *
split_mutator(Node *node, List *splits)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	if (IsA(node, BoolExpr) && ((BoolExpr *) node)->boolop == NOT_EXPR &&
		list_length(((BoolExpr *) node)->args) == 1 &&
		IsA(linitial(((BoolExpr *) node)->args), SubLink))
	{
		foreach(lc, splits)
		{
			List	   *pair = lfirst(lc);

			if (linitial(pair) == linitial(((BoolExpr *) node)->args))
				return (Node *) make_andclause(list_make2(make_notclause(linitial(pair)),
														  make_notclause(lthird(pair))));
		}
	}
	if (IsA(node, SubLink))
	{
		foreach(lc, splits)
		{
			List	   *pair = lfirst(lc);

			if (linitial(pair) == node)
				return (Node *) make_orclause(list_make2(linitial(pair), lsecond(pair)));
		}
		return node;
	}
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, split_mutator, splits);
}

/* OFFSET 0: a fence the planner neither flattens nor pushes conditions through */
static Node *
offset_zero(void)
{
	return (Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
							  Int64GetDatum(0), false, FLOAT8PASSBYVAL);
}

/* The conjuncts of an AND tree, nested ANDs flattened. */
static List *
flat_conjuncts(Node *qual, List *out)
{
	ListCell   *lc;

	if (qual == NULL)
		return out;
	if (is_andclause(qual))
	{
		foreach(lc, ((BoolExpr *) qual)->args)
			out = flat_conjuncts(lfirst(lc), out);
		return out;
	}
	return lappend(out, qual);
}

/*
 * Whether a condition holds a subquery PostgreSQL can only run as a
 * subplan, once per row it filters: one with an OFFSET (ours, over an old
 * state) or a keyed test of old-only rows.
 */
static bool
holds_subplan_walker(Node *node, List *gone_tests)
{
	if (node == NULL || IsA(node, Query))
		return false;
	if (list_member_ptr(gone_tests, node))
		return true;
	if (IsA(node, SubLink) &&
		castNode(Query, ((SubLink *) node)->subselect)->limitOffset != NULL)
		return true;
	return expression_tree_walker(node, holds_subplan_walker, gone_tests);
}

/*
 * In a term whose outer rows are those a change inside a subquery affects,
 * the outer tables are read whole and the affected rows found by a join
 * with the batch.  A condition on one outer table alone is applied by the
 * planner where that table is scanned, before any join: a subplan there
 * runs for every row of the table, a cost that grows with the table, not
 * with the change.  Such conditions become a column of the term, filtered
 * above an OFFSET 0 (which keeps the planner from pushing them back down),
 * so that they run only for the rows the join leaves.  Returns whether it
 * added that column, FILTER_COLUMN.
 */
#define FILTER_COLUMN INCRLOAD_HIDDEN_PREFIX "keep"

static bool
filter_after_joins(Query *pre, List *gone_tests, int resno)
{
	List	   *keep = NIL;
	List	   *move = NIL;
	ListCell   *lc;

	if (pre->hasAggs || pre->groupClause != NIL || pre->groupingSets != NIL ||
		pre->havingQual != NULL || pre->hasWindowFuncs || pre->hasTargetSRFs ||
		pre->distinctClause != NIL || pre->setOperations != NULL ||
		pre->limitCount != NULL || pre->limitOffset != NULL || pre->rowMarks != NIL)
		return false;
	foreach(lc, flat_conjuncts(pre->jointree->quals, NIL))
	{
		if (holds_subplan_walker(lfirst(lc), gone_tests))
			move = lappend(move, lfirst(lc));
		else
			keep = lappend(keep, lfirst(lc));
	}
	if (move == NIL)
		return false;
	pre->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	pre->targetList = lappend(pre->targetList,
							  makeTargetEntry(make_ands_explicit(move), resno,
											  pstrdup(FILTER_COLUMN), false));
	pre->limitOffset = offset_zero();
	return true;
}

/*
 * One term of the delta rule for one branch, as SQL with columns e1..eN
 * and __w.  An input in the FROM list reads weighted rows: its batch, its
 * old state, or (counted) its new state, and the term's weight is the
 * product of theirs; else it is the table itself.  For a term about a
 * change inside a subquery (sign +1 and -1) the rows are the outer rows
 * that input can affect, with the subquery evaluated on the input's new
 * rows (+1) and on its old rows (-1).
 */
static char *
pre_term_sql(IncrloadBranch *b, const Term *term, int alt, int *nalts)
{
	Query	   *pre = copyObject(b->query);
	List	   *weights = NIL;
	ListCell   *lc;
	ListCell   *ls;
	ListCell   *lb;
	int			sign = term->sign;
	int			npre = list_length(pre->targetList);
	int			resno = npre;
	int			g = 0;
	List	   *sls = branch_sublinks(pre);
	List	   *splits = NIL;	/* (EXISTS, its test of the old-only rows) */
	List	   *gone_tests = NIL;	/* those tests that are keyed_gone's */
	bool		affected = false;
	bool		filtered = false;
	List	   *gates = NIL;	/* the shared batches its FROM list joins */
	StringInfoData buf;

	*nalts = 1;

	foreach(lc, b->bases)
	{
		IncrloadBaseRef *ref = lfirst(lc);
		InputState	state = term->states[g];

		/*
		 * The whole query's rows (a fill, a group recomputed) repeat a
		 * counted row instead of weighing it: every aggregate sees it
		 * as often as it counts.
		 */
		if (state == IN_NEW_ROWS)
			substitute_rte(pre, ref, IN_NEW_ROWS);
		else if (state != IN_NEW || ref->mult != NULL)
		{
			Relation	rel = table_open(ref->relid, AccessShareLock);
			int			natts = RelationGetDescr(rel)->natts;

			table_close(rel, AccessShareLock);
			resno++;
			pre->targetList = lappend(pre->targetList,
									  makeTargetEntry((Expr *) makeVar(ref->rtindex,
																	   natts + 1,
																	   INT4OID, -1,
																	   InvalidOid, 0),
													  resno,
													  psprintf("w%d", resno), false));
			weights = lappend_int(weights, resno);
			substitute_rte_arms(pre, ref, state, OLD_ARMS_ALL | BATCH_SHARED);
			if (state == IN_DELTA && list_length(b->bases) > 1)
				gates = lappend(gates, (char *) shared_batch_name(pre, ref));
		}
		g++;
	}

	forboth(ls, sls, lb, b->sublink_bases)
	{
		SubLink    *sl = lfirst(ls);
		Query	   *sub = castNode(Query, sl->subselect);
		int			first = g;
		bool		old_rows = false;
		int			nold = 0;
		SubLink    *gone = NULL;
		Node	   *gone_test = NULL;
		Node	   *prefilter = NULL;

		foreach(lc, (List *) lfirst(lb))
		{
			/* a counted old state is one grouped union: not split */
			if (term->states[first + foreach_current_index(lc)] == IN_OLD_ROWS)
				nold += ((IncrloadBaseRef *) lfirst(lc))->mult ? 2 : 1;
		}

		/*
		 * EXISTS over one table's old state: split into EXISTS over the
		 * rows it keeps OR EXISTS over the rows only the old state has.
		 * The first reads the table through its indexes row by row; the
		 * second, a few rows of the batch and nothing correlated, can be
		 * hashed once (or pulled up into a join) instead of being rebuilt
		 * from the batch for every outer row.
		 */
		if (sl->subLinkType == EXISTS_SUBLINK && nold == 1 && exists_distributes(sub))
			gone = copyObject(sl);

		foreach(lc, (List *) lfirst(lb))
		{
			IncrloadBaseRef *ref = lfirst(lc);
			InputState	state = term->states[g];
			Node	  **keys = (gone && state == IN_OLD_ROWS) ?
				keyed_columns(sub, ref, false) : NULL;
			char	   *kept_filter;

			if (keys)
				gone_test = keyed_gone(sub, ref, keys);
			else if (gone && state == IN_OLD_ROWS)
			{
				Node	  **some = keyed_columns(sub, ref, true);

				if (some)
					prefilter = gone_prefilter(sub, ref, some);
			}
			kept_filter = substitute_rte_arms(sub, ref, state,
											  !gone ? OLD_ARMS_ALL :
											  keys ? OLD_ARM_KEPT | OLD_ARM_BARE : OLD_ARM_KEPT);
			if (keys)
				gate_kept_rows(sub, kept_filter, keys);
			if (gone && !gone_test)
				substitute_rte_arms(castNode(Query, gone->subselect), ref, state,
									OLD_ARM_GONE);
			old_rows |= state == IN_OLD_ROWS;
			g++;
		}
		if (gone && gone_test)
			splits = lappend(splits, list_make3(sl, gone_test, gone_test));
		else if (gone && prefilter)
		{
			Node	   *pos = make_and_qual(prefilter, (Node *) gone);

			/*
			 * Under NOT too: pulled up into an anti join, NOT EXISTS over
			 * the old-only rows was a nested loop that rescanned them for
			 * every outer row (q13: 294 changed customers times 111 rows,
			 * 20 of its 25 ms); NOT (prefilter AND EXISTS) stays a test
			 * per outer row, a hashed lookup that runs the EXISTS only
			 * for the few rows whose keys the batch took away.
			 */
			splits = lappend(splits, list_make3(sl, pos, pos));
			gone_tests = lappend(gone_tests, pos);
		}
		else if (gone)
			splits = lappend(splits, list_make3(sl, gone, gone));
		if (gone_test)
			gone_tests = lappend(gone_tests, gone_test);

		/*
		 * An old state is a union no join condition can be pushed into,
		 * so a [NOT] EXISTS over one, pulled up into a (anti) join, would
		 * hash the whole old table.  OFFSET 0 keeps it a subplan run per
		 * outer row (a term has few), into which the correlation is pushed
		 * as a restriction on each arm of the union: index scans.
		 */
		if (old_rows && sl->subLinkType == EXISTS_SUBLINK && sub->limitOffset == NULL)
			sub->limitOffset = offset_zero();
		if (term->affected >= first && term->affected < g)
		{
			List	   *alts = affected_quals(list_nth(il_normalize_sublinks(b->query),
													   foreach_current_index(ls)),
											  lfirst(lb), term, first, b->query);

			*nalts = list_length(alts);
			pre->jointree->quals = make_and_qual(pre->jointree->quals,
												 list_nth(alts, alt));
			affected = true;
		}
	}

	if (splits != NIL)
		pre = query_tree_mutator(pre, split_mutator, splits, QTW_IGNORE_RANGE_TABLE);
	if (affected)
		filtered = filter_after_joins(pre, gone_tests, resno + 1);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	for (int i = 1; i <= npre; i++)
		appendStringInfo(&buf, "t.e%d, ", i);
	/*
	 * A term's weight is its sign times the weight of each weighted input:
	 * a batch, an old state, or a counted table (another view's storage,
	 * whose rows count as often as that view shows them) in any state.
	 * The sign is that of the subquery's side (new +1, old -1) in a term of
	 * affected outer rows; it must multiply the counted rows' weights too.
	 */
	if (weights == NIL || sign != 1)
		appendStringInfo(&buf, "%d", sign);
	foreach(lc, weights)
		appendStringInfo(&buf, "%st.w%d::pg_catalog.int4",
						 foreach_current_index(lc) > 0 || sign != 1 ?
						 " OPERATOR(pg_catalog.*) " : "",
						 lfirst_int(lc));
	appendStringInfo(&buf, " AS __w FROM (%s) t", pg_get_querydef(pre, false));
	if (filtered)
		appendStringInfo(&buf, " WHERE t.%s", quote_identifier(FILTER_COLUMN));

	/*
	 * A term joins the batch of each input in its FROM list: with one of
	 * them empty once netted (an UPDATE of columns the view does not read)
	 * it has no rows.  The planner, taking every batch to be small, would
	 * still loop over the other batches and probe the tables for each row;
	 * an uncorrelated EXISTS per batch is a one-time filter checked first.
	 */
	foreach(lc, gates)
	{
		if (lfirst(lc) == NULL)
			continue;
		appendStringInfo(&buf, " %s EXISTS (SELECT FROM %s)",
						 filtered ? "AND" : "WHERE", quote_identifier(lfirst(lc)));
		filtered = true;
	}
	return buf.data;
}

/*
 * The name of the shared batch CTE that substitute_rte_arms put in place
 * of ref (a subquery "SELECT * FROM __incrload_b<n>"), or NULL.
 */
static const char *
shared_batch_name(Query *pre, IncrloadBaseRef *ref)
{
	RangeTblEntry *rte = rt_fetch(ref->rtindex, pre->rtable);
	RangeTblEntry *inner;

	if (rte->rtekind != RTE_SUBQUERY || list_length(rte->subquery->rtable) != 1)
		return NULL;
	inner = linitial_node(RangeTblEntry, rte->subquery->rtable);
	if (inner->rtekind != RTE_CTE || !shared_cte(inner->ctename))
		return NULL;
	return inner->ctename;
}

/* How many inputs a branch has: its FROM list's and its subqueries'. */
static int
branch_inputs(IncrloadBranch *b)
{
	int			n = list_length(b->bases);
	ListCell   *lc;

	foreach(lc, b->sublink_bases)
		n += list_length((List *) lfirst(lc));
	return n;
}

/* Input g of a branch: its FROM list's, then its subqueries'. */
static IncrloadBaseRef *
branch_input(IncrloadBranch *b, int g)
{
	ListCell   *lc;

	if (g < list_length(b->bases))
		return list_nth(b->bases, g);
	g -= list_length(b->bases);
	foreach(lc, b->sublink_bases)
	{
		if (g < list_length((List *) lfirst(lc)))
			return list_nth((List *) lfirst(lc), g);
		g -= list_length((List *) lfirst(lc));
	}
	elog(ERROR, "incrload: branch input %d out of range", g);
	return NULL;
}

/*
 * A term of branch b in every alternative of its affected rows, appended
 * to buf as UNION ALL arms.
 */
static void
append_term(StringInfo buf, IncrloadBranch *b, const Term *term)
{
	int			nalts = 1;

	for (int alt = 0; alt < nalts; alt++)
		appendStringInfo(buf, "%s%s", buf->len > 0 ? " UNION ALL " : "",
						 pre_term_sql(b, term, alt, &nalts));
}

/* The size of a table, in blocks (a partitioned one: its partitions'). */
static BlockNumber
table_blocks(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	BlockNumber blocks = 0;

	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
			if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_RELATION)
			{
				Relation	part = table_open(lfirst_oid(lc), AccessShareLock);

				blocks += RelationGetNumberOfBlocks(part);
				table_close(part, AccessShareLock);
			}
	}
	else
		blocks = RelationGetNumberOfBlocks(rel);
	table_close(rel, AccessShareLock);
	return blocks;
}

/* Orders FROM inputs by the size of their tables, largest first. */
static int
cmp_blocks_desc(const ListCell *a, const ListCell *b)
{
	const int  *x = lfirst(a);
	const int  *y = lfirst(b);

	/* (input, blocks) pairs */
	if (x[1] != y[1])
		return x[1] > y[1] ? -1 : 1;
	return x[0] - y[0];
}

/*
 * The terms of branch b for a batch in which the inputs marked in changed
 * changed.  The view is V(R, S) with R its FROM inputs and S the inputs of
 * its subqueries in expressions:
 *
 *	 dV = [V(R_new, S_old) - V(R_old, S_old)] + [V(R_new, S_new) - V(R_new, S_old)]
 *
 * The first bracket is multilinear in R.  Its changed inputs are split in
 * groups G_1 .. G_m and telescoped over them (groups before the term's own
 * new, after it old); within its group a term is expanded by inclusion and
 * exclusion, every nonempty subset T of the group's inputs reading its
 * batch, the rest of the group new, with sign (-1)^(|T|+1).  An old state
 * is a table UNION ALL its batch, which the planner reaches by index only
 * through a rescan of the batch per probe, or hashes whole.  So the first
 * group holds the changed inputs, biggest tables first, up to MAX_EXPANDED
 * of them (at most 2^MAX_EXPANDED - 1 terms), which are thus never old;
 * only smaller ones beyond those, in groups of one each, are: the number of
 * terms grows with the number of changed inputs, not exponentially.  Terms
 * with several batches join small batches with each other.  The second bracket telescopes over the changed
 * subquery inputs one at a time (terms of affected outer rows, sign +1 and
 * -1).  Unchanged inputs are their tables in every term.
 */
#define MAX_EXPANDED 4

static void
append_branch_terms(StringInfo buf, IncrloadBranch *b, const bool *changed)
{
	int			nmain = list_length(b->bases);
	int			ninputs = branch_inputs(b);
	List	   *order = NIL;
	int			nfirst;
	int			ngroups;
	int		   *group;
	ListCell   *lc;
	Term		term;

	term.states = palloc(sizeof(InputState) * ninputs);

	/* the changed FROM inputs, biggest table first, and their groups */
	for (int g = 0; g < nmain; g++)
	{
		int		   *pair;

		if (!changed[g])
			continue;
		pair = palloc(sizeof(int) * 2);
		pair[0] = g;
		pair[1] = (int) Min(table_blocks(branch_input(b, g)->relid), INT_MAX);
		order = lappend(order, pair);
	}
	list_sort(order, cmp_blocks_desc);
	nfirst = Min(list_length(order), MAX_EXPANDED);
	group = palloc(sizeof(int) * Max(nmain, 1));
	for (int g = 0; g < nmain; g++)
		group[g] = -1;
	ngroups = 0;
	foreach(lc, order)
	{
		int			k = foreach_current_index(lc) < nfirst ? 0 :
			foreach_current_index(lc) - nfirst + 1;

		group[((int *) lfirst(lc))[0]] = k;
		ngroups = Max(ngroups, k + 1);
	}

	/* the first bracket: group k, every nonempty subset of it */
	for (int k = 0; k < ngroups; k++)
	{
		int			members[MAX_EXPANDED];
		int			nmembers = 0;

		for (int g = 0; g < nmain; g++)
			if (group[g] == k)
				members[nmembers++] = g;
		for (int subset = 1; subset < (1 << nmembers); subset++)
		{
			int			nt = 0;

			for (int g = 0; g < nmain; g++)
				term.states[g] = group[g] < 0 || group[g] < k ? IN_NEW :
					group[g] > k ? IN_OLD : IN_NEW;
			for (int m = 0; m < nmembers; m++)
				if (subset & (1 << m))
				{
					term.states[members[m]] = IN_DELTA;
					nt++;
				}
			for (int g = nmain; g < ninputs; g++)
				term.states[g] = changed[g] ? IN_OLD_ROWS : IN_NEW_ROWS;
			term.sign = nt % 2 == 1 ? 1 : -1;
			term.affected = -1;
			append_term(buf, b, &term);
		}
	}

	/* the second bracket: each changed subquery input, new and old */
	for (int t = nmain; t < ninputs; t++)
	{
		if (!changed[t])
			continue;
		for (int sign = 1; sign >= -1; sign -= 2)
		{
			for (int g = 0; g < nmain; g++)
				term.states[g] = IN_NEW;
			for (int g = nmain; g < ninputs; g++)
				term.states[g] = g < t || !changed[g] ? IN_NEW_ROWS :
					g > t ? IN_OLD_ROWS :
					sign > 0 ? IN_NEW_ROWS : IN_OLD_ROWS;
			term.sign = sign;
			term.affected = t;
			append_term(buf, b, &term);
		}
	}
}

/*
 * The pre relation: of the query (every branch, every input new), or of a
 * batch (the terms of every branch, UNION ALL) in which the base tables
 * changed (q->base_relids) changed; NIL: all of them.  The batches its FROM
 * terms read are for the statement's WITH (il_delta_batch_ctes).
 */
char *
il_delta_pre_sql(IncrloadQuery *q, bool delta, List *changed)
{
	StringInfoData buf;
	ListCell   *lc;

	batch_ctes = NIL;
	initStringInfo(&buf);
	foreach(lc, q->branches)
	{
		IncrloadBranch *b = lfirst(lc);
		int			ninputs = branch_inputs(b);

		if (!delta)
		{
			Term		term;

			term.sign = 1;
			term.affected = -1;
			term.states = palloc(sizeof(InputState) * Max(ninputs, 1));
			for (int g = 0; g < ninputs; g++)
				term.states[g] = IN_NEW_ROWS;
			append_term(&buf, b, &term);
		}
		else
		{
			bool	   *ch = palloc(sizeof(bool) * Max(ninputs, 1));

			for (int g = 0; g < ninputs; g++)
				ch[g] = changed == NIL ||
					list_member_oid(changed, branch_input(b, g)->relid);
			append_branch_terms(&buf, b, ch);
		}
	}
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
					il_delta_batch_cond("d"));
}
