/*-------------------------------------------------------------------------
 *
 * delta.h
 *	  The delta rules: the SQL that creates, fills and maintains a view's
 *	  storage table.
 *
 * IDENTIFICATION
 *	  src/delta.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_DELTA_H
#define INCRLOAD_DELTA_H

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

typedef struct IncrloadSql
{
	char	   *full_delete;	/* empty the storage table */
	char	   *full_insert;	/* fill it from the query */
	char	   *upsert;			/* apply one batch; RETURNING ctid, count, flag, keys */
	char	   *delete_rows;	/* $1 tid[]: rows whose count reached zero */
	char	   *recompute;		/* $1 tid, $2.. keys: one group's extremes */
	char	   *verify;			/* missing, extra */
	List	   *batch_info;		/* per base_relids: count(*), truncated, oldest */
	int			nkeys;
	Oid		   *key_types;
} IncrloadSql;

extern char *il_delta_storage_ddl(IncrloadQuery *q, const char *qualname);
extern char *il_delta_view_sql(IncrloadQuery *q, Oid storage);
extern IncrloadSql *il_delta_build(IncrloadQuery *q, Oid view, Oid storage);
extern char *il_delta_batch_info_sql(Oid delta);
extern Oid *il_delta_batch_param_types(void);

#endif							/* INCRLOAD_DELTA_H */
