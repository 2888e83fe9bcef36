/*-------------------------------------------------------------------------
 *
 * window_aggregates.h
 *	  Aggregates over whole window partitions as correlated subqueries.
 *
 * IDENTIFICATION
 *	  src/window_aggregates.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_WINDOW_AGGREGATES_H
#define INCRLOAD_WINDOW_AGGREGATES_H

#include "nodes/parsenodes.h"

extern Query *il_rewrite_window_aggregates(Query *query);

#endif							/* INCRLOAD_WINDOW_AGGREGATES_H */
