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

typedef enum IncrloadApplyKind
{
	IL_APPLY_INCREMENTAL,		/* the committed changes not yet applied */
	IL_APPLY_FULL,				/* recompute from the query */
	IL_APPLY_VERIFY				/* apply, then compare with the query */
} IncrloadApplyKind;

typedef struct IncrloadApplyResult
{
	int64		consumed;		/* delta rows applied */
	bool		full;			/* the view was recomputed */
	int64		missing;		/* verify: rows of the query not in the view */
	int64		extra;			/* verify: rows of the view not in the query */
} IncrloadApplyResult;

extern void il_apply_init(void);
extern void il_apply_view(Oid view, IncrloadApplyKind kind,
						  IncrloadApplyResult *result);
extern int64 il_apply_pending(Oid view, TimestampTz *oldest);

#endif							/* INCRLOAD_APPLY_H */
