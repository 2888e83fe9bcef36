/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  Checks a view's query and describes it for the delta rules.
 *
 * The query is parsed and analyzed as PostgreSQL would (names resolved
 * with the caller's search_path), then deparsed with every name qualified
 * (under search_path pg_catalog): that text is what the catalog keeps and
 * what every later apply analyzes again.
 *
 * In incremental mode the query must be a function of its base tables'
 * rows that our delta rules know: one construct that is not is refused
 * with FEATURE_NOT_SUPPORTED, a message naming it, and a hint at mode
 * 'full'.  Nothing here changes anything.
 *
 * IDENTIFICATION
 *	  src/analyze.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_coerce.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/relcache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analyze.h"
#include "compat.h"
#include "catalog.h"
#include "decorrelate.h"
#include "delta.h"
#include "guc.h"
#include "recursive.h"
#include "normalize.h"
#include "settings.h"
#include "storage.h"
#include "top_n.h"

typedef struct ViewExprContext
{
	IncrloadQuery *q;
	List	   *key_attnos;
	List	   *agg_attnos;
} ViewExprContext;

/* construct names the construct and ends with its verb: "window functions are" */
pg_noreturn static void refuse(const char *construct);
static List *check_range_table(IncrloadQuery *q, List *rtable, bool expansions);
static Query *make_pre_query(IncrloadQuery *q);
static void analyze_setop(IncrloadQuery *q);
static Node *number_leaves(IncrloadQuery *q, Node *op, List **leaves);
static void add_branches(IncrloadQuery *q, Query *pre);
static bool check_expr_walker(Node *node, void *context);
static bool mutable_func_checker(Oid funcid, void *context);
static bool collect_aggs_walker(Node *node, IncrloadQuery *q);
static void check_key_type(Node *expr, const char *what);
static void outputs_as_keys(IncrloadQuery *q);
static Node *view_expr_mutator(Node *node, ViewExprContext *ctx);

/* Whether a subquery in expression node refers to the query level of node. */
static bool
having_correlated_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink) &&
		il_decorrelate_is_correlated(castNode(Query, ((SubLink *) node)->subselect)))
		return true;
	return expression_tree_walker(node, having_correlated_walker, context);
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
 * Not immutable, and not one of the stable built-ins that read only
 * settings the view keeps (settings.c).
 */
static bool
mutable_func_checker(Oid funcid, void *context)
{
	char		volatility = func_volatile(funcid);

	if (volatility != PROVOLATILE_IMMUTABLE &&
		!(volatility == PROVOLATILE_STABLE && il_settings_function(funcid)))
	{
		*(Oid *) context = funcid;
		return true;
	}
	return false;
}

static bool
check_expr_walker(Node *node, void *context)
{
	Oid			funcid = InvalidOid;

	if (node == NULL)
		return false;
	/* the JSON builders over values whose JSON form reads only settings */
	if (il_settings_json_call(node))
		return expression_tree_walker(node, check_expr_walker, context);
	if (check_functions_in_node(node, mutable_func_checker, &funcid))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("function %s is not immutable, so incremental mode cannot maintain the view",
					   format_procedure(funcid)),
				errdetail("The result of a view maintained incrementally must depend only on its base tables' rows."),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				if (var->varattno == 0)
					refuse("whole-row references are");
				if (var->varattno < 0)
					refuse("system columns are");
				break;
			}
		case T_SQLValueFunction:
			refuse("SQL value functions such as CURRENT_TIMESTAMP and CURRENT_USER are");
			break;
		case T_NextValueExpr:
			refuse("sequence functions are");
			break;
		case T_Param:
			/* a subquery's output in its comparison is fine; $n are not */
			if (((Param *) node)->paramkind != PARAM_SUBLINK)
				refuse("parameters are");
			break;
		case T_SubLink:
			switch (((SubLink *) node)->subLinkType)
			{
				case EXISTS_SUBLINK:
				case ANY_SUBLINK:
				case ALL_SUBLINK:
				case EXPR_SUBLINK:
				case ARRAY_SUBLINK:
					break;
				default:
					refuse("this kind of subquery is");
			}
			break;
		case T_GroupingFunc:
			refuse("GROUPING() is");
			break;
		case T_WindowFunc:
			refuse("window functions are");
			break;
		case T_Query:
			return query_tree_walker((Query *) node, check_expr_walker,
									 context, 0);
		default:
			break;
	}
	return expression_tree_walker(node, check_expr_walker, context);
}

/*
 * Does a column of an enclosing query occur in node (a subquery is taken
 * to read one)?  A walker: also for query_tree_walker over a query's
 * expressions.
 */
bool
il_analyze_reads_outer(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varlevelsup > 0;
	if (IsA(node, SubLink) || IsA(node, Query))
		return true;
	return expression_tree_walker(node, il_analyze_reads_outer, context);
}

