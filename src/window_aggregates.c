/*-------------------------------------------------------------------------
 *
 * window_aggregates.c
 *	  Aggregates over whole window partitions as correlated subqueries.
 *
 * An aggregate used as a window function over a whole partition (OVER
 * (PARTITION BY ...) without ORDER BY or frame) gives every row the
 * aggregate of the rows of the query that share its partition values.
 * That is a scalar subquery over the query's own FROM and WHERE,
 * correlated by the partition expressions, which the rules keep as an
 * auxiliary view grouped by them (decorrelate.c): a change reaches the
 * rows of the partitions it touched, through the groups it changed.  For
 *
 *	 SELECT id, amt / sum(amt) OVER (PARTITION BY cust) AS share FROM ord
 *
 * the query registered is
 *
 *	 SELECT id, amt / (SELECT sum(o.amt) FROM ord o WHERE o.cust = ord.cust)
 *	 FROM ord
 *
 * A partition of NULL values is one partition, where = matches nothing:
 * for one partition expression that can be NULL, the subquery is
 * CASE WHEN e IS NULL THEN (... WHERE e IS NULL) ELSE (... WHERE e = e')
 * END, whose first arm is uncorrelated (an auxiliary view of one row).
 * Over a grouped query, the grouping first becomes a FROM subquery (see
 * split_grouped_windows).  Other window functions (row_number, rank, lag
 * ...) and ORDER BY or a frame in OVER are left for analysis to refuse.
 *
 * IDENTIFICATION
 *	  src/window_aggregates.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "analyze.h"
#include "delta.h"
#include "top_n.h"
#include "window_aggregates.h"

typedef struct WindowContext
{
	Query	   *query;
	bool		ok;				/* every window function could be rewritten */
} WindowContext;

/* Whether the query joins with an outer join (its columns may be NULL) */
static bool
has_outer_join(Node *jtnode)
{
	if (jtnode == NULL || IsA(jtnode, RangeTblRef))
		return false;
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
		{
			if (has_outer_join(lfirst(lc)))
				return true;
		}
		return false;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;

		return j->jointype != JOIN_INNER || has_outer_join(j->larg) ||
			has_outer_join(j->rarg);
	}
	return true;
}

/*
 * Whether a partition expression is a column that cannot be NULL: a NOT
 * NULL column of a table no outer join makes nullable.
 */
static bool
never_null(Query *query, Node *expr)
{
	return !has_outer_join((Node *) query->jointree) && !il_may_be_null(expr, query);
}

/* inner = outer, by the type's default equality */
static Node *
equals_outer(Node *inner, Node *outer)
{
	Oid			type = exprType(inner);
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_EQ_OPR);

	if (!OidIsValid(tc->eq_opr))
		return NULL;
	return (Node *) make_opclause(tc->eq_opr, BOOLOID, false, (Expr *) inner,
								  (Expr *) outer, InvalidOid, exprCollation(inner));
}

/*
 * (SELECT agg(args) FROM the query's FROM WHERE its WHERE AND extra): extra
 * refers to the outer query one level up.
 */
static SubLink *
partition_sublink(Query *query, WindowFunc *wf, Node *extra)
{
	Query	   *sub = copyObject(query);
	Aggref	   *agg = makeNode(Aggref);
	SubLink    *sl = makeNode(SubLink);
	ListCell   *lc;
	int			i = 0;

	agg->aggfnoid = wf->winfnoid;
	agg->aggtype = wf->wintype;
	agg->aggcollid = wf->wincollid;
	agg->inputcollid = wf->inputcollid;
	agg->aggstar = wf->winstar;
	agg->aggfilter = (Expr *) copyObject(wf->aggfilter);
	agg->aggkind = AGGKIND_NORMAL;
	agg->aggsplit = AGGSPLIT_SIMPLE;
	agg->location = -1;
	foreach(lc, wf->args)
	{
		agg->aggargtypes = lappend_oid(agg->aggargtypes, exprType(lfirst(lc)));
		agg->args = lappend(agg->args, makeTargetEntry(copyObject(lfirst(lc)), ++i,
													   NULL, false));
	}
	sub->targetList = list_make1(makeTargetEntry((Expr *) agg, 1, "v", false));
	sub->windowClause = NIL;
	sub->hasWindowFuncs = false;
	sub->hasAggs = true;
	sub->sortClause = NIL;
	sub->limitCount = sub->limitOffset = NULL;
	sub->distinctClause = NIL;
	sub->hasDistinctOn = false;
	sub->jointree->quals = (Node *) make_and_qual(sub->jointree->quals, extra);

	sl->subLinkType = EXPR_SUBLINK;
	sl->subselect = (Node *) sub;
	sl->location = -1;
	return sl;
}

