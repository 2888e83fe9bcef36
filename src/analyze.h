/*-------------------------------------------------------------------------
 *
 * analyze.h
 *	  Checking a view's query and describing it for the delta rules.
 *
 * IDENTIFICATION
 *	  src/analyze.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_ANALYZE_H
#define INCRLOAD_ANALYZE_H

#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"

/* The storage layout a view needs. */
typedef enum IncrloadViewKind
{
	IL_VIEW_PROJECT,			/* rows with a hidden multiplicity */
	IL_VIEW_DISTINCT,			/* rows with a hidden multiplicity, shown once */
	IL_VIEW_AGG,				/* one row per group */
	IL_VIEW_GLOBAL,				/* aggregates without GROUP BY: one row */
	IL_VIEW_SETOP,				/* UNION, INTERSECT, EXCEPT: a count per arm */
	IL_VIEW_FULL				/* mode 'full': the query's rows, recomputed */
} IncrloadViewKind;

typedef enum IncrloadAggKind
{
	IL_AGG_COUNT_STAR,
	IL_AGG_COUNT,
	IL_AGG_SUM,					/* invertible sum: ints, numeric, money, interval */
	IL_AGG_AVG,					/* from a hidden sum and non-null count */
	IL_AGG_MIN,
	IL_AGG_MAX,
	IL_AGG_BOOL_AND,			/* bool_and, every: non-null and false counts */
	IL_AGG_BOOL_OR,				/* non-null and true counts */
	IL_AGG_VARIANCE,			/* stddev and variance families: count, sum
								 * and sum of squares */
	IL_AGG_RECOMPUTE			/* recomputed per changed group (float sums,
								 * string_agg, array_agg ...) */
} IncrloadAggKind;

typedef struct IncrloadAgg
{
	IncrloadAggKind kind;
	Aggref	   *aggref;			/* as in the query */
	int			argcol;			/* pre column of the argument, 0 = none */
	int			filtercol;		/* pre column of FILTER (WHERE), 0 = none */
	Oid			argtype;
	Oid			restype;		/* the aggregate's result type */
	Oid			rescoll;
	Oid			sumtype;		/* SUM/AVG: type of the hidden running sum */
	char	   *name;			/* storage column of the visible value */
	/* the rest is storage.c's (il_storage_describe_agg) */
	bool		distinct;		/* COUNT/SUM/AVG over the distinct values */
	bool		stddev;			/* VARIANCE: its square root */
	bool		sample;			/* VARIANCE: divided by n - 1, not n */
	int			scale;			/* numeric SUM/AVG/VARIANCE: the scale of
								 * every input, -1 when it varies */
	List	   *argcols;		/* RECOMPUTE: pre column of each of
								 * aggref->args */
} IncrloadAgg;

/* One table reference in FROM that is a base table. */
typedef struct IncrloadBaseRef
{
	int			rtindex;
	Oid			relid;
	char	   *mult;			/* another view's storage table: how often
								 * each row counts (over alias s), or NULL */
} IncrloadBaseRef;

/*
 * One branch of the pre relation (normalize.c): an inner join of base
 * tables whose target list is the pre expressions e1..eN.  The pre
 * relation is the sum of its branches.
 */
typedef struct IncrloadBranch
{
	Query	   *query;
	List	   *bases;			/* IncrloadBaseRef *, in FROM order */
	List	   *sublink_bases;	/* per il_normalize_sublinks(query): the
								 * IncrloadBaseRef * of its subquery */
} IncrloadBranch;

struct IncrloadRecursion;

typedef struct IncrloadQuery
{
	Query	   *query;			/* the analyzed query */
	char	   *querydef;		/* deparsed with qualified names */
	IncrloadViewKind kind;
	bool		distinct;		/* AGG views: SELECT DISTINCT over groups */
	List	   *branches;		/* IncrloadBranch * */
	List	   *base_relids;	/* distinct base table OIDs */

	/*
	 * Expressions evaluated on every input row of FROM/WHERE: columns e1..eN
	 * of the "pre" relation.  The first nkeys are the row key (GROUP BY
	 * expressions, or every output column of PROJECT/DISTINCT views).
	 */
	List	   *pre_exprs;
	int			nkeys;
	List	   *key_names;		/* storage column names of the keys */
	List	   *aggs;			/* IncrloadAgg * */
	List	   *outputs;		/* the query's visible TargetEntry list */
	Node	   *setop;			/* SETOP: the tree; leaves are RangeTblRefs
								 * numbered 1..nleaves in leaf order */
	int			nleaves;
	Bitmapset  *distinct_leaves;	/* SETOP: arms that are SELECT DISTINCT */
	struct IncrloadRecursion *recursion;	/* a recursive WITH query's
											 * closure, or NULL */
} IncrloadQuery;

extern Query *il_analyze_parse(const char *sql);
extern Query *il_analyze_tree(const char *tree);
extern char *il_analyze_querydef(Query *query);
extern bool il_analyze_reads_outer(Node *node, void *context);
extern IncrloadQuery *il_analyze(Query *query, bool incremental);
extern IncrloadQuery *il_analyze_query(const char *sql, bool incremental);
/* Below this size (1 MB) a table without an index on its join column is fine. */
#define INCRLOAD_BIG_TABLE_BLOCKS 128

extern int	il_analyze_add_pre_expr(IncrloadQuery *q, Node *expr);
extern void il_analyze_check_indexes(IncrloadQuery *q, const char *viewname);
extern Node *il_analyze_view_expr(IncrloadQuery *q, Node *expr,
								  List *key_attnos, List *agg_attnos);

#endif							/* INCRLOAD_ANALYZE_H */