/*
 * A set-returning function in the FROM of a branch, LATERAL over its base
 * tables (FROM t, unnest(t.tags) AS tag) or over nothing: an expansion of
 * each row of the tables it reads, which the delta rules leave in every
 * term, so that it expands the batch, the old state or the table a term
 * reads in its place, each row's rows with that row's weight.  That is
 * exact when the expansion depends on the row alone: immutable functions
 * (check_expr_walker), over the branch's own rows (not over an enclosing
 * query's, as in a subquery of an expression or the NULL-extended side of
 * an outer join, which the branches make one: expansions is false there).
 */
static void
check_expansion(RangeTblEntry *rte, bool expansions)
{
	if (!expansions)
		refuse("set-returning functions in FROM inside a subquery of an expression, or on the nullable side of an outer join, are");
	if (il_analyze_reads_outer((Node *) rte->functions, NULL))
		refuse("set-returning functions in FROM over columns of an enclosing query or over subqueries are");
}

/*
 * The base tables of a (normalized) range table, checked: every one must
 * be a table whose changes capture sees.  Functions in FROM are
 * expansions of those tables' rows where expansions allows them.
 */
static List *
check_range_table(IncrloadQuery *q, List *rtable, bool expansions)
{
	ListCell   *lc;
	int			rtindex = 0;
	List	   *bases = NIL;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		rtindex++;
		if (rte->rtekind == RTE_FUNCTION)
		{
			check_expansion(rte, expansions);
			continue;
		}
		if (rte->lateral)
			refuse("LATERAL references are");
		switch (rte->rtekind)
		{
			case RTE_RELATION:
				{
					Relation	rel = relation_open(rte->relid, AccessShareLock);
					char	   *name = RelationGetRelationName(rel);
					char	   *mult;
					Oid			nsp = RelationGetNamespace(rel);
					IncrloadBaseRef *ref;

					if (IsCatalogRelation(rel) || nsp == PG_CATALOG_NAMESPACE ||
						nsp == PG_TOAST_NAMESPACE ||
						strcmp(get_namespace_name(nsp), "information_schema") == 0)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("system catalog \"%s\" cannot be a base table in incremental mode", name),
								errdetail("Changes of system catalogs cannot be captured."),
								errhint("Use mode => 'full' to maintain this view by recomputation."));
					if (nsp == il_catalog_namespace())
					{
						/*
						 * A registered view's storage table, where the view
						 * reads another registered view: its changes come
						 * from that view's applies (a cascade).
						 */
						if (!OidIsValid(il_catalog_storage_view(rte->relid, &mult)))
							ereport(ERROR,
									errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("table \"%s\" belongs to incrload and cannot be a base table", name),
									errhint("Read the registered view instead of its storage table."));
					}
					else
						mult = NULL;
					switch (rel->rd_rel->relkind)
					{
						case RELKIND_RELATION:
							break;
						case RELKIND_VIEW:
							ereport(ERROR,
									errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("view \"%s\" cannot be a base table in incremental mode", name),
									errhint("Write the view's definition into the query, or use mode => 'full'."));
							break;
						case RELKIND_MATVIEW:
							ereport(ERROR,
									errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("materialized view \"%s\" cannot be a base table in incremental mode", name),
									errhint("Use mode => 'full' to maintain this view by recomputation."));
							break;
						case RELKIND_FOREIGN_TABLE:
							ereport(ERROR,
									errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("foreign table \"%s\" cannot be a base table in incremental mode", name),
									errdetail("Changes of foreign tables cannot be captured."),
									errhint("Use mode => 'full' to maintain this view by recomputation."));
							break;
						case RELKIND_PARTITIONED_TABLE:
							/* its partitions are captured with it */
							break;
						default:
							ereport(ERROR,
									errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("relation \"%s\" cannot be a base table in incremental mode", name),
									errhint("Use mode => 'full' to maintain this view by recomputation."));
					}
					if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("temporary table \"%s\" cannot be a base table in incremental mode", name),
								errdetail("Other sessions' maintenance cannot read it."),
								errhint("Use mode => 'full' to maintain this view by recomputation."));
					if (rel->rd_rel->relpersistence == RELPERSISTENCE_UNLOGGED)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("unlogged table \"%s\" cannot be a base table in incremental mode", name),
								errdetail("A crash empties an unlogged table without running its triggers."),
								errhint("Use mode => 'full' to maintain this view by recomputation."));
					if (rel->rd_rel->relrowsecurity)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("table \"%s\" has row-level security, which incremental mode does not support", name),
								errdetail("Captured changes are not filtered by row security policies."),
								errhint("Use mode => 'full' to maintain this view by recomputation, as REFRESH MATERIALIZED VIEW would."));
					if (rel->rd_rel->relispartition)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("table \"%s\" is a partition, which incremental mode cannot read alone", name),
								errdetail("Writes routed through the partitioned table do not fire the partition's statement triggers."),
								errhint("Read the partitioned table it belongs to, or use mode => 'full'."));
					if (il_virtual_generated_column(rel) != NULL)
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("table \"%s\" has virtual generated column \"%s\", which incremental mode cannot capture",
									   name, il_virtual_generated_column(rel)),
								errdetail("The transition tables of statement triggers do not hold the values of virtual generated columns."),
								errhint("Make the column STORED, or use mode => 'full'."));
					if (rel->rd_rel->relkind == RELKIND_RELATION &&
						rte->inh && has_subclass(rte->relid))
						ereport(ERROR,
								errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("table \"%s\" has inheritance children, which incremental mode does not support", name),
								errhint("Read it with FROM ONLY, or use mode => 'full'."));
					if (rte->tablesample)
						refuse("TABLESAMPLE clauses are");
					relation_close(rel, NoLock);

					ref = palloc(sizeof(IncrloadBaseRef));
					ref->rtindex = rtindex;
					ref->relid = rte->relid;
					ref->mult = mult;
					bases = lappend(bases, ref);
					q->base_relids = list_append_unique_oid(q->base_relids,
															rte->relid);
					break;
				}
			case RTE_JOIN:
				if (rte->jointype != JOIN_INNER)
					refuse("outer joins are");
				break;
			case RTE_SUBQUERY:
				refuse("subqueries in FROM are");
				break;
			case RTE_TABLEFUNC:
				refuse("table functions in FROM are");
				break;
			case RTE_VALUES:
				refuse("VALUES lists are");
				break;
			case RTE_CTE:
				refuse("WITH queries are");
				break;
			default:
				refuse("this kind of FROM item is");
				break;
		}
		if (rte->lateral)
			refuse("LATERAL references are");
	}
	return bases;
}