static Node *
window_mutator(Node *node, WindowContext *ctx)
{
	Query	   *query = ctx->query;
	WindowFunc *wf;
	WindowClause *wc = NULL;
	List	   *correlation = NIL;
	Node	   *nullable = NULL;
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	if (!IsA(node, WindowFunc))
		return expression_tree_mutator(node, window_mutator, ctx);
	wf = (WindowFunc *) node;
	foreach(lc, query->windowClause)
	{
		if (((WindowClause *) lfirst(lc))->winref == wf->winref)
			wc = lfirst(lc);
	}
	if (!wf->winagg || wc == NULL || wc->orderClause != NIL ||
		wc->frameOptions != FRAMEOPTION_DEFAULTS ||
		contain_window_function((Node *) wf->args))
	{
		ctx->ok = false;
		return copyObject(node);
	}

	/* the partition expressions: each equal to the outer row's */
	foreach(lc, wc->partitionClause)
	{
		Node	   *expr = get_sortgroupclause_expr(lfirst_node(SortGroupClause, lc),
													query->targetList);
		Node	   *outer = copyObject(expr);
		Node	   *eq;

		IncrementVarSublevelsUp(outer, 1, 0);
		eq = equals_outer(copyObject(expr), outer);
		if (eq == NULL || (!never_null(query, expr) && nullable != NULL))
		{
			ctx->ok = false;
			return copyObject(node);
		}
		if (!never_null(query, expr))
			nullable = expr;
		correlation = lappend(correlation, eq);
	}
	if (nullable == NULL)
		return (Node *) partition_sublink(query, wf, (Node *) make_ands_explicit(correlation));

	/* one that can be NULL: its NULL partition apart */
	{
		CaseExpr   *c = makeNode(CaseExpr);
		CaseWhen   *w = makeNode(CaseWhen);
		List	   *nulls = NIL;

		foreach(lc, correlation)
		{
			OpExpr	   *eq = lfirst(lc);

			if (equal(linitial(eq->args), nullable))
				nulls = lappend(nulls, il_null_test(nullable, IS_NULL));
			else
				nulls = lappend(nulls, eq);
		}
		w->expr = (Expr *) il_null_test(nullable, IS_NULL);
		w->result = (Expr *) partition_sublink(query, wf, (Node *) make_ands_explicit(nulls));
		w->location = -1;
		c->casetype = wf->wintype;
		c->casecollid = wf->wincollid;
		c->args = list_make1(w);
		c->defresult = (Expr *) partition_sublink(query, wf,
												  (Node *) make_ands_explicit(correlation));
		c->location = -1;
		return (Node *) c;
	}
}

/*
 * Windows over a grouped query: the grouping and the aggregates become a
 * FROM subquery of their own, over which the windows run, as the planner
 * runs them over the grouped rows.  For
 *
 *	 SELECT g, sum(x) / sum(sum(x)) OVER () AS share FROM t GROUP BY g
 *
 * that is
 *
 *	 SELECT w.c1 AS g, w.c2 / sum(w.c2) OVER () AS share
 *	 FROM (SELECT g AS c1, sum(x) AS c2 FROM t GROUP BY g) w
 *
 * whose window the rewrite above then makes a subquery (the grouped one an
 * auxiliary view).  NULL when the select list holds what this cannot
 * split (a subquery, GROUPING()).
 */
typedef struct SplitContext
{
	Query	   *query;
	List	   *exprs;			/* the grouped query's columns */
	bool		ok;
} SplitContext;

static Node *
grouped_column(Node *expr, SplitContext *ctx)
{
	ListCell   *lc;
	int			attno = 0;

	foreach(lc, ctx->exprs)
	{
		attno++;
		if (equal(lfirst(lc), expr))
			return (Node *) makeVar(1, attno, exprType(expr), exprTypmod(expr),
									exprCollation(expr), 0);
	}
	ctx->exprs = lappend(ctx->exprs, copyObject(expr));
	return (Node *) makeVar(1, attno + 1, exprType(expr), exprTypmod(expr),
							exprCollation(expr), 0);
}

static Node *
split_mutator(Node *node, SplitContext *ctx)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref) && ((Aggref *) node)->agglevelsup == 0)
		return grouped_column(node, ctx);
	foreach(lc, ctx->query->groupClause)
	{
		if (equal(node, get_sortgroupclause_expr(lfirst_node(SortGroupClause, lc),
												 ctx->query->targetList)))
			return grouped_column(node, ctx);
	}
	if (IsA(node, SubLink) || IsA(node, GroupingFunc) ||
		(IsA(node, Var) && ((Var *) node)->varlevelsup == 0))
		ctx->ok = false;
	return expression_tree_mutator(node, split_mutator, ctx);
}

