/*-------------------------------------------------------------------------
 *
 * normalize.c
 *	  Rewrites a view's "pre" query (its FROM and WHERE, with the
 *	  expressions the view needs per input row as target list) into a list
 *	  of branches, each a plain inner join of base tables.
 *
 * The delta rules (delta.c) work on inner joins of base tables: each base
 * table occurrence is one input, substituted by its batch or its old
 * state.  Everything else a query may hold in FROM is brought to that
 * form here, the way the rewriter and the planner's prepjointree.c do it
 * for execution:
 *
 *	- views are expanded into their definition, and non-recursive WITH
 *	  queries are inlined where they are referenced;
 *	- subqueries in FROM that are plain joins (no aggregates, DISTINCT,
 *	  LIMIT, window functions) are pulled up into the query that reads them;
 *	- a UNION ALL in FROM makes one branch per arm: the result is the sum of
 *	  the branches' rows, which is what the delta of a sum is too;
 *	- every inner join becomes one FROM list with its conditions in WHERE,
 *	  and the range table keeps only the base tables, in FROM order.
 *
 * What cannot be brought to that form is refused here, naming the
 * construct; analyze.c checks the branches' tables and expressions.
 *
 * IDENTIFICATION
 *	  src/normalize.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "utils/rel.h"

#include "analyze.h"
#include "catalog.h"
#include "compat.h"
#include "recursive.h"
#include "normalize.h"
#include "top_n.h"

/* Branches beyond this many make the view's SQL too big to be worth it. */
#define MAX_BRANCHES 64

/* Above any range table index a query has. */
#define RENUMBER_OFFSET 100000

typedef struct InlineContext
{
	List	   *outer;			/* enclosing queries, innermost first */
	bool		views;			/* expand views too */
} InlineContext;

static void inline_query(Query *q, List *outer, bool views);
static void keep_column_names(RangeTblEntry *rte);
static bool inline_walker(Node *node, InlineContext *ctx);
static List *normalize_query(Query *q, bool top);
static List *expand_from(Query *q);
static Node *sublinks_mutator(Node *node, void *context);
static Node *in_to_exists(Node *quals);
static Query *pull_up_plain(Query *q);
static Node *reduce_for_existence(Node *jt, Bitmapset *read, Bitmapset *nonnullable,
								  bool existence);
static List *normalize_setop(Query *setq, Node *op);
static int	find_subquery(Node *jtnode, Query *q);
static Query *pull_up(Query *q, int rtindex, Query *sub);
static Node *replace_rangetblref(Node *jtnode, int rtindex, Node *with);
static void flatten_jointree(Node *jtnode, List **items, List **quals);
static Query *flatten(Query *q);
static void check_simple(Query *q, bool top);
pg_noreturn static void refuse(const char *construct);
static Node *drop_repetition(Node *jtnode, Query *q);
static bool setop_all_union_all(Node *op);

/* The join of a storage table with generate_series, without the series. */
static Node *
drop_repetition(Node *jtnode, Query *q)
{
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
			lfirst(lc) = drop_repetition(lfirst(lc), q);
	}
	else if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;

		if (IsA(j->rarg, RangeTblRef) &&
			rt_fetch(((RangeTblRef *) j->rarg)->rtindex, q->rtable)->rtekind == RTE_FUNCTION)
			return j->larg;
	}
	return jtnode;
}

static void
refuse(const char *construct)
{
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("%s not supported in incremental mode", construct),
			errhint("Use mode => 'full' to maintain this view by recomputation."));
}

/*
 * Replace views and WITH references by subqueries, in q and in every query
 * below it (subqueries in FROM and in expressions).  outer holds the
 * enclosing queries, for WITH references to an outer level.
 */
static void
inline_query(Query *q, List *outer, bool views)
{
	ListCell   *lc;
	List	   *levels = lcons(q, list_copy(outer));
	InlineContext ctx;

	/* a recursive WITH query's closure is a view of its own (recursive.c) */
	if (il_recursive_is_closure(q))
		return;
	if (q->hasModifyingCTE)
		refuse("data-modifying statements in WITH are");

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		/*
		 * Only what the query uses, as fireRIRrules does: a view's own
		 * definition holds placeholder entries for the view itself.
		 */
		if (!rangeTableEntry_used((Node *) q, foreach_current_index(lc) + 1, 0))
			continue;
		if (rte->rtekind == RTE_CTE)
		{
			Query	   *owner;
			Query	   *sub = NULL;
			ListCell   *lc2;

			if (rte->self_reference || rte->ctelevelsup >= list_length(levels))
				refuse("recursive WITH queries are");
			owner = list_nth(levels, rte->ctelevelsup);
			foreach(lc2, owner->cteList)
			{
				CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc2);

				if (strcmp(cte->ctename, rte->ctename) == 0)
				{
					/*
					 * A recursive one is read as its closure, which
					 * becomes an auxiliary view (register.c); what it
					 * reads of enclosing queries recursive.c refuses.
					 */
					if (cte->cterecursive)
						sub = il_recursive_closure(rte, cte);
					else
						sub = copyObject(castNode(Query, cte->ctequery));
					break;
				}
			}
			if (sub == NULL)
				elog(ERROR, "incrload: WITH query \"%s\" not found", rte->ctename);
			/* its outer references now start one level deeper */
			if (rte->ctelevelsup > 0 && !sub->hasRecursive)
				IncrementVarSublevelsUp((Node *) sub, rte->ctelevelsup, 1);
			rte->rtekind = RTE_SUBQUERY;
			rte->subquery = sub;
			keep_column_names(rte);
			rte->ctename = NULL;
			rte->ctelevelsup = 0;
			rte->self_reference = false;
			rte->coltypes = rte->coltypmods = rte->colcollations = NIL;
		}
		else if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
				 views)
		{
			Query	   *sub = il_normalize_view_query(rte->relid);
			IncrloadView row;

			if (il_top_n(sub))
				il_top_n_refuse_read(rte->relid);

			/*
			 * A registered view reads its storage table, which is a base
			 * table like any other (captured, its changes those of the view).
			 * Where a storage row shows several times, the view repeats it
			 * with generate_series: the delta rules count it by the view's
			 * multiplicity instead (analyze.c), so the repetition goes.
			 */
			if (il_catalog_read_view(rte->relid, false, &row) &&
				row.multiplicity != NULL)
				sub->jointree = (FromExpr *) drop_repetition((Node *) sub->jointree, sub);
			il_normalize_rte_to_subquery(rte, sub);
		}
		if (rte->rtekind == RTE_SUBQUERY)
			inline_query(rte->subquery, levels, views);
	}

	/* subqueries in expressions */
	ctx.outer = levels;
	ctx.views = views;
	(void) query_tree_walker(q, inline_walker, &ctx, QTW_IGNORE_RANGE_TABLE);

	q->cteList = NIL;
	q->hasRecursive = false;
}