/* Add an expression to the pre relation, reusing an equal one. */
int
il_analyze_add_pre_expr(IncrloadQuery *q, Node *expr)
{
	ListCell   *lc;
	int			i = 0;

	foreach(lc, q->pre_exprs)
	{
		i++;
		if (i > q->nkeys && equal(lfirst(lc), expr))
			return i;
	}
	q->pre_exprs = lappend(q->pre_exprs, expr);
	return list_length(q->pre_exprs);
}

/* a row key column must have equality for GROUP BY and the unique index */
static void
check_key_type(Node *expr, const char *what)
{
	Oid			type = exprType(expr);
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_EQ_OPR |
										   TYPECACHE_BTREE_OPFAMILY);

	if (!OidIsValid(tc->eq_opr) || !OidIsValid(tc->btree_opf))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("%s of type %s cannot be maintained incrementally",
					   what, format_type_be(type)),
				errdetail("Type %s has no default btree operator class, which the view's row key needs.",
						  format_type_be(type)),
				errhint("Cast the column to a type with equality, or use mode => 'full'."));
}

static bool
collect_aggs_walker(Node *node, IncrloadQuery *q)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		IncrloadAgg *agg;

		foreach(lc, q->aggs)
		{
			if (equal(((IncrloadAgg *) lfirst(lc))->aggref, node))
				return false;
		}
		agg = il_storage_describe_agg(q, (Aggref *) node);
		q->aggs = lappend(q->aggs, agg);
		return false;			/* no aggregates inside aggregates */
	}
	return expression_tree_walker(node, collect_aggs_walker, q);
}

/*
 * Parse and analyze a view's query text as PostgreSQL would, with the
 * caller's search_path and privileges, and refuse what no mode can keep:
 * more than one statement, anything but a plain SELECT.
 */
Query *
il_analyze_parse(const char *sql)
{
	List	   *raw;
	RawStmt    *rs;
	Query	   *query;

	raw = pg_parse_query(sql);
	if (list_length(raw) != 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("a view's query must be exactly one SELECT statement"),
				errdetail("The query text holds %d statements.", list_length(raw)));
	rs = linitial_node(RawStmt, raw);
	if (!IsA(rs->stmt, SelectStmt))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("a view's query must be a SELECT statement, not %s",
					   CreateCommandName(rs->stmt)));
	if (((SelectStmt *) rs->stmt)->intoClause != NULL)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("a view's query cannot be SELECT INTO"));

	query = parse_analyze_fixedparams(rs, sql, NULL, 0, NULL);
	il_flatten_grouping(query);
	if (query->commandType != CMD_SELECT || query->utilityStmt != NULL)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("a view's query must be a SELECT statement"));
	if (query->hasModifyingCTE)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("a view's query cannot contain data-modifying statements in WITH"));
	if (query->rowMarks != NIL)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("a view's query cannot use FOR UPDATE, FOR SHARE or similar locking clauses"));
	return query;
}