static Query *
split_grouped_windows(Query *query)
{
	SplitContext ctx = {query, NIL, true};
	Query	   *inner = copyObject(query);
	Query	   *outer = makeNode(Query);
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *colnames = NIL;
	ListCell   *lc;

	/* the grouping expressions first, keeping their GROUP BY references */
	foreach(lc, query->groupClause)
		ctx.exprs = lappend(ctx.exprs,
							get_sortgroupclause_expr(lfirst_node(SortGroupClause, lc),
													 query->targetList));
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		TargetEntry *otle = flatCopyTargetEntry(tle);

		otle->expr = (Expr *) split_mutator((Node *) tle->expr, &ctx);
		outer->targetList = lappend(outer->targetList, otle);
	}
	if (!ctx.ok)
		return NULL;

	inner->targetList = NIL;
	foreach(lc, ctx.exprs)
	{
		int			i = foreach_current_index(lc);
		TargetEntry *tle = makeTargetEntry(copyObject(lfirst(lc)), i + 1,
										   psprintf("c%d", i + 1), false);

		if (i < list_length(query->groupClause))
			tle->ressortgroupref = list_nth_node(SortGroupClause, query->groupClause,
												 i)->tleSortGroupRef;
		inner->targetList = lappend(inner->targetList, tle);
		colnames = lappend(colnames, makeString(tle->resname));
	}
	inner->windowClause = NIL;
	inner->hasWindowFuncs = false;
	inner->sortClause = NIL;
	inner->limitCount = inner->limitOffset = NULL;
	inner->distinctClause = NIL;

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = inner;
	rte->alias = makeAlias("w", NIL);
	rte->eref = makeAlias("w", colnames);
	rte->inFromCl = true;
	outer->commandType = CMD_SELECT;
	outer->querySource = QSRC_ORIGINAL;
	outer->canSetTag = true;
	outer->rtable = list_make1(rte);
	{
		RangeTblRef *ref = makeNode(RangeTblRef);

		ref->rtindex = 1;
		outer->jointree = makeFromExpr(list_make1(ref), NULL);
	}
	outer->windowClause = query->windowClause;
	outer->hasWindowFuncs = true;
	outer->distinctClause = query->distinctClause;
	/* a top-N view's order and LIMIT, over the windows (top_n.c) */
	if (il_top_n(query))
	{
		outer->sortClause = query->sortClause;
		outer->limitCount = query->limitCount;
		outer->limitOffset = query->limitOffset;
		outer->limitOption = query->limitOption;
	}
	return il_analyze_parse(il_analyze_querydef(outer));
}

/*
 * The query with its aggregates over whole window partitions written as
 * correlated subqueries, or the query itself when it has none or any
 * window function it cannot rewrite so.
 */
Query *
il_rewrite_window_aggregates(Query *query)
{
	WindowContext ctx = {query, true};
	Query	   *rewritten;

	if (!query->hasWindowFuncs)
		return query;
	if ((query->hasAggs || query->groupClause != NIL) && query->groupingSets == NIL &&
		!query->hasTargetSRFs && query->setOperations == NULL && query->cteList == NIL &&
		!query->hasDistinctOn)
	{
		Query	   *split = split_grouped_windows(query);

		return split ? il_rewrite_window_aggregates(split) : query;
	}
	if (query->hasAggs || query->groupClause != NIL || query->groupingSets != NIL ||
		query->havingQual != NULL || query->hasTargetSRFs ||
		query->setOperations != NULL || query->cteList != NIL ||
		query->hasDistinctOn)
		return query;

	rewritten = copyObject(query);
	rewritten->targetList = (List *) window_mutator((Node *) query->targetList, &ctx);
	if (!ctx.ok)
		return query;

	/*
	 * Each window's subquery repeats the FROM and WHERE, correlated with
	 * the query's row; a subquery there would be one inside a correlated
	 * subquery, which the rules do not keep.  Said in the user's terms,
	 * not in those of the copy.
	 */
	if (checkExprHasSubLink((Node *) query->jointree))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("window functions over a query with subqueries in its WHERE or JOIN conditions are not supported in incremental mode"),
				errdetail("Each window aggregate is kept as a subquery over the query's FROM and WHERE."),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	rewritten->windowClause = NIL;
	rewritten->hasWindowFuncs = false;
	rewritten->hasSubLinks = true;
	/* the order of a view's rows is not kept, but for a top-N view's (top_n.c) */
	if (!il_top_n(query))
		rewritten->sortClause = NIL;
	return il_analyze_parse(il_analyze_querydef(rewritten));
}