/* A view's definition, locked as the rewriter locks it. */
Query *
il_normalize_view_query(Oid view)
{
	Relation	rel = relation_open(view, NoLock);
	Query	   *sub = copyObject(get_view_query(rel));

	relation_close(rel, NoLock);
	AcquireRewriteLocks(sub, true, false);
	il_flatten_grouping(sub);
	return sub;
}

/*
 * The names the query gives the columns of an entry become its alias's, so
 * that the deparsed subquery in its place is read by those names whatever
 * its own columns are called (WITH q (a, b) AS (SELECT x, sum(y) ...)).
 */
static void
keep_column_names(RangeTblEntry *rte)
{
	if (rte->alias == NULL)
		rte->alias = makeAlias(rte->eref->aliasname, NIL);
	if (rte->alias->colnames == NIL)
		rte->alias->colnames = copyObject(rte->eref->colnames);
}

/* A range table entry of a view made the subquery sub, as the rewriter does. */
void
il_normalize_rte_to_subquery(RangeTblEntry *rte, Query *sub)
{
	keep_column_names(rte);
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->relid = InvalidOid;
	rte->relkind = 0;
	rte->rellockmode = 0;
	rte->inh = false;
	il_rte_drop_permissions(rte);
}

static bool
inline_walker(Node *node, InlineContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		SubLink    *sl = (SubLink *) node;

		inline_query(castNode(Query, sl->subselect), ctx->outer, ctx->views);
		return expression_tree_walker(sl->testexpr, inline_walker, ctx);
	}
	if (IsA(node, Query))
		return false;
	return expression_tree_walker(node, inline_walker, ctx);
}

/* A subquery that can be pulled up, or whose arms can be. */
static void
check_simple(Query *q, bool top)
{
	if (q->hasAggs || q->groupClause != NIL || q->havingQual != NULL ||
		q->groupingSets != NIL)
		refuse("subqueries in FROM with aggregates or GROUP BY are");
	if (q->distinctClause != NIL)
		refuse("subqueries in FROM with DISTINCT are");
	if (q->limitCount != NULL || q->limitOffset != NULL)
		refuse("LIMIT and OFFSET in a subquery are");
	if (q->hasWindowFuncs)
		refuse("window functions are");
	/* the view's own select list may expand rows (analyze.c) */
	if (q->hasTargetSRFs && !top)
		refuse("set-returning functions in the select list of a subquery are");
	if (q->rowMarks != NIL)
		refuse("FOR UPDATE and FOR SHARE are");
}

/*
 * Whether range table entry rtindex sits under an outer join of the join
 * tree (either side).
 */
bool
il_normalize_in_outer_join(Node *jtnode, int rtindex)
{
	if (jtnode == NULL || IsA(jtnode, RangeTblRef))
		return false;
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
		{
			if (il_normalize_in_outer_join(lfirst(lc), rtindex))
				return true;
		}
		return false;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;

		if (j->jointype != JOIN_INNER &&
			(rangeTableEntry_used(j->larg, rtindex, 0) || rangeTableEntry_used(j->rarg, rtindex, 0)))
			return true;
		return il_normalize_in_outer_join(j->larg, rtindex) ||
			il_normalize_in_outer_join(j->rarg, rtindex);
	}
	return false;
}

/* The first subquery RTE referenced by the join tree, or 0. */
static int
find_subquery(Node *jtnode, Query *q)
{
	if (jtnode == NULL)
		return 0;
	if (IsA(jtnode, RangeTblRef))
	{
		int			r = ((RangeTblRef *) jtnode)->rtindex;
		RangeTblEntry *rte = rt_fetch(r, q->rtable);

		if (rte->rtekind == RTE_SUBQUERY)
		{
			/* a plain one only (register.c), pulled up as a join */
			if (rte->lateral && (!il_normalize_is_flat(rte->subquery) ||
								 rte->subquery->setOperations != NULL))
				refuse("LATERAL references are");
			return r;
		}
		return 0;
	}
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
		{
			int			r = find_subquery(lfirst(lc), q);

			if (r)
				return r;
		}
		return 0;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;
		int			r = find_subquery(j->larg, q);

		return r ? r : find_subquery(j->rarg, q);
	}
	elog(ERROR, "unrecognized node type: %d", (int) nodeTag(jtnode));
	return 0;
}

