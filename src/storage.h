/*-------------------------------------------------------------------------
 *
 * storage.h
 *	  A view's storage table and the statements that maintain it.
 *
 * IDENTIFICATION
 *	  src/storage.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_STORAGE_H
#define INCRLOAD_STORAGE_H

#include "analyze.h"

/* The fill's rows, as an ephemeral named relation of the fill_insert. */
#define INCRLOAD_FILL_RELNAME "__incrload_fill"

/* Everything the apply runs for one view. */
typedef struct IncrloadSql
{
	char	   *full_delete;	/* empty the storage table */
	char	   *full_insert;	/* fill it from the query */

	/*
	 * The same fill in two statements, or NULL: a SELECT, which may run in
	 * parallel (an INSERT ... SELECT never does in PostgreSQL 15), into a
	 * tuplestore, then an INSERT from it under the name INCRLOAD_FILL_RELNAME.
	 * fill_names are the columns it fills, NIL for all of them.
	 */
	char	   *fill_select;
	char	   *fill_insert;
	List	   *fill_names;
	char	   *upsert;			/* apply one batch; RETURNING ctid, count, flag, keys, inserted */
	char	   *reinsert;		/* or NULL: a recursive query's second
								 * statement, after the upsert's deletions
								 * (recursive.c) */
	char	   *delete_rows;	/* $1 tid[]: rows whose count reached zero */
	char	   *recompute;		/* $1 tid, $2.. keys: one group's extremes */
	char	   *verify;			/* missing, extra */
	char	   *aux_cleanup;	/* after upsert: drop zero counts of the sets */
	List	   *aux_relids;		/* the sets' auxiliary tables */
	List	   *batch_info;		/* per base_relids: count(*), truncated, oldest */
	int			nkeys;
	Oid		   *key_types;
} IncrloadSql;

extern IncrloadAgg *il_storage_describe_agg(IncrloadQuery *q, Aggref *aggref);
extern char *il_storage_ddl(IncrloadQuery *q, const char *relname,
							const char *owner);
extern List *il_storage_sets(Oid storage);
extern char *il_storage_drop_sql(Oid storage);
extern char *il_storage_view_sql(IncrloadQuery *q, Oid storage);
extern char *il_storage_top_n_index_sql(IncrloadQuery *q, Oid storage);
extern char *il_storage_multiplicity(IncrloadQuery *q);
extern IncrloadSql *il_storage_build(IncrloadQuery *q, Oid view, Oid storage,
									 List *changed);

#endif							/* INCRLOAD_STORAGE_H */
