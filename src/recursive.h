/*-------------------------------------------------------------------------
 *
 * recursive.h
 *	  Recursive WITH queries: the set of rows they reach, maintained by
 *	  semi-naive insertion and delete-and-rederive.
 *
 * IDENTIFICATION
 *	  src/recursive.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_RECURSIVE_H
#define INCRLOAD_RECURSIVE_H

#include "nodes/parsenodes.h"

#include "analyze.h"

/* The two terms of WITH RECURSIVE r AS (base UNION step). */
typedef struct IncrloadRecursion
{
	Query	   *base;			/* the non-recursive term */
	Query	   *step;			/* the recursive term */
	int			selfref;		/* step's range table index of r */
	bool		all;			/* UNION ALL: r a bag, maintained by counting */
} IncrloadRecursion;

extern bool il_recursive_is_closure(Query *q);
extern Query *il_recursive_closure(RangeTblEntry *rte, CommonTableExpr *cte);
extern void il_recursive_analyze(IncrloadQuery *q);
extern char *il_recursive_full_sql(IncrloadQuery *q);
extern char *il_recursive_upsert_sql(IncrloadQuery *q, const char *storage,
									 List *changed);
extern void il_recursive_counting_sql(IncrloadQuery *q, const char *storage,
									  List *changed, char **with, char **from);
extern char *il_recursive_reinsert_sql(IncrloadQuery *q, const char *storage,
									   List *changed);

#endif							/* INCRLOAD_RECURSIVE_H */