static Node *
replace_rangetblref(Node *jtnode, int rtindex, Node *with)
{
	if (IsA(jtnode, RangeTblRef))
		return ((RangeTblRef *) jtnode)->rtindex == rtindex ? with : jtnode;
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
			lfirst(lc) = replace_rangetblref(lfirst(lc), rtindex, with);
		return jtnode;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;

		j->larg = replace_rangetblref(j->larg, rtindex, with);
		j->rarg = replace_rangetblref(j->rarg, rtindex, with);
		return jtnode;
	}
	elog(ERROR, "unrecognized node type: %d", (int) nodeTag(jtnode));
	return NULL;
}

/*
 * Pull the (flattened) subquery sub up into q in place of range table
 * entry rtindex: its tables join q's range table, q's references to its
 * columns become its output expressions, and its FROM list takes the
 * subquery's place.
 */
static Query *
pull_up(Query *q, int rtindex, Query *sub)
{
	int			offset = list_length(q->rtable);
	RangeTblEntry *rte = rt_fetch(rtindex, q->rtable);
	bool		sublinks = q->hasSubLinks;
	ListCell   *lc;

	sub = copyObject(sub);
	OffsetVarNodes((Node *) sub, offset, 0);
	/* a LATERAL one's references to q's entries are q's own now */
	if (rte->lateral)
		IncrementVarSublevelsUp((Node *) sub, -1, 1);
	il_append_range_table(q, sub);
	q->targetList = (List *)
		il_replace_vars_from_tlist((Node *) q->targetList, rtindex, 0, rte,
								   sub->targetList, &sublinks);
	q->jointree = (FromExpr *)
		il_replace_vars_from_tlist((Node *) q->jointree, rtindex, 0, rte,
								   sub->targetList, &sublinks);
	q->havingQual = il_replace_vars_from_tlist(q->havingQual, rtindex, 0, rte,
											   sub->targetList, &sublinks);
	/* functions in FROM that expand the subquery's rows */
	foreach(lc, q->rtable)
	{
		RangeTblEntry *f = lfirst_node(RangeTblEntry, lc);

		if (f->rtekind == RTE_FUNCTION && foreach_current_index(lc) < offset)
			f->functions = (List *)
				il_replace_vars_from_tlist((Node *) f->functions, rtindex, 0, rte,
										   sub->targetList, &sublinks);
	}
	q->jointree = (FromExpr *) replace_rangetblref((Node *) q->jointree,
												   rtindex,
												   (Node *) sub->jointree);
	q->hasSubLinks = sublinks || sub->hasSubLinks;
	return q;
}

/* The base table references and the conditions of an inner join tree. */
static void
flatten_jointree(Node *jtnode, List **items, List **quals)
{
	if (jtnode == NULL)
		return;
	if (IsA(jtnode, RangeTblRef))
		*items = lappend(*items, jtnode);
	else if (IsA(jtnode, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jtnode;
		ListCell   *lc;

		foreach(lc, f->fromlist)
			flatten_jointree(lfirst(lc), items, quals);
		*quals = list_concat(*quals, make_ands_implicit((Expr *) f->quals));
	}
	else if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;

		if (j->jointype != JOIN_INNER)
			refuse("outer joins are");
		flatten_jointree(j->larg, items, quals);
		flatten_jointree(j->rarg, items, quals);
		*quals = list_concat(*quals, make_ands_implicit((Expr *) j->quals));
	}
	else
		elog(ERROR, "unrecognized node type: %d", (int) nodeTag(jtnode));
}

/*
 * ruleutils prints a Var by its syntactic referent (varnosyn), which for a
 * column of an aliased join is the join: with the joins gone, every Var is
 * printed as the column it is.
 */
static bool
reset_varnosyn_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		((Var *) node)->varnosyn = ((Var *) node)->varno;
		((Var *) node)->varattnosyn = ((Var *) node)->varattno;
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, reset_varnosyn_walker, context,
								 QTW_IGNORE_RANGE_TABLE);
	return expression_tree_walker(node, reset_varnosyn_walker, context);
}

/*
 * One FROM list of base tables, conditions in WHERE, and a range table
 * that holds exactly those tables, in FROM order.
 */
static Query *
flatten(Query *q)
{
	List	   *items = NIL;
	List	   *quals = NIL;
	List	   *rtable = NIL;
	ListCell   *lc;
	int			n = 0;

	flatten_jointree((Node *) q->jointree, &items, &quals);
	q->jointree = makeFromExpr(items,
							   quals ? (Node *) make_ands_explicit(quals) : NULL);

	/*
	 * Renumber in FROM order: first out of the way of every number in use,
	 * then down to each entry's place.
	 */
	OffsetVarNodes((Node *) q->targetList, RENUMBER_OFFSET, 0);
	OffsetVarNodes((Node *) q->jointree, RENUMBER_OFFSET, 0);
	OffsetVarNodes(q->havingQual, RENUMBER_OFFSET, 0);
	/* functions in FROM read the entries they expand (FROM t, unnest(t.tags)) */
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_FUNCTION)
			OffsetVarNodes((Node *) rte->functions, RENUMBER_OFFSET, 0);
	}
	foreach(lc, items)
	{
		RangeTblRef *ref = lfirst_node(RangeTblRef, lc);
		int			old = ref->rtindex;
		ListCell   *lc2;

		rtable = lappend(rtable, rt_fetch(old - RENUMBER_OFFSET, q->rtable));
		n++;
		ChangeVarNodes((Node *) q->targetList, old, n, 0);
		ChangeVarNodes((Node *) q->jointree, old, n, 0);
		ChangeVarNodes(q->havingQual, old, n, 0);
		foreach(lc2, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc2);

			if (rte->rtekind == RTE_FUNCTION)
				ChangeVarNodes((Node *) rte->functions, old, n, 0);
		}
	}
	q->rtable = rtable;
	(void) query_tree_walker(q, reset_varnosyn_walker, NULL, QTW_IGNORE_RANGE_TABLE);
	return q;
}

