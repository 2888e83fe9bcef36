/*-------------------------------------------------------------------------
 *
 * grouping_sets.h
 *	  GROUPING SETS, ROLLUP and CUBE as the UNION ALL of their groupings.
 *
 * IDENTIFICATION
 *	  src/grouping_sets.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_GROUPING_SETS_H
#define INCRLOAD_GROUPING_SETS_H

#include "nodes/parsenodes.h"

extern Query *il_rewrite_grouping_sets(Query *query);

#endif							/* INCRLOAD_GROUPING_SETS_H */
