/*-------------------------------------------------------------------------
 *
 * distinct_on.h
 *	  DISTINCT ON as a GROUP BY of each group's first row.
 *
 * IDENTIFICATION
 *	  src/distinct_on.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_DISTINCT_ON_H
#define INCRLOAD_DISTINCT_ON_H

#include "nodes/parsenodes.h"

extern Query *il_rewrite_distinct_on(Query *query);

#endif							/* INCRLOAD_DISTINCT_ON_H */