static bool
setop_all_union_all(Node *op)
{
	if (IsA(op, RangeTblRef))
		return true;
	return ((SetOperationStmt *) op)->op == SETOP_UNION &&
		((SetOperationStmt *) op)->all &&
		setop_all_union_all(((SetOperationStmt *) op)->larg) &&
		setop_all_union_all(((SetOperationStmt *) op)->rarg);
}

/* The branches of a set operation tree made of UNION ALL only. */
static List *
normalize_setop(Query *setq, Node *op)
{
	if (IsA(op, RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(((RangeTblRef *) op)->rtindex,
									  setq->rtable);

		return normalize_query(rte->subquery, false);
	}
	if (IsA(op, SetOperationStmt))
	{
		SetOperationStmt *s = (SetOperationStmt *) op;

		if (s->op != SETOP_UNION || !s->all)
			refuse("UNION, INTERSECT and EXCEPT inside FROM are");
		return list_concat(normalize_setop(setq, s->larg),
						   normalize_setop(setq, s->rarg));
	}
	elog(ERROR, "unrecognized node type: %d", (int) nodeTag(op));
	return NIL;
}

/*
 * The branches of q: flattened queries whose target lists each stand for
 * q's.
 */
static List *
normalize_query(Query *q, bool top)
{
	if (q->setOperations)
	{
		SetOperationStmt *top = (SetOperationStmt *) q->setOperations;
		List	   *branches;
		ListCell   *lc;

		if (q->limitCount != NULL || q->limitOffset != NULL)
			refuse("LIMIT and OFFSET in a subquery are");
		branches = normalize_setop(q, q->setOperations);

		/* each arm's columns, as the set operation's output types */
		foreach(lc, branches)
		{
			Query	   *b = lfirst(lc);
			ListCell   *lt;
			ListCell   *lty;

			forboth(lt, b->targetList, lty, top->colTypes)
			{
				TargetEntry *tle = lfirst(lt);

				if (exprType((Node *) tle->expr) != lfirst_oid(lty))
					refuse("UNION ALL arms of different column types are");
			}
		}
		return branches;
	}

	check_simple(q, top);
	return expand_from(q);
}

/*
 * An outer join is the inner join of its two sides plus the rows of the
 * preserved side that match nothing, NULL-extended:
 *
 *	 L LEFT JOIN R ON c  =  (L JOIN R ON c)
 *						   + (L WHERE NOT EXISTS (SELECT FROM R WHERE c)), R's columns NULL
 *
 * and likewise for RIGHT and FULL.  Each alternative is a join tree of
 * inner joins, conditions to add to WHERE (the NOT EXISTS), and the range
 * table entries whose columns are NULL in it.  The delta rules know how to
 * maintain both: the NOT EXISTS is a subquery like any other.
 */
typedef struct JoinAlt
{
	Node	   *jt;
	List	   *quals;
	Bitmapset  *nulled;
} JoinAlt;

static void
jointree_rels(Node *jtnode, Bitmapset **rels)
{
	if (IsA(jtnode, RangeTblRef))
		*rels = bms_add_member(*rels, ((RangeTblRef *) jtnode)->rtindex);
	else if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
			jointree_rels(lfirst(lc), rels);
	}
	else if (IsA(jtnode, JoinExpr))
	{
		jointree_rels(((JoinExpr *) jtnode)->larg, rels);
		jointree_rels(((JoinExpr *) jtnode)->rarg, rels);
	}
}

typedef struct LevelUpContext
{
	Bitmapset  *local;			/* entries that stay at level 0 */
	int			sublevels_up;
} LevelUpContext;

/* Vars of entries outside local become references one level up. */
static bool
level_up_walker(Node *node, LevelUpContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup == ctx->sublevels_up &&
			!bms_is_member(var->varno, ctx->local))
			var->varlevelsup++;
		else if (var->varlevelsup > ctx->sublevels_up)
			var->varlevelsup++;
		return false;
	}
	if (IsA(node, Query))
	{
		bool		result;

		ctx->sublevels_up++;
		result = query_tree_walker((Query *) node, level_up_walker, ctx, 0);
		ctx->sublevels_up--;
		return result;
	}
	return expression_tree_walker(node, level_up_walker, ctx);
}

