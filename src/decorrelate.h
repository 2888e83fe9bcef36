/*-------------------------------------------------------------------------
 *
 * decorrelate.h
 *	  Subqueries in expressions that aggregate, made auxiliary views.
 *
 * IDENTIFICATION
 *	  src/decorrelate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_DECORRELATE_H
#define INCRLOAD_DECORRELATE_H

#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"

typedef struct IncrloadDecorrelation IncrloadDecorrelation;

extern bool il_decorrelate_is_correlated(Query *q);
extern Query *il_decorrelate_aux_query(SubLink *sl, IncrloadDecorrelation **info);
extern Node *il_decorrelate_replace(SubLink *sl, IncrloadDecorrelation *d,
									Query *aux_select);

#endif							/* INCRLOAD_DECORRELATE_H */
