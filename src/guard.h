/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  Only incrload's own statements read and write incrload's own tables.
 *
 * IDENTIFICATION
 *	  src/guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_GUARD_H
#define INCRLOAD_GUARD_H

#include "executor/spi.h"
#include "nodes/pg_list.h"
#include "utils/snapshot.h"

/* What a relation is to incrload. */
typedef enum IncrloadRelKind
{
	IL_REL_OTHER,				/* nothing of ours */
	IL_REL_VIEW,				/* a registered view (user-facing or auxiliary) */
	IL_REL_STORAGE,				/* the storage table of one */
	IL_REL_SET,					/* a set table <storage>_d<n> of one */
	IL_REL_DELTA				/* a delta table */
} IncrloadRelKind;

#define INCRLOAD_GUARD_TRIGGER "incrload_guard"

extern void il_guard_init(void);
extern IncrloadRelKind il_guard_classify(Oid relid, Oid *view);
extern void il_guard_protect(Oid relid);
extern SPIPlanPtr il_guard_prepare(const char *sql, int nargs, Oid *argtypes,
								   int options, List *deltas);
extern int	il_guard_execute_plan(SPIPlanPtr plan, Datum *values,
								  const char *nulls, Snapshot snap,
								  List *deltas, bool writes);
extern int	il_guard_execute(const char *sql, int nargs, Oid *argtypes,
							 Datum *values, const char *nulls);

#endif							/* INCRLOAD_GUARD_H */
