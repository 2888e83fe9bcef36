/*-------------------------------------------------------------------------
 *
 * grouping_sets.c
 *	  GROUPING SETS, ROLLUP and CUBE as the UNION ALL of their groupings.
 *
 * A query grouped by several grouping sets returns, for each set, the rows
 * it would return grouped by that set alone, with the grouping expressions
 * the set leaves out shown as NULL and GROUPING() as a constant.  Written
 * that way, as a UNION ALL of ordinary grouped queries, the rules already
 * maintain it: each arm is an aggregating query of its own (an auxiliary
 * view, register.c), and the union counts rows per arm.  For
 *
 *	 SELECT a, b, sum(x), GROUPING(a, b) FROM t GROUP BY ROLLUP (a, b)
 *
 * the query registered is
 *
 *	 (SELECT a, b, sum(x), 0 FROM t GROUP BY a, b)
 *	 UNION ALL (SELECT a, NULL::int, sum(x), 1 FROM t GROUP BY a)
 *	 UNION ALL (SELECT NULL::int, NULL::int, sum(x), 3 FROM t)
 *
 * which returns the same rows.  The rewrite runs on the analyzed query and
 * parses the union again from its deparsed, fully qualified text; a query
 * it cannot rewrite exactly is returned as it is, for analysis to refuse.
 *
 * IDENTIFICATION
 *	  src/grouping_sets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_agg.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"

#include "analyze.h"
#include "delta.h"
#include "grouping_sets.h"
#include "top_n.h"

/*
 * Past this many groupings a view would be that many auxiliary views: a
 * CUBE of six expressions is 64.
 */
#define MAX_GROUPINGS 64

typedef struct ArmContext
{
	List	   *kept;			/* the grouping expressions of this arm's set */
	List	   *nulled;			/* those it leaves out */
	List	   *set;			/* its sortgrouprefs */
} ArmContext;

/* NULL of the expression's type, typmod and collation */
static Node *
null_of(Node *expr)
{
	Oid			type = exprType(expr);
	Oid			coll = exprCollation(expr);
	Node	   *null = (Node *) makeNullConst(type, exprTypmod(expr), coll);

	/* a column's own collation, as the union's other arms have it */
	if (OidIsValid(coll) && coll != get_typcollation(type))
	{
		CollateExpr *c = makeNode(CollateExpr);

		c->arg = (Expr *) null;
		c->collOid = coll;
		c->location = -1;
		null = (Node *) c;
	}
	return null;
}

/*
 * The value GROUPING(args) has in an arm: bit i (from the right, the last
 * argument lowest) set for each argument the arm's set leaves out.
 */
static Node *
grouping_value(GroupingFunc *gf, List *set)
{
	int32		value = 0;
	ListCell   *lc;

	foreach(lc, gf->refs)
	{
		value <<= 1;
		if (!list_member_int(set, lfirst_int(lc)))
			value |= 1;
	}
	return (Node *) makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
							  Int32GetDatum(value), false, true);
}

/*
 * The target list or HAVING of one arm.  Above the aggregates, an
 * expression is either one the set groups by (kept, looked for first, so
 * that GROUP BY a + b keeps a + b even where a alone is left out) or one
 * it leaves out (NULL); the arguments of aggregates read the input rows
 * and stay.
 */
static Node *
arm_mutator(Node *node, ArmContext *ctx)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref))
		return copyObject(node);
	if (IsA(node, GroupingFunc))
		return grouping_value((GroupingFunc *) node, ctx->set);
	foreach(lc, ctx->kept)
	{
		if (equal(node, lfirst(lc)))
			return copyObject(node);
	}
	foreach(lc, ctx->nulled)
	{
		if (equal(node, lfirst(lc)))
			return null_of(node);
	}
	return expression_tree_mutator(node, arm_mutator, ctx);
}

