/*-------------------------------------------------------------------------
 *
 * window_aggregates.c
 *	  Window aggregates and ranking functions as correlated subqueries.
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
 * split_grouped_windows).
 *
 * With ORDER BY in OVER and the default frame (the partition's rows up to
 * the current row's last peer), aggregates run over the rows that sort
 * before the outer row or with it, and rank(), dense_rank(),
 * percent_rank(), cume_dist() and row_number() are counts of such rows
 * (window_value): subqueries correlated by the partition's equalities and
 * the order's inequalities, which the rules keep as correlated subqueries
 * (a change re-evaluates the rows of the partitions it touches, each by a
 * scan of its partition: the square of a partition's size per change).
 * row_number(), lag(x) and lead(x) by one row, first_value(x) and
 * last_value(x) only where the PARTITION BY and ORDER BY hold a unique key
 * of every table (orders_totally); otherwise PostgreSQL orders peers in
 * any order and no view could follow it.  lag and lead are the first row
 * before or after in the reverse or the window's order
 * (incrload.first(x ORDER BY ...), as DISTINCT ON uses it); first_value
 * the partition's first row (an auxiliary view); last_value, with the
 * default frame ending at the row, the row's own value.  Other offsets,
 * defaults, nth_value, ntile and other frames are left for analysis to
 * refuse.
 *
 * IDENTIFICATION
 *	  src/window_aggregates.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "parser/parse_coerce.h"
#include "parser/parse_func.h"
#include "parser/parse_oper.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "access/genam.h"
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
#include "catalog.h"
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
 * (SELECT agg FROM the query's FROM WHERE its WHERE AND extra): extra
 * refers to the outer query one level up.
 */