/* NOT EXISTS (SELECT FROM side WHERE cond), in q's range table numbering. */
static Node *
not_exists(Query *q, Node *side, Node *cond)
{
	Query	   *sub = makeNode(Query);
	SubLink    *sl = makeNode(SubLink);
	LevelUpContext ctx;

	cond = copyObject(cond);
	ctx.local = NULL;
	ctx.sublevels_up = 0;
	jointree_rels(side, &ctx.local);
	(void) level_up_walker(cond, &ctx);

	sub->commandType = CMD_SELECT;
	sub->querySource = QSRC_ORIGINAL;
	sub->canSetTag = true;
	il_copy_range_table(sub, q);
	sub->jointree = makeFromExpr(list_make1(copyObject(side)), cond);
	sub->jointree = (FromExpr *) reduce_for_existence((Node *) sub->jointree,
													  NULL, NULL, true);
	sub->hasSubLinks = checkExprHasSubLink(cond);

	sl->subLinkType = EXISTS_SUBLINK;
	sl->subselect = (Node *) sub;
	sl->location = -1;
	return (Node *) makeBoolExpr(NOT_EXPR, list_make1(sl), -1);
}

static JoinAlt *
make_alt(Node *jt, List *quals, Bitmapset *nulled)
{
	JoinAlt    *a = palloc(sizeof(JoinAlt));

	a->jt = jt;
	a->quals = quals;
	a->nulled = nulled;
	return a;
}

static List *
decompose(Query *q, Node *jtnode)
{
	List	   *result = NIL;
	ListCell   *l1;
	ListCell   *l2;

	if (IsA(jtnode, RangeTblRef))
		return list_make1(make_alt(jtnode, NIL, NULL));
	if (IsA(jtnode, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jtnode;
		ListCell   *lc;

		result = list_make1(make_alt((Node *) makeFromExpr(NIL, f->quals), NIL, NULL));
		foreach(lc, f->fromlist)
		{
			List	   *next = NIL;

			foreach(l1, result)
				foreach(l2, decompose(q, lfirst(lc)))
			{
				JoinAlt    *a = lfirst(l1);
				JoinAlt    *b = lfirst(l2);
				FromExpr   *nf = makeFromExpr(list_copy(((FromExpr *) a->jt)->fromlist),
											  ((FromExpr *) a->jt)->quals);

				nf->fromlist = lappend(nf->fromlist, b->jt);
				next = lappend(next, make_alt((Node *) nf,
											  list_concat_copy(a->quals, b->quals),
											  bms_union(a->nulled, b->nulled)));
			}
			result = next;
			if (list_length(result) > MAX_BRANCHES)
				refuse("queries of more than 64 outer join alternatives are");
		}
		return result;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jtnode;
		List	   *left = decompose(q, j->larg);
		List	   *right = decompose(q, j->rarg);
		Bitmapset  *lrels = NULL;
		Bitmapset  *rrels = NULL;

		if (j->jointype != JOIN_INNER && j->jointype != JOIN_LEFT &&
			j->jointype != JOIN_RIGHT && j->jointype != JOIN_FULL)
			refuse("this kind of join is");
		if (j->quals && checkExprHasSubLink(j->quals))
			refuse("subqueries in JOIN ... ON are");
		jointree_rels(j->larg, &lrels);
		jointree_rels(j->rarg, &rrels);

		/* matched: the inner join of every pair of alternatives */
		foreach(l1, left)
			foreach(l2, right)
		{
			JoinAlt    *a = lfirst(l1);
			JoinAlt    *b = lfirst(l2);
			JoinExpr   *nj = makeNode(JoinExpr);

			nj->jointype = JOIN_INNER;
			nj->larg = a->jt;
			nj->rarg = b->jt;
			nj->quals = j->quals;
			nj->rtindex = j->rtindex;
			result = lappend(result, make_alt((Node *) nj,
											  list_concat_copy(a->quals, b->quals),
											  bms_union(a->nulled, b->nulled)));
		}
		/* the preserved side's rows that match nothing */
		if (j->jointype == JOIN_LEFT || j->jointype == JOIN_FULL)
			foreach(l1, left)
		{
			JoinAlt    *a = lfirst(l1);

			result = lappend(result,
							 make_alt(a->jt,
									  lappend(list_copy(a->quals),
											  not_exists(q, j->rarg, j->quals)),
									  bms_union(a->nulled, rrels)));
		}
		if (j->jointype == JOIN_RIGHT || j->jointype == JOIN_FULL)
			foreach(l2, right)
		{
			JoinAlt    *b = lfirst(l2);

			result = lappend(result,
							 make_alt(b->jt,
									  lappend(list_copy(b->quals),
											  not_exists(q, j->larg, j->quals)),
									  bms_union(b->nulled, lrels)));
		}
		if (list_length(result) > MAX_BRANCHES)
			refuse("queries of more than 64 outer join alternatives are");
		return result;
	}
	elog(ERROR, "unrecognized node type: %d", (int) nodeTag(jtnode));
	return NIL;
}

static Node *
null_var_callback(IncrloadCallbackVar *var, replace_rte_variables_context *context)
{
	return (Node *) makeNullConst(var->vartype, var->vartypmod, var->varcollid);
}

/* q in one outer join alternative: its join tree, conditions, NULLs. */
static Query *
apply_alt(Query *q, JoinAlt *alt)
{
	Query	   *v = copyObject(q);
	FromExpr   *f;
	int			x = -1;
	bool		sublinks = v->hasSubLinks;
	ListCell   *lc;

	f = IsA(alt->jt, FromExpr) ? (FromExpr *) copyObject(alt->jt) :
		makeFromExpr(list_make1(copyObject(alt->jt)), NULL);
	if (alt->quals)
	{
		f->quals = (Node *) make_and_qual(f->quals,
										  (Node *) make_ands_explicit(copyObject(alt->quals)));
		sublinks = true;
	}
	v->jointree = f;
	while ((x = bms_next_member(alt->nulled, x)) >= 0)
	{
		v->targetList = (List *)
			replace_rte_variables((Node *) v->targetList, x, 0,
								  null_var_callback, NULL, &sublinks);
		v->jointree = (FromExpr *)
			replace_rte_variables((Node *) v->jointree, x, 0,
								  null_var_callback, NULL, &sublinks);
		v->havingQual = replace_rte_variables(v->havingQual, x, 0,
											  null_var_callback, NULL,
											  &sublinks);
		foreach(lc, v->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_FUNCTION)
				rte->functions = (List *)
					replace_rte_variables((Node *) rte->functions, x, 0,
										  null_var_callback, NULL, &sublinks);
		}
	}
	v->hasSubLinks = sublinks;
	return v;
}