/*
 * A view's query as the catalog keeps it between applies: the analyzed
 * tree (nodeToString, like pg_rewrite's), which refers to tables, columns
 * and functions by OID and so survives their renaming.  The relations are
 * locked as the rewriter would lock a view's.
 */
Query *
il_analyze_tree(const char *tree)
{
	Query	   *query = (Query *) stringToNode(tree);

	if (query == NULL || !IsA(query, Query))
		elog(ERROR, "incrload: stored query tree is not a query");
	AcquireRewriteLocks(query, true, false);
	return query;
}

/*
 * The canonical text of a query: every name qualified (deparsed under
 * search_path pg_catalog), so that it means the same under any search_path
 * and in a dump.
 */
char *
il_analyze_querydef(Query *query)
{
	int			nest = NewGUCNestLevel();
	char	   *def;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	def = pg_get_querydef(query, false);
	AtEOXact_GUC(true, nest);
	return def;
}

/*
 * Parse, analyze and check a view's query text.
 */
IncrloadQuery *
il_analyze_query(const char *sql, bool incremental)
{
	return il_analyze(il_analyze_parse(sql), incremental);
}

/*
 * Check an analyzed query and describe it for the delta rules.  The query
 * is not modified.
 */
IncrloadQuery *
il_analyze(Query *query, bool incremental)
{
	IncrloadQuery *q = palloc0(sizeof(IncrloadQuery));
	ListCell   *lc;

	q->query = query;

	/* the output columns, which become the view's columns */
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		ListCell   *lc2;

		if (tle->resjunk)
			continue;
		foreach(lc2, q->outputs)
		{
			if (strcmp(((TargetEntry *) lfirst(lc2))->resname, tle->resname) == 0)
				ereport(ERROR,
						errcode(ERRCODE_DUPLICATE_COLUMN),
						errmsg("column \"%s\" specified more than once", tle->resname),
						errhint("Give the query's columns distinct names with AS."));
		}
		if (strncmp(tle->resname, INCRLOAD_HIDDEN_PREFIX,
					strlen(INCRLOAD_HIDDEN_PREFIX)) == 0)
			ereport(ERROR,
					errcode(ERRCODE_RESERVED_NAME),
					errmsg("column name \"%s\" is reserved for incrload's helper columns",
						   tle->resname),
					errhint("Rename the column with AS."));
		q->outputs = lappend(q->outputs, tle);
	}
	if (q->outputs == NIL)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("a view's query must return at least one column"));

	q->querydef = il_analyze_querydef(query);

	if (!incremental)
	{
		q->kind = IL_VIEW_FULL;
		return q;
	}

	/* constructs the delta rules do not cover */
	/*
	 * A recursive WITH query is a view of its own by now (normalize.c), its
	 * closure: the set of rows it reaches (recursive.c).
	 */
	if (query->hasRecursive)
	{
		if (!il_recursive_is_closure(query))
			refuse("recursive WITH queries are");
		il_recursive_analyze(q);
		/* UNION: a set; UNION ALL: rows as often as derived, counted */
		q->kind = q->recursion->all ? IL_VIEW_PROJECT : IL_VIEW_DISTINCT;
		outputs_as_keys(q);
		return q;
	}
	if (query->setOperations != NULL)
	{
		analyze_setop(q);
		return q;
	}
	/* the windows it can keep are subqueries by now (window_aggregates.c) */
	if (query->hasWindowFuncs)
		refuse("window functions other than aggregates, rank(), dense_rank(), percent_rank() and cume_dist(), and over an ORDER BY that orders the rows totally row_number(), lag() and lead() by one row, first_value() and last_value(), with the default frame and at most one PARTITION BY expression that can be NULL, are");
	/*
	 * A set-returning function in the select list of a query without
	 * aggregates expands each input row, as one in FROM does: the pre
	 * relation repeats the row's weight for each of its rows (immutable
	 * ones only: check_expr_walker).  With aggregates it could only stand
	 * above the grouping, which the storage does not evaluate.
	 */
	if (query->hasTargetSRFs && (query->hasAggs || query->groupClause != NIL))
		refuse("set-returning functions in the select list of a query with aggregates or GROUP BY are");
	/*
	 * HAVING filters groups when the view is read (storage.c), so a
	 * subquery in it is evaluated then, over what it reads at that time:
	 * no delta rule needs it.  An aggregating one reads an auxiliary view
	 * by now (register.c), one row.  One that refers to the groups would
	 * need them at read time in its own terms: refused.
	 */
	if (query->havingQual && having_correlated_walker(query->havingQual, NULL))
		refuse("subqueries in HAVING that refer to the grouped query are");
	/* applied when the view is read (top_n.c) */
	il_top_n_check(query);
	/* rewritten as a GROUP BY (distinct_on.c) where that is exact */
	if (query->hasDistinctOn)
		refuse("DISTINCT ON with an output column whose type has no ordering (such as json) is");
	/*
	 * Grouping sets are rewritten as a UNION ALL (grouping_sets.c) before
	 * analysis; what is left here is what that rewrite cannot keep exact.
	 */
	if (query->groupingSets != NIL)
	{
		if (query->distinctClause != NIL)
			refuse("DISTINCT over GROUPING SETS, ROLLUP or CUBE is");
		if (il_top_n(query))
			refuse("LIMIT and OFFSET with GROUPING SETS, ROLLUP or CUBE ordered by what the select list does not show are");
		if (!query->hasAggs)
			refuse("GROUPING SETS, ROLLUP and CUBE with an empty grouping set (a grand total) and no aggregate are");
		if (checkExprHasSubLink((Node *) query->targetList) ||
			checkExprHasSubLink(query->havingQual))
			refuse("subqueries in the select list or HAVING of a query with GROUPING SETS, ROLLUP or CUBE are");
		refuse("GROUPING SETS, ROLLUP and CUBE are");
	}
	(void) query_tree_walker(query, check_expr_walker, NULL, 0);

	if (query->hasAggs || query->groupClause != NIL)
	{
		int			i = 0;

		q->kind = query->groupClause != NIL ? IL_VIEW_AGG : IL_VIEW_GLOBAL;
		q->distinct = query->distinctClause != NIL;
		foreach(lc, query->groupClause)
		{
			SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
			TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);
			char	   *name;

			check_key_type((Node *) tle->expr, "GROUP BY expression");
			q->pre_exprs = lappend(q->pre_exprs, tle->expr);
			q->nkeys++;
			i++;
			name = tle->resjunk ? psprintf(INCRLOAD_HIDDEN_PREFIX "k%d", i) :
				tle->resname;
			q->key_names = lappend(q->key_names, name);
		}
		foreach(lc, q->outputs)
			(void) collect_aggs_walker((Node *) ((TargetEntry *) lfirst(lc))->expr, q);
		/* HAVING may use aggregates the select list does not show */
		(void) collect_aggs_walker(query->havingQual, q);
		/* and so may the ORDER BY of a top-N view */
		if (il_top_n(query))
			foreach(lc, query->sortClause)
				(void) collect_aggs_walker((Node *) get_sortgroupclause_expr(lfirst(lc),
																			 query->targetList),
										   q);

		/* a visible column that is exactly an aggregate shows its name */
		i = 0;
		foreach(lc, q->aggs)
		{
			IncrloadAgg *agg = lfirst(lc);
			ListCell   *lc2;

			agg->name = psprintf(INCRLOAD_HIDDEN_PREFIX "a%d", ++i);
			foreach(lc2, q->outputs)
			{
				TargetEntry *tle = lfirst(lc2);

				if (equal(tle->expr, agg->aggref))
				{
					agg->name = tle->resname;
					break;
				}
			}
		}
	}
	else
	{
		q->kind = query->distinctClause != NIL ? IL_VIEW_DISTINCT : IL_VIEW_PROJECT;
		outputs_as_keys(q);
		/*
		 * What a top-N view orders by but does not show is kept too, a
		 * hidden part of the row key (top_n.c).  (Under DISTINCT the
		 * ORDER BY can only name shown columns.)
		 */
		if (il_top_n(query))
			foreach(lc, query->sortClause)
			{
				TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), query->targetList);

				if (!tle->resjunk)
					continue;
				check_key_type((Node *) tle->expr, "ORDER BY expression");
				q->pre_exprs = lappend(q->pre_exprs, tle->expr);
				q->key_names = lappend(q->key_names, il_top_n_hidden_name(tle));
				q->nkeys++;
			}
	}

	add_branches(q, make_pre_query(q));
	return q;
}