static SubLink *
sublink_over(Query *query, Aggref *agg, Node *extra)
{
	Query	   *sub = copyObject(query);
	SubLink    *sl = makeNode(SubLink);

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

/* An aggregate call, by hand: args and (for DISTINCT) the SortGroupClauses */
static Aggref *
make_agg(Oid fnoid, Oid type, Oid coll, List *args, List *distinct, bool star)
{
	Aggref	   *agg = makeNode(Aggref);
	ListCell   *lc;
	int			i = 0;

	agg->aggfnoid = fnoid;
	agg->aggtype = type;
	agg->aggcollid = coll;
	agg->aggstar = star;
	agg->aggkind = AGGKIND_NORMAL;
	agg->aggsplit = AGGSPLIT_SIMPLE;
	agg->aggdistinct = distinct;
	agg->location = -1;
	foreach(lc, args)
	{
		TargetEntry *tle = makeTargetEntry(copyObject(lfirst(lc)), ++i, NULL, false);

		tle->ressortgroupref = distinct != NIL ? i : 0;
		agg->aggargtypes = lappend_oid(agg->aggargtypes, exprType(lfirst(lc)));
		agg->args = lappend(agg->args, tle);
		if (OidIsValid(exprCollation(lfirst(lc))))
			agg->inputcollid = exprCollation(lfirst(lc));
	}
	return agg;
}

/* The window's aggregate over the rows extra selects. */
static Node *
window_agg_sublink(Query *query, WindowFunc *wf, Node *extra)
{
	Aggref	   *agg = make_agg(wf->winfnoid, wf->wintype, wf->wincollid, wf->args,
							   NIL, wf->winstar);

	agg->inputcollid = wf->inputcollid;
	agg->aggfilter = (Expr *) copyObject(wf->aggfilter);
	return (Node *) sublink_over(query, agg, extra);
}

/* (SELECT count(*) ...) */
static Node *
count_sublink(Query *query, Node *extra)
{
	return (Node *) sublink_over(query, make_agg(F_COUNT_, INT8OID, InvalidOid, NIL,
												 NIL, true), extra);
}

/* (SELECT count(DISTINCT ROW(keys)) ...): the peer groups among the rows */
static Node *
count_peers_sublink(Query *query, List *keys, Node *extra)
{
	RowExpr    *row = makeNode(RowExpr);
	SortGroupClause *sgc = makeNode(SortGroupClause);

	row->args = copyObject(keys);
	row->row_typeid = RECORDOID;
	row->row_format = COERCE_IMPLICIT_CAST;
	row->location = -1;
	sgc->tleSortGroupRef = 1;
	sgc->eqop = RECORD_EQ_OP;
	sgc->sortop = RECORD_LT_OP;
	sgc->hashable = false;
	return (Node *) sublink_over(query, make_agg(F_COUNT_ANY, INT8OID, InvalidOid,
												 list_make1(row), list_make1(sgc), false),
								 extra);
}

/* a sorts strictly before b on one ORDER BY item (its direction, NULLS FIRST/LAST) */
static Node *
sorts_before(Node *a, Node *b, SortGroupClause *sgc)
{
	Node	   *cmp = (Node *) make_opclause(sgc->sortop, BOOLOID, false, (Expr *) a,
											 (Expr *) b, InvalidOid, exprCollation(a));
	Node	   *nulls = sgc->nulls_first ?
		make_and_qual(il_null_test(copyObject(a), IS_NULL), il_null_test(copyObject(b), IS_NOT_NULL)) :
		make_and_qual(il_null_test(copyObject(a), IS_NOT_NULL), il_null_test(copyObject(b), IS_NULL));

	return (Node *) make_orclause(list_make2(nulls, cmp));
}

/* a and b are peers on one ORDER BY item: equal, or both NULL */
static Node *
sorts_equal(Node *a, Node *b, SortGroupClause *sgc)
{
	Node	   *eq = (Node *) make_opclause(sgc->eqop, BOOLOID, false, (Expr *) a,
											(Expr *) b, InvalidOid, exprCollation(a));

	return (Node *) make_orclause(list_make2(eq,
											 make_and_qual(il_null_test(copyObject(a), IS_NULL),
														   il_null_test(copyObject(b), IS_NULL))));
}

/*
 * The rows of the subquery (level 0) that sort before the outer row (one
 * level up) in the window's ORDER BY, lexicographically:
 * k1 < k1' OR (k1 = k1' AND (k2 < k2' OR ...)); with peers, those that
 * sort the same too.  NULL in a comparison only ever drops a row: no NOT.
 */
static Node *
rows_around(Query *query, WindowClause *wc, bool peers, bool after)
{
	Node	   *acc = NULL;
	List	   *same = NIL;
	int			n = list_length(wc->orderClause);

	for (int i = n - 1; i >= 0; i--)
	{
		SortGroupClause *sgc = list_nth_node(SortGroupClause, wc->orderClause, i);
		Node	   *inner = get_sortgroupclause_expr(sgc, query->targetList);
		Node	   *outer = copyObject(inner);
		Node	   *lt;

		IncrementVarSublevelsUp(outer, 1, 0);
		lt = after ? sorts_before(copyObject(outer), copyObject(inner), sgc) :
			sorts_before(copyObject(inner), copyObject(outer), sgc);
		same = lappend(same, sorts_equal(copyObject(inner), copyObject(outer), sgc));
		acc = acc == NULL ? lt :
			(Node *) make_orclause(list_make2(lt, make_and_qual(copyObject(llast(same)), acc)));
	}
	if (!peers)
		return acc;
	return (Node *) make_orclause(list_make2(acc, make_ands_explicit(same)));
}

static Node *
rows_before(Query *query, WindowClause *wc, bool peers)
{
	return rows_around(query, wc, peers, false);
}

/*
 * (SELECT incrload.first(value ORDER BY the window's order, or its reverse)
 * ...): the value of the first (or last) row extra selects.
 */
static Node *
first_sublink(Query *query, Node *value, WindowClause *wc, bool reverse, Node *extra)
{
	Oid			argtype = ANYELEMENTOID;
	Oid			fnoid = LookupFuncName(list_make2(makeString(get_namespace_name(il_catalog_namespace())),
												  makeString("first")),
									   1, &argtype, false);
	List	   *args = list_make1(value);
	Aggref	   *agg;
	ListCell   *lc;

	foreach(lc, wc->orderClause)
		args = lappend(args, get_sortgroupclause_expr(lfirst(lc), query->targetList));
	agg = make_agg(fnoid, exprType(value), exprCollation(value), args, NIL, false);
	agg->aggargtypes = list_make1_oid(exprType(value));
	foreach(lc, wc->orderClause)
	{
		SortGroupClause *sgc = copyObject(lfirst_node(SortGroupClause, lc));
		TargetEntry *tle = list_nth_node(TargetEntry, agg->args, foreach_current_index(lc) + 1);

		tle->resjunk = true;
		tle->ressortgroupref = foreach_current_index(lc) + 1;
		sgc->tleSortGroupRef = tle->ressortgroupref;
		if (reverse)
		{
			sgc->sortop = get_commutator(sgc->sortop);
			sgc->nulls_first = !sgc->nulls_first;
		}
		agg->aggorder = lappend(agg->aggorder, sgc);
	}
	return (Node *) sublink_over(query, agg, extra);
}

/* lag(x), lag(x, 1), lead(x), lead(x, 1): the offset is one row */
static bool
offset_one(WindowFunc *wf)
{
	Const	   *c;

	if (list_length(wf->args) == 1)
		return true;
	if (list_length(wf->args) != 2 || !IsA(lsecond(wf->args), Const))
		return false;
	c = lsecond_node(Const, wf->args);
	return !c->constisnull && c->consttype == INT4OID && DatumGetInt32(c->constvalue) == 1;
}

/*
 * Whether the window's PARTITION BY and ORDER BY order its rows totally:
 * they hold every column of a unique key of every table the query reads
 * (a primary key, or a unique index of NOT NULL columns), or every GROUP
 * BY column of a grouped FROM subquery (split_grouped_windows).  Then no
 * two rows are peers, and row_number() is as determined as rank().
 */
static bool
orders_totally(Query *query, WindowClause *wc)
{
	List	   *keys = NIL;
	ListCell   *lc;

	foreach(lc, wc->partitionClause)
		keys = lappend(keys, get_sortgroupclause_expr(lfirst(lc), query->targetList));
	foreach(lc, wc->orderClause)
		keys = lappend(keys, get_sortgroupclause_expr(lfirst(lc), query->targetList));

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		int			rti = foreach_current_index(lc) + 1;
		bool		found = false;

		if (rte->rtekind == RTE_JOIN || !rangeTableEntry_used((Node *) query->jointree, rti, 0))
			continue;
		if (rte->rtekind == RTE_SUBQUERY && rte->subquery->groupClause != NIL &&
			rte->subquery->groupingSets == NIL)
		{
			ListCell   *lg;

			found = true;
			foreach(lg, rte->subquery->groupClause)
			{
				TargetEntry *tle = get_sortgroupclause_tle(lfirst(lg), rte->subquery->targetList);
				Var		   *v = makeVar(rti, tle->resno, exprType((Node *) tle->expr),
										exprTypmod((Node *) tle->expr),
										exprCollation((Node *) tle->expr), 0);

				if (tle->resjunk || !list_member(keys, v))
					found = false;
			}
		}
		else if (rte->rtekind == RTE_RELATION)
		{
			Relation	rel = table_open(rte->relid, AccessShareLock);
			ListCell   *li;

			foreach(li, RelationGetIndexList(rel))
			{
				Relation	idx = index_open(lfirst_oid(li), AccessShareLock);
				Form_pg_index form = idx->rd_index;
				bool		all = form->indisunique && form->indimmediate &&
					RelationGetIndexPredicate(idx) == NIL &&
					form->indnkeyatts == form->indnatts;

				for (int k = 0; all && k < form->indnkeyatts; k++)
				{
					AttrNumber	att = form->indkey.values[k];
					Form_pg_attribute a = att > 0 ? TupleDescAttr(RelationGetDescr(rel), att - 1) : NULL;
					bool		in_keys = false;
					ListCell   *lk;

					if (a == NULL || !a->attnotnull)
					{
						all = false;
						break;
					}
					foreach(lk, keys)
					{
						Var		   *v = lfirst(lk);

						if (IsA(v, Var) && v->varno == rti && v->varattno == att &&
							v->varlevelsup == 0)
							in_keys = true;
					}
					all = in_keys;
				}
				index_close(idx, AccessShareLock);
				if (all)
				{
					found = true;
					break;
				}
			}
			table_close(rel, AccessShareLock);
		}
		if (!found)
			return false;
	}
	return true;
}

