/*-------------------------------------------------------------------------
 *
 * delta.h
 *	  The delta rules: the weighted rows a view's FROM and WHERE produce,
 *	  for a batch of changes or for the whole query.
 *
 * IDENTIFICATION
 *	  src/delta.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_DELTA_H
#define INCRLOAD_DELTA_H

#include "lib/stringinfo.h"

#include "analyze.h"

/* Statement parameters shared by every batch-reading statement. */
#define INCRLOAD_BATCH_NPARAMS 3	/* watermark, watermark_xid, watermark_cid */

/* Column names the delta tables reserve. */
#define INCRLOAD_DELTA_XID_NAME "__incrload_xid"
#define INCRLOAD_DELTA_CID_NAME "__incrload_cid"
#define INCRLOAD_DELTA_W_NAME "__incrload_w"
#define INCRLOAD_DELTA_TS_NAME "__incrload_ts"
#define INCRLOAD_HIDDEN_PREFIX "__incrload_"
#define INCRLOAD_COUNT_NAME "__incrload_count"

extern char *il_sql_type(Oid type, int32 typmod);
extern char *il_sql_col(const char *alias, const char *name);
extern bool il_equality_is_identity(Oid type, Oid collation);
extern bool il_may_be_null(Node *expr, Query *outer);
extern Node *il_null_test(Node *arg, NullTestType type);
extern void il_sql_sort_order(StringInfo buf, Oid type, Oid sortop, bool nulls_first);
extern char *il_delta_pre_sql(IncrloadQuery *q, bool delta, List *changed);
extern char *il_delta_batch_ctes(void);
extern char *il_delta_batch_cond(const char *alias);
extern char *il_delta_batch_info_sql(Oid delta);
extern Oid *il_delta_batch_param_types(void);

#endif							/* INCRLOAD_DELTA_H */