/* A view without GROUP BY: its row key is every output column. */
static void
outputs_as_keys(IncrloadQuery *q)
{
	ListCell   *lc;

	foreach(lc, q->outputs)
	{
		TargetEntry *tle = lfirst(lc);

		check_key_type((Node *) tle->expr,
					   psprintf("column \"%s\"", tle->resname));
		q->pre_exprs = lappend(q->pre_exprs, tle->expr);
		q->key_names = lappend(q->key_names, tle->resname);
		q->nkeys++;
	}
}

/*
 * A join of ninputs table references (its FROM list's and its subqueries')
 * is applied by a term per input, each joining all of them: planning a
 * term searches join orders exhaustively up to geqo_threshold, and in a
 * self-join a changed row is read in each old state with the copies that
 * cancel it, so the rows of a term grow as 3^ninputs before they cancel
 * out.  Beyond incrload.max_inputs the view is refused rather than left
 * to run for hours.
 */
static void
check_inputs(int ninputs)
{
	if (ninputs > incrload_max_inputs)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("the query joins %d table references, more than incrload.max_inputs (%d)",
					   ninputs, incrload_max_inputs),
				errdetail("Every apply joins all of them once for each of them; its cost grows exponentially with their number, above all in self-joins."),
				errhint("Use mode => 'full', split the query into registered views that read each other, or have a superuser raise incrload.max_inputs."));
}

