/*-------------------------------------------------------------------------
 *
 * normalize.h
 *	  A view's query as branches of plain inner joins of base tables.
 *
 * IDENTIFICATION
 *	  src/normalize.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_NORMALIZE_H
#define INCRLOAD_NORMALIZE_H

#include "nodes/parsenodes.h"

extern List *il_normalize(Query *pre);
extern void il_normalize_inline_ctes(Query *q);
extern Query *il_normalize_view_query(Oid view);
extern void il_normalize_rte_to_subquery(RangeTblEntry *rte, Query *sub);
extern bool il_normalize_in_outer_join(Node *jtnode, int rtindex);
extern bool il_normalize_is_flat(Query *q);
extern List *il_normalize_sublinks(Query *branch);
extern Node *il_normalize_replace_params(Node *testexpr, List *tlist);
extern void il_normalize_objects_read(Query *q, List **views,
									  List **functions);

#endif							/* INCRLOAD_NORMALIZE_H */
