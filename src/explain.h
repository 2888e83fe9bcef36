/*-------------------------------------------------------------------------
 *
 * explain.h
 *	  The plans of the statements an apply runs.
 *
 * IDENTIFICATION
 *	  src/explain.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_EXPLAIN_H
#define INCRLOAD_EXPLAIN_H

#include "executor/spi.h"

/* One statement an apply ran, and its plan with real row counts. */
typedef struct IncrloadExplained
{
	Oid			view;
	char	   *statement;
	char	   *plan;
} IncrloadExplained;

extern void il_explain_init(void);
extern void il_explain_start(void);
extern List *il_explain_finish(void);
extern void il_explain_abort(void);
extern bool il_explain_active(void);
extern void il_explain_view(Oid view);
extern void il_explain_expect(SPIPlanPtr plan);

#endif							/* INCRLOAD_EXPLAIN_H */
