/*-------------------------------------------------------------------------
 *
 * batch.h
 *	  How big the planner takes a batch to be (batch.c).
 *
 * IDENTIFICATION
 *	  src/batch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_BATCH_H
#define INCRLOAD_BATCH_H

/*
 * Delta rows per table a batch is planned for while set (> 0): the apply
 * sets it around the statements of a big batch, which are kept apart from
 * those of small ones (apply.c).  0: a small batch, a fraction of the
 * delta table.
 */
extern double il_batch_rows_hint;

#endif							/* INCRLOAD_BATCH_H */
