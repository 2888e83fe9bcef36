/*-------------------------------------------------------------------------
 *
 * decorrelate.c
 *	  Subqueries in expressions that aggregate, made auxiliary views.
 *
 * A subquery in an expression that aggregates (a scalar aggregate, IN over
 * GROUP BY ... HAVING) is a function of its whole input: when that input
 * changes, every outer row that reads it may change, and evaluating it
 * again on the input's old and new rows reads every row of every group it
 * covers.  Kept as an auxiliary view instead (register.c), its groups are
 * maintained like any aggregate view's, and the subquery reads that view:
 * a change reaches the outer rows through the groups the batch changed.
 *
 * A correlated subquery is made uncorrelated first, when every condition
 * that reads the outer row equates an expression of the subquery's own
 * tables with one of the outer row's:
 *
 *	 (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)
 *
 * is the auxiliary view
 *
 *	 SELECT l_partkey AS k1, 0.2 * avg(l_quantity) AS v1 FROM lineitem
 *	  GROUP BY l_partkey
 *
 * read as (SELECT v1 FROM aux WHERE aux.k1 = p_partkey).  An outer row with
 * no group: an aggregate without GROUP BY returns one row for it, the
 * aggregates over no rows (count 0, the others NULL); the scalar subquery
 * then reads CASE WHEN EXISTS (the group) THEN (its value) ELSE (that row's
 * value) END.  IN and EXISTS over such an aggregate, whose one row exists
 * for every outer row, stay as they are.
 *
 * Only trees are built here; register.c registers the view.
 *
 * IDENTIFICATION
 *	  src/decorrelate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "rewrite/rewriteManip.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "decorrelate.h"

/* One condition equating a subquery expression with an outer one. */
typedef struct Correlation
{
	OpExpr	   *op;				/* the condition as written */
	int			inner_arg;		/* which argument is the subquery's */
} Correlation;

struct IncrloadDecorrelation
{
	List	   *corrs;			/* Correlation * */
	int			nvalues;		/* the subquery's visible columns */
	Const	   *empty;			/* scalar, per outer row: the value of no
								 * rows, or NULL when it is NULL */
};

/* Whether an expression refers to a query level above its own (depth). */
static bool
outer_walker(Node *node, int *depth)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varlevelsup > *depth;
	if (IsA(node, Aggref))
	{
		if (((Aggref *) node)->agglevelsup > *depth)
			return true;
	}
	if (IsA(node, GroupingFunc) && ((GroupingFunc *) node)->agglevelsup > *depth)
		return true;
	if (IsA(node, RangeTblEntry))
		return ((RangeTblEntry *) node)->rtekind == RTE_CTE &&
			((RangeTblEntry *) node)->ctelevelsup > *depth;
	if (IsA(node, Query))
	{
		bool		result;

		(*depth)++;
		result = query_tree_walker((Query *) node, outer_walker, depth,
								   QTW_EXAMINE_RTES_BEFORE);
		(*depth)--;
		return result;
	}
	return expression_tree_walker(node, outer_walker, depth);
}

/* An expression of a query that reads an enclosing query. */
static bool
refers_out(Node *node)
{
	int			depth = 0;

	return outer_walker(node, &depth);
}

/* A query that reads an enclosing query. */
bool
il_decorrelate_is_correlated(Query *q)
{
	int			depth = -1;

	return outer_walker((Node *) q, &depth);
}

/*
 * Whether cond equates an expression of the subquery's own tables with one
 * of the outer row's, by the equality its grouping would use.
 */
static Correlation *
correlation(Node *cond)
{
	OpExpr	   *op;
	Correlation *c;

	if (!IsA(cond, OpExpr) || list_length(((OpExpr *) cond)->args) != 2)
		return NULL;
	op = (OpExpr *) cond;
	for (int side = 0; side < 2; side++)
	{
		Node	   *in = list_nth(op->args, side);
		Node	   *out = list_nth(op->args, 1 - side);
		Oid			type = exprType(in);
		Oid			coll = exprCollation(in);
		TypeCacheEntry *tc;
		List	   *families;

		if (!contain_vars_of_level(in, 0) || refers_out(in) ||
			contain_vars_of_level(out, 0) || !refers_out(out) ||
			checkExprHasSubLink(in) || checkExprHasSubLink(out) ||
			contain_volatile_functions(in) || contain_volatile_functions(out) ||
			contain_agg_clause(in) || contain_agg_clause(out))
			continue;

		/* grouping by in (its type's equality) must match what op matches */
		tc = lookup_type_cache(type, TYPECACHE_EQ_OPR | TYPECACHE_BTREE_OPFAMILY);
		if (!OidIsValid(tc->eq_opr) || !OidIsValid(tc->btree_opf))
			continue;
		families = get_mergejoin_opfamilies(op->opno);
		if (!list_member_oid(families, tc->btree_opf))
			continue;
		if (OidIsValid(op->inputcollid) && op->inputcollid != coll &&
			!(get_collation_isdeterministic(op->inputcollid) &&
			  (!OidIsValid(coll) || get_collation_isdeterministic(coll))))
			continue;
		c = palloc(sizeof(Correlation));
		c->op = op;
		c->inner_arg = side;
		return c;
	}
	return NULL;
}