/*
 * The pre relation as plain inner joins of base tables, and the checks of
 * what they read: views and subqueries are expanded only now.
 */
static void
add_branches(IncrloadQuery *q, Query *pre)
{
	ListCell   *lc;
	ListCell   *lc2;
	int			ninputs;

	foreach(lc, il_normalize(pre))
	{
		IncrloadBranch *b = palloc0(sizeof(IncrloadBranch));

		b->query = lfirst(lc);
		(void) query_tree_walker(b->query, check_expr_walker, NULL, 0);
		/*
		 * What the walker cannot name, PostgreSQL's own test still catches;
		 * but it takes the functions that read only the view's pinned
		 * settings for mutable, and the walker has judged those.
		 */
		if (!il_settings_needed((Node *) b->query) &&
			contain_mutable_functions((Node *) b->query))
			refuse("expressions that are not immutable are");
		b->bases = check_range_table(q, b->query->rtable, true);
		if (b->bases == NIL)
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("a query without a table in FROM cannot be maintained incrementally"),
					errhint("Use mode => 'full' to maintain this view by recomputation."));
		ninputs = list_length(b->bases);
		foreach(lc2, il_normalize_sublinks(b->query))
		{
			SubLink    *sl = lfirst(lc2);

			b->sublink_bases = lappend(b->sublink_bases,
									   check_range_table(q, castNode(Query, sl->subselect)->rtable, false));
			ninputs += list_length(llast(b->sublink_bases));
		}
		check_inputs(ninputs);
		q->branches = lappend(q->branches, b);
	}
}

/* Copy of the set operation tree whose leaves count 1, 2, ... */
static Node *
number_leaves(IncrloadQuery *q, Node *op, List **leaves)
{
	if (IsA(op, RangeTblRef))
	{
		RangeTblRef *leaf = makeNode(RangeTblRef);

		*leaves = lappend(*leaves, rt_fetch(((RangeTblRef *) op)->rtindex,
											q->query->rtable)->subquery);
		leaf->rtindex = list_length(*leaves);
		return (Node *) leaf;
	}
	else
	{
		SetOperationStmt *s = copyObject(castNode(SetOperationStmt, op));

		s->larg = number_leaves(q, castNode(SetOperationStmt, op)->larg, leaves);
		s->rarg = number_leaves(q, castNode(SetOperationStmt, op)->rarg, leaves);
		return (Node *) s;
	}
}

/*
 * UNION [ALL], INTERSECT [ALL], EXCEPT [ALL] of plain queries: the view's
 * rows are the distinct output rows, each with a count per arm; how often
 * a row shows is the set operation applied to those counts (storage.c).
 * Each arm's rows, with its number, are branches of the pre relation.
 */
