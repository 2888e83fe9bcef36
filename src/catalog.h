/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Access to incrload's catalog tables (schema incrload).
 *
 * IDENTIFICATION
 *	  src/catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_CATALOG_H
#define INCRLOAD_CATALOG_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#define INCRLOAD_SCHEMA "incrload"


/* One row of incrload.view, as the apply and the API need it. */
typedef struct IncrloadView
{
	Oid			view;			/* the user-facing view */
	Oid			storage;		/* the storage table behind it */
	char	   *query;			/* canonical (deparsed, qualified) query */
	bool		full_mode;		/* mode = 'full' */
	char	   *state;
	Oid			owner;
	Datum		watermark;		/* pg_snapshot, or 0 when null */
	bool		has_watermark;
	Datum		watermark_xid;	/* xid8, valid when has_watermark_xid */
	bool		has_watermark_xid;
	int64		watermark_cid;
	bool		watermark_foreign;	/* taken in another cluster */
	bool		query_tree_stale;	/* written by another major */
	char	   *query_tree;		/* NULL when missing, foreign or stale */
	char	   *multiplicity;	/* NULL: each storage row shows once */
	char	   *strategy;		/* auto, incremental, full */
	bool		has_apply_model;
	double		apply_model[4]; /* see incrload.view.apply_model */
	double		recompute_cost; /* ms, or < 0: not known */
	int64		full_refreshes; /* recomputes so far, the first fill included */
	int			statement_timeout;	/* of one apply, ms (0: none) */
	int			temp_file_limit;	/* of one apply, kB (-1: none) */
	List	   *settings;		/* pinned 'name=value' strings, or NIL */
} IncrloadView;

/* A new value of one of a view's limits. */
typedef struct IncrloadLimit
{
	bool		server_default; /* back to the incrload.apply_* setting */
	int			value;
} IncrloadLimit;

extern Oid	il_catalog_namespace(void);
extern Oid	il_catalog_owner(void);
extern void il_catalog_become_owner(Oid *save_uid, int *save_sec);
extern void il_catalog_restore_user(Oid save_uid, int save_sec);

extern bool il_catalog_read_view(Oid view, bool lock, IncrloadView *row);
extern void il_catalog_insert_view(Oid view, Oid storage, const char *query,
								   const char *tree, bool full_mode,
								   Datum refresh_interval, Oid owner,
								   List *bases, const char *multiplicity,
								   Datum settings);
extern void il_catalog_record_dependencies(Oid view, struct Query *query);
extern void il_catalog_set_query(Oid view, struct Query *query);
extern void il_catalog_record_view_dependency(Oid view, Oid plain_view);
extern List *il_catalog_views_depended_on(Oid view);
extern void il_catalog_set_query_text(Oid view, const char *querydef,
									  const char *tree);
extern void il_catalog_delete_view(Oid view);
extern void il_catalog_record_apply(Oid view, Datum watermark,
									Datum watermark_xid, bool has_xid,
									int64 watermark_cid, bool full,
									int64 consumed, TimestampTz started,
									const char *choice,
									const double *apply_model,
									double recompute_cost);
extern void il_catalog_record_verify(Oid view, int64 mismatches);
extern void il_catalog_set_state(Oid view, const char *state);
extern void il_catalog_alter_view(Oid view, const Datum *refresh_interval,
								  const Datum *verify_interval,
								  const bool *repair, const char *strategy,
								  const IncrloadLimit *statement_timeout,
								  const IncrloadLimit *temp_file_limit);
extern void il_catalog_set_aux_of(Oid aux, Oid view);
extern List *il_catalog_auxes(Oid view);
extern Oid	il_catalog_top_view(Oid view);
extern List *il_catalog_view_bases(Oid view);
extern List *il_catalog_base_views(Oid base);
extern List *il_catalog_all_views(void);
extern Oid	il_catalog_delta_for(Oid base);
extern Oid	il_catalog_delta_base(Oid delta);
extern List *il_catalog_all_captured(void);
extern Oid	il_catalog_storage_view(Oid relid, char **multiplicity);
extern void il_catalog_insert_delta(Oid base, Oid delta);
extern void il_catalog_delete_delta(Oid base);
extern Oid	il_catalog_lookup_delta(Oid base);
extern void il_catalog_insert_partition(Oid partition, Oid root);
extern void il_catalog_delete_partition(Oid partition);
extern Oid	il_catalog_partition_root(Oid partition);
extern List *il_catalog_partitions(Oid root);
extern char *il_catalog_extension_schema(void);

#endif							/* INCRLOAD_CATALOG_H */