/*
 * q with every subquery in FROM pulled up and its joins flattened: one
 * variant per combination of UNION ALL arms.  q's own target list and
 * HAVING may hold anything.
 */
static List *
expand_from(Query *q)
{
	List	   *result = NIL;
	List	   *todo;
	int			depth = 0;

	ListCell   *lc;

	q->targetList = (List *) il_flatten_join_alias_vars(q, (Node *) q->targetList);
	q->jointree = (FromExpr *) il_flatten_join_alias_vars(q, (Node *) q->jointree);
	q->havingQual = il_flatten_join_alias_vars(q, q->havingQual);

	todo = NIL;
	foreach(lc, decompose(q, (Node *) q->jointree))
		todo = lappend(todo, apply_alt(q, lfirst(lc)));
	while (todo != NIL)
	{
		Query	   *cur = linitial(todo);
		int			r;

		todo = list_delete_first(todo);
		r = find_subquery((Node *) cur->jointree, cur);
		if (r == 0)
		{
			result = lappend(result, flatten(cur));
			if (list_length(result) > MAX_BRANCHES)
				refuse("queries of more than 64 UNION ALL branches are");
			continue;
		}
		if (++depth > 10 * MAX_BRANCHES)
			refuse("queries of this many nested subqueries are");
		{
			RangeTblEntry *rte = rt_fetch(r, cur->rtable);
			List	   *subs = normalize_query(rte->subquery, false);
			ListCell   *slc;

			foreach(slc, subs)
				todo = lappend(todo, pull_up(copyObject(cur), r, lfirst(slc)));
		}
	}
	return result;
}

/*
 * The branches of a pre query (not modified): views and WITH inlined,
 * subqueries pulled up, joins flattened.
 */
List *
il_normalize(Query *pre)
{
	Query	   *q = copyObject(pre);
	List	   *branches;
	ListCell   *lc;

	inline_query(q, NIL, true);
	branches = normalize_query(q, true);

	/* subqueries in expressions: their FROM flattened the same way */
	foreach(lc, branches)
	{
		Query	   *b = lfirst(lc);

		b->jointree->quals = in_to_exists(b->jointree->quals);
		(void) query_tree_mutator(b, sublinks_mutator, NULL,
								  QTW_IGNORE_RANGE_TABLE | QTW_DONT_COPY_QUERY);
	}
	return branches;
}

/*
 * A condition of WHERE "x IN (SELECT y FROM ... WHERE c)" (or any x op
 * ANY) is EXISTS (SELECT FROM ... WHERE c AND x op y): in WHERE, NULL and
 * false both drop the row.  The planner makes the same transformation
 * (convert_ANY_sublink_to_join); made here, the delta rules see an EXISTS,
 * whose old state they evaluate through indexes per changed row instead of
 * hashing the whole table read.
 */
static Node *
in_to_exists(Node *quals)
{
	List	   *conds = make_ands_implicit((Expr *) quals);
	ListCell   *lc;

	foreach(lc, conds)
	{
		SubLink    *sl = lfirst(lc);
		Query	   *sub;
		Node	   *test;

		if (!IsA(sl, SubLink) || sl->subLinkType != ANY_SUBLINK)
			continue;
		sub = castNode(Query, sl->subselect);
		if (sub->hasAggs || sub->groupClause || sub->havingQual ||
			sub->groupingSets || sub->hasWindowFuncs || sub->hasTargetSRFs ||
			sub->setOperations || sub->limitCount || sub->limitOffset)
			continue;
		sl = copyObject(sl);
		sub = castNode(Query, sl->subselect);
		/* which rows exist is all EXISTS asks: DISTINCT changes nothing */
		sub->distinctClause = NIL;
		sub->hasDistinctOn = false;
		sub->sortClause = NIL;
		test = sl->testexpr;
		/* the outer row's columns, inside the subquery, are one level up */
		IncrementVarSublevelsUp(test, 1, 0);
		test = il_normalize_replace_params(test, sub->targetList);
		sub->jointree->quals = (Node *) make_and_qual(sub->jointree->quals, test);
		sub->hasSubLinks |= checkExprHasSubLink(test);
		sl->subLinkType = EXISTS_SUBLINK;
		sl->testexpr = NULL;
		sl->operName = NIL;
		lfirst(lc) = sl;
	}
	return conds ? (Node *) make_ands_explicit(conds) : NULL;
}

/*
 * Each subquery in an expression of a branch (a SubLink at level 0) gets
 * its FROM flattened into base tables.  It must come out as one query,
 * except under EXISTS: EXISTS over a union of variants (a UNION ALL in
 * FROM, an outer join that stays) is the OR of EXISTS over each.
 */