static void
analyze_setop(IncrloadQuery *q)
{
	SetOperationStmt *top = castNode(SetOperationStmt, q->query->setOperations);
	List	   *leaves = NIL;
	ListCell   *lc;
	ListCell   *lt;
	ListCell   *lm;
	ListCell   *lcoll;
	int			i = 0;

	/* applied when the view is read (top_n.c) */
	il_top_n_check(q->query);
	q->kind = IL_VIEW_SETOP;
	q->setop = number_leaves(q, (Node *) top, &leaves);
	q->nleaves = list_length(leaves);

	/* the output columns are the row key, typed as the set operation says */
	forfour(lc, top->colTypes, lt, top->colTypmods, lcoll, top->colCollations,
			lm, q->outputs)
	{
		TargetEntry *tle = lfirst(lm);
		Var		   *col = makeVar(1, ++i, lfirst_oid(lc), lfirst_int(lt),
								  lfirst_oid(lcoll), 0);

		check_key_type((Node *) col, psprintf("column \"%s\"", tle->resname));
		q->pre_exprs = lappend(q->pre_exprs, col);
		q->key_names = lappend(q->key_names, tle->resname);
		q->nkeys++;
	}
	/* the arm's number: the last pre column */
	q->pre_exprs = lappend(q->pre_exprs,
						   makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
									 Int32GetDatum(0), false, true));

	i = 0;
	foreach(lc, leaves)
	{
		Query	   *leaf = copyObject(lfirst_node(Query, lc));
		List	   *tlist = NIL;
		int			resno = 0;

		i++;
		if (leaf->hasAggs || leaf->groupClause != NIL || leaf->havingQual != NULL)
			refuse("aggregates in an arm of UNION, INTERSECT or EXCEPT are");
		if (leaf->hasDistinctOn)
			refuse("DISTINCT ON is");
		/* an arm's DISTINCT: its rows count once (storage.c) */
		if (leaf->distinctClause != NIL)
			q->distinct_leaves = bms_add_member(q->distinct_leaves, i);
		leaf->distinctClause = NIL;
		if (leaf->hasWindowFuncs)
			refuse("window functions are");
		if (leaf->hasTargetSRFs)
			refuse("set-returning functions are");
		if (leaf->limitCount != NULL || leaf->limitOffset != NULL)
			refuse("LIMIT and OFFSET in an arm of UNION, INTERSECT or EXCEPT are");
		(void) query_tree_walker(leaf, check_expr_walker, NULL, 0);

		forthree(lt, leaf->targetList, lm, top->colTypes, lcoll, top->colTypmods)
		{
			TargetEntry *tle = lfirst(lt);
			Node	   *expr = (Node *) tle->expr;

			if (tle->resjunk)
				continue;
			if (exprType(expr) != lfirst_oid(lm) || exprTypmod(expr) != lfirst_int(lcoll))
				expr = coerce_to_target_type(NULL, expr, exprType(expr),
											 lfirst_oid(lm), lfirst_int(lcoll),
											 COERCION_IMPLICIT,
											 COERCE_IMPLICIT_CAST, -1);
			if (expr == NULL)
				elog(ERROR, "incrload: cannot coerce an arm's column to the set operation's type");
			resno++;
			tlist = lappend(tlist, makeTargetEntry((Expr *) expr, resno,
												   psprintf("e%d", resno), false));
		}
		resno++;
		tlist = lappend(tlist, makeTargetEntry((Expr *) makeConst(INT4OID, -1, InvalidOid,
																  sizeof(int32),
																  Int32GetDatum(i),
																  false, true),
											   resno, psprintf("e%d", resno), false));
		leaf->targetList = tlist;
		leaf->sortClause = NIL;
		add_branches(q, leaf);
	}
}

/*
 * The query's FROM and WHERE with the pre expressions as target list:
 * what normalize.c turns into branches.
 */
static Query *
make_pre_query(IncrloadQuery *q)
{
	Query	   *pre = copyObject(q->query);
	List	   *tlist = NIL;
	ListCell   *lc;
	int			resno = 0;

	foreach(lc, q->pre_exprs)
	{
		resno++;
		tlist = lappend(tlist, makeTargetEntry(copyObject(lfirst(lc)), resno,
											   psprintf("e%d", resno), false));
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
	pre->hasSubLinks = checkExprHasSubLink((Node *) tlist) ||
		checkExprHasSubLink(pre->jointree ? pre->jointree->quals : NULL);
	return pre;
}

static Node *
view_expr_mutator(Node *node, ViewExprContext *ctx)
{
	ListCell   *lc;
	int			i;

	if (node == NULL)
		return NULL;
	i = 0;
	foreach(lc, ctx->q->pre_exprs)
	{
		if (i >= ctx->q->nkeys)
			break;
		if (equal(node, lfirst(lc)))
			return (Node *) makeVar(1, list_nth_int(ctx->key_attnos, i),
									exprType(node), exprTypmod(node),
									exprCollation(node), 0);
		i++;
	}
	if (IsA(node, Aggref))
	{
		i = 0;
		foreach(lc, ctx->q->aggs)
		{
			IncrloadAgg *agg = lfirst(lc);

			if (equal(node, agg->aggref))
				return (Node *) makeVar(1, list_nth_int(ctx->agg_attnos, i),
										exprType(node), exprTypmod(node),
										exprCollation(node), 0);
			i++;
		}
		elog(ERROR, "aggregate not found among the view's aggregates");
	}
	if (IsA(node, Var))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("column \"%s\" must appear in the GROUP BY clause to be maintained incrementally",
					   get_rte_attribute_name(rt_fetch(((Var *) node)->varno,
													   ctx->q->query->rtable),
											  ((Var *) node)->varattno)),
				errhint("Add the column to GROUP BY, or use mode => 'full'."));
	return expression_tree_mutator(node, view_expr_mutator, ctx);
}

/*
 * A visible column of an aggregate view, as an expression over the
 * storage table (range table entry 1): GROUP BY expressions and
 * aggregates become that table's columns.
 */
Node *
il_analyze_view_expr(IncrloadQuery *q, Node *expr, List *key_attnos,
					 List *agg_attnos)
{
	ViewExprContext ctx;

	ctx.q = q;
	ctx.key_attnos = key_attnos;
	ctx.agg_attnos = agg_attnos;
	return view_expr_mutator(copyObject(expr), &ctx);
}

