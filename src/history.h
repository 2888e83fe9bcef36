/*-------------------------------------------------------------------------
 *
 * history.h
 *	  incrload.refresh_history: one row per apply attempt.
 *
 * IDENTIFICATION
 *	  src/history.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_HISTORY_H
#define INCRLOAD_HISTORY_H

#include "utils/elog.h"

#include "apply.h"

extern void il_history_init(void);
extern void il_history_begin(Oid view, IncrloadApplyKind kind,
							 TimestampTz started);
extern void il_history_succeeded(Oid view, IncrloadApplyKind kind,
								 TimestampTz started,
								 const IncrloadApplyResult *result);
extern void il_history_failed(ErrorData *edata);
extern void il_history_flush(bool prune);

#endif							/* INCRLOAD_HISTORY_H */