static Node *
sublinks_mutator(Node *node, void *context)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink))
	{
		SubLink    *sl = (SubLink *) copyObject(node);
		Query	   *sub = castNode(Query, sl->subselect);
		List	   *variants;
		List	   *ors = NIL;
		ListCell   *lc;

		if (sub->setOperations)
			refuse("UNION, INTERSECT and EXCEPT inside subqueries in expressions are");
		if (sub->limitCount != NULL || sub->limitOffset != NULL)
			refuse("LIMIT and OFFSET in a subquery are");
		if (sub->hasWindowFuncs)
			refuse("window functions are");
		if (sub->hasTargetSRFs)
			refuse("set-returning functions are");
		if (sub->hasSubLinks)
			refuse("subqueries inside subqueries in expressions are");
		sub = pull_up_plain(sub);

		/*
		 * EXISTS asks only whether rows exist: what it selects is never
		 * evaluated (the planner drops it too, simplify_EXISTS_query).
		 * Dropped here, EXISTS (SELECT * ...) does not make every column
		 * of its tables one the old state must net and match on.
		 */
		if (sl->subLinkType == EXISTS_SUBLINK && !sub->hasAggs &&
			sub->groupClause == NIL && sub->groupingSets == NIL &&
			sub->havingQual == NULL)
		{
			sub->targetList = NIL;
			sub->distinctClause = NIL;
			sub->hasDistinctOn = false;
			sub->sortClause = NIL;
		}
		sub->jointree = (FromExpr *)
			reduce_for_existence((Node *) sub->jointree, NULL, NULL,
								 sl->subLinkType == EXISTS_SUBLINK);
		variants = expand_from(sub);
		sl->testexpr = sublinks_mutator(sl->testexpr, context);
		foreach(lc, variants)
		{
			Query	   *v = lfirst(lc);

			if (v->hasSubLinks)
				refuse(sl->location < 0 ?
					   "outer joins nested in another outer join's nullable side, whose join condition can match their NULL-extended rows, are" :
					   "outer joins inside subqueries in expressions are");
		}
		if (list_length(variants) == 1)
		{
			sl->subselect = linitial(variants);
			return (Node *) sl;
		}
		if (sl->subLinkType != EXISTS_SUBLINK)
			refuse("UNION ALL in FROM inside subqueries in expressions other than EXISTS is");
		foreach(lc, variants)
		{
			SubLink    *one = copyObject(sl);

			one->subselect = lfirst(lc);
			ors = lappend(ors, one);
		}
		return (Node *) makeBoolExpr(OR_EXPR, ors, -1);
	}
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, sublinks_mutator, context);
}

/*
 * q with its plain subqueries in FROM (an inlined view, a subquery that
 * only joins and filters) pulled up as they are, joins and all: so that
 * reduce_for_existence sees the outer joins they hold with the conditions
 * above them.
 */
static Query *
pull_up_plain(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Query	   *sub = rte->subquery;
		int			rtindex = foreach_current_index(lc) + 1;

		if (rte->rtekind != RTE_SUBQUERY || rte->lateral ||
			sub->setOperations || sub->hasAggs || sub->groupClause ||
			sub->havingQual || sub->groupingSets || sub->distinctClause ||
			sub->hasWindowFuncs || sub->hasTargetSRFs || sub->limitCount ||
			sub->limitOffset || sub->hasSubLinks || sub->cteList ||
			!rangeTableEntry_used((Node *) q->jointree, rtindex, 0))
			continue;
		/* its entries go to the end of the range table: look again after */
		return pull_up_plain(pull_up(q, rtindex, pull_up_plain(copyObject(sub))));
	}
	return q;
}

/*
 * A join tree as a test of existence under conditions sees it (an EXISTS,
 * or the NOT EXISTS of an outer join's unmatched rows): read are the
 * entries the conditions above read, nonnullable those whose all-NULL
 * rows they reject.  As the planner's reduce_outer_joins does, an outer
 * join whose NULL-extended rows the conditions reject is an inner join;
 * and, for existence only, a LEFT JOIN whose nullable side nothing above
 * reads has a row for each row of its preserved side, which is all an
 * existence test can tell: it is that side alone.  Outer joins that
 * remain are decomposed like any other.
 */