/* Collects the conjuncts of WHERE and of every JOIN ... ON. */
static void
collect_quals(Node *node, List **quals)
{
	if (node == NULL)
		return;
	if (IsA(node, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) node)->fromlist)
			collect_quals(lfirst(lc), quals);
		*quals = list_concat(*quals,
							 make_ands_implicit((Expr *) ((FromExpr *) node)->quals));
	}
	else if (IsA(node, JoinExpr))
	{
		collect_quals(((JoinExpr *) node)->larg, quals);
		collect_quals(((JoinExpr *) node)->rarg, quals);
		*quals = list_concat(*quals,
							 make_ands_implicit((Expr *) ((JoinExpr *) node)->quals));
	}
}

/* Does some index of relid start with column attno? */
static bool
has_leading_index(Oid relid, AttrNumber attno)
{
	Relation	rel = table_open(relid, AccessShareLock);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, RelationGetIndexList(rel))
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);

		if (idx->rd_index->indnkeyatts > 0 &&
			idx->rd_index->indkey.values[0] == attno &&
			RelationGetIndexPredicate(idx) == NIL &&
			idx->rd_rel->relam == BTREE_AM_OID)
			found = true;
		index_close(idx, AccessShareLock);
		if (found)
			break;
	}
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Applying a change of one table of a join looks up the matching rows of
 * the others by the join columns.  Where a big table has no index on any
 * column it is joined by, every such lookup scans it: the view is allowed,
 * but the DBA hears which index to create.  Only equality conditions
 * between columns count (what a nested loop can probe with).
 */
static void
check_branch_indexes(IncrloadBranch *b, const char *viewname)
{
	Query	   *query = b->query;
	List	   *quals = NIL;
	ListCell   *lc;
	Bitmapset  *probed = NULL;	/* rtindexes with a usable index */
	List	   *candidates = NIL;	/* Vars that could use one */

	if (list_length(b->bases) < 2)
		return;
	collect_quals((Node *) query->jointree, &quals);
	foreach(lc, quals)
	{
		OpExpr	   *op = lfirst(lc);
		Var		   *sides[2];

		if (!IsA(op, OpExpr) || list_length(op->args) != 2 ||
			!op_mergejoinable(op->opno, exprType(linitial(op->args))))
			continue;
		for (int i = 0; i < 2; i++)
		{
			Node	   *arg = list_nth(op->args, i);

			while (arg && IsA(arg, RelabelType))
				arg = (Node *) ((RelabelType *) arg)->arg;
			sides[i] = (arg && IsA(arg, Var) && ((Var *) arg)->varlevelsup == 0) ?
				(Var *) arg : NULL;
		}
		if (!sides[0] || !sides[1] || sides[0]->varno == sides[1]->varno)
			continue;
		for (int i = 0; i < 2; i++)
		{
			RangeTblEntry *rte = rt_fetch(sides[i]->varno, query->rtable);

			if (rte->rtekind != RTE_RELATION || sides[i]->varattno <= 0)
				continue;
			if (has_leading_index(rte->relid, sides[i]->varattno))
				probed = bms_add_member(probed, sides[i]->varno);
			else
				candidates = lappend(candidates, sides[i]);
		}
	}

	foreach(lc, candidates)
	{
		Var		   *var = lfirst(lc);
		RangeTblEntry *rte = rt_fetch(var->varno, query->rtable);
		char	   *col;
		char	   *rel;
		BlockNumber blocks;

		if (bms_is_member(var->varno, probed))
			continue;
		/* say it once per table */
		probed = bms_add_member(probed, var->varno);
		{
			Relation	r = table_open(rte->relid, AccessShareLock);

			blocks = r->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ?
				(BlockNumber) Max(r->rd_rel->relpages, 0) :
				RelationGetNumberOfBlocks(r);
			table_close(r, AccessShareLock);
		}
		if (blocks < INCRLOAD_BIG_TABLE_BLOCKS)
			continue;
		col = get_attname(rte->relid, var->varattno, false);
		rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)),
										 get_rel_name(rte->relid));
		ereport(NOTICE,
				errmsg("table \"%s\" has no index on its join column \"%s\"",
					   get_rel_name(rte->relid), col),
				errdetail("Applying a change of the other tables of view \"%s\" will scan all of table \"%s\".",
						  viewname, get_rel_name(rte->relid)),
				errhint("CREATE INDEX ON %s (%s);", rel, quote_identifier(col)));
	}
}

void
il_analyze_check_indexes(IncrloadQuery *q, const char *viewname)
{
	ListCell   *lb;

	if (q->kind == IL_VIEW_FULL)
		return;
	foreach(lb, q->branches)
		check_branch_indexes(lfirst(lb), viewname);
}