/*
 * The aggregates over no rows: count is 0; those that return NULL for no
 * input.  Others (user-defined, ordered-set) are not known: NULL result.
 */
static Node *
empty_agg_mutator(Node *node, bool *unknown)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref) && ((Aggref *) node)->agglevelsup == 0)
	{
		Aggref	   *agg = (Aggref *) node;
		static const char *const null_aggs[] = {
			"sum", "avg", "min", "max", "bool_and", "bool_or", "every",
			"stddev", "stddev_pop", "stddev_samp", "variance", "var_pop",
			"var_samp", "string_agg", "array_agg", "json_agg", "jsonb_agg",
			"bit_and", "bit_or", "bit_xor"
		};
		char	   *name = get_func_name(agg->aggfnoid);

		if (agg->aggfnoid == F_COUNT_ANY || agg->aggfnoid == F_COUNT_)
			return (Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
									  Int64GetDatum(0), false, FLOAT8PASSBYVAL);
		if (get_func_namespace(agg->aggfnoid) == PG_CATALOG_NAMESPACE)
			for (int i = 0; i < lengthof(null_aggs); i++)
				if (strcmp(name, null_aggs[i]) == 0)
					return (Node *) makeNullConst(agg->aggtype, -1, agg->aggcollid);
		*unknown = true;
		return node;
	}
	return expression_tree_mutator(node, empty_agg_mutator, unknown);
}

/*
 * The query of the auxiliary view a subquery in an expression becomes, or
 * NULL when it does not aggregate or cannot be made one: its correlation
 * conditions become its first columns (k1 ..), grouped by, and its own
 * columns follow (v1 ..).  *info is what il_decorrelate_replace needs.
 */
