/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  Applying one batch of changes to one view.
 *
 * IDENTIFICATION
 *	  src/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_APPLY_H
#define INCRLOAD_APPLY_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

typedef enum IncrloadApplyKind
{
	IL_APPLY_INCREMENTAL,		/* the committed changes not yet applied */
	IL_APPLY_FULL,				/* recompute from the query */
	IL_APPLY_VERIFY,			/* apply, then compare with the query */
	IL_APPLY_REPAIR				/* recompute after a verify found drift */
} IncrloadApplyKind;

typedef struct IncrloadApplyResult
{
	int64		consumed;		/* delta rows applied */
	bool		full;			/* the view was recomputed */
	int64		inserted;		/* storage rows inserted, deleted, updated */
	int64		deleted;
	int64		updated;
	TimestampTz oldest_change;	/* capture time of the oldest change applied, or 0 */
	int64		missing;		/* verify: rows of the query not in the view */
	int64		extra;			/* verify: rows of the view not in the query */
	bool		repaired;		/* a full refresh that repaired drift */
	char		reason[160];	/* why incremental or a recompute */
} IncrloadApplyResult;

extern void il_apply_init(void);
extern void il_apply_view(Oid view, IncrloadApplyKind kind,
						  IncrloadApplyResult *result);
extern int64 il_apply_pending(Oid view, TimestampTz *oldest);
extern List *il_apply_statements(Oid view);

#endif							/* INCRLOAD_APPLY_H */
