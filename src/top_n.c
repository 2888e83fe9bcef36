/*-------------------------------------------------------------------------
 *
 * top_n.c
 *	  Top-N views: ORDER BY ... LIMIT n (OFFSET m, FETCH FIRST n ROWS
 *	  WITH TIES) of a view's own query, applied when the view is read.
 *
 * The storage table keeps every row of the query without its LIMIT, as it
 * would for the query itself, so an apply costs what the change costs
 * whether or not a row crosses the boundary of the first n; the view over
 * the storage table sorts and cuts, as it filters on HAVING.  A btree
 * index on the ORDER BY's expressions over the storage table (built where
 * they are plain ascending or descending orders of immutable expressions)
 * lets a read of the view take its n rows from the start of the index,
 * so a read costs what it returns, not the size of the query.  For
 *
 *	 SELECT id, name FROM item ORDER BY score DESC, id LIMIT 10
 *
 * the storage keeps id, name and the hidden key __incrload_o3 (score, the
 * resjunk ORDER BY entry), and the view is
 *
 *	 SELECT s.id, s.name FROM incrload.top_storage s
 *	   CROSS JOIN LATERAL generate_series(1, s.__incrload_count) g
 *	   ORDER BY s.__incrload_o3 DESC NULLS FIRST, s.id ASC NULLS LAST
 *	   LIMIT '10'::bigint
 *
 * over an index (__incrload_o3 DESC NULLS FIRST, id ASC NULLS LAST).
 *
 * Keeping only the first n rows would make the storage small but every
 * change that moves a row out of them a recompute of the boundary from the
 * base tables; keeping them all makes no change special.
 *
 * LIMIT without ORDER BY keeps rows PostgreSQL chooses freely: refused, as
 * are LIMIT in subqueries and in views other views read (the rows a read
 * returns are not a relation a delta rule can follow).
 *
 * IDENTIFICATION
 *	  src/top_n.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "delta.h"
#include "top_n.h"

bool
il_top_n(Query *query)
{
	return query->limitCount != NULL || query->limitOffset != NULL;
}

/*
 * What a view's own LIMIT and OFFSET need to be kept at read: an order,
 * and values that do not read tables.
 */
void
il_top_n_check(Query *query)
{
	if (!il_top_n(query))
		return;
	if (query->sortClause == NIL)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("LIMIT and OFFSET without ORDER BY are not supported in incremental mode"),
				errdetail("Without an order, which rows LIMIT or OFFSET keep is up to the plan, so the view could not follow its query."),
				errhint("Add an ORDER BY that orders the rows fully, or use mode => 'full'."));
	if (checkExprHasSubLink(query->limitCount) ||
		checkExprHasSubLink(query->limitOffset))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("subqueries in LIMIT or OFFSET are not supported in incremental mode"),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
}

/*
 * A view (plain or registered) with LIMIT or OFFSET read by the query of
 * an incremental view, or such a subquery (view = InvalidOid): the rows a
 * read returns are not a relation the delta rules can follow.
 */
void
il_top_n_refuse_read(Oid view)
{
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			OidIsValid(view) ?
			errmsg("reading view %s, which has LIMIT or OFFSET, is not supported in incremental mode",
				   get_rel_name(view)) :
			errmsg("LIMIT and OFFSET in a subquery are not supported in incremental mode"),
			errdetail("Only the view's own query may have LIMIT or OFFSET: they are applied when the view is read."),
			errhint("Use mode => 'full' to maintain this view by recomputation."));
}

/* The storage column of an ORDER BY expression the select list does not show. */
char *
il_top_n_hidden_name(TargetEntry *tle)
{
	return psprintf(INCRLOAD_HIDDEN_PREFIX "o%d", tle->resno);
}

/* One ORDER BY item's direction, as an index column or ORDER BY writes it. */
static void
append_direction(StringInfo buf, SortGroupClause *sgc, Node *expr)
{
	il_sql_sort_order(buf, exprType(expr), sgc->sortop, sgc->nulls_first);
}

/*
 * The ORDER BY, OFFSET and LIMIT of the view's read, over the storage
 * table: exprs holds each ORDER BY item's expression over it (storage.c
 * maps them), deparsed in dpcontext.
 *
 *	 ORDER BY e1 DESC NULLS FIRST, ... OFFSET m LIMIT n
 *	 ORDER BY ... OFFSET m FETCH FIRST (n) ROWS WITH TIES
 */
void
il_top_n_append(StringInfo buf, Query *query, List *exprs, List *dpcontext,
				bool prefix)
{
	ListCell   *lc;
	ListCell   *le;

	if (!il_top_n(query))
		return;
	appendStringInfoString(buf, " ORDER BY ");
	forboth(lc, query->sortClause, le, exprs)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "(%s)",
						 deparse_expression(lfirst(le), dpcontext, prefix, false));
		append_direction(buf, sgc, lfirst(le));
	}
	il_top_n_append_limit(buf, query);
}

/*
 * The query's OFFSET and LIMIT (or FETCH FIRST ... WITH TIES), written
 * after an ORDER BY: " OFFSET (m) LIMIT (n)".
 */
void
il_top_n_append_limit(StringInfo buf, Query *query)
{
	if (query->limitOffset != NULL)
		appendStringInfo(buf, " OFFSET (%s)",
						 deparse_expression(query->limitOffset, NIL, false, false));
	if (query->limitCount != NULL)
	{
		char	   *n = deparse_expression(query->limitCount, NIL, false, false);

		if (query->limitOption == LIMIT_OPTION_WITH_TIES)
			appendStringInfo(buf, " FETCH FIRST (%s) ROWS WITH TIES", n);
		else
			appendStringInfo(buf, " LIMIT (%s)", n);
	}
}

/*
 * The index a read of a top-N view takes its first rows from:
 *
 *	 CREATE INDEX ON incrload.v_storage ((e1) DESC NULLS FIRST, (e2) ASC NULLS LAST)
 *
 * or NULL where no btree index can give the order: an ORDER BY ... USING
 * another operator, or an expression that is not immutable.  Without a
 * LIMIT a read returns all rows past the OFFSET anyway.
 */
char *
il_top_n_index_sql(Query *query, List *exprs, Oid storage,
				   const char *qualname)
{
	StringInfoData buf;
	List	   *dpcontext;
	ListCell   *lc;
	ListCell   *le;

	if (query->limitCount == NULL)
		return NULL;
	dpcontext = deparse_context_for(get_rel_name(storage), storage);
	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE INDEX ON %s (", qualname);
	forboth(lc, query->sortClause, le, exprs)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *expr = lfirst(le);
		TypeCacheEntry *tc = lookup_type_cache(exprType(expr),
											   TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);

		if ((sgc->sortop != tc->lt_opr && sgc->sortop != tc->gt_opr) ||
			contain_mutable_functions(expr))
			return NULL;
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "(%s)",
						 deparse_expression(expr, dpcontext, false, false));
		append_direction(&buf, sgc, expr);
	}
	appendStringInfoString(&buf, ")");
	return buf.data;
}