static Node *
reduce_for_existence(Node *jt, Bitmapset *read, Bitmapset *nonnullable, bool existence)
{
	if (IsA(jt, RangeTblRef))
		return jt;
	if (IsA(jt, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jt;
		ListCell   *lc;

		read = bms_union(read, pull_varnos(NULL, f->quals));
		nonnullable = bms_union(nonnullable, find_nonnullable_rels(f->quals));
		foreach(lc, f->fromlist)
			lfirst(lc) = reduce_for_existence(lfirst(lc), read, nonnullable,
											  existence);
		return jt;
	}
	if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;
		Bitmapset  *lrels = NULL;
		Bitmapset  *rrels = NULL;
		Bitmapset  *own = pull_varnos(NULL, j->quals);

		jointree_rels(j->larg, &lrels);
		jointree_rels(j->rarg, &rrels);
		if (j->jointype == JOIN_FULL)
		{
			bool		l = bms_overlap(nonnullable, lrels);
			bool		r = bms_overlap(nonnullable, rrels);

			j->jointype = l && r ? JOIN_INNER : l ? JOIN_LEFT : r ? JOIN_RIGHT : JOIN_FULL;
		}
		else if ((j->jointype == JOIN_LEFT && bms_overlap(nonnullable, rrels)) ||
				 (j->jointype == JOIN_RIGHT && bms_overlap(nonnullable, lrels)))
			j->jointype = JOIN_INNER;

		if (existence && j->jointype == JOIN_LEFT && !bms_overlap(read, rrels))
			return reduce_for_existence(j->larg, read, nonnullable, existence);
		if (existence && j->jointype == JOIN_RIGHT && !bms_overlap(read, lrels))
			return reduce_for_existence(j->rarg, read, nonnullable, existence);

		/* what the join's own condition reads must stay, on both sides */
		read = bms_union(read, own);
		if (j->jointype == JOIN_INNER)
		{
			nonnullable = bms_union(nonnullable, find_nonnullable_rels(j->quals));
			j->larg = reduce_for_existence(j->larg, read, nonnullable, existence);
			j->rarg = reduce_for_existence(j->rarg, read, nonnullable, existence);
		}
		else
		{
			/* below an outer join, rows are not only tested for existence */
			j->larg = reduce_for_existence(j->larg, read,
										   j->jointype == JOIN_LEFT ? nonnullable : NULL,
										   false);
			j->rarg = reduce_for_existence(j->rarg, read,
										   j->jointype == JOIN_RIGHT ? nonnullable : NULL,
										   false);
		}
		return jt;
	}
	elog(ERROR, "unrecognized node type: %d", (int) nodeTag(jt));
	return NULL;
}

typedef struct ReadContext
{
	List	  **views;
	List	  **functions;
} ReadContext;

static bool
collect_function(Oid funcid, void *context)
{
	List	  **functions = ((ReadContext *) context)->functions;

	*functions = list_append_unique_oid(*functions, funcid);
	return false;
}

static bool
objects_read_walker(Node *node, ReadContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
				rangeTableEntry_used((Node *) q, foreach_current_index(lc) + 1, 0) &&
				!list_member_oid(*ctx->views, rte->relid))
			{
				Relation	rel = relation_open(rte->relid, AccessShareLock);
				Query	   *def = copyObject(get_view_query(rel));

				relation_close(rel, AccessShareLock);
				*ctx->views = lappend_oid(*ctx->views, rte->relid);
				(void) objects_read_walker((Node *) def, ctx);
			}
		}
		return query_tree_walker(q, objects_read_walker, ctx, 0);
	}
	(void) check_functions_in_node(node, collect_function, ctx);
	return expression_tree_walker(node, objects_read_walker, ctx);
}

/*
 * The views and functions a query reads, also through the views it reads:
 * what a CREATE OR REPLACE of either would change under it.
 */
void
il_normalize_objects_read(Query *q, List **views, List **functions)
{
	ReadContext ctx;

	*views = NIL;
	*functions = NIL;
	ctx.views = views;
	ctx.functions = functions;
	(void) objects_read_walker((Node *) q, &ctx);
}

static bool
collect_sublinks_walker(Node *node, List **sublinks)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		*sublinks = lappend(*sublinks, node);
		/* the subquery itself is not walked: no subqueries nest */
		return expression_tree_walker(((SubLink *) node)->testexpr,
									  collect_sublinks_walker, sublinks);
	}
	if (IsA(node, Query))
		return false;
	return expression_tree_walker(node, collect_sublinks_walker, sublinks);
}

/*
 * The subqueries in a branch's expressions, in a fixed order (the same for
 * every copy of the branch): the inputs of the delta rule after the FROM
 * list's.
 */
List *
il_normalize_sublinks(Query *branch)
{
	List	   *sublinks = NIL;

	(void) query_tree_walker(branch, collect_sublinks_walker, &sublinks,
							 QTW_IGNORE_RANGE_TABLE);
	return sublinks;
}

static Node *
replace_params_mutator(Node *node, List *tlist)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_SUBLINK)
	{
		TargetEntry *tle = list_nth(tlist, ((Param *) node)->paramid - 1);

		return copyObject((Node *) tle->expr);
	}
	return expression_tree_mutator(node, replace_params_mutator, tlist);
}

/* A sublink's comparison with its subquery's output columns in place. */
Node *
il_normalize_replace_params(Node *testexpr, List *tlist)
{
	return replace_params_mutator(testexpr, tlist);
}

/* WITH references in q replaced by their queries, in place; views stay. */
void
il_normalize_inline_ctes(Query *q)
{
	inline_query(q, NIL, false);
}

/*
 * Can a subquery in FROM be pulled up into the query that reads it (a join,
 * possibly a UNION ALL of joins)?  Otherwise it becomes an auxiliary view
 * of its own (register.c).
 */
bool
il_normalize_is_flat(Query *q)
{
	if (q->setOperations)
	{
		ListCell   *lc;

		if (!setop_all_union_all(q->setOperations))
			return false;
		/* its arms are subqueries of their own, made flat first */
		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_SUBQUERY && !il_normalize_is_flat(rte->subquery))
				return false;
		}
		return true;
	}
	/*
	 * Window functions too: an auxiliary view rewrites those it can keep
	 * (window_aggregates.c), so a query can filter on a window's result;
	 * and set-returning functions in the select list, which expand rows
	 * only as a view's own select list (analyze.c).  A recursive WITH
	 * query's closure is a view of its own (recursive.c).
	 */
	return !(q->hasRecursive || q->hasAggs || q->groupClause != NIL || q->havingQual != NULL ||
			 q->groupingSets != NIL || q->distinctClause != NIL ||
			 q->hasWindowFuncs || q->hasTargetSRFs);
}