static Node *
int8_plus_one(Node *count, int delta)
{
	return (Node *) make_op(NULL, list_make1(makeString(delta > 0 ? "+" : "-")), count,
							(Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
											   Int64GetDatum(1), false, FLOAT8PASSBYVAL),
							NULL, -1);
}

static Node *
as_float8(Node *expr)
{
	return coerce_to_target_type(NULL, expr, exprType(expr), FLOAT8OID, -1,
								 COERCION_EXPLICIT, COERCE_EXPLICIT_CAST, -1);
}

/*
 * A window function's value for the outer row, given the conditions that
 * select its partition's rows (partition).  Without ORDER BY an aggregate
 * over the partition; with ORDER BY (and the default frame, RANGE
 * UNBOUNDED PRECEDING to CURRENT ROW: the rows before and the peers):
 *
 *	 sum(x) OVER w			(SELECT sum(x) ... AND (before OR peer))
 *	 rank() OVER w			(SELECT count(*) ... AND before) + 1
 *	 row_number() OVER w	the same, where w orders totally (else NULL)
 *	 dense_rank() OVER w	(SELECT count(DISTINCT ROW(order keys)) ... AND before) + 1
 *	 percent_rank() OVER w	(rank - 1) / greatest(n - 1, 1)
 *	 cume_dist() OVER w		(SELECT count(*) ... AND (before OR peer)) / n
 *	 lag(x) OVER w			(SELECT incrload.first(x ORDER BY w's order reversed) ... AND before)
 *	 lead(x) OVER w			(SELECT incrload.first(x ORDER BY w's order) ... AND after)
 *	 first_value(x) OVER w	(SELECT incrload.first(x ORDER BY w's order) ... partition)
 *	 last_value(x) OVER w	x
 *
 * n being (SELECT count(*) ... partition).  NULL for what this cannot
 * rewrite.
 */