Query *
il_decorrelate_aux_query(SubLink *sl, IncrloadDecorrelation **info)
{
	Query	   *sub = castNode(Query, sl->subselect);
	Query	   *aux;
	List	   *rest = NIL;
	List	   *tlist = NIL;
	List	   *keys_group = NIL;
	IncrloadDecorrelation *d;
	ListCell   *lc;
	Index		maxref = 0;
	int			resno = 0;

	*info = NULL;
	if (!sub->hasAggs && sub->groupClause == NIL)
		return NULL;
	if (sl->subLinkType != EXISTS_SUBLINK && sl->subLinkType != ANY_SUBLINK &&
		sl->subLinkType != ALL_SUBLINK && sl->subLinkType != EXPR_SUBLINK)
		return NULL;
	if (sub->sortClause || sub->limitCount || sub->limitOffset ||
		sub->setOperations || sub->hasWindowFuncs || sub->hasTargetSRFs ||
		sub->groupingSets || sub->hasDistinctOn || sub->distinctClause ||
		sub->cteList || sub->rowMarks || sub->hasSubLinks ||
		sub->jointree == NULL)
		return NULL;

	d = palloc0(sizeof(IncrloadDecorrelation));
	foreach(lc, make_ands_implicit((Expr *) sub->jointree->quals))
	{
		Correlation *c = correlation(lfirst(lc));

		if (c)
			d->corrs = lappend(d->corrs, c);
		else
			rest = lappend(rest, lfirst(lc));
	}

	/* one row per outer row, which has none once grouped: scalar only */
	if (d->corrs != NIL && sub->groupClause == NIL)
	{
		TargetEntry *tle;
		bool		unknown = false;
		Node	   *empty;

		if (sl->subLinkType != EXPR_SUBLINK)
			return NULL;
		tle = linitial_node(TargetEntry, sub->targetList);
		empty = eval_const_expressions(NULL,
									   empty_agg_mutator(copyObject((Node *) tle->expr),
														 &unknown));
		if (unknown || !IsA(empty, Const))
			return NULL;
		if (!((Const *) empty)->constisnull)
			d->empty = (Const *) empty;
	}

	aux = copyObject(sub);
	aux->jointree->quals = rest ? (Node *) make_ands_explicit(rest) : NULL;
	foreach(lc, sub->targetList)
		maxref = Max(maxref, lfirst_node(TargetEntry, lc)->ressortgroupref);

	/* k1 ..: the subquery's side of each correlation, grouped by */
	foreach(lc, d->corrs)
	{
		Correlation *c = lfirst(lc);
		Node	   *in = copyObject(list_nth(c->op->args, c->inner_arg));
		TargetEntry *tle;
		SortGroupClause *sgc = makeNode(SortGroupClause);
		Oid			sortop;
		Oid			eqop;
		bool		hashable;

		resno++;
		tle = makeTargetEntry((Expr *) in, resno, psprintf("k%d", resno), false);
		get_sort_group_operators(exprType(in), true, true, false,
								 &sortop, &eqop, NULL, &hashable);
		tle->ressortgroupref = ++maxref;
		sgc->tleSortGroupRef = maxref;
		sgc->eqop = eqop;
		sgc->sortop = sortop;
		sgc->nulls_first = false;
		sgc->hashable = hashable;
		tlist = lappend(tlist, tle);
		keys_group = lappend(keys_group, sgc);
	}
	/* v1 ..: the subquery's own columns; then what it groups by unseen */
	foreach(lc, sub->targetList)
	{
		TargetEntry *tle = copyObject(lfirst_node(TargetEntry, lc));

		if (tle->resjunk)
			continue;
		d->nvalues++;
		tle->resno = ++resno;
		tle->resname = psprintf("v%d", d->nvalues);
		tlist = lappend(tlist, tle);
	}
	foreach(lc, sub->targetList)
	{
		TargetEntry *tle = copyObject(lfirst_node(TargetEntry, lc));

		if (!tle->resjunk)
			continue;
		tle->resno = ++resno;
		tlist = lappend(tlist, tle);
	}
	aux->targetList = tlist;
	aux->groupClause = list_concat(keys_group, aux->groupClause);

	/* nothing else may read the outer row */
	if (il_decorrelate_is_correlated(aux))
		return NULL;
	*info = d;
	return aux;
}

/*
 * The expression that stands for sl, reading the auxiliary view through
 * aux_select (SELECT * FROM it, analyzed, at sl's place in the tree).
 */
Node *
il_decorrelate_replace(SubLink *sl, IncrloadDecorrelation *d, Query *aux_select)
{
	List	   *tlist = NIL;
	List	   *conds = NIL;
	ListCell   *lc;
	int			k = 0;
	SubLink    *exists;
	CaseExpr   *ce;
	CaseWhen   *cw;

	foreach(lc, d->corrs)
	{
		Correlation *c = lfirst(lc);
		TargetEntry *key = list_nth(aux_select->targetList, k++);
		OpExpr	   *op = copyObject(c->op);

		lfirst(list_nth_cell(op->args, c->inner_arg)) = copyObject(key->expr);
		conds = lappend(conds, op);
	}
	for (int i = 0; i < d->nvalues; i++)
	{
		TargetEntry *tle = copyObject(list_nth(aux_select->targetList, k + i));

		tle->resno = i + 1;
		tlist = lappend(tlist, tle);
	}
	aux_select->targetList = tlist;
	aux_select->jointree->quals = conds ? (Node *) make_ands_explicit(conds) : NULL;
	sl = copyObject(sl);
	sl->subselect = (Node *) aux_select;
	if (d->empty == NULL)
		return (Node *) sl;

	/* CASE WHEN EXISTS (the group) THEN (its value) ELSE (no rows') END */
	exists = copyObject(sl);
	exists->subLinkType = EXISTS_SUBLINK;
	exists->testexpr = NULL;
	exists->operName = NIL;
	cw = makeNode(CaseWhen);
	cw->expr = (Expr *) exists;
	cw->result = (Expr *) sl;
	cw->location = -1;
	ce = makeNode(CaseExpr);
	ce->casetype = exprType((Node *) sl);
	ce->casecollid = exprCollation((Node *) sl);
	ce->arg = NULL;
	ce->args = list_make1(cw);
	ce->defresult = (Expr *) d->empty;
	ce->location = -1;
	return (Node *) ce;
}
