/*-------------------------------------------------------------------------
 *
 * top_n.h
 *	  Top-N views: a view's own ORDER BY ... LIMIT, applied when it is read.
 *
 * IDENTIFICATION
 *	  src/top_n.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_TOP_N_H
#define INCRLOAD_TOP_N_H

#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"

extern bool il_top_n(Query *query);
extern void il_top_n_check(Query *query);
extern void il_top_n_refuse_read(Oid view);
extern char *il_top_n_hidden_name(TargetEntry *tle);
extern void il_top_n_append(StringInfo buf, Query *query, List *exprs,
							List *dpcontext, bool prefix);
extern void il_top_n_append_limit(StringInfo buf, Query *query);
extern char *il_top_n_index_sql(Query *query, List *exprs, Oid storage,
								const char *qualname);

#endif							/* INCRLOAD_TOP_N_H */