static Node *
window_value(Query *query, WindowFunc *wf, WindowClause *wc, Node *partition)
{
	char	   *fname;
	List	   *keys = NIL;
	ListCell   *lc;

	if (wc->orderClause == NIL)
		return wf->winagg ? window_agg_sublink(query, wf, partition) : NULL;
	if (wc->frameOptions != FRAMEOPTION_DEFAULTS)
		return NULL;
	if (wf->winagg)
		return window_agg_sublink(query, wf,
								  make_and_qual(copyObject(partition), rows_before(query, wc, true)));
	if (get_func_namespace(wf->winfnoid) != PG_CATALOG_NAMESPACE)
		return NULL;
	fname = get_func_name(wf->winfnoid);
	foreach(lc, wc->orderClause)
		keys = lappend(keys, get_sortgroupclause_expr(lfirst(lc), query->targetList));
	if (strcmp(fname, "rank") == 0 ||
		(strcmp(fname, "row_number") == 0 && orders_totally(query, wc)))
		return int8_plus_one(count_sublink(query, make_and_qual(copyObject(partition),
																rows_before(query, wc, false))), 1);
	/*
	 * Over a total order: lag(x) is x of the last row before, lead(x) of
	 * the first row after, first_value(x) of the partition's first row
	 * (its frame always starts there), last_value(x) the row's own x (the
	 * frame ends at the row, which has no peers).
	 */
	if ((strcmp(fname, "lag") == 0 || strcmp(fname, "lead") == 0) && offset_one(wf) &&
		orders_totally(query, wc))
		return first_sublink(query, copyObject(linitial(wf->args)), wc, fname[1] == 'a',
							 make_and_qual(copyObject(partition),
										   rows_around(query, wc, false, fname[1] == 'e')));
	if (strcmp(fname, "first_value") == 0 && orders_totally(query, wc))
		return first_sublink(query, copyObject(linitial(wf->args)), wc, false,
							 copyObject(partition));
	if (strcmp(fname, "last_value") == 0 && orders_totally(query, wc))
		return copyObject(linitial(wf->args));
	if (strcmp(fname, "dense_rank") == 0)
		return int8_plus_one(count_peers_sublink(query, keys,
												 make_and_qual(copyObject(partition),
															   rows_before(query, wc, false))), 1);
	if (strcmp(fname, "percent_rank") == 0 || strcmp(fname, "cume_dist") == 0)
	{
		Node	   *n = count_sublink(query, copyObject(partition));
		MinMaxExpr *greatest = makeNode(MinMaxExpr);

		if (fname[0] == 'c')
			return (Node *) make_op(NULL, list_make1(makeString("/")),
									as_float8(count_sublink(query, make_and_qual(copyObject(partition),
																				  rows_before(query, wc, true)))),
									as_float8(n), NULL, -1);
		/* (rank - 1) / greatest(n - 1, 1): 0 in a partition of one row */
		greatest->minmaxtype = INT8OID;
		greatest->op = IS_GREATEST;
		greatest->args = list_make2(int8_plus_one(n, -1),
									makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
											  Int64GetDatum(1), false, FLOAT8PASSBYVAL));
		greatest->location = -1;
		return (Node *) make_op(NULL, list_make1(makeString("/")),
								as_float8(count_sublink(query, make_and_qual(copyObject(partition),
																			  rows_before(query, wc, false)))),
								as_float8((Node *) greatest), NULL, -1);
	}
	return NULL;
}

static Node *
window_mutator(Node *node, WindowContext *ctx)
{
	Query	   *query = ctx->query;
	WindowFunc *wf;
	WindowClause *wc = NULL;
	List	   *correlation = NIL;
	Node	   *nullable = NULL;
	Node	   *value;
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
	if (wc == NULL || contain_window_function((Node *) wf->args))
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
	value = window_value(query, wf, wc, (Node *) make_ands_explicit(correlation));
	if (value == NULL)
	{
		ctx->ok = false;
		return copyObject(node);
	}
	if (nullable == NULL)
		return value;

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
		w->result = (Expr *) window_value(query, wf, wc, (Node *) make_ands_explicit(nulls));
		w->location = -1;
		c->casetype = exprType(value);
		c->casecollid = exprCollation(value);
		c->args = list_make1(w);
		c->defresult = (Expr *) value;
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