/* The query grouped by one of the sets alone */
static Query *
arm_query(Query *query, List *set)
{
	Query	   *arm = copyObject(query);
	ArmContext	ctx = {NIL, NIL, set};
	List	   *group = NIL;
	ListCell   *lc;

	foreach(lc, query->groupClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *expr = (Node *) get_sortgroupclause_expr(sgc, query->targetList);

		if (list_member_int(set, sgc->tleSortGroupRef))
		{
			ctx.kept = lappend(ctx.kept, expr);
			group = lappend(group, copyObject(sgc));
		}
		else
			ctx.nulled = lappend(ctx.nulled, expr);
	}
	arm->targetList = (List *) arm_mutator((Node *) query->targetList, &ctx);
	arm->havingQual = arm_mutator(query->havingQual, &ctx);
	arm->groupClause = group;
	arm->groupingSets = NIL;
	arm->groupDistinct = false;
	/* the order of a view's rows is not kept; a top-N's is the union's */
	arm->sortClause = NIL;
	arm->limitCount = arm->limitOffset = NULL;
	return arm;
}

/* The position of an output column among the shown ones. */
static int
output_position(Query *query, TargetEntry *target)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		n++;
		if (tle == target)
			return n;
	}
	return 0;
}

/*
 * Whether a top-N query orders by shown columns only: the union's ORDER BY
 * can name nothing else.
 */
static bool
orders_by_outputs(Query *query)
{
	ListCell   *lc;

	foreach(lc, query->sortClause)
	{
		if (get_sortgroupclause_tle(lfirst(lc), query->targetList)->resjunk)
			return false;
	}
	return true;
}

/*
 * The query with its grouping sets written as a UNION ALL, or the query
 * itself when it has none, or when the rewrite would not be exact: with
 * DISTINCT (over all the sets' rows at once), window functions, a LIMIT
 * whose ORDER BY names what the select list does not show,
 * subqueries above the grouping (they may refer to the grouped columns
 * from inside), or an empty set in a query without aggregates (it returns
 * one row even from no rows, which a query without GROUP BY would not).
 */
Query *
il_rewrite_grouping_sets(Query *query)
{
	List	   *sets;
	StringInfoData sql;
	ListCell   *lc;

	if (query->groupingSets == NIL)
		return query;
	if (query->distinctClause != NIL || query->hasWindowFuncs ||
		query->hasTargetSRFs || (il_top_n(query) && !orders_by_outputs(query)) ||
		query->setOperations != NULL ||
		checkExprHasSubLink((Node *) query->targetList) ||
		checkExprHasSubLink(query->havingQual))
		return query;
	sets = expand_grouping_sets(query->groupingSets, query->groupDistinct,
								MAX_GROUPINGS);
	if (sets == NIL)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("GROUPING SETS, ROLLUP and CUBE with more than %d groupings are not supported in incremental mode",
					   MAX_GROUPINGS),
				errdetail("Each grouping is maintained as a view of its own."),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	if (!query->hasAggs)
	{
		foreach(lc, sets)
		{
			if (lfirst(lc) == NIL)
				return query;
		}
	}

	initStringInfo(&sql);
	foreach(lc, sets)
	{
		appendStringInfo(&sql, "%s(%s)", sql.len ? " UNION ALL " : "",
						 il_analyze_querydef(arm_query(query, lfirst(lc))));
	}
	/* a top-N view: its ORDER BY by output position, and the LIMIT (top_n.c) */
	if (il_top_n(query))
	{
		foreach(lc, query->sortClause)
		{
			SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
			TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);

			appendStringInfo(&sql, "%s%d", foreach_current_index(lc) ? ", " : " ORDER BY ",
							 output_position(query, tle));
			il_sql_sort_order(&sql, exprType((Node *) tle->expr), sgc->sortop, sgc->nulls_first);
		}
		il_top_n_append_limit(&sql, query);
	}
	return il_analyze_parse(sql.data);
}
